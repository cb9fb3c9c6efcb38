// What every dashboard shares: the filters (from the URL), the metric fetch with its loading /
// error / empty states, number formats (money in the reporting currency, percentages, months
// with Intl), KPI tiles, cards with a CSV link, the collapsible data table that backs every
// chart, and the names of owners (GET /api/v1/team, else /users, else the activity book).
import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { api, ApiError, qs } from '../api';
import { Empty, ErrorBox, Loading, useAsync, useMe, UsersContext } from '../components';
import { fmtMoney, fmtNumber } from '../format';
import { lang, locale, t } from '../i18n';

export interface Filters { from: string; to: string; owner: string; tier: string; segment: string }

export interface RevenueBase { currency: string; from: string; to: string; unconverted_currencies?: string[]; excluded_accounts?: number }

/** The metric's JSON URL (or its CSV, with format=csv and the table named). */
export function metricUrl(name: string, f: Partial<Filters>, extra: Record<string, string | number | null | undefined> = {}): string {
  return `/api/v1/metrics/${name}${qs({ ...f, ...extra })}`;
}
export function csvUrl(name: string, f: Partial<Filters>, table?: string): string {
  return metricUrl(name, f, { format: 'csv', table });
}

export function useMetric<T>(name: string, f: Partial<Filters>, extra: Record<string, string | number | null | undefined> = {}) {
  const url = metricUrl(name, f, extra);
  return useAsync(() => api.get<T>(url), [url]);
}

/** Loading, error, empty or the content of one metric reply. */
export function MetricView<T>({ state, empty, isEmpty, children }: {
  state: { data?: T; error?: unknown; loading: boolean; reload: () => void };
  empty: string; isEmpty?: (d: T) => boolean; children: (d: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  if (isEmpty?.(state.data)) return <Empty>{empty}</Empty>;
  return <div class={state.loading ? 'is-loading' : ''} aria-busy={state.loading}>{children(state.data)}</div>;
}

// ------------------------------------------------------------------ formats

/** Money from minor units; compact (axes, bar labels) keeps 3 significant digits, so that
 * ticks close together stay apart (¥3.75億, ¥3.78億). */
export function money(minor: number | null | undefined, cur: string, compact = false): string {
  if (!compact || minor === null || minor === undefined) return fmtMoney(minor, cur);
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits ?? 2;
    return new Intl.NumberFormat(locale(), { style: 'currency', currency: cur, notation: 'compact', maximumSignificantDigits: 3 }).format(minor / 10 ** digits);
  } catch {
    return fmtMoney(minor, cur, true);
  }
}

/** 0.9259 → "92.6%" (one decimal at most); null → "—". */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return t('common.none');
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(x);
}

/** A score already in percent points (NPS 9.6, CSAT 80.7). */
export function points(x: number | null | undefined): string {
  return x === null || x === undefined ? t('common.none') : fmtNumber(x, { maximumFractionDigits: 1 });
}

/** "2026-11" → "Nov 2026" / "2026年11月". */
export function fmtMonth(m: string): string {
  const r = /^(\d{4})-(\d{2})$/.exec(m);
  if (!r) return m;
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(+r[1], +r[2] - 1, 1)));
}

