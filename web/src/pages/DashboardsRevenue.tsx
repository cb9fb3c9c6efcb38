// Revenue dashboard: MRR and ARR over time, one month's MRR movements as a waterfall (start
// MRR, new, expansion, reactivation, contraction, churn, end MRR), NRR/GRR monthly and over
// trailing 12 months, logo and revenue churn, ARPA and LTV (with "undefined" said in words
// when there is no churn). Definitions: docs/metrics.md.
import { Chart, PALETTE } from '../charts/Chart';
import type { ChartOption } from '../charts/Chart';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { Card, csvUrl, DataTable, fmtMonth, Kpi, Kpis, MetricView, money, pct, Unconverted, useMetric } from './DashboardsShared';
import type { Filters, RevenueBase } from './DashboardsShared';
import { fmtNumber } from '../format';

interface MrrRow { month: string; mrr: number; arr: number; customers: number; arpa: number | null }
interface MoveRow { month: string; mrr: number; new: number; expansion: number; contraction: number; churn: number; reactivation: number }
interface RetRow {
  month: string; start_mrr: number; expansion: number; contraction: number; churn: number; nrr: number | null; grr: number | null;
  start_mrr_12m: number; nrr_12m: number | null; grr_12m: number | null; logo_retention_12m: number | null;
}
interface ChurnRow {
  month: string; start_customers: number; churned_customers: number; logo_churn_rate: number | null; logo_retention_rate: number | null;
  start_mrr: number; churned_mrr: number; contraction_mrr: number; revenue_churn_rate: number | null; net_revenue_churn_rate: number | null;
}
interface LtvReply extends RevenueBase {
  gross_margin: number; arpa: number | null; revenue_churn_rate: number | null; ltv: number | null; note: string | null;
  data: { month: string; arpa: number | null; revenue_churn_rate: number | null; ltv: number | null }[];
}

/** A round number at or below x (two significant digits). */
const niceFloor = (x: number) => { if (x <= 0) return 0; const p = 10 ** (Math.floor(Math.log10(x)) - 1); return Math.floor(x / p) * p; };

const last = <T,>(a: T[]): T | undefined => a[a.length - 1];

export function Revenue({ f, month, setMonth }: { f: Filters; month: string; setMonth: (m: string) => void }) {
  return (
    <div class="dash-grid">
      <MrrCard f={f} />
      <MovementsCard f={f} month={month} setMonth={setMonth} />
      <RetentionCard f={f} />
      <ChurnCard f={f} />
      <LtvCard f={f} />
    </div>
  );
}

const pctAxis = { type: 'value', axisLabel: { formatter: (v: number) => pct(v, 0) } };

