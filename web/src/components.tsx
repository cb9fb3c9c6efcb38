// Shared pieces: links, the loading/empty/error states every list uses, the health badge
// (band colour plus text, never colour alone), labels for codes, and the data hook.
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Account, Lifecycle, TeamMember, User } from './api';
import { api } from './api';
import { ApiError } from './api';
import { lang, setLang, t } from './i18n';
import type { Key, Lang } from './i18n';
import { fmtNumber } from './format';
import { linkClick } from './router';

export const MeContext = createContext<User | null>(null);
export const useMe = () => useContext(MeContext)!;

/** Every user's name and role by id (GET /api/v1/team, for every role); filled by the app. */
export const UsersContext = createContext<Map<number, TeamMember>>(new Map());

export function useUserName() {
  const me = useMe();
  const users = useContext(UsersContext);
  return (id: number | null | undefined, fallbackName?: string | null): string => {
    if (id === null || id === undefined) return t('common.unassigned');
    if (fallbackName) return fallbackName;
    if (id === me.id) return me.name;
    return users.get(id)?.name ?? t('common.user', { id });
  };
}

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' | undefined; 'data-testid'?: string }) {
  return <a {...props} onClick={linkClick}>{props.children}</a>;
}

export function Loading({ label }: { label?: string }) {
  return <p class="state state-loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true" />{label ?? t('state.loading')}</p>;
}

export function Empty({ children }: { children?: ComponentChildren }) {
  return <p class="state state-empty">{children ?? t('state.empty')}</p>;
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div class="state state-error" role="alert">
      <span>{t('state.error', { msg })}</span>
      {retry && <button type="button" class="btn btn-small" onClick={retry}>{t('state.retry')}</button>}
    </div>
  );
}

/** Runs load() when deps change; gives data, error, loading and reload. Stale answers are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => { if (n === seq.current) setState({ data, loading: false }); },
      (error) => {
        if (n !== seq.current) return;
        if (error instanceof ApiError && error.status === 401) return; // the app goes to login
        setState({ error, loading: false });
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => { run(); }, [run]);
  return { ...state, reload: run, set: (data: T) => setState({ data, loading: false }) };
}

/** Renders loading / error / empty / content for an async list. */
export function AsyncList<T>({ state, empty, children }: {
  state: { data?: T[]; error?: unknown; loading: boolean; reload: () => void };
  empty: ComponentChildren;
  children: (items: T[]) => ComponentChildren;
}) {
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  if (state.data.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(state.data)}</>;
}

const BAND_ICON: Record<string, string> = { green: '●', yellow: '▲', red: '◆' };

export function HealthBadge({ account, large, hideEmpty, testid }: { account: Pick<Account, 'health' | 'band'>; large?: boolean; hideEmpty?: boolean; testid?: string }) {
  const tid = testid ?? (large ? 'health-score' : undefined);
  // The health API may give a number with a separate band, or an object {score, band}.
  const h = account.health as unknown;
  const obj = h !== null && typeof h === 'object' ? (h as { score?: number | null; band?: Account['band'] }) : null;
  const band = account.band ?? obj?.band ?? null;
  const score = obj ? obj.score ?? null : typeof h === 'number' ? h : null;
  if (!band && (score === undefined || score === null)) {
    if (hideEmpty) return null;
    return <span class="badge badge-none" data-testid={tid} title={t('band.none')}>{t('common.none')}</span>;
  }
  const label = band ? t(`band.${band}` as Key) : '';
  return (
    <span class={`badge band-${band ?? 'none'}${large ? ' badge-large' : ''}`} data-testid={tid}>
      <span aria-hidden="true">{band ? BAND_ICON[band] : ''}</span>
      {score !== undefined && score !== null && <strong>{fmtNumber(Math.round(score))}</strong>}
      <span>{label}</span>
    </span>
  );
}

