// The playbook editor's model: the form state of a playbook (docs/playbooks.md) and the JSON
// it sends. Actions are edited in place on a copy of the objects the server gave, so fields
// this editor does not know (added by a newer server, such as a webhook's secret) are sent
// back unchanged. Numbers typed in inputs stay text until the body is built; text that is not
// a number is sent as it is, so that the server's 400 names the field.

export type Json = Record<string, unknown>;

export interface Playbook {
  id: number; name: string; enabled: boolean; audience: { tier?: string; segment_id?: number };
  trigger: Json & { type: string }; actions: (Json & { type: string })[]; cooldown_days: number;
  created_at: string; updated_at: string; runs_count?: number; last_fired_at?: string | null;
}

export type ParamKind = 'int' | 'band' | 'phase' | 'text';
export interface ParamSpec { name: string; kind: ParamKind; required?: boolean }

/** Each trigger's parameters (playbooks/playbook.c's trigger_params). */
export const TRIGGERS: Record<string, ParamSpec[]> = {
  health_band_changed: [{ name: 'from', kind: 'band' }, { name: 'to', kind: 'band' }],
  phase_entered: [{ name: 'phase', kind: 'phase', required: true }, { name: 'within_days', kind: 'int' }],
  renewal_within: [{ name: 'days', kind: 'int', required: true }],
  inactive_for: [{ name: 'days', kind: 'int', required: true }],
  nps_detractor: [{ name: 'max_score', kind: 'int' }, { name: 'within_days', kind: 'int' }],
  event_seen: [{ name: 'name', kind: 'text', required: true }, { name: 'count', kind: 'int' }, { name: 'window_days', kind: 'int' }],
  milestone_overdue: [{ name: 'phase', kind: 'phase' }],
  seats_used: [{ name: 'min_percent', kind: 'int', required: true }],
};
export const TRIGGER_TYPES = Object.keys(TRIGGERS);
export const ACTION_TYPES = ['create_task', 'send_email', 'call_webhook', 'set_field'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const TASK_TYPES = ['call', 'meeting', 'email', 'review', 'other'] as const;
export const EMAIL_TO = ['owner', 'role:decision_maker', 'role:champion', 'role:admin', 'role:user'] as const;
export const PLACEHOLDERS = ['account.name', 'account.tier', 'account.phase', 'account.renewal_date', 'account.health_score',
  'account.health_band', 'owner.name', 'owner.email', 'playbook.name', 'trigger'];

/** Fields of an action that are numbers in JSON (typed as text in the form). */
const NUMERIC: Record<string, string[]> = { create_task: ['due_in_days'], send_email: ['template_id'] };

export interface ActionItem { key: number; data: Json; payloadText?: string }
export interface PlaybookForm {
  name: string; enabled: boolean;
  audience: 'all' | 'tier' | 'segment'; tier: string; segmentId: string;
  trigger: Json & { type: string };
  actions: ActionItem[];
  cooldown: string;
}

let nextKey = 1;
const item = (data: Json): ActionItem => {
  const a: ActionItem = { key: nextKey++, data: { ...data } };
  if (data.type === 'call_webhook') a.payloadText = JSON.stringify(data.payload ?? { text: '' }, null, 2);
  for (const k of NUMERIC[String(data.type)] ?? []) if (typeof a.data[k] === 'number') a.data[k] = String(a.data[k]);
  if (data.type === 'create_task' && typeof a.data.assignee === 'number') a.data.assignee = String(a.data.assignee);
  return a;
};

/** A new action of a type with its defaults. */
export function newAction(type: ActionType): ActionItem {
  switch (type) {
    case 'create_task': return item({ type, title: '{{account.name}}: {{trigger}}', task_type: 'call', due_in_days: 3, assignee: 'owner' });
    case 'send_email': return item({ type, to: 'owner', subject: '', body: '' });
    case 'call_webhook': return item({ type, url: 'http://', payload: { text: '{{account.name}}: {{trigger}}' } });
    case 'set_field': return item({ type, field: 'tier', value: null });
  }
}

export function formFromPlaybook(p?: Playbook | null): PlaybookForm {
  if (!p) {
    return {
      name: '', enabled: false, audience: 'all', tier: 'high', segmentId: '',
      trigger: { type: 'renewal_within', days: '90' }, actions: [newAction('create_task')], cooldown: '30',
    };
  }
  const trig: Json & { type: string } = { type: p.trigger.type };
  for (const [k, v] of Object.entries(p.trigger)) if (k !== 'type') trig[k] = typeof v === 'number' ? String(v) : v;
  return {
    name: p.name, enabled: p.enabled,
    audience: p.audience.segment_id ? 'segment' : p.audience.tier ? 'tier' : 'all',
    tier: p.audience.tier ?? 'high', segmentId: p.audience.segment_id ? String(p.audience.segment_id) : '',
    trigger: trig, actions: p.actions.map(item), cooldown: String(p.cooldown_days),
  };
}

/** The trigger with a new type: the parameters the new type has are kept. */
export function withTriggerType(trigger: Json & { type: string }, type: string): Json & { type: string } {
  const out: Json & { type: string } = { type };
  for (const p of TRIGGERS[type] ?? []) if (trigger[p.name] !== undefined) out[p.name] = trigger[p.name];
  if (type === 'renewal_within' && out.days === undefined) out.days = '90';
  if (type === 'inactive_for' && out.days === undefined) out.days = '14';
  if (type === 'seats_used' && out.min_percent === undefined) out.min_percent = '90';
  return out;
}

// ------------------------------------------------------------ the action list

export function addAction(list: ActionItem[], type: ActionType): ActionItem[] {
  return [...list, newAction(type)];
}
export function removeAction(list: ActionItem[], key: number): ActionItem[] {
  return list.filter((a) => a.key !== key);
}
/** Moves the action key by delta places (-1 up, +1 down); unchanged at the ends. */
export function moveAction(list: ActionItem[], key: number, delta: number): ActionItem[] {
  const i = list.findIndex((a) => a.key === key);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= list.length) return list;
  const out = [...list];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}