function MrrCard({ f }: { f: Filters }) {
  const s = useMetric<RevenueBase & { data: MrrRow[] }>('mrr', f);
  return (
    <Card id="mrr" title={t('dash.mrrArr')} csv={[{ href: csvUrl('mrr', f), name: t('dash.mrr') }]} testid="dash-mrr">
      <MetricView state={s} empty={t('dash.emptyRevenue')} isEmpty={(d) => d.data.every((r) => r.mrr === 0)}>
        {(d) => {
          const end = last(d.data)!;
          const cur = d.currency;
          const option: ChartOption = {
            grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', valueFormatter: (v: number) => money(v, cur) },
            legend: { top: 0 },
            xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
            yAxis: [
              { type: 'value', name: t('dash.mrr'), axisLabel: { formatter: (v: number) => money(v, cur, true) } },
              { type: 'value', name: t('dash.arr'), splitLine: { show: false }, axisLabel: { formatter: (v: number) => money(v, cur, true) } },
            ],
            series: [
              { name: t('dash.mrr'), type: 'bar', data: d.data.map((r) => r.mrr), itemStyle: { color: '#b9d3ee' } },
              { name: t('dash.arr'), type: 'line', yAxisIndex: 1, data: d.data.map((r) => r.arr), itemStyle: { color: PALETTE[0] }, symbolSize: 6 },
            ],
          };
          return (
            <>
              <Kpis>
                <Kpi label={`${t('dash.mrr')} · ${fmtMonth(end.month)}`} value={money(end.mrr, cur)} testid="kpi-mrr" />
                <Kpi label={t('dash.arr')} value={money(end.arr, cur)} testid="kpi-arr" />
                <Kpi label={t('dash.customers')} value={fmtNumber(end.customers)} testid="kpi-customers" />
                <Kpi label={t('dash.arpa')} value={money(end.arpa, cur)} testid="kpi-arpa" />
              </Kpis>
              <Unconverted r={d} />
              <Chart option={option} label={t('dash.mrrArr')} testid="chart-mrr" />
              <DataTable caption={t('dash.mrrArr')} testid="table-mrr"
                cols={[{ label: t('dash.month') }, { label: t('dash.mrr'), num: true }, { label: t('dash.arr'), num: true }, { label: t('dash.customers'), num: true }, { label: t('dash.arpaShort'), num: true }]}
                rows={d.data.map((r) => [fmtMonth(r.month), money(r.mrr, cur), money(r.arr, cur), fmtNumber(r.customers), money(r.arpa, cur)])} />
              <p class="muted small">{t('dash.currencyNote', { cur })}</p>
            </>
          );
        }}
      </MetricView>
    </Card>
  );
}

const STEPS = [
  { key: 'new', sign: 1 }, { key: 'expansion', sign: 1 }, { key: 'reactivation', sign: 1 },
  { key: 'contraction', sign: -1 }, { key: 'churn', sign: -1 },
] as const;

/** The waterfall's bars: the invisible base each bar stands on, its height, its sign. */
export function waterfall(start: number, row: MoveRow) {
  const bars: { label: string; base: number; value: number; kind: 'total' | 'up' | 'down'; amount: number }[] = [];
  bars.push({ label: t('dash.startMrr'), base: 0, value: start, kind: 'total', amount: start });
  let run = start;
  for (const s of STEPS) {
    const x = row[s.key];
    if (s.sign > 0) { bars.push({ label: t(`dash.mv.${s.key}` as Key), base: run, value: x, kind: 'up', amount: x }); run += x; }
    else { run -= x; bars.push({ label: t(`dash.mv.${s.key}` as Key), base: run, value: x, kind: 'down', amount: -x }); }
  }
  bars.push({ label: t('dash.endMrr'), base: 0, value: row.mrr, kind: 'total', amount: row.mrr });
  return bars;
}

