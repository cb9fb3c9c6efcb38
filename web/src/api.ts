// The API client: same-origin fetch with the session cookie. Mutations send JSON with
// Content-Type application/json (the server's CSRF rule for cookie sessions: a JSON content
// type and a matching Origin, which the browser adds). A 401 anywhere but the login itself
// ends the session: the app goes to /login and comes back to where the user was.

export class ApiError extends Error {
  status: number;
  field?: string;
  retryAfter?: number;
  constructor(status: number, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void) { onUnauthorized = f; }

async function request<T>(method: string, path: string, body?: unknown, opts: { contentType?: string; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (method !== 'GET') {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    if (body !== undefined) payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, (e as Error).message || 'network error');
  }
  if (res.status === 401 && !opts.quiet401) {
    onUnauthorized();
    throw new ApiError(401, 'session expired');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) {
    const ra = Number(res.headers.get('Retry-After')) || undefined;
    throw new ApiError(res.status, json?.detail || json?.title || `HTTP ${res.status}`, json?.field, ra);
  }
  return json as T;
}

export const api = {
  get: <T>(p: string, opts?: { quiet401?: boolean }) => request<T>('GET', p, undefined, opts),
  post: <T>(p: string, body?: unknown, opts?: { contentType?: string; quiet401?: boolean }) => request<T>('POST', p, body ?? {}, opts),
  put: <T>(p: string, body: unknown) => request<T>('PUT', p, body),
  patch: <T>(p: string, body: unknown) => request<T>('PATCH', p, body),
  del: <T>(p: string) => request<T>('DELETE', p),
};

/** A query string from the defined, non-empty values of params ("" when none). */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface List<T> { data: T[]; next_cursor: string | null }

export type Role = 'admin' | 'csm' | 'viewer';
export interface User { id: number; email: string; name: string; role: Role; disabled: boolean; created_at: string; updated_at: string }
export interface Account {
  id: number; name: string; domain: string | null; external_id: string | null; industry: string | null;
  employees: number | null; address: string | null; purpose: string | null; challenges: string | null;
  owner_id: number | null; tier: 'high' | 'low' | 'tech'; tier_override: string | null;
  phase: 'onboarding' | 'adoption' | 'expansion' | 'churned'; custom: Record<string, unknown>;
  plan: string | null; mrr: number | null; arr: number | null; currency: string | null;
  renewal_date: string | null; subscription_status: 'trial' | 'active' | 'churned' | null;
  created_at: string; updated_at: string;
  // From the health and usage work when it lands; rendered as "—" while absent.
  health?: number | { score?: number | null; band?: 'green' | 'yellow' | 'red' | null } | null;
  band?: 'green' | 'yellow' | 'red' | null; last_seen_at?: string | null;
  owner_name?: string | null;
}
export interface Subscription {
  account_id: number; plan: string; mrr: number; arr: number; currency: string; seats: number;
  start_date: string; renewal_date: string | null; auto_renew: boolean; status: 'trial' | 'active' | 'churned';
  effective_date: string; updated_at: string;
}
export interface SubscriptionHistoryEntry {
  effective_date: string; plan: string; mrr: number; currency: string; seats: number; status: string;
  start_date: string; renewal_date: string | null; auto_renew: boolean; recorded_at?: string;
}
export type ContactRole = 'decision_maker' | 'champion' | 'admin' | 'user';
export interface Contact {
  id: number; account_id: number; name: string; email: string | null; title: string | null; role: ContactRole;
  phone: string | null; external_user_id: string | null; notes: string | null; created_at: string; updated_at: string;
}
export type TimelineType = 'note' | 'meeting' | 'call' | 'email' | 'ticket' | 'handoff';
export interface TimelineEntry {
  id: number; account_id: number; type: TimelineType; author_id: number | null; occurred_at: string;
  summary: string; body: string; contact_ids: number[]; created_at: string; updated_at: string;
}
export type TaskType = 'call' | 'meeting' | 'email' | 'review' | 'other';
export interface Task {
  id: number; account_id: number; title: string; assignee_id: number | null; due_date: string | null;
  type: TaskType; status: 'open' | 'done' | 'cancelled'; completed_at: string | null; source: string;
  notes: string | null; created_by: number | null; created_at: string; updated_at: string;
}
export interface UsagePeriod { period: string; active_users: number; events: number; events_by_name: Record<string, number> }
export interface KeyEvent { name: string; label_ja: string; label_en: string }
export interface Usage {
  account_id: number; from: string; to: string; granularity: string; data: UsagePeriod[];
  dau: number; wau: number; mau: number; seats: number | null; seat_utilisation: number | null;
  key_features: { used: number; total: number; events: (KeyEvent & { count_30d: number })[] };
  last_seen_at: string | null;
  users: { user_id: string; contact_id: number | null; name: string | null; email: string | null; last_seen: string | null }[];
}
export interface Token { id: number; user_id: number; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null }
export interface WriteKey { id: number; name: string; key: string; created_at: string; revoked_at: string | null }
export interface TierThreshold { currency: string; high_min_arr: number; low_min_arr: number }
export interface ImportResult { rows: number; created: number; updated: number; failed: number; errors_omitted?: number; errors: { line: number; column: string | null; reason: string }[] }
