// The customer success dashboards: Health (band distribution month by month, stacked, and
// now), Journey (accounts by phase, the phase funnel in the order and with the phases the
// API returns, onboarding completion rate and average TTV) and Surveys (NPS, CSAT, CES).
import { BAND_COLOURS, Chart, PALETTE } from '../charts/Chart';
import type { ChartOption } from '../charts/Chart';
import { useLifecycle } from '../components';
import { fmtNumber } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { Card, csvUrl, DataTable, fmtMonth, Kpi, Kpis, MetricView, pct, phaseName, points, Table, useMetric } from './DashboardsShared';
import type { Filters } from './DashboardsShared';

// ------------------------------------------------------------------ health

interface HealthRow { month: string; accounts: number; green: number; yellow: number; red: number; unscored: number; avg_score: number | null }
interface HealthReply { from: string; to: string; current: { green: number; yellow: number; red: number; unscored: number }; data: HealthRow[] }

const BANDS = ['green', 'yellow', 'red', 'unscored'] as const;
const BAND_ICON = { green: '●', yellow: '▲', red: '◆', unscored: '○' };
const bandLabel = (b: (typeof BANDS)[number]) => t(b === 'unscored' ? 'band.none' : (`band.${b}` as Key));

export function Health({ f }: { f: Filters }) {
  const s = useMetric<HealthReply>('health', f);
  return (
    <div class="dash-grid">
      <Card id="health" title={t('dash.healthTitle')} testid="dash-health"
        csv={[{ href: csvUrl('health', f), name: t('dash.healthTitle') }, { href: csvUrl('health', f, 'current'), name: t('dash.healthNow') }]}>
        <MetricView state={s} empty={t('dash.healthEmpty')}>
          {(d) => {
            const total = BANDS.reduce((n, b) => n + d.current[b], 0);
            const option: ChartOption = {
              aria: { enabled: true, decal: { show: true } },
              grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
              legend: { top: 0 },
              xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
              yAxis: [
                { type: 'value', name: t('dash.accounts'), minInterval: 1 },
                { type: 'value', name: t('dash.avgScore'), min: 0, max: 100, splitLine: { show: false } },
              ],
              series: [
                ...BANDS.map((b) => ({ name: `${BAND_ICON[b]} ${bandLabel(b)}`, type: 'bar', stack: 'b', data: d.data.map((r) => r[b]), itemStyle: { color: BAND_COLOURS[b] } })),
                { name: t('dash.avgScore'), type: 'line', yAxisIndex: 1, symbol: 'diamond', symbolSize: 7, data: d.data.map((r) => r.avg_score), itemStyle: { color: PALETTE[0] } },
              ],
            };
            return (
              <>
                <h3 class="h3">{t('dash.healthNow')}</h3>
                <Kpis>
                  {BANDS.map((b) => (
                    <Kpi label={`${BAND_ICON[b]} ${bandLabel(b)}`} value={fmtNumber(d.current[b])} sub={total ? pct(d.current[b] / total) : undefined} testid={`health-now-${b}`} />
                  ))}
                </Kpis>
                {d.data.every((r) => r.accounts === 0) ? <p class="state state-empty">{t('dash.healthEmpty')}</p> : (
                  <Chart option={option} label={t('dash.healthLabel')} testid="chart-health" />
                )}
                <DataTable caption={t('dash.healthLabel')} testid="table-health"
                  cols={[{ label: t('dash.month') }, ...BANDS.map((b) => ({ label: bandLabel(b), num: true })), { label: t('dash.accounts'), num: true }, { label: t('dash.avgScore'), num: true }]}
                  rows={d.data.map((r) => [fmtMonth(r.month), ...BANDS.map((b) => fmtNumber(r[b])), fmtNumber(r.accounts), points(r.avg_score)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
    </div>
  );
}

// ------------------------------------------------------------------ journey

interface JourneyRow { month: string; onboarding_started: number; onboarding_completed: number; completion_rate: number | null; avg_onboarding_days: number | null; value_reached: number; avg_ttv_days: number | null }
interface JourneyReply {
  from: string; to: string; phases: { phase: string | null; accounts: number }[];
  onboarding: { started: number; completed: number; completion_rate: number | null; avg_days: number | null };
  funnel: { phase: string; accounts: number; share: number | null }[];
  ttv: { accounts: number; avg_days: number | null };
  data: JourneyRow[];
}

const days = (n: number | null) => (n === null ? t('common.none') : t('dash.daysN', { n: fmtNumber(n, { maximumFractionDigits: 1 }) }));

export function Journey({ f }: { f: Filters }) {
  const s = useMetric<JourneyReply>('journey', f);
  const lc = useLifecycle();
  const phases = lc.data?.phases;
  // Accounts by phase in the lifecycle's order; phases the lifecycle no longer has, after.
  const order = (k: string | null) => { const i = phases?.findIndex((p) => p.key === k) ?? -1; return i < 0 ? 1e6 : i; };
  return (
    <div class="dash-grid">
      <Card id="journey" title={t('dash.funnel')} help={t('dash.funnelHelp')} testid="dash-journey"
        csv={[{ href: csvUrl('journey', f, 'funnel'), name: t('dash.funnel') }, { href: csvUrl('journey', f), name: t('dash.journeyMonthly') }]}>
        <MetricView state={s} empty={t('dash.journeyEmpty')}>
          {(d) => {
            const funnel = d.funnel;
            const option: ChartOption = {
              grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
              xAxis: { type: 'value', minInterval: 1 },
              yAxis: { type: 'category', inverse: true, data: funnel.map((p) => phaseName(phases, p.phase)) },
              series: [{
                type: 'bar', name: t('dash.accounts'), data: funnel.map((p) => p.accounts), itemStyle: { color: PALETTE[0] },
                label: { show: true, position: 'right', formatter: (p: { dataIndex: number }) => `${fmtNumber(funnel[p.dataIndex].accounts)} (${pct(funnel[p.dataIndex].share, 0)})` },
              }],
            };
            return (
              <>
                <Kpis>
                  <Kpi label={t('dash.onbRate')} value={pct(d.onboarding.completion_rate)} sub={`${fmtNumber(d.onboarding.completed)} / ${fmtNumber(d.onboarding.started)}`} testid="kpi-onb-rate" />
                  <Kpi label={t('dash.onbDays')} value={days(d.onboarding.avg_days)} testid="kpi-onb-days" />
                  <Kpi label={t('dash.ttv')} value={days(d.ttv.avg_days)} sub={t('dash.accountsN', { n: fmtNumber(d.ttv.accounts) })} testid="kpi-ttv" />
                </Kpis>
                {d.onboarding.started === 0 ? <p class="state state-empty">{t('dash.journeyEmpty')}</p> : (
                  <Chart option={option} label={t('dash.funnelLabel')} testid="chart-funnel" height={Math.max(160, 48 * funnel.length + 40)} />
                )}
                <DataTable caption={t('dash.funnelLabel')} testid="table-funnel"
                  cols={[{ label: t('dash.phase') }, { label: t('dash.accounts'), num: true }, { label: t('dash.share'), num: true }]}
                  rows={funnel.map((p) => [phaseName(phases, p.phase), fmtNumber(p.accounts), pct(p.share)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
      <Card id="phases" title={t('dash.journeyPhases')} testid="dash-phases" csv={[{ href: csvUrl('journey', f, 'phases'), name: t('dash.journeyPhases') }]}>
        <MetricView state={s} empty={t('dash.journeyEmpty')} isEmpty={(d) => d.phases.length === 0}>
          {(d) => {
            const list = [...d.phases].sort((a, b) => order(a.phase) - order(b.phase));
            const total = list.reduce((n, p) => n + p.accounts, 0);
            return (
              <Table caption={t('dash.journeyPhases')} captionVisible={false} testid="phases-table"
                cols={[{ label: t('dash.phase') }, { label: t('dash.accounts'), num: true }, { label: t('dash.share'), num: true }]}
                rows={list.map((p) => [
                  <span class={`tag phase-${p.phase ?? 'none'}`}>{phaseName(phases, p.phase)}</span>, fmtNumber(p.accounts),
                  <span class="dash-bar-cell">{pct(total ? p.accounts / total : null)}<span class="meter" aria-hidden="true"><span style={{ width: `${total ? (100 * p.accounts) / total : 0}%` }} /></span></span>,
                ])} />
            );
          }}
        </MetricView>
      </Card>
      <Card id="journey-monthly" title={t('dash.journeyMonthly')} testid="dash-journey-monthly">
        <MetricView state={s} empty={t('dash.journeyEmpty')}>
          {(d) => {
            const option: ChartOption = {
              grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis' },
              legend: { top: 0 },
              xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
              yAxis: [
                { type: 'value', name: t('dash.accounts'), minInterval: 1 },
                { type: 'value', name: t('dash.onbRate'), min: 0, max: 1, splitLine: { show: false }, axisLabel: { formatter: (v: number) => pct(v, 0) } },
              ],
              series: [
                { name: t('dash.onbStarted'), type: 'bar', data: d.data.map((r) => r.onboarding_started), itemStyle: { color: '#b9d3ee' } },
                { name: t('dash.onbCompleted'), type: 'bar', data: d.data.map((r) => r.onboarding_completed), itemStyle: { color: PALETTE[1] } },
                { name: t('dash.onbRate'), type: 'line', yAxisIndex: 1, symbol: 'diamond', symbolSize: 7, data: d.data.map((r) => r.completion_rate), itemStyle: { color: PALETTE[0] },
                  tooltip: { valueFormatter: (v: number | null) => pct(v) } },
              ],
            };
            return (
              <>
                <Chart option={option} label={t('dash.journeyMonthly')} testid="chart-journey" />
                <DataTable caption={t('dash.journeyMonthly')} testid="table-journey"
                  cols={[{ label: t('dash.month') }, { label: t('dash.onbStarted'), num: true }, { label: t('dash.onbCompleted'), num: true }, { label: t('dash.onbRate'), num: true }, { label: t('dash.onbDays'), num: true }, { label: t('dash.valueReached'), num: true }, { label: t('dash.ttvDays'), num: true }]}
                  rows={d.data.map((r) => [fmtMonth(r.month), fmtNumber(r.onboarding_started), fmtNumber(r.onboarding_completed), pct(r.completion_rate), days(r.avg_onboarding_days), fmtNumber(r.value_reached), days(r.avg_ttv_days)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
    </div>
  );
}

// ------------------------------------------------------------------ surveys

interface SurveyFigures {
  nps_responses: number; promoters: number; passives: number; detractors: number; nps: number | null;
  csat_responses: number; csat: number | null; csat_avg: number | null; ces_responses: number; ces_avg: number | null;
}
interface SurveysReply { from: string; to: string; total: SurveyFigures; data: (SurveyFigures & { month: string })[] }

export function Surveys({ f }: { f: Filters }) {
  const s = useMetric<SurveysReply>('surveys', f);
  return (
    <div class="dash-grid">
      <Card id="surveys" title={t('dash.surveysTitle')} testid="dash-surveys" csv={[{ href: csvUrl('surveys', f), name: t('dash.surveysTitle') }]}>
        <MetricView state={s} empty={t('dash.surveysEmpty')} isEmpty={(d) => d.total.nps_responses + d.total.csat_responses + d.total.ces_responses === 0}>
          {(d) => {
            const tot = d.total;
            const option: ChartOption = {
              grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => points(v) },
              legend: { top: 0 },
              xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
              yAxis: [
                { type: 'value', name: `${t('dash.nps')} / CSAT %`, min: -100, max: 100 },
                { type: 'value', name: 'CES', min: 1, max: 7, splitLine: { show: false } },
              ],
              series: [
                { name: t('dash.nps'), type: 'line', symbol: 'circle', symbolSize: 7, data: d.data.map((r) => r.nps), itemStyle: { color: PALETTE[0] }, lineStyle: { width: 3 } },
                { name: t('dash.csat'), type: 'line', symbol: 'rect', symbolSize: 6, data: d.data.map((r) => r.csat), itemStyle: { color: PALETTE[1] } },
                { name: t('dash.ces'), type: 'line', yAxisIndex: 1, symbol: 'triangle', symbolSize: 7, lineStyle: { type: 'dashed' }, data: d.data.map((r) => r.ces_avg), itemStyle: { color: PALETTE[2] } },
              ],
            };
            return (
              <>
                <Kpis>
                  <Kpi label={t('dash.nps')} value={points(tot.nps)} sub={`${t('dash.promoters')} ${fmtNumber(tot.promoters)} · ${t('dash.passives')} ${fmtNumber(tot.passives)} · ${t('dash.detractors')} ${fmtNumber(tot.detractors)}`} testid="kpi-nps" />
                  <Kpi label={t('dash.csat')} value={pct(tot.csat === null ? null : tot.csat / 100)} sub={`${t('dash.csatAvg')}: ${points(tot.csat_avg)}`} testid="kpi-csat" />
                  <Kpi label={t('dash.ces')} value={points(tot.ces_avg)} sub={`${t('dash.responses')}: ${fmtNumber(tot.ces_responses)}`} testid="kpi-ces" />
                </Kpis>
                <Chart option={option} label={t('dash.surveysLabel')} testid="chart-surveys" />
                <DataTable caption={t('dash.surveysTitle')} testid="table-surveys"
                  cols={[{ label: t('dash.month') }, { label: t('dash.nps'), num: true }, { label: t('dash.npsResponses'), num: true }, { label: t('dash.promoters'), num: true }, { label: t('dash.passives'), num: true }, { label: t('dash.detractors'), num: true }, { label: t('dash.csat'), num: true }, { label: t('dash.csatAvg'), num: true }, { label: t('dash.ces'), num: true }]}
                  rows={d.data.map((r) => [fmtMonth(r.month), points(r.nps), fmtNumber(r.nps_responses), fmtNumber(r.promoters), fmtNumber(r.passives), fmtNumber(r.detractors), pct(r.csat === null ? null : r.csat / 100), points(r.csat_avg), points(r.ces_avg)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
    </div>
  );
}