function MovementsCard({ f, month, setMonth }: { f: Filters; month: string; setMonth: (m: string) => void }) {
  const s = useMetric<RevenueBase & { start_mrr: number; data: MoveRow[] }>('movements', f);
  return (
    <Card id="movements" title={t('dash.movements')} csv={[{ href: csvUrl('movements', f), name: t('dash.movements') }]} testid="dash-movements">
      <MetricView state={s} empty={t('dash.emptyRevenue')} isEmpty={(d) => d.start_mrr === 0 && d.data.every((r) => r.mrr === 0)}>
        {(d) => {
          const cur = d.currency;
          let i = d.data.findIndex((r) => r.month === month);
          if (i < 0) i = d.data.length - 1;
          const row = d.data[i];
          const start = i === 0 ? d.start_mrr : d.data[i - 1].mrr;
          const bars = waterfall(start, row);
          const colour = { total: PALETTE[0], up: '#2f9e55', down: '#c8382b' };
          // Zoomed to where the bars change (as MRR bridges are drawn): the totals are cut at
          // the axis' floor, which the axis labels show.
          const lows = bars.filter((b) => b.kind !== 'total').map((b) => b.base).concat(start, row.mrr);
          const highs = bars.map((b) => b.base + b.value);
          const span = Math.max(...highs) - Math.min(...lows);
          const floor = span > 0 ? Math.max(0, Math.min(...lows) - span * 1.5) : 0;
          const signed = (b: (typeof bars)[number]) => (b.kind === 'total' ? money(b.amount, cur, true) : `${b.kind === 'up' ? '+' : '−'}${money(Math.abs(b.amount), cur, true)}`);
          const option: ChartOption = {
            grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps: { dataIndex: number }[]) => { const b = bars[ps[0].dataIndex]; return `${b.label}: ${b.kind === 'down' ? '−' : b.kind === 'up' ? '+' : ''}${money(Math.abs(b.amount), cur)}`; } },
            xAxis: { type: 'category', data: bars.map((b) => b.label), axisLabel: { interval: 0, hideOverlap: true } },
            yAxis: { type: 'value', min: niceFloor(floor), axisLabel: { formatter: (v: number) => money(v, cur, true) } },
            series: [
              { type: 'bar', stack: 'w', silent: true, itemStyle: { color: 'transparent' }, data: bars.map((b) => b.base) },
              {
                type: 'bar', stack: 'w', name: t('dash.movements'),
                data: bars.map((b) => ({ value: b.value, itemStyle: { color: colour[b.kind] } })),
                label: { show: true, position: 'top', formatter: (p: { dataIndex: number }) => signed(bars[p.dataIndex]) },
              },
            ],
          };
          return (
            <>
              <div class="dash-controls">
                <label class="field">
                  <span>{t('dash.movementsMonth')}</span>
                  <select value={row.month} data-testid="movements-month" onChange={(e) => setMonth((e.currentTarget as HTMLSelectElement).value)}>
                    {d.data.map((r) => <option value={r.month}>{fmtMonth(r.month)}</option>)}
                  </select>
                </label>
              </div>
              <Chart option={option} label={t('dash.waterfallLabel', { month: fmtMonth(row.month) })} testid="chart-waterfall" />
              <DataTable caption={t('dash.waterfallLabel', { month: fmtMonth(row.month) })} testid="table-waterfall"
                cols={[{ label: t('dash.movements') }, { label: t('dash.mrr'), num: true }]}
                rows={bars.map((b) => [b.label, b.kind === 'total' ? money(b.amount, cur) : `${b.kind === 'up' ? '+' : '−'}${money(Math.abs(b.amount), cur)}`])} />
              <DataTable caption={t('dash.movements')} summary={t('dash.movementsByMonth')} testid="table-movements"
                cols={[{ label: t('dash.month') }, { label: t('dash.mv.new'), num: true }, { label: t('dash.mv.expansion'), num: true }, { label: t('dash.mv.reactivation'), num: true }, { label: t('dash.mv.contraction'), num: true }, { label: t('dash.mv.churn'), num: true }, { label: t('dash.endMrr'), num: true }]}
                rows={d.data.map((r) => [fmtMonth(r.month), money(r.new, cur), money(r.expansion, cur), money(r.reactivation, cur), money(r.contraction, cur), money(r.churn, cur), money(r.mrr, cur)])} />
            </>
          );
        }}
      </MetricView>
    </Card>
  );
}

