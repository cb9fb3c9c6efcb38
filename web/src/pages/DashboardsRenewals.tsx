// Renewals dashboard: MRR renewing within 30/60/90 days from today, what is at risk (red band)
// and expected, and the accounts renewing with their MRR, owner, health band and phase.
// The month range does not apply (renewals always count from today).
import { BAND_COLOURS, Chart } from '../charts/Chart';
import type { ChartOption } from '../charts/Chart';
import { HealthBadge, Link, ShowMore, useLifecycle } from '../components';
import { fmtDate, fmtNumber } from '../format';
import { t } from '../i18n';
import { Card, csvUrl, DataTable, Kpi, Kpis, MetricView, money, phaseName, Table, Unconverted, useMetric, useOwners } from './DashboardsShared';
import type { Filters, RevenueBase } from './DashboardsShared';

interface Window { days: number; accounts: number; mrr: number; at_risk_mrr: number; expected_mrr: number; unscored_mrr: number }
interface Row {
  account_id: number; name: string; renewal_date: string; days_until: number; window: number | null; mrr: number;
  owner_id: number | null; health_band: 'green' | 'yellow' | 'red' | null; phase: string | null; plan: string | null; status: string; auto_renew: boolean;
}
interface Reply extends RevenueBase { as_of: string; windows: Window[]; total: number; data: Row[] }

export const WITHIN = [30, 60, 90] as const;
const LIMIT = 500;
const SHOWN = 25;

export function Renewals({ f, within, setWithin }: { f: Filters; within: number; setWithin: (n: number) => void }) {
  // Renewals count from today: the month range is left out on purpose.
  const sl = { owner: f.owner, tier: f.tier, segment: f.segment };
  const s = useMetric<Reply>('renewals', sl, { limit: LIMIT });
  const owners = useOwners();
  const lc = useLifecycle();
  return (
    <div class="dash-grid dash-one">
      <Card id="renewals" title={t('dash.forecast')} help={t('dash.renewalsHelp')} testid="dash-renewals"
        csv={[{ href: csvUrl('renewals', sl, 'windows'), name: t('dash.forecast') }]}>
        <MetricView state={s} empty={t('dash.renewalsEmpty')}>
          {(d) => {
            const cur = d.currency;
            const option: ChartOption = {
              aria: { enabled: true, decal: { show: true } },
              grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
              tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number) => money(v, cur) },
              legend: { top: 0 },
              xAxis: { type: 'category', data: d.windows.map((w) => t('dash.withinDays', { n: w.days })) },
              yAxis: { type: 'value', axisLabel: { formatter: (v: number) => money(v, cur, true) } },
              series: [
                { name: t('dash.atRisk'), type: 'bar', stack: 'r', data: d.windows.map((w) => w.at_risk_mrr), itemStyle: { color: BAND_COLOURS.red } },
                { name: t('dash.expected'), type: 'bar', stack: 'r', data: d.windows.map((w) => w.expected_mrr), itemStyle: { color: '#7fb08f' } },
              ],
            };
            return (
              <>
                <p class="muted small">{t('dash.asOf', { date: fmtDate(d.as_of) })}</p>
                <div class="dash-windows">
                  {d.windows.map((w) => (
                    <div class="dash-window" data-testid={`window-${w.days}`}>
                      <h3 class="h3">{t('dash.withinDays', { n: w.days })}</h3>
                      <Kpis>
                        <Kpi label={t('dash.mrr')} value={money(w.mrr, cur)} sub={t('dash.accountsN', { n: fmtNumber(w.accounts) })} testid={`renewals-mrr-${w.days}`} />
                        <Kpi label={`◆ ${t('dash.atRisk')}`} value={money(w.at_risk_mrr, cur)} testid={`renewals-risk-${w.days}`} />
                        <Kpi label={t('dash.expected')} value={money(w.expected_mrr, cur)} sub={w.unscored_mrr ? `${t('dash.unscored')}: ${money(w.unscored_mrr, cur)}` : undefined} />
                      </Kpis>
                    </div>
                  ))}
                </div>
                <Unconverted r={d} />
                <Chart option={option} label={t('dash.forecastLabel')} testid="chart-renewals" height={240} />
                <DataTable caption={t('dash.forecastLabel')} testid="table-windows"
                  cols={[{ label: t('dash.dueWithin') }, { label: t('dash.accounts'), num: true }, { label: t('dash.mrr'), num: true }, { label: t('dash.atRisk'), num: true }, { label: t('dash.expected'), num: true }, { label: t('dash.unscored'), num: true }]}
                  rows={d.windows.map((w) => [t('dash.withinDays', { n: w.days }), fmtNumber(w.accounts), money(w.mrr, cur), money(w.at_risk_mrr, cur), money(w.expected_mrr, cur), money(w.unscored_mrr, cur)])} />
              </>
            );
          }}
        </MetricView>
      </Card>
      <Card id="renewal-list" title={t('dash.renewalList')} testid="dash-renewal-list" csv={[{ href: csvUrl('renewals', sl), name: t('dash.renewalList') }]}>
        <div class="dash-controls">
          <label class="field">
            <span>{t('dash.dueWithin')}</span>
            <select value={String(within)} data-testid="renewals-within" onChange={(e) => setWithin(Number((e.currentTarget as HTMLSelectElement).value))}>
              {WITHIN.map((n) => <option value={String(n)}>{t('dash.withinDays', { n })}</option>)}
            </select>
          </label>
        </div>
        <MetricView state={s} empty={t('dash.renewalsEmpty')} isEmpty={(d) => !d.data.some((r) => r.days_until <= within)}>
          {(d) => {
            const rows = d.data.filter((r) => r.days_until >= 0 && r.days_until <= within);
            return (
              <>
                <ShowMore items={rows} n={SHOWN} label={(n) => t('dash.showAllN', { n })} testid="renewals-more">
                {(shown) => (
                <Table caption={t('dash.renewalList')} testid="renewals-table"
                  cols={[{ label: t('dash.account') }, { label: t('dash.renewalDate') }, { label: t('dash.daysUntil'), num: true }, { label: t('dash.mrr'), num: true }, { label: t('dash.owner') }, { label: t('dash.band') }, { label: t('dash.phase') }, { label: t('dash.plan') }]}
                  rows={shown.map((r) => [
                    <Link href={`/accounts/${r.account_id}`}>{r.name}</Link>, fmtDate(r.renewal_date), fmtNumber(r.days_until), money(r.mrr, d.currency),
                    owners.name(r.owner_id), <HealthBadge account={{ band: r.health_band, health: null }} />, phaseName(lc.data?.phases, r.phase), r.plan ?? t('common.none'),
                  ])} />
                )}
                </ShowMore>
                {d.total > d.data.length && <p class="muted small">{t('dash.shownOf', { n: d.data.length, total: d.total })}</p>}
              </>
            );
          }}
        </MetricView>
      </Card>
    </div>
  );
}