/** The month YYYY-MM n months after m (n may be negative). */
export function addMonths(m: string, n: number): string {
  const [y, mo] = m.split('-').map(Number);
  const i = y * 12 + (mo - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}
export const thisMonth = () => new Date().toISOString().slice(0, 7);

// ------------------------------------------------------------------ pieces

export function Card({ id, title, csv, children, testid, help }: {
  id: string; title: string; csv?: { href: string; name: string }[]; children: ComponentChildren; testid?: string; help?: string;
}) {
  return (
    <section class="card dash-card" aria-labelledby={`h-${id}`} data-testid={testid}>
      <div class="card-head">
        <h2 id={`h-${id}`}>{title}</h2>
        {csv && csv.length > 0 && (
          <span class="dash-csv">
            {csv.map((c) => <a class="btn btn-small" href={c.href} download aria-label={t('dash.csvOf', { name: c.name })}>{t('dash.csv')}{csv.length > 1 ? ` · ${c.name}` : ''}</a>)}
          </span>
        )}
      </div>
      {help && <p class="muted small dash-help">{help}</p>}
      {children}
    </section>
  );
}

export function Kpis({ children }: { children: ComponentChildren }) {
  return <dl class="kpis dash-kpis">{children}</dl>;
}
export function Kpi({ label, value, sub, testid }: { label: string; value: ComponentChildren; sub?: ComponentChildren; testid?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd><span class="kpi-num" data-testid={testid}>{value}</span>{sub !== undefined && <span class="muted small block">{sub}</span>}</dd>
    </div>
  );
}

export interface Col { label: string; num?: boolean }
/** The numbers behind a chart, as a table behind a disclosure (keyboard: the summary). */
export function DataTable({ caption, cols, rows, open, testid, summary }: {
  caption: string; cols: Col[]; rows: ComponentChildren[][]; open?: boolean; testid?: string; summary?: string;
}) {
  return (
    <details class="dash-data" open={open} data-testid={testid}>
      <summary>{t('dash.showTable')}{summary ? `: ${summary}` : ''}</summary>
      <Table caption={caption} cols={cols} rows={rows} />
    </details>
  );
}

export function Table({ caption, cols, rows, testid, captionVisible }: { caption: string; cols: Col[]; rows: ComponentChildren[][]; testid?: string; captionVisible?: boolean }) {
  return (
    <div class="table-wrap">
      <table class="table compact" data-testid={testid}>
        <caption class={captionVisible ? 'dash-caption' : 'sr-only'}>{caption}</caption>
        <thead><tr>{cols.map((c, i) => <th scope="col" class={c.num ? 'num' : ''} key={i}>{c.label}</th>)}</tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr>{r.map((cell, i) => (i === 0 ? <th scope="row">{cell}</th> : <td class={cols[i]?.num ? 'num' : ''}>{cell}</td>))}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The note when accounts were left out for a currency without a rate. */
export function Unconverted({ r }: { r: RevenueBase }) {
  if (!r.excluded_accounts) return null;
  return <p class="notice notice-warn small" role="note">{t('dash.unconverted', { n: r.excluded_accounts, list: (r.unconverted_currencies ?? []).join(', ') })}</p>;
}

// ------------------------------------------------------------------ owners

export interface Owner { id: number; name: string; role?: string }

/**
 * The people who may own accounts, for the owner filter and for names. Admins have them
 * already (the app loads GET /api/v1/users for them); anyone else asks GET /api/v1/team, and
 * where that route does not exist (404) or is refused, takes the owners of the activity
 * book (ids with their names).
 */
export function useOwners() {
  const me = useMe();
  const users = useContext(UsersContext);
  const isAdmin = me.role === 'admin';
  const state = useAsync<Owner[] | null>(async () => {
    if (isAdmin) return null;
    try {
      const r = await api.get<{ data: Owner[] }>('/api/v1/team');
      return r.data;
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 403)) throw e;
    }
    const b = await api.get<{ book: { owner_id: number | null; owner_name: string | null }[] }>(metricUrl('activity', { from: thisMonth(), to: thisMonth() }));
    return b.book.filter((o) => o.owner_id !== null).map((o) => ({ id: o.owner_id!, name: o.owner_name ?? t('common.user', { id: o.owner_id! }) }));
  }, [isAdmin]);
  const list: Owner[] = state.data ?? [...users.values()].filter((u) => !u.disabled).map((u) => ({ id: u.id, name: u.name, role: u.role }));
  const byId = new Map(list.map((o) => [o.id, o.name]));
  const name = (id: number | null | undefined, given?: string | null) => {
    if (id === null || id === undefined) return t('common.unassigned');
    return given ?? byId.get(id) ?? (id === me.id ? me.name : t('common.user', { id }));
  };
  return { list, name };
}

/** A phase's label from the lifecycle (the customised one too), else the built-in one. */
export function phaseName(phases: { key: string; label_ja: string; label_en: string }[] | undefined, key: string | null): string {
  if (!key) return t('common.none');
  const p = phases?.find((x) => x.key === key);
  if (p) return lang() === 'ja' ? p.label_ja : p.label_en;
  const builtIn = `phase.${key}`;
  const s = t(builtIn as Parameters<typeof t>[0]);
  return s === builtIn ? key : s;
}
