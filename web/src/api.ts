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
  phase: string; custom: Record<string, unknown>;
  plan: string | null; mrr: number | null; arr: number | null; currency: string | null;
  renewal_date: string | null; subscription_status: 'trial' | 'active' | 'churned' | null;
  created_at: string; updated_at: string;
  // From the health and usage work when it lands; rendered as "—" while absent.
  health?: number | { score?: number | null; band?: 'green' | 'yellow' | 'red' | null } | null;
  band?: 'green' | 'yellow' | 'red' | null; last_seen_at?: string | null;
  owner_name?: string | null;
  sentiment?: Sentiment | null;
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

// Health (docs/health.md), journey (docs/journey.md), success plans and surveys (docs/success.md).
export type Band = 'green' | 'yellow' | 'red';
export interface Sentiment { score: number; note: string | null; at: string; by: number | null }
export interface HealthMeasure {
  key: string; label_en: string; label_ja: string; unit: 'share' | 'ratio' | 'days' | 'count' | 'nps' | 'rating' | string;
  has_data: boolean; weight: number; range: { worst: number; best: number }; value: number | null;
  sub_score: number | null; effective_weight: number; contribution: number; missing_reason: string | null;
}
export interface HealthComponent {
  key: string; label_en: string; label_ja: string; has_data: boolean; score: number | null; weight: number;
  effective_weight: number; contribution: number; measures: HealthMeasure[];
}
export interface Health {
  account_id: number; computed_at: string; score: number | null; band: Band | null; model: string;
  bands: { green: number; red: number }; components: HealthComponent[]; renormalised: boolean;
  change_7d: number | null; change_30d: number | null;
}
export interface HealthDay { day: string; score: number | null; band: Band | null; deployment: number | null; engagement: number | null; adoption: number | null; roi: number | null }
export interface HealthModel {
  bands: { green: number; red: number };
  components: Record<string, { weight: number; measures: Record<string, { weight: number; worst: number; best: number }> }>;
  tiers: Record<string, unknown>; recompute_minutes: number;
}
export type Criterion =
  | { type: 'event_count'; event: string; count?: number; within_days?: number }
  | { type: 'active_users'; count?: number; seat_share?: number }
  | { type: 'survey_answered'; survey: 'nps' | 'csat' | 'ces' }
  | { type: 'subscription'; condition: 'renewed' | 'grew' };
export interface MilestoneDef { key: string; label_ja: string; label_en: string; required: boolean; value: boolean; criterion: Criterion | null }
export interface PhaseDef { key: string; label_ja: string; label_en: string; terminal: boolean; expected_days: number | null; milestones: MilestoneDef[] }
export interface Lifecycle { phases: PhaseDef[] }
export interface JourneyMilestone extends MilestoneDef {
  state: 'open' | 'complete' | 'reopened'; completed_at: string | null; completed_by: 'criterion' | 'manual' | null;
  user: { id: number; name: string } | null; detail: string | null; updated_at: string | null;
}
export interface JourneyPhase extends PhaseDef { current: boolean; required_total: number; required_complete: number; milestones: JourneyMilestone[] }
export interface Journey {
  account_id: number; phase: { key: string; label_ja: string; label_en: string; terminal: boolean };
  entered_at: string; days_in_phase: number; expected_days: number | null; overdue: boolean; overdue_2x: boolean;
  phases: JourneyPhase[];
  history: { phase: string; label_ja: string; label_en: string; entered_at: string; left_at: string | null; days_spent: number;
    moved_by: 'initial' | 'milestones' | 'manual' | 'churn' | 'reactivation'; user: { id: number; name: string } | null; reason: string | null }[];
  ttv: { days: number | null; reason: string | null; milestone: string | null; start_date: string | null; value_reached_at: string | null };
}
export type GoalStatus = 'active' | 'achieved' | 'missed' | 'cancelled';
export interface Goal {
  id: number; account_id: number; title: string; metric: string; unit: string | null; baseline: number | null; target: number;
  current: number | null; due_date: string | null; status: GoalStatus; attainment: number | null;
  attainment_unknown_reason: string | null; created_at: string; updated_at: string;
}
export interface GoalValue { id: number; goal_id: number; value: number; measured_at: string; user_id: number | null }
export type SurveyType = 'nps' | 'csat' | 'ces';
export interface SurveyResponse { id: number; account_id: number; contact_id: number | null; type: SurveyType; score: number; comment: string | null; answered_at: string; created_at: string }
export interface SurveySummary {
  nps: { responses: number; promoters: number; passives: number; detractors: number; score: number | null };
  csat: { responses: number; satisfied: number; satisfied_pct: number | null; mean: number | null };
  ces: { responses: number; easy: number; easy_pct: number | null; mean: number | null };
}

/** A user as every role sees it (GET /api/v1/team): no e-mail. */
export interface TeamMember { id: number; name: string; role: Role; disabled: boolean }