function RetentionCard({ f }: { f: Filters }) {
  const s = useMetric<RevenueBase & { data: RetRow[] }>('retention', f);
  return (
    <Card id="retention" title={t('dash.retention')} help={t('dash.retentionHelp')} csv={[{ href: csvUrl('retention', f), name: t('dash.retention') }]} testid="dash-retention">
      <MetricView state={s} empty={t('dash.emptyRevenue')} isEmpty={(d) => d.data.every((r) => r.nrr === null && r.nrr_12m === null)}>
        {(d) => {
          const end = last(d.data)!;
          const line = (name: string, data: (number | null)[], i: number, dashed = false) => ({
            name, type: 'line', data, connectNulls: false, symbolSize: 6, itemStyle: { color: PALETTE[i] }, lineStyle: { width: 2, type: dashed ? 'dashed' : 'solid' },
            symbol: ['circle', 'rect', 'triangle', 'diamond'][i],
          });
          const option: ChartOption = {
            grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => pct(v) },
            legend: { top: 0 },
            xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
            yAxis: { ...pctAxis, scale: true },
            series: [
              line(t('dash.nrr'), d.data.map((r) => r.nrr), 0),
              line(t('dash.grr'), d.data.map((r) => r.grr), 1),
              line(t('dash.nrr12'), d.data.map((r) => r.nrr_12m), 2, true),
              line(t('dash.grr12'), d.data.map((r) => r.grr_12m), 3, true),
            ],
          };
          return (
            <>
              <Kpis>
                <Kpi label={`${t('dash.nrr')} · ${fmtMonth(end.month)}`} value={pct(end.nrr)} testid="kpi-nrr" />
                <Kpi label={t('dash.grr')} value={pct(end.grr)} testid="kpi-grr" />
                <Kpi label={t('dash.nrr12')} value={pct(end.nrr_12m)} testid="kpi-nrr12" />
                <Kpi label={t('dash.grr12')} value={pct(end.grr_12m)} />
              </Kpis>
              <Chart option={option} label={t('dash.retention')} testid="chart-retention" />
              <DataTable caption={t('dash.retention')} testid="table-retention"
                cols={[{ label: t('dash.month') }, { label: t('dash.startMrr'), num: true }, { label: t('dash.nrr'), num: true }, { label: t('dash.grr'), num: true }, { label: t('dash.nrr12'), num: true }, { label: t('dash.grr12'), num: true }, { label: t('dash.logoRet12'), num: true }]}
                rows={d.data.map((r) => [fmtMonth(r.month), money(r.start_mrr, d.currency), pct(r.nrr), pct(r.grr), pct(r.nrr_12m), pct(r.grr_12m), pct(r.logo_retention_12m)])} />
            </>
          );
        }}
      </MetricView>
    </Card>
  );
}

function ChurnCard({ f }: { f: Filters }) {
  const s = useMetric<RevenueBase & { data: ChurnRow[] }>('churn', f);
  return (
    <Card id="churn" title={t('dash.churn')} csv={[{ href: csvUrl('churn', f), name: t('dash.churn') }]} testid="dash-churn">
      <MetricView state={s} empty={t('dash.emptyRevenue')} isEmpty={(d) => d.data.every((r) => r.start_customers === 0)}>
        {(d) => {
          const end = last(d.data)!;
          const churned = d.data.reduce((n, r) => n + r.churned_customers, 0);
          const option: ChartOption = {
            grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => pct(v, 2) },
            legend: { top: 0 },
            xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
            yAxis: pctAxis,
            series: [
              { name: t('dash.logoChurn'), type: 'line', symbol: 'circle', symbolSize: 6, data: d.data.map((r) => r.logo_churn_rate), itemStyle: { color: PALETTE[0] } },
              { name: t('dash.revChurn'), type: 'line', symbol: 'rect', symbolSize: 6, data: d.data.map((r) => r.revenue_churn_rate), itemStyle: { color: PALETTE[2] } },
              { name: t('dash.netRevChurn'), type: 'line', symbol: 'triangle', symbolSize: 6, lineStyle: { type: 'dashed' }, data: d.data.map((r) => r.net_revenue_churn_rate), itemStyle: { color: PALETTE[3] } },
            ],
          };
          return (
            <>
              <Kpis>
                <Kpi label={`${t('dash.logoChurn')} · ${fmtMonth(end.month)}`} value={pct(end.logo_churn_rate, 2)} testid="kpi-logo-churn" />
                <Kpi label={t('dash.revChurn')} value={pct(end.revenue_churn_rate, 2)} testid="kpi-rev-churn" />
                <Kpi label={t('dash.netRevChurn')} value={pct(end.net_revenue_churn_rate, 2)} />
                <Kpi label={t('dash.churnedCustomers')} value={fmtNumber(churned)} sub={t('dash.period', { from: fmtMonth(d.from), to: fmtMonth(d.to) })} />
              </Kpis>
              <Chart option={option} label={t('dash.churn')} testid="chart-churn" />
              <DataTable caption={t('dash.churn')} testid="table-churn"
                cols={[{ label: t('dash.month') }, { label: t('dash.startCustomers'), num: true }, { label: t('dash.churnedCustomers'), num: true }, { label: t('dash.logoChurn'), num: true }, { label: t('dash.revChurn'), num: true }, { label: t('dash.netRevChurn'), num: true }]}
                rows={d.data.map((r) => [fmtMonth(r.month), fmtNumber(r.start_customers), fmtNumber(r.churned_customers), pct(r.logo_churn_rate, 2), pct(r.revenue_churn_rate, 2), pct(r.net_revenue_churn_rate, 2)])} />
            </>
          );
        }}
      </MetricView>
    </Card>
  );
}

