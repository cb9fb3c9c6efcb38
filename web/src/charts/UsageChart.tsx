// Active users (line) and events (bars) per period, drawn with ECharts loaded on first use.
// The numbers are also in a visually hidden table, for screen readers.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { UsagePeriod } from '../api';
import { ErrorBox, Loading } from '../components';
import { fmtDate, fmtNumber } from '../format';
import { lang, locale, t } from '../i18n';

type EC = typeof import('./echarts');
let loading: Promise<EC> | null = null;
const loadECharts = () => (loading ??= import('./echarts'));

export function UsageChart({ data }: { data: UsagePeriod[] }) {
  const el = useRef<HTMLDivElement>(null);
  const [err, setErr] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const l = lang();

  useEffect(() => {
    let chart: ReturnType<EC['echarts']['init']> | null = null;
    let ro: ResizeObserver | null = null;
    let dead = false;
    loadECharts().then(({ echarts }) => {
      if (dead || !el.current) return;
      chart = echarts.init(el.current, undefined, { renderer: 'canvas', locale: l === 'ja' ? 'JA' : 'EN' });
      const fmt = new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', timeZone: 'UTC' });
      chart.setOption({
        aria: { enabled: true },
        animation: false,
        grid: { left: 48, right: 48, top: 36, bottom: 28 },
        tooltip: { trigger: 'axis' },
        legend: { data: [t('usage.activeUsers'), t('usage.events')], top: 0 },
        xAxis: { type: 'category', data: data.map((p) => (p.period.length === 10 ? fmt.format(new Date(`${p.period}T00:00:00Z`)) : p.period)) },
        yAxis: [
          { type: 'value', name: t('usage.activeUsers'), minInterval: 1, nameTextStyle: { align: 'left' } },
          { type: 'value', name: t('usage.events'), minInterval: 1, splitLine: { show: false }, nameTextStyle: { align: 'right' } },
        ],
        series: [
          { name: t('usage.events'), type: 'bar', yAxisIndex: 1, data: data.map((p) => p.events), itemStyle: { color: '#b9d3ee' } },
          { name: t('usage.activeUsers'), type: 'line', data: data.map((p) => p.active_users), smooth: true, symbolSize: 5, itemStyle: { color: '#1f4e79' }, lineStyle: { width: 2 } },
        ],
      });
      ro = new ResizeObserver(() => chart?.resize());
      ro.observe(el.current);
      setReady(true);
    }, (e) => setErr(e));
    return () => { dead = true; ro?.disconnect(); chart?.dispose(); };
  }, [data, l]);

  return (
    <figure class="chart-fig">
      {err ? <ErrorBox error={err} /> : !ready && <Loading label={t('usage.chartLoading')} />}
      <div ref={el} class="chart" data-testid="usage-chart" role="img" aria-label={t('usage.chartLabel')} />
      <table class="sr-only">
        <caption>{t('usage.chartLabel')}</caption>
        <thead><tr><th scope="col">{t('usage.range')}</th><th scope="col">{t('usage.activeUsers')}</th><th scope="col">{t('usage.events')}</th></tr></thead>
        <tbody>{data.map((p) => <tr><td>{p.period.length === 10 ? fmtDate(p.period) : p.period}</td><td>{fmtNumber(p.active_users)}</td><td>{fmtNumber(p.events)}</td></tr>)}</tbody>
      </table>
    </figure>
  );
}
