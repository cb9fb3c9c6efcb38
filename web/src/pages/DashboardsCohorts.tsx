// Cohorts dashboard: logo or revenue retention by first paid month, as a heatmap that is a
// table: every cell says its percentage in words, the shade only repeats it.
import { fmtNumber } from '../format';
import { t } from '../i18n';
import { Card, csvUrl, fmtMonth, MetricView, money, pct, Unconverted, useMetric } from './DashboardsShared';
import type { Filters, RevenueBase } from './DashboardsShared';

interface Cell { offset: number; month: string; customers: number; mrr: number; logo_retention: number | null; revenue_retention: number | null }
interface Cohort { cohort: string; customers: number; mrr: number; months: Cell[] }

export type CohortMode = 'logo' | 'revenue';

export function Cohorts({ f, mode, setMode }: { f: Filters; mode: CohortMode; setMode: (m: CohortMode) => void }) {
  const s = useMetric<RevenueBase & { data: Cohort[] }>('cohorts', f);
  return (
    <div class="dash-grid">
      <Card id="cohorts" title={t('dash.cohortsTitle')} help={t('dash.cohortHelp')} csv={[{ href: csvUrl('cohorts', f), name: t('dash.cohorts') }]} testid="dash-cohorts">
        <fieldset class="seg dash-controls">
          <legend>{t('dash.cohortMode')}</legend>
          {(['logo', 'revenue'] as const).map((m) => (
            <label class={`seg-opt${mode === m ? ' on' : ''}`}>
              <input type="radio" name="cohort-mode" value={m} checked={mode === m} onChange={() => setMode(m)} data-testid={`cohort-${m}`} />
              {t(m === 'logo' ? 'dash.cohortLogo' : 'dash.cohortRevenue')}
            </label>
          ))}
        </fieldset>
        <MetricView state={s} empty={t('dash.cohortsEmpty')} isEmpty={(d) => d.data.every((c) => c.customers === 0)}>
          {(d) => {
            const width = d.data.length;
            const value = (c: Cell) => (mode === 'logo' ? c.logo_retention : c.revenue_retention);
            return (
              <>
                <Unconverted r={d} />
                <div class="table-wrap dash-heat-wrap">
                  <table class="table compact dash-heat" data-testid="cohort-table">
                    <caption class="sr-only">{t('dash.cohortsTitle')} · {t(mode === 'logo' ? 'dash.cohortLogo' : 'dash.cohortRevenue')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('dash.cohort')}</th>
                        <th scope="col" class="num">{t('dash.cohortSize')}</th>
                        {Array.from({ length: width }, (_, k) => <th scope="col" class="num">{t('dash.monthN', { n: k })}</th>)}
                      </tr>
                    </thead>
                    <tbody>
                      {d.data.map((c) => (
                        <tr>
                          <th scope="row">{fmtMonth(c.cohort)}</th>
                          <td class="num">{mode === 'logo' ? fmtNumber(c.customers) : money(c.mrr, d.currency, true)}</td>
                          {Array.from({ length: width }, (_, k) => {
                            const cell = c.months[k];
                            if (!cell) return <td class="heat-off" aria-hidden="true" />;
                            const v = c.customers === 0 ? null : value(cell);
                            const shade = v === null ? 0 : Math.max(0, Math.min(1, v));
                            return (
                              <td class={`num heat${shade >= 0.6 ? ' heat-dark' : ''}`} style={v === null ? undefined : { background: `rgba(31, 78, 121, ${(0.08 + shade * 0.82).toFixed(2)})` }}
                                title={`${fmtMonth(cell.month)}: ${fmtNumber(cell.customers)} · ${money(cell.mrr, d.currency)}`}>
                                {pct(v, 0)}
                              </td>
                            );
                          })}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            );
          }}
        </MetricView>
      </Card>
    </div>
  );
}