function LtvCard({ f }: { f: Filters }) {
  const s = useMetric<LtvReply>('ltv', f);
  return (
    <Card id="ltv" title={t('dash.ltv')} csv={[{ href: csvUrl('ltv', f), name: t('dash.ltvShort') }]} testid="dash-ltv">
      <MetricView state={s} empty={t('dash.emptyRevenue')}>
        {(d) => {
          const cur = d.currency;
          const undef = d.ltv === null ? (d.arpa === null ? t('dash.ltvUndefNoCustomers') : t('dash.ltvUndefNoChurn')) : null;
          const option: ChartOption = {
            grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? t('dash.undefined') : money(v, cur)) },
            legend: { top: 0 },
            xAxis: { type: 'category', data: d.data.map((r) => fmtMonth(r.month)) },
            yAxis: [
              { type: 'value', name: t('dash.ltvShort'), axisLabel: { formatter: (v: number) => money(v, cur, true) } },
              { type: 'value', name: t('dash.arpaShort'), splitLine: { show: false }, axisLabel: { formatter: (v: number) => money(v, cur, true) } },
            ],
            series: [
              { name: t('dash.ltvShort'), type: 'bar', data: d.data.map((r) => r.ltv), itemStyle: { color: '#b9d3ee' } },
              { name: t('dash.arpaShort'), type: 'line', yAxisIndex: 1, symbol: 'rect', symbolSize: 6, data: d.data.map((r) => r.arpa), itemStyle: { color: PALETTE[1] } },
            ],
          };
          return (
            <>
              <Kpis>
                <Kpi label={t('dash.ltvWindow')} value={d.ltv === null ? t('dash.undefined') : money(d.ltv, cur)} testid="kpi-ltv" />
                <Kpi label={`${t('dash.arpaShort')} · ${fmtMonth(d.to)}`} value={money(d.arpa, cur)} />
                <Kpi label={t('dash.revChurn')} value={pct(d.revenue_churn_rate, 2)} />
              </Kpis>
              {undef && <p class="notice" role="note" data-testid="ltv-note">{undef}</p>}
              <p class="muted small">{t('dash.ltvFormula', { m: pct(d.gross_margin, 0) })}</p>
              <Chart option={option} label={t('dash.ltv')} testid="chart-ltv" height={260} />
              <DataTable caption={t('dash.ltv')} testid="table-ltv"
                cols={[{ label: t('dash.month') }, { label: t('dash.arpaShort'), num: true }, { label: t('dash.revChurn'), num: true }, { label: t('dash.ltvShort'), num: true }]}
                rows={d.data.map((r) => [fmtMonth(r.month), money(r.arpa, cur), pct(r.revenue_churn_rate, 2), r.ltv === null ? (r.arpa === null ? t('dash.undefined') : t('dash.ltvUndefMonth')) : money(r.ltv, cur)])} />
            </>
          );
        }}
      </MetricView>
    </Card>
  );
}
