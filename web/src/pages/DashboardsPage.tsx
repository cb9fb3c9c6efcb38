// /dashboards (its own chunk, with every dashboard): the filters (from/to months, owner,
// tier, segment) and the dashboard shown live in the URL query, so that a dashboard can be
// shared and reloaded as it was: /dashboards?tab=revenue&from=2026-01&to=2026-06&tier=high.
import { useEffect } from 'preact/hooks';
import { api, qs } from '../api';
import type { List } from '../api';
import { Link, Tabs, useAsync, useMe } from '../components';
import { t, useLang } from '../i18n';
import type { Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { addMonths, thisMonth, useOwners } from './DashboardsShared';
import type { Filters } from './DashboardsShared';
import { Revenue } from './DashboardsRevenue';
import { Cohorts } from './DashboardsCohorts';
import type { CohortMode } from './DashboardsCohorts';
import { Renewals, WITHIN } from './DashboardsRenewals';
import { Health, Journey, Surveys } from './DashboardsCs';
import { Team } from './DashboardsTeam';

const TABS = ['revenue', 'cohorts', 'renewals', 'health', 'journey', 'surveys', 'team'] as const;
type Tab = (typeof TABS)[number];
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const TIERS = ['high', 'low', 'tech'] as const;

export function DashboardsPage() {
  useLang();
  const loc = useLocation();
  const me = useMe();
  const owners = useOwners();
  const segments = useAsync(() => api.get<List<{ id: number; name: string }>>('/api/v1/segments?limit=500').then((r) => r.data), []);
  const q = loc.search;
  const tabRaw = q.get('tab') ?? 'revenue';
  const tab: Tab = (TABS as readonly string[]).includes(tabRaw) ? (tabRaw as Tab) : 'revenue';
  useEffect(() => { document.title = `${t(`dash.${tab}` as Key)} · ${t('dash.title')} · Kizuna`; });

  // What the URL says, as given (the API validates and names a bad parameter).
  const raw = { from: q.get('from') ?? '', to: q.get('to') ?? '', owner: q.get('owner') ?? '', tier: q.get('tier') ?? '', segment: q.get('segment') ?? '' };
  const month = q.get('month') ?? '';
  const cohort: CohortMode = q.get('cohort') === 'revenue' ? 'revenue' : 'logo';
  const withinRaw = Number(q.get('within') ?? 90);
  const within = (WITHIN as readonly number[]).includes(withinRaw) ? withinRaw : 90;
  // The window sent to the API: the last 12 months unless the URL says otherwise.
  const to = MONTH.test(raw.to) ? raw.to : raw.from && MONTH.test(raw.from) && raw.from > thisMonth() ? raw.from : thisMonth();
  const from = MONTH.test(raw.from) ? raw.from : addMonths(to, -11);
  const f: Filters = { from, to, owner: raw.owner, tier: raw.tier, segment: raw.segment };
  const badRange = from > to;

  const state = { tab: tab === 'revenue' ? '' : tab, ...raw, month, cohort: cohort === 'logo' ? '' : cohort, within: within === 90 ? '' : String(within) };
  const set = (changes: Partial<Record<keyof typeof state, string>>, replace = false) => navigate(`/dashboards${qs({ ...state, ...changes })}`, replace);
  const setTab = (k: Tab) => set({ tab: k === 'revenue' ? '' : k }, true);
  const input = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;

  const team = owners.list.filter((o) => o.id !== me.id && o.role !== 'viewer');
  const ownerKnown = !raw.owner || raw.owner === 'me' || raw.owner === 'none' || raw.owner === String(me.id) || team.some((o) => String(o.id) === raw.owner);
  const segKnown = !raw.segment || (segments.data ?? []).some((s) => String(s.id) === raw.segment);

  let board;
  if (badRange) board = <p class="state state-error" role="alert">{t('dash.rangeBad')}</p>;
  else if (tab === 'revenue') board = <Revenue f={f} month={month} setMonth={(m) => set({ month: m }, true)} />;
  else if (tab === 'cohorts') board = <Cohorts f={f} mode={cohort} setMode={(m) => set({ cohort: m === 'logo' ? '' : m }, true)} />;
  else if (tab === 'renewals') board = <Renewals f={f} within={within} setWithin={(n) => set({ within: n === 90 ? '' : String(n) }, true)} />;
  else if (tab === 'health') board = <Health f={f} />;
  else if (tab === 'journey') board = <Journey f={f} />;
  else if (tab === 'surveys') board = <Surveys f={f} />;
  else board = <Team f={f} />;

  return (
    <section class="page dash">
      <div class="page-head">
        <h1>{t('dash.title')}</h1>
      </div>
      <form class="filters dash-filters" aria-label={t('dash.filters')} onSubmit={(e) => e.preventDefault()} data-testid="dash-filters">
        <label class="field">
          <span>{t('dash.from')}</span>
          <input type="month" value={from} max={to} data-testid="dash-from" aria-invalid={badRange || undefined}
            onChange={(e) => { const v = input(e); if (!v || MONTH.test(v)) set({ from: v }); }} />
        </label>
        <label class="field">
          <span>{t('dash.to')}</span>
          <input type="month" value={to} min={from} data-testid="dash-to" aria-invalid={badRange || undefined}
            onChange={(e) => { const v = input(e); if (!v || MONTH.test(v)) set({ to: v }); }} />
        </label>
        <label class="field">
          <span>{t('dash.owner')}</span>
          <select value={raw.owner} data-testid="dash-owner" onChange={(e) => set({ owner: input(e) })}>
            <option value="">{t('common.all')}</option>
            <option value="me">{t('common.me')} ({me.name})</option>
            <option value="none">{t('common.unassigned')}</option>
            {team.map((o) => <option value={String(o.id)}>{o.name}</option>)}
            {!ownerKnown && <option value={raw.owner}>{owners.name(Number(raw.owner)) ?? raw.owner}</option>}
          </select>
        </label>
        <label class="field">
          <span>{t('dash.tier')}</span>
          <select value={raw.tier} data-testid="dash-tier" onChange={(e) => set({ tier: input(e) })}>
            <option value="">{t('common.all')}</option>
            {TIERS.map((x) => <option value={x}>{t(`tier.${x}` as Key)}</option>)}
            {raw.tier && !(TIERS as readonly string[]).includes(raw.tier) && <option value={raw.tier}>{raw.tier}</option>}
          </select>
        </label>
        <label class="field">
          <span>{t('dash.segment')}</span>
          <select value={raw.segment} data-testid="dash-segment" onChange={(e) => set({ segment: input(e) })}>
            <option value="">{segments.data && segments.data.length === 0 ? t('dash.segmentNone') : t('common.all')}</option>
            {(segments.data ?? []).map((s) => <option value={String(s.id)}>{s.name}</option>)}
            {!segKnown && <option value={raw.segment}>#{raw.segment}</option>}
          </select>
        </label>
        {(raw.from || raw.to || raw.owner || raw.tier || raw.segment) && (
          <Link href={`/dashboards${qs({ tab: state.tab })}`} class="btn dash-reset" data-testid="dash-reset">{t('dash.reset')}</Link>
        )}
      </form>
      <Tabs label={t('dash.tabs')} idPrefix="dash" current={tab} onSelect={setTab}
        tabs={TABS.map((k) => ({ key: k, label: t(`dash.${k}` as Key) }))} />
      <div id="dash-panel" role="tabpanel" aria-labelledby={`dash-tab-${tab}`} class="tabpanel" tabIndex={0} data-testid={`dashboard-${tab}`}>
        {board}
      </div>
    </section>
  );
}
