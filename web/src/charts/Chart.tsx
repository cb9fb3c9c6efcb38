// One ECharts chart for the dashboards: ECharts is fetched on first use (the same chunk as
// the usage chart's), the option comes from the caller on every render, and the chart
// follows its box's size. The chart is an image with a label; each caller also renders the
// numbers as a table, so neither colour nor the canvas is the only way to read them.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox, Loading } from '../components';
import { lang, t } from '../i18n';

type EC = typeof import('./echarts');
type Instance = ReturnType<EC['echarts']['init']>;
let loading: Promise<EC> | null = null;
const loadECharts = () => (loading ??= import('./echarts').catch((e) => { loading = null; throw e; }));

export type ChartOption = Record<string, unknown>;

/** Series colours: navy, teal, amber, plum, grey, sky (distinguishable without the band
 * colours, which mean health). */
export const PALETTE = ['#1f4e79', '#2a9d8f', '#c77d0a', '#8e5aa8', '#6b7785', '#5aa0d8'];
export const BAND_COLOURS = { green: '#2f9e55', yellow: '#e0b400', red: '#c8382b', unscored: '#aab5c3' };

export function Chart({ option, label, testid, height = 300, children }: {
  option: ChartOption; label: string; testid?: string; height?: number; children?: ComponentChildren;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Instance | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const l = lang();

  useEffect(() => {
    let ro: ResizeObserver | null = null;
    let dead = false;
    setReady(false);
    loadECharts().then(({ echarts }) => {
      if (dead || !el.current) return;
      chart.current = echarts.init(el.current, undefined, { renderer: 'canvas', locale: l === 'ja' ? 'JA' : 'EN' });
      ro = new ResizeObserver(() => chart.current?.resize());
      ro.observe(el.current);
      setReady(true);
    }, (e) => setErr(e));
    return () => { dead = true; ro?.disconnect(); chart.current?.dispose(); chart.current = null; };
  }, [l]);

  useEffect(() => {
    if (ready && chart.current) {
      // ECharts writes its own aria-label on the box: ours, the chart's name, is kept.
      const aria = { enabled: true, label: { description: label }, ...(option.aria as object | undefined) };
      chart.current.setOption({ animation: false, textStyle: { fontFamily: 'inherit' }, ...option, aria }, true);
    }
  });

  return (
    <figure class="chart-fig dash-fig">
      {err ? <ErrorBox error={err} /> : !ready && <Loading label={t('dash.chartLoading')} />}
      <div ref={el} class="chart" style={{ height: `${height}px` }} data-testid={testid} role="img" aria-label={label} />
      {children}
    </figure>
  );
}