/** The action key with changes applied (undefined deletes a field). */
export function updateAction(list: ActionItem[], key: number, changes: Json, payloadText?: string): ActionItem[] {
  return list.map((a) => {
    if (a.key !== key) return a;
    const data = { ...a.data, ...changes };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete data[k];
    return { ...a, data, payloadText: payloadText ?? a.payloadText };
  });
}

// ------------------------------------------------------------ form -> JSON

/** A local error found while building the body: the field's JSON path and why. */
export class FormError extends Error {
  field: string;
  constructor(field: string, message: string) { super(message); this.field = field; }
}

const numOrText = (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v);

/** The JSON body for POST / PATCH. Throws FormError for a payload that is not a JSON object
 * (messages: payloadInvalid(msg), payloadObject()). */
export function playbookBody(f: PlaybookForm, msgs: { payloadInvalid: (m: string) => string; payloadObject: string }): Json {
  const trigger: Json = { type: f.trigger.type };
  for (const p of TRIGGERS[f.trigger.type] ?? []) {
    const v = f.trigger[p.name];
    if (v === undefined || v === null || v === '') continue;
    trigger[p.name] = p.kind === 'int' ? numOrText(v) : v;
  }
  // Parameters of no known kind (a newer server's) go back as they came.
  for (const [k, v] of Object.entries(f.trigger)) if (!(k in trigger) && !(TRIGGERS[f.trigger.type] ?? []).some((p) => p.name === k)) trigger[k] = v;
  const actions = f.actions.map((a, i) => {
    const out: Json = { ...a.data };
    for (const k of NUMERIC[String(a.data.type)] ?? []) if (k in out) out[k] = numOrText(out[k]);
    if (a.data.type === 'create_task' && out.assignee !== undefined && out.assignee !== 'owner') out.assignee = numOrText(out.assignee);
    if (a.data.type === 'create_task' && out.due_in_days === '') delete out.due_in_days;
    if (a.data.type === 'call_webhook') {
      let payload: unknown;
      try { payload = JSON.parse(a.payloadText ?? '{}'); } catch (e) { throw new FormError(`actions[${i}].payload`, msgs.payloadInvalid((e as Error).message)); }
      if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new FormError(`actions[${i}].payload`, msgs.payloadObject);
      out.payload = payload;
    }
    return out;
  });
  const audience: Json = f.audience === 'tier' ? { tier: f.tier } : f.audience === 'segment' ? { segment_id: numOrText(f.segmentId) } : {};
  return { name: f.name.trim(), enabled: f.enabled, audience, trigger, actions, cooldown_days: numOrText(f.cooldown) };
}

/** Which action (by index) and which of its fields a server error path names:
 * "actions[2].payload.text" → { index: 2, field: "payload" }. */
export function actionErrorAt(path: string | undefined): { index: number; field: string } | null {
  const m = /^actions\[(\d+)\](?:\.([A-Za-z_]+))?/.exec(path ?? '');
  return m ? { index: Number(m[1]), field: m[2] ?? '' } : null;
}
