// Accounts: the server-side paginated table. Filters, search and sort live in the URL (so
// a link or a reload keeps them); pages follow the API's keyset cursors, with a stack of
// the cursors seen for "Previous". The CSV export link carries the same filters.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { Account, List } from '../api';
import { ErrorBox, HealthBadge, Link, Loading, PhaseBadge, TierBadge, useAsync, useLifecycle, useMe, useUserName, UsersContext } from '../components';
import { fmtDate, fmtMoney, fmtRelative } from '../format';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { useContext } from 'preact/hooks';

const PAGE = 50;
const SORTS = ['name', '-name', 'health', '-health', '-arr', 'arr', 'renewal_date', '-renewal_date', '-created_at', 'created_at'] as const;
const BANDS = ['green', 'yellow', 'red', 'none'] as const;

export function Accounts() {
  const loc = useLocation();
  const me = useMe();
  const users = useContext(UsersContext);
  const userName = useUserName();
  useEffect(() => { document.title = `${t('accounts.title')} · Kizuna`; });

  const q = loc.search.get('q') ?? '';
  const tier = loc.search.get('tier') ?? '';
  const phase = loc.search.get('phase') ?? '';
  const owner = loc.search.get('owner') ?? '';
  const band = loc.search.get('band') ?? '';
  const segment = loc.search.get('segment') ?? '';
  const segments = useAsync(() => api.get<List<{ id: number; name: string }>>('/api/v1/segments?limit=500').then((r) => r.data), []);
  const lifecycle = useLifecycle();
  const sortRaw = loc.search.get('sort') ?? 'name';
  const sort = (SORTS as readonly string[]).includes(sortRaw) ? sortRaw : 'name';
  const cursor = loc.search.get('cursor') ?? '';
  const filters = { q, tier, phase, band, owner, segment, sort: sort === 'name' ? '' : sort };

  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  // Cursors of the pages before this one, for "Previous" (kept in history state's stead).
  const stack = useRef<string[]>([]);

  const set = (changes: Record<string, string>, keepCursor = false) => {
    const next = { ...filters, cursor: keepCursor ? cursor : '', ...changes };
    if (!keepCursor) stack.current = [];
    navigate(`/accounts${qs(next)}`);
  };

  // Search as you type, a moment after the last key.
  useEffect(() => {
    if (search === q) return;
    const id = setTimeout(() => set({ q: search.trim() }), 300);
    return () => clearTimeout(id);
  }, [search]);

  const state = useAsync(() => api.get<List<Account>>(`/api/v1/accounts${qs({ ...filters, sort, limit: PAGE, cursor })}`), [loc.href]);
  const page = stack.current.length + 1;

  const sortHeader = (col: 'name' | 'arr' | 'renewal_date' | 'health', label: string, numeric = false) => {
    const asc = sort === col;
    const desc = sort === `-${col}`;
    const nextSort = col === 'arr' ? (desc ? 'arr' : '-arr') : asc ? `-${col}` : col;
    return (
      <th scope="col" class={numeric ? 'num' : ''} aria-sort={asc ? 'ascending' : desc ? 'descending' : 'none'}>
        <button type="button" class="th-sort" onClick={() => set({ sort: nextSort === 'name' ? '' : nextSort })}
          aria-label={t('accounts.sortBy', { col: label })}>
          {label}<span aria-hidden="true" class="sort-ind">{asc ? '▲' : desc ? '▼' : '↕'}</span>
        </button>
      </th>
    );
  };

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('accounts.title')}</h1>
        <a class="btn" href={`/api/v1/accounts.csv${qs({ q, tier, phase, band, owner, segment, sort })}`} download="accounts.csv" data-testid="export-csv">{t('accounts.export')}</a>
      </div>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); set({ q: search.trim() }); }}>
        <label class="field field-grow">
          <span>{t('accounts.search')}</span>
          <input type="search" value={search} data-testid="accounts-search"
            onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('accounts.tier')}</span>
          <select value={tier} data-testid="filter-tier" onChange={(e) => set({ tier: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('common.all')}</option>
            {['high', 'low', 'tech'].map((x) => <option value={x}>{t(`tier.${x}` as Key)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>{t('accounts.phase')}</span>
          <select value={phase} data-testid="filter-phase" onChange={(e) => set({ phase: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('common.all')}</option>
            {(lifecycle.data?.phases ?? []).map((p) => <option value={p.key}>{lang() === 'ja' ? p.label_ja : p.label_en}</option>)}
            {!lifecycle.data && phase && <option value={phase}>{phase}</option>}
          </select>
        </label>
        <label class="field">
          <span>{t('accounts.band')}</span>
          <select value={band} data-testid="filter-band" onChange={(e) => set({ band: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('common.all')}</option>
            {BANDS.map((x) => <option value={x}>{t(`band.${x}` as Key)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>{t('accounts.owner')}</span>
          <select value={owner} data-testid="filter-owner" onChange={(e) => set({ owner: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('common.all')}</option>
            <option value="me">{t('common.me')} ({me.name})</option>
            <option value="none">{t('common.unassigned')}</option>
            {[...users.values()].filter((u) => u.id !== me.id && u.role !== 'viewer').map((u) => <option value={String(u.id)}>{u.name}</option>)}
          </select>
        </label>
        <label class="field">
          <span>{t('segments.allSegments')}</span>
          <select value={segment} data-testid="filter-segment" onChange={(e) => set({ segment: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('common.all')}</option>
            {(segments.data ?? []).map((x) => <option value={String(x.id)}>{x.name}</option>)}
            {segment && !(segments.data ?? []).some((x) => String(x.id) === segment) && <option value={segment}>#{segment}</option>}
          </select>
        </label>
        <label class="field">
          <span>{t('accounts.sort')}</span>
          <select value={sort} data-testid="sort" onChange={(e) => set({ sort: (e.currentTarget as HTMLSelectElement).value })}>
            {SORTS.map((s) => <option value={s}>{t(`sort.${s}` as Key)}</option>)}
          </select>
        </label>
      </form>

      {state.error ? <ErrorBox error={state.error} retry={state.reload} />
        : !state.data ? <Loading />
        : state.data.data.length === 0 ? <p class="state state-empty">{t('accounts.empty')}</p>
        : (
          <>
            <div class={`table-wrap${state.loading ? ' is-loading' : ''}`} aria-busy={state.loading}>
              <table class="table" data-testid="accounts-table">
                <thead>
                  <tr>
                    {sortHeader('name', t('accounts.name'))}
                    <th scope="col">{t('accounts.tier')}</th>
                    <th scope="col">{t('accounts.phase')}</th>
                    {sortHeader('health', t('accounts.health'))}
                    {sortHeader('arr', t('accounts.arr'), true)}
                    {sortHeader('renewal_date', t('accounts.renewal'))}
                    <th scope="col">{t('accounts.owner')}</th>
                    <th scope="col">{t('accounts.lastSeen')}</th>
                  </tr>
                </thead>
                <tbody>
                  {state.data.data.map((a) => (
                    <tr key={a.id} data-testid="account-row">
                      <th scope="row" class="cell-name">
                        <Link href={`/accounts/${a.id}`}>{a.name}</Link>
                        {a.domain && <span class="muted small">{a.domain}</span>}
                      </th>
                      <td><TierBadge tier={a.tier} /></td>
                      <td><PhaseBadge phase={a.phase} /></td>
                      <td><HealthBadge account={a} /></td>
                      <td class="num">{fmtMoney(a.arr, a.currency)}</td>
                      <td>{fmtDate(a.renewal_date)}</td>
                      <td>{userName(a.owner_id, a.owner_name)}</td>
                      <td>{a.last_seen_at ? fmtRelative(a.last_seen_at) : t('common.none')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label={t('common.page', { n: page })}>
              <button type="button" class="btn" disabled={!cursor} data-testid="page-prev"
                onClick={() => { const prev = stack.current.pop() ?? ''; navigate(`/accounts${qs({ ...filters, cursor: prev })}`); }}>
                ← {t('common.prev')}
              </button>
              <span class="muted">{t('common.page', { n: page })} · {t('accounts.shown', { n: state.data.data.length })}</span>
              <button type="button" class="btn" disabled={!state.data.next_cursor} data-testid="page-next"
                onClick={() => { stack.current.push(cursor); navigate(`/accounts${qs({ ...filters, cursor: state.data!.next_cursor })}`); }}>
                {t('common.next')} →
              </button>
            </nav>
          </>
        )}
    </section>
  );
}