export const tierLabel = (tier: string | null | undefined) => (tier ? t(`tier.${tier}` as Key) : t('common.none'));
export const phaseLabel = (p: string | null | undefined) => (p ? t(`phase.${p}` as Key) : t('common.none'));

export function TierBadge({ tier }: { tier: string | null | undefined }) {
  if (!tier) return <span>{t('common.none')}</span>;
  return <span class={`tag tier-${tier}`}>{tierLabel(tier)}</span>;
}

/** The lifecycle in force (GET /api/v1/settings/lifecycle), fetched once per page load. */
let lifecycleP: Promise<Lifecycle> | null = null;
export function loadLifecycle(fresh = false): Promise<Lifecycle> {
  if (!lifecycleP || fresh) lifecycleP = api.get<Lifecycle>('/api/v1/settings/lifecycle').catch((e) => { lifecycleP = null; throw e; });
  return lifecycleP;
}
export function useLifecycle() {
  return useAsync(() => loadLifecycle(), []);
}

export function PhaseBadge({ phase }: { phase: string | null | undefined }) {
  const lc = useLifecycle();
  if (!phase) return <span>{t('common.none')}</span>;
  const def = lc.data?.phases.find((p) => p.key === phase);
  const text = def ? (lang() === 'ja' ? def.label_ja : def.label_en) : phaseLabel(phase);
  return <span class={`tag phase-${phase}`}>{text}</span>;
}

/** A toast line at the bottom of the screen, read by screen readers. */
let toastSetter: ((m: string | null) => void) | null = null;
export function toast(msg: string) { toastSetter?.(msg); }
export function Toaster() {
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    toastSetter = setMsg;
    return () => { toastSetter = null; };
  }, []);
  useEffect(() => {
    if (!msg) return;
    const id = setTimeout(() => setMsg(null), 4000);
    return () => clearTimeout(id);
  }, [msg]);
  return <div class={`toast${msg ? ' toast-show' : ''}`} role="status" aria-live="polite">{msg}</div>;
}

/** A labelled tab list with arrow-key navigation (WAI-ARIA tabs pattern). */
export function Tabs<K extends string>({ label, tabs, current, onSelect, idPrefix }: {
  label: string; tabs: { key: K; label: string }[]; current: K; onSelect: (k: K) => void; idPrefix: string;
}) {
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((x) => x.key === current);
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = tabs.length - 1;
    if (j < 0) return;
    e.preventDefault();
    onSelect(tabs[j].key);
    requestAnimationFrame(() => document.getElementById(`${idPrefix}-tab-${tabs[j].key}`)?.focus());
  };
  return (
    <div class="tabs" role="tablist" aria-label={label} onKeyDown={onKey}>
      {tabs.map((x) => (
        <button type="button" role="tab" id={`${idPrefix}-tab-${x.key}`} aria-selected={x.key === current}
          aria-controls={`${idPrefix}-panel`} tabIndex={x.key === current ? 0 : -1} class="tab"
          onClick={() => onSelect(x.key)}>{x.label}</button>
      ))}
    </div>
  );
}

export function LangSwitch({ lang }: { lang: Lang }) {
  return (
    <label class="lang">
      <span class="sr-only">{t('lang.label')}</span>
      <select data-testid="lang-switch" value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        <option value="ja" lang="ja">日本語</option>
        <option value="en" lang="en">English</option>
      </select>
    </label>
  );
}


/** The first n items, and a button to show the rest. */
export function ShowMore<T>({ items, n, children, label, testid }: {
  items: T[]; n: number; children: (shown: T[]) => ComponentChildren; label: (total: number) => string; testid?: string;
}) {
  const [all, setAll] = useState(false);
  return (
    <>
      {children(all ? items : items.slice(0, n))}
      {items.length > n && (
        <button type="button" class="btn more" onClick={() => setAll(!all)} aria-expanded={all} data-testid={testid}>
          {all ? t('cockpit.showFewer') : label(items.length)}
        </button>
      )}
    </>
  );
}
