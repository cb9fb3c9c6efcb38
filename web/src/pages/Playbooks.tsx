// Playbooks (/playbooks, /playbooks/new, /playbooks/:id): the list (enabled switch, trigger,
// audience, last fired, runs) with "evaluate now" and the outbound queue for admins, and the
// editor: name, enabled, audience (every account, a tier or a segment), the trigger and its
// parameters, ordered actions (add, remove, reorder) and the cooldown; a preview of the
// accounts it would fire for now, and its runs with each action's outcome. Admins edit; CSMs
// read and preview; viewers read. Errors from the API are shown at the field they name.
import { useContext, useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, ApiError, qs } from '../api';
import type { List } from '../api';
import { AsyncList, ErrorBox, Link, Loading, toast, useAsync, useLifecycle, useMe, UsersContext } from '../components';
import { fmtDateTime, fmtNumber, fmtRelative } from '../format';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';
import { navigate, useLocation } from '../router';
import type { ActionItem, ActionType, Json, Playbook, PlaybookForm } from '../playbooks/model';
import {
  ACTION_TYPES, EMAIL_TO, FormError, PLACEHOLDERS, TASK_TYPES, TRIGGERS, TRIGGER_TYPES, actionErrorAt, addAction,
  formFromPlaybook, moveAction, playbookBody, removeAction, updateAction, withTriggerType,
} from '../playbooks/model';

interface SegmentRef { id: number; name: string }
interface Template { id: number; name: string; subject: string }
interface PreviewHit { account_id: number; account_name: string | null; detail: { summary?: string } & Json }
interface Outcome { type: string; status: string; task_id?: number; outbound_id?: number; error?: string; note?: string; to?: string[] }
interface Run { id: number; account_id: number; account_name: string | null; fired_at: string; trigger: { summary?: string } | null; actions: Outcome[] }
interface OutboundMsg {
  id: number; kind: 'webhook' | 'email'; payload: Json | null; playbook_id: number | null; account_id: number | null; attempts: number;
  next_attempt_at: string; status: 'pending' | 'sent' | 'failed'; last_error: string | null; created_at: string; sent_at: string | null;
}

const val = (e: Event) => (e.currentTarget as HTMLInputElement).value;

export function PlaybooksRoute() {
  const loc = useLocation();
  const m = loc.path.match(/^\/playbooks\/([1-9][0-9]{0,15}|new)$/);
  if (m) return <PlaybookEditor key={m[1]} id={m[1] === 'new' ? null : Number(m[1])} />;
  return <PlaybookList />;
}

/** The email templates, or null when this server has no templates endpoint (404). */
let templatesP: Promise<Template[] | null> | null = null;
function loadTemplates(): Promise<Template[] | null> {
  if (!templatesP) {
    templatesP = api.get<List<Template>>('/api/v1/email-templates?limit=500').then(
      (r) => r.data,
      (e) => { if (e instanceof ApiError && e.status === 404) return null; templatesP = null; throw e; },
    );
  }
  return templatesP;
}

const segmentsLoad = () => api.get<List<SegmentRef>>('/api/v1/segments?limit=500').then((r) => r.data);

function bandText(b: unknown) { return b ? t(`band.${b}` as Key) : t('playbooks.p.any'); }

function usePhaseName() {
  const lc = useLifecycle();
  return (key: unknown) => {
    if (!key) return t('playbooks.p.any');
    const p = lc.data?.phases.find((x) => x.key === key);
    return p ? (lang() === 'ja' ? p.label_ja : p.label_en) : String(key);
  };
}

/** One line saying what the trigger is: "Renewal within 90 days". */
export function useTriggerSummary() {
  const phaseName = usePhaseName();
  return (tr: Json & { type: string }) => {
    const p: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(tr)) if (typeof v === 'string' || typeof v === 'number') p[k] = v;
    if (tr.type === 'health_band_changed') { p.from = bandText(tr.from); p.to = bandText(tr.to); }
    if (tr.type === 'phase_entered' || tr.type === 'milestone_overdue') p.phase = phaseName(tr.phase);
    if (tr.type === 'nps_detractor') p.max_score = (tr.max_score as number | undefined) ?? 6;
    if (tr.type === 'event_seen') { p.count = (tr.count as number | undefined) ?? 1; p.window_days = (tr.window_days as number | undefined) ?? 7; }
    const key = `playbooks.sum.${tr.type}`;
    const s = t(key as Key, p);
    return s === key ? tr.type : s;
  };
}

function audienceText(a: Playbook['audience'], segments: SegmentRef[] | undefined) {
  if (a.segment_id) return t('playbooks.audience.segmentOf', { name: segments?.find((s) => s.id === a.segment_id)?.name ?? `#${a.segment_id}` });
  if (a.tier) return t('playbooks.audience.tierOf', { tier: t(`tier.${a.tier}` as Key) });
  return t('playbooks.audience.all');
}

/* ------------------------------------------------------------ the list */

function PlaybookList() {
  const me = useMe();
  useEffect(() => { document.title = `${t('playbooks.title')} · Kizuna`; });
  const list = useAsync(() => api.get<List<Playbook>>('/api/v1/playbooks?limit=500').then((r) => r.data), []);
  const segments = useAsync(segmentsLoad, []);
  const summary = useTriggerSummary();
  const [busy, setBusy] = useState(false);
  const [evaluations, setEvaluations] = useState(0);
  const admin = me.role === 'admin';

  const toggle = async (p: Playbook, on: boolean) => {
    try {
      const u = await api.patch<Playbook>(`/api/v1/playbooks/${p.id}`, { enabled: on });
      list.set((list.data ?? []).map((x) => (x.id === p.id ? u : x)));
      toast(t('playbooks.toggled', { name: p.name, state: on ? t('playbooks.on') : t('playbooks.off') }));
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); list.reload(); }
  };
  const evaluate = async () => {
    setBusy(true);
    try {
      const r = await api.post<{ fired: number }>('/api/v1/playbooks/evaluate', {});
      toast(t('playbooks.evaluated', { n: fmtNumber(r.fired) }));
      list.reload();
      setEvaluations((n) => n + 1);
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); }
    finally { setBusy(false); }
  };

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('playbooks.title')}</h1>
        {admin && (
          <div class="actions">
            <button type="button" class="btn" onClick={evaluate} disabled={busy} data-testid="playbooks-evaluate">{busy ? t('playbooks.evaluating') : t('playbooks.evaluate')}</button>
            <Link href="/playbooks/new" class="btn btn-primary" data-testid="playbook-new">+ {t('playbooks.new')}</Link>
          </div>
        )}
      </div>
      {!admin && <p class="notice">{t('playbooks.adminOnly', { preview: me.role === 'csm' ? t('playbooks.adminOnlyPreview') : '' })}</p>}
      <AsyncList state={list} empty={t('playbooks.empty')}>
        {(items) => (
          <div class="table-wrap">
            <table class="table" data-testid="playbooks-table">
              <thead>
                <tr>
                  <th scope="col">{t('common.name')}</th>
                  <th scope="col">{t('playbooks.enabled')}</th>
                  <th scope="col">{t('playbooks.trigger')}</th>
                  <th scope="col">{t('playbooks.audience')}</th>
                  <th scope="col">{t('playbooks.lastFired')}</th>
                  <th scope="col" class="num">{t('playbooks.runsCount')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((p) => (
                  <tr key={p.id} data-testid="playbook-row">
                    <th scope="row" class="cell-name"><Link href={`/playbooks/${p.id}`}>{p.name}</Link></th>
                    <td>
                      {admin ? (
                        <label class="switch">
                          <input type="checkbox" role="switch" checked={p.enabled} data-testid="playbook-enabled"
                            aria-label={t('playbooks.enabledName', { name: p.name })}
                            onChange={(e) => toggle(p, (e.currentTarget as HTMLInputElement).checked)} />
                          <span aria-hidden="true">{p.enabled ? t('playbooks.on') : t('playbooks.off')}</span>
                        </label>
                      ) : <span class={`tag ${p.enabled ? 'tag-on' : ''}`}>{p.enabled ? t('playbooks.on') : t('playbooks.off')}</span>}
                    </td>
                    <td>{summary(p.trigger)}</td>
                    <td>{audienceText(p.audience, segments.data)}</td>
                    <td>{p.last_fired_at ? <span title={fmtDateTime(p.last_fired_at)}>{fmtRelative(p.last_fired_at)}</span> : <span class="muted">{t('playbooks.never')}</span>}</td>
                    <td class="num" data-testid="playbook-runs-count">{fmtNumber(p.runs_count ?? null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncList>
      {admin && <Outbound version={evaluations} />}
    </section>
  );
}

/** The outbound queue; version changes reload it (after an evaluation). */
function Outbound({ version }: { version: number }) {
  const [status, setStatus] = useState('');
  const [more, setMore] = useState<{ items: OutboundMsg[]; next: string | null } | null>(null);
  const q = useAsync(() => api.get<List<OutboundMsg>>(`/api/v1/outbound${qs({ status, limit: 50 })}`), [status, version]);
  useEffect(() => setMore(null), [q.data]);
  const items = q.data ? [...q.data.data, ...(more?.items ?? [])] : undefined;
  const next = more ? more.next : q.data?.next_cursor ?? null;
  const loadMore = async () => {
    if (!next) return;
    try {
      const r = await api.get<List<OutboundMsg>>(`/api/v1/outbound${qs({ status, limit: 50, cursor: next })}`);
      setMore({ items: [...(more?.items ?? []), ...r.data], next: r.next_cursor });
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); }
  };
  return (
    <div class="card pb-section" data-testid="outbound">
      <div class="card-head">
        <h2>{t('playbooks.outbound')}</h2>
        <label class="field field-inline">
          <span>{t('playbooks.outboundStatus')}</span>
          <select value={status} data-testid="outbound-status" onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t('playbooks.outboundAll')}</option>
            {(['pending', 'sent', 'failed'] as const).map((s) => <option value={s}>{t(`playbooks.ob.${s}`)}</option>)}
          </select>
        </label>
      </div>
      <AsyncList state={{ ...q, data: items }} empty={t('playbooks.outboundEmpty')}>
        {(rows) => (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">{t('playbooks.ob.kind')}</th>
                  <th scope="col">{t('playbooks.ob.target')}</th>
                  <th scope="col">{t('playbooks.outboundStatus')}</th>
                  <th scope="col" class="num">{t('playbooks.ob.attempts')}</th>
                  <th scope="col">{t('playbooks.ob.lastError')}</th>
                  <th scope="col">{t('playbooks.ob.created')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={m.id} data-testid="outbound-row">
                    <td>{t(`playbooks.ob.${m.kind}` as Key)}</td>
                    <td class="cell-wrap">{outboundTarget(m)}</td>
                    <td><span class={`pill ob-${m.status}`}>{t(`playbooks.ob.${m.status}` as Key)}</span>
                      {m.status === 'pending' && <span class="muted small block">{t('playbooks.ob.next')}: {fmtDateTime(m.next_attempt_at)}</span>}</td>
                    <td class="num">{fmtNumber(m.attempts)}</td>
                    <td class="cell-wrap">{m.last_error ?? t('common.none')}</td>
                    <td>{fmtDateTime(m.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncList>
      {next && items && <button type="button" class="btn more" onClick={loadMore}>{t('playbooks.more')}</button>}
    </div>
  );
}

function outboundTarget(m: OutboundMsg): string {
  const p = m.payload ?? {};
  if (m.kind === 'webhook') return typeof p.url === 'string' ? p.url : t('common.none');
  const to = Array.isArray(p.to) ? p.to.join(', ') : '';
  return [to, typeof p.subject === 'string' ? p.subject : ''].filter(Boolean).join(' · ') || t('common.none');
}

/* ------------------------------------------------------------ the editor */

function PlaybookEditor({ id }: { id: number | null }) {
  const me = useMe();
  const admin = me.role === 'admin';
  const pb = useAsync(() => (id ? api.get<Playbook>(`/api/v1/playbooks/${id}`) : Promise.resolve(null)), [id]);
  const segments = useAsync(segmentsLoad, []);
  const [form, setForm] = useState<PlaybookForm | null>(id ? null : formFromPlaybook(null));
  // The templates are asked for only when an email action is shown: a server without the
  // templates endpoint answers 404, and the inline subject and body are used instead.
  const hasEmail = !!form?.actions.some((a) => a.data.type === 'send_email');
  const templates = useAsync(() => (hasEmail ? loadTemplates() : Promise.resolve(undefined)), [hasEmail]);
  const [saved, setSaved] = useState<string>('');
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => { document.title = `${pb.data?.name ?? t('playbooks.new')} · ${t('playbooks.title')} · Kizuna`; });
  useEffect(() => {
    if (!pb.data) return;
    const f = formFromPlaybook(pb.data);
    setForm(f);
    setSaved(bodyText(f));
  }, [pb.data]);

  if (pb.error) {
    const nf = pb.error instanceof ApiError && pb.error.status === 404;
    return (
      <section class="page">
        <p class="crumb"><Link href="/playbooks">← {t('playbooks.back')}</Link></p>
        {nf ? <p class="state state-empty">{t('playbooks.notFound')}</p> : <ErrorBox error={pb.error} retry={pb.reload} />}
      </section>
    );
  }
  if (!form) return <section class="page"><Loading /></section>;

  const dirty = id !== null && bodyText(form) !== saved;
  const set = (changes: Partial<PlaybookForm>) => { setForm({ ...form, ...changes }); setError(null); };
  const msgs = { payloadInvalid: (m: string) => t('playbooks.f.payloadInvalid', { msg: m }), payloadObject: t('playbooks.f.payloadObject') };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    let body: Json;
    try { body = playbookBody(form, msgs); } catch (x) {
      if (x instanceof FormError) { setError({ field: x.field, message: x.message }); return; }
      throw x;
    }
    setSaving(true);
    try {
      if (id) {
        const p = await api.patch<Playbook>(`/api/v1/playbooks/${id}`, body);
        pb.set(p);
        toast(t('playbooks.saved'));
      } else {
        const p = await api.post<Playbook>('/api/v1/playbooks', body);
        toast(t('playbooks.created', { name: p.name }));
        navigate(`/playbooks/${p.id}`, true);
      }
    } catch (x) {
      setError({ field: x instanceof ApiError ? x.field : undefined, message: (x as Error).message });
    } finally { setSaving(false); }
  };
  const remove = async () => {
    if (!id || !pb.data || !confirm(t('playbooks.deleteConfirm', { name: pb.data.name }))) return;
    try {
      await api.del(`/api/v1/playbooks/${id}`);
      toast(t('playbooks.deleted'));
      navigate('/playbooks');
    } catch (x) { toast(t('common.actionFailed', { msg: (x as Error).message })); }
  };

  const errAt = (field: string) => (error?.field === field ? error.message : null);
  const known = new Set(['name', 'enabled', 'cooldown_days', 'audience', 'audience.tier', 'audience.segment_id', 'trigger', 'trigger.type', 'actions',
    ...Object.values(TRIGGERS).flat().map((p) => `trigger.${p.name}`)]);
  const ae = actionErrorAt(error?.field);
  const otherError = error && !known.has(error.field ?? '') && !(ae && ae.index < form.actions.length) ? error.message : null;
  const ro = !admin;

  return (
    <section class="page">
      <p class="crumb"><Link href="/playbooks">← {t('playbooks.back')}</Link></p>
      <div class="page-head"><h1>{pb.data?.name ?? t('playbooks.new')}</h1></div>
      {!admin && <p class="notice" data-testid="playbook-readonly">{t('playbooks.adminOnly', { preview: me.role === 'csm' ? t('playbooks.adminOnlyPreview') : '' })}</p>}
      <form class="form card" onSubmit={save} aria-label={t('playbooks.title')} data-testid="playbook-form">
        <div class="pb-row">
          <Field label={t('playbooks.name')} error={errAt('name')} id="pb-name" grow>
            <input id="pb-name" type="text" required maxLength={200} value={form.name} disabled={ro} data-testid="playbook-name"
              {...invalid(errAt('name'), 'pb-name')} onInput={(e) => set({ name: val(e) })} />
          </Field>
          <label class="check-opt pb-enabled">
            <input type="checkbox" role="switch" checked={form.enabled} disabled={ro} data-testid="playbook-form-enabled"
              onChange={(e) => set({ enabled: (e.currentTarget as HTMLInputElement).checked })} />
            {t('playbooks.enabled')}
          </label>
          <Field label={t('playbooks.cooldown')} hint={t('playbooks.cooldownHint')} error={errAt('cooldown_days')} id="pb-cooldown">
            <input id="pb-cooldown" type="number" min={1} max={3650} class="w-s" value={form.cooldown} disabled={ro} data-testid="playbook-cooldown"
              {...invalid(errAt('cooldown_days'), 'pb-cooldown')} onInput={(e) => set({ cooldown: val(e) })} />
          </Field>
        </div>

        <fieldset class="pb-section">
          <legend>{t('playbooks.audience')}</legend>
          <div class="seg" role="radiogroup" aria-label={t('playbooks.audience')}>
            {(['all', 'tier', 'segment'] as const).map((k) => (
              <label class={`seg-opt${form.audience === k ? ' on' : ''}`}>
                <input type="radio" name="pb-audience" value={k} checked={form.audience === k} disabled={ro} data-testid={`playbook-audience-${k}`}
                  onChange={() => set({ audience: k })} />
                {t(`playbooks.audience.${k}`)}
              </label>
            ))}
          </div>
          {form.audience === 'tier' && (
            <Field label={t('playbooks.audience.pickTier')} error={errAt('audience.tier') ?? errAt('audience')} id="pb-tier">
              <select id="pb-tier" value={form.tier} disabled={ro} data-testid="playbook-tier" {...invalid(errAt('audience.tier'), 'pb-tier')}
                onChange={(e) => set({ tier: val(e) })}>
                {['high', 'low', 'tech'].map((x) => <option value={x}>{t(`tier.${x}` as Key)}</option>)}
              </select>
            </Field>
          )}
          {form.audience === 'segment' && (
            <Field label={t('playbooks.audience.pickSegment')} error={errAt('audience.segment_id') ?? errAt('audience')} id="pb-segment">
              {segments.error ? <ErrorBox error={segments.error} retry={segments.reload} /> : !segments.data ? <Loading /> : (
                <>
                  <select id="pb-segment" value={form.segmentId} disabled={ro} data-testid="playbook-segment" {...invalid(errAt('audience.segment_id'), 'pb-segment')}
                    onChange={(e) => set({ segmentId: val(e) })}>
                    <option value="">{t('common.none')}</option>
                    {segments.data.map((s) => <option value={String(s.id)}>{s.name}</option>)}
                    {form.segmentId && !segments.data.some((s) => String(s.id) === form.segmentId) && <option value={form.segmentId}>#{form.segmentId}</option>}
                  </select>
                  {segments.data.length === 0 && <p class="muted small">{t('playbooks.audience.noSegments')}</p>}
                </>
              )}
            </Field>
          )}
        </fieldset>

        <fieldset class="pb-section">
          <legend>{t('playbooks.trigger')}</legend>
          <TriggerEditor form={form} ro={ro} errAt={errAt} onChange={(trigger) => set({ trigger })} />
        </fieldset>

        <fieldset class="pb-section">
          <legend>{t('playbooks.actions')}</legend>
          <ActionList actions={form.actions} ro={ro} templates={templates.data} error={error} onChange={(actions) => set({ actions })} />
          {errAt('actions') && <p class="form-error" role="alert">{errAt('actions')}</p>}
          <p class="muted small">{t('playbooks.placeholders', { list: PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ') })}</p>
        </fieldset>

        {otherError && <p class="form-error" role="alert" data-testid="playbook-error">{t('playbooks.errorsOther', { msg: otherError })}</p>}
        {admin && (
          <div class="actions">
            {id && <button type="button" class="btn btn-danger" onClick={remove} data-testid="playbook-delete">{t('playbooks.delete')}</button>}
            <button type="submit" class="btn btn-primary" disabled={saving} data-testid="playbook-save">{saving ? t('common.saving') : t('playbooks.save')}</button>
          </div>
        )}
      </form>
      {id && (
        <div class="grid-2 pb-below">
          {me.role !== 'viewer' && <PreviewPanel id={id} dirty={dirty} />}
          <Runs id={id} />
        </div>
      )}
    </section>
  );
}

const bodyText = (f: PlaybookForm) => {
  try { return JSON.stringify(playbookBody(f, { payloadInvalid: (m) => m, payloadObject: '' })); } catch { return ''; }
};

function invalid(err: string | null, id: string) {
  return err ? { 'aria-invalid': true, 'aria-describedby': `${id}-err` } : {};
}

function Field({ label, hint, error, id, grow, children }: { label: string; hint?: string; error: string | null; id: string; grow?: boolean; children: ComponentChildren }) {
  return (
    <div class={`field${grow ? ' field-grow' : ''}`}>
      <label for={id}>{label}{hint && <span class="muted"> · {hint}</span>}</label>
      {children}
      {error && <p class="form-error" id={`${id}-err`} role="alert" data-testid="field-error">{error}</p>}
    </div>
  );
}

function TriggerEditor({ form, ro, errAt, onChange }: {
  form: PlaybookForm; ro: boolean; errAt: (f: string) => string | null; onChange: (t: PlaybookForm['trigger']) => void;
}) {
  const lc = useLifecycle();
  const tr = form.trigger;
  return (
    <div class="pb-row">
      <Field label={t('playbooks.triggerType')} error={errAt('trigger.type') ?? errAt('trigger')} id="pb-trigger">
        <select id="pb-trigger" value={tr.type} disabled={ro} data-testid="playbook-trigger" {...invalid(errAt('trigger.type'), 'pb-trigger')}
          onChange={(e) => onChange(withTriggerType(tr, val(e)))}>
          {TRIGGER_TYPES.map((k) => <option value={k}>{t(`playbooks.t.${k}` as Key)}</option>)}
        </select>
      </Field>
      {(TRIGGERS[tr.type] ?? []).map((p) => {
        const fid = `pb-trigger-${p.name}`;
        const err = errAt(`trigger.${p.name}`);
        const v = tr[p.name] === undefined || tr[p.name] === null ? '' : String(tr[p.name]);
        const change = (x: string) => onChange({ ...tr, [p.name]: x });
        let control;
        if (p.kind === 'band') {
          control = (
            <select id={fid} value={v} disabled={ro} data-testid={`playbook-trigger-${p.name}`} {...invalid(err, fid)} onChange={(e) => change(val(e))}>
              <option value="">{t('playbooks.p.any')}</option>
              {['green', 'yellow', 'red'].map((b) => <option value={b}>{t(`band.${b}` as Key)}</option>)}
            </select>
          );
        } else if (p.kind === 'phase') {
          const phases = lc.data?.phases ?? [];
          control = (
            <select id={fid} value={v} disabled={ro} data-testid={`playbook-trigger-${p.name}`} {...invalid(err, fid)} onChange={(e) => change(val(e))}>
              {!p.required && <option value="">{t('playbooks.p.any')}</option>}
              {p.required && !v && <option value="">{t('common.none')}</option>}
              {phases.map((x) => <option value={x.key}>{lang() === 'ja' ? x.label_ja : x.label_en}</option>)}
              {v && !phases.some((x) => x.key === v) && <option value={v}>{v}</option>}
            </select>
          );
        } else if (p.kind === 'int') {
          control = <input id={fid} type="number" step={1} class="w-s" value={v} disabled={ro} required={p.required} data-testid={`playbook-trigger-${p.name}`} {...invalid(err, fid)} onInput={(e) => change(val(e))} />;
        } else {
          control = <input id={fid} type="text" value={v} disabled={ro} required={p.required} maxLength={200} data-testid={`playbook-trigger-${p.name}`} {...invalid(err, fid)} onInput={(e) => change(val(e))} />;
        }
        return <Field label={t(`playbooks.p.${p.name}` as Key)} error={err} id={fid}>{control}</Field>;
      })}
    </div>
  );
}

/** The ordered actions: each with its fields, move up/down and remove; add one of a type. */
export function ActionList({ actions, ro, templates, error, onChange }: {
  actions: ActionItem[]; ro: boolean; templates: Template[] | null | undefined; error: { field?: string; message: string } | null;
  onChange: (a: ActionItem[]) => void;
}) {
  const [addType, setAddType] = useState<ActionType>('create_task');
  const users = useContext(UsersContext);
  const ae = actionErrorAt(error?.field);
  return (
    <div class="pb-actions">
      {actions.length === 0 && <p class="muted">{t('playbooks.noActions')}</p>}
      <ol class="pb-action-list">
        {actions.map((a, i) => {
          const n = i + 1;
          const type = String(a.data.type);
          const fieldErr = (f: string) => (ae && ae.index === i && ae.field === f && error ? error.message : null);
          const fid = (f: string) => `pb-a${a.key}-${f}`;
          const upd = (changes: Json, payloadText?: string) => onChange(updateAction(actions, a.key, changes, payloadText));
          const str = (k: string) => (a.data[k] === undefined || a.data[k] === null ? '' : String(a.data[k]));
          return (
            <li key={a.key} class="pb-action card" data-testid="playbook-action" aria-label={t('playbooks.actionN', { n, type: t(`playbooks.a.${type}` as Key) })}>
              <div class="pb-action-head">
                <strong>{n}. {t(`playbooks.a.${type}` as Key) ?? type}</strong>
                {!ro && (
                  <span class="actions">
                    <button type="button" class="btn btn-small" disabled={i === 0} aria-label={t('playbooks.moveUp', { n })} data-testid="action-up"
                      onClick={() => onChange(moveAction(actions, a.key, -1))}>↑</button>
                    <button type="button" class="btn btn-small" disabled={i === actions.length - 1} aria-label={t('playbooks.moveDown', { n })} data-testid="action-down"
                      onClick={() => onChange(moveAction(actions, a.key, 1))}>↓</button>
                    <button type="button" class="btn btn-small btn-danger" aria-label={t('playbooks.removeAction', { n })} data-testid="action-remove"
                      onClick={() => onChange(removeAction(actions, a.key))}>×</button>
                  </span>
                )}
              </div>
              {fieldErr('') && <p class="form-error" role="alert">{fieldErr('')}</p>}
              {fieldErr('type') && <p class="form-error" role="alert">{fieldErr('type')}</p>}
              <div class="pb-row">
                {type === 'create_task' && (
                  <>
                    <Field label={t('playbooks.f.title')} error={fieldErr('title')} id={fid('title')} grow>
                      <input id={fid('title')} type="text" value={str('title')} disabled={ro} maxLength={500} data-testid="action-title"
                        {...invalid(fieldErr('title'), fid('title'))} onInput={(e) => upd({ title: val(e) })} />
                    </Field>
                    <Field label={t('playbooks.f.task_type')} error={fieldErr('task_type')} id={fid('task_type')}>
                      <select id={fid('task_type')} value={str('task_type')} disabled={ro} data-testid="action-task-type" {...invalid(fieldErr('task_type'), fid('task_type'))}
                        onChange={(e) => upd({ task_type: val(e) || undefined })}>
                        {!a.data.task_type && <option value="">{t('common.none')}</option>}
                        {TASK_TYPES.map((x) => <option value={x}>{t(`task.${x}` as Key)}</option>)}
                      </select>
                    </Field>
                    <Field label={t('playbooks.f.due_in_days')} error={fieldErr('due_in_days')} id={fid('due')}>
                      <input id={fid('due')} type="number" min={0} max={365} class="w-s" value={str('due_in_days')} disabled={ro} data-testid="action-due"
                        {...invalid(fieldErr('due_in_days'), fid('due'))} onInput={(e) => upd({ due_in_days: val(e) })} />
                    </Field>
                    <Field label={t('playbooks.f.assignee')} error={fieldErr('assignee')} id={fid('assignee')}>
                      {users.size > 0 ? (
                        <select id={fid('assignee')} value={str('assignee') || 'owner'} disabled={ro} data-testid="action-assignee" {...invalid(fieldErr('assignee'), fid('assignee'))}
                          onChange={(e) => upd({ assignee: val(e) })}>
                          <option value="owner">{t('playbooks.f.assigneeOwner')}</option>
                          {[...users.values()].filter((u) => u.role !== 'viewer' || String(u.id) === str('assignee')).map((u) => <option value={String(u.id)}>{u.name}</option>)}
                          {str('assignee') && str('assignee') !== 'owner' && !users.has(Number(str('assignee'))) && <option value={str('assignee')}>#{str('assignee')}</option>}
                        </select>
                      ) : (
                        <input id={fid('assignee')} type="text" value={str('assignee') || 'owner'} disabled={ro} data-testid="action-assignee"
                          {...invalid(fieldErr('assignee'), fid('assignee'))} onInput={(e) => upd({ assignee: val(e) })} />
                      )}
                    </Field>
                  </>
                )}
                {type === 'send_email' && (
                  <>
                    <Field label={t('playbooks.f.to')} error={fieldErr('to')} id={fid('to')}>
                      <select id={fid('to')} value={str('to')} disabled={ro} data-testid="action-to" {...invalid(fieldErr('to'), fid('to'))} onChange={(e) => upd({ to: val(e) })}>
                        {EMAIL_TO.map((x) => <option value={x}>{x === 'owner' ? t('playbooks.f.toOwner') : t('playbooks.f.toRole', { role: t(`stake.${x.slice(5)}` as Key) })}</option>)}
                        {str('to') && !(EMAIL_TO as readonly string[]).includes(str('to')) && <option value={str('to')}>{str('to')}</option>}
                      </select>
                    </Field>
                    {templates && (
                      <Field label={t('playbooks.f.template')} error={fieldErr('template_id')} id={fid('template')} grow>
                        <select id={fid('template')} value={str('template_id')} disabled={ro} data-testid="action-template" {...invalid(fieldErr('template_id'), fid('template'))}
                          onChange={(e) => {
                            const v = val(e);
                            if (v) upd({ template_id: v, subject: undefined, body: undefined });
                            else upd({ template_id: undefined, subject: str('subject'), body: str('body') });
                          }}>
                          <option value="">{t('playbooks.f.templateInline')}</option>
                          {templates.map((x) => <option value={String(x.id)}>{x.name} — {x.subject}</option>)}
                          {str('template_id') && !templates.some((x) => String(x.id) === str('template_id')) && <option value={str('template_id')}>{t('playbooks.f.templateMissing', { id: str('template_id') })}</option>}
                        </select>
                      </Field>
                    )}
                    {(!templates || !str('template_id')) && (
                      <>
                        <Field label={t('playbooks.f.subject')} error={fieldErr('subject')} id={fid('subject')} grow>
                          <input id={fid('subject')} type="text" value={str('subject')} disabled={ro} maxLength={500} data-testid="action-subject"
                            {...invalid(fieldErr('subject'), fid('subject'))} onInput={(e) => upd({ subject: val(e) })} />
                        </Field>
                        <Field label={t('playbooks.f.body')} error={fieldErr('body')} id={fid('body')} grow>
                          <textarea id={fid('body')} rows={4} value={str('body')} disabled={ro} data-testid="action-body"
                            {...invalid(fieldErr('body'), fid('body'))} onInput={(e) => upd({ body: (e.currentTarget as HTMLTextAreaElement).value })} />
                        </Field>
                      </>
                    )}
                  </>
                )}
                {type === 'call_webhook' && (
                  <>
                    <Field label={t('playbooks.f.url')} error={fieldErr('url')} id={fid('url')} grow>
                      <input id={fid('url')} type="url" value={str('url')} disabled={ro} maxLength={2000} data-testid="action-url"
                        {...invalid(fieldErr('url'), fid('url'))} onInput={(e) => upd({ url: val(e) })} />
                    </Field>
                    <Field label={t('playbooks.f.payload')} error={fieldErr('payload')} id={fid('payload')} grow>
                      <textarea id={fid('payload')} rows={4} class="mono" value={a.payloadText ?? ''} disabled={ro} data-testid="action-payload"
                        {...invalid(fieldErr('payload'), fid('payload'))} onInput={(e) => upd({}, (e.currentTarget as HTMLTextAreaElement).value)} />
                    </Field>
                  </>
                )}
                {type === 'set_field' && <SetField a={a} ro={ro} fieldErr={fieldErr} fid={fid} upd={upd} />}
              </div>
            </li>
          );
        })}
      </ol>
      {!ro && (
        <div class="inline-form">
          <label class="field">
            <span>{t('playbooks.actionType')}</span>
            <select value={addType} data-testid="action-add-type" onChange={(e) => setAddType(val(e) as ActionType)}>
              {ACTION_TYPES.map((x) => <option value={x}>{t(`playbooks.a.${x}`)}</option>)}
            </select>
          </label>
          <button type="button" class="btn" data-testid="action-add" onClick={() => onChange(addAction(actions, addType))}>+ {t('playbooks.addAction')}</button>
        </div>
      )}
    </div>
  );
}

function SetField({ a, ro, fieldErr, fid, upd }: {
  a: ActionItem; ro: boolean; fieldErr: (f: string) => string | null; fid: (f: string) => string; upd: (c: Json) => void;
}) {
  const field = String(a.data.field ?? 'tier');
  const isTier = field === 'tier';
  const custom = field.startsWith('custom.') ? field.slice(7) : '';
  const value = a.data.value;
  return (
    <>
      <Field label={t('playbooks.f.field')} error={null} id={fid('fieldkind')}>
        <select id={fid('fieldkind')} value={isTier ? 'tier' : 'custom'} disabled={ro} data-testid="action-field-kind"
          onChange={(e) => upd(val(e) === 'tier' ? { field: 'tier', value: null } : { field: 'custom.', value: '' })}>
          <option value="tier">{t('playbooks.f.fieldTier')}</option>
          <option value="custom">{t('playbooks.f.fieldCustom')}</option>
        </select>
      </Field>
      {!isTier && (
        <Field label={t('playbooks.f.customName')} error={fieldErr('field')} id={fid('field')}>
          <input id={fid('field')} type="text" value={custom} disabled={ro} maxLength={100} data-testid="action-custom-name"
            {...invalid(fieldErr('field'), fid('field'))} onInput={(e) => upd({ field: `custom.${val(e)}` })} />
        </Field>
      )}
      {isTier ? (
        <Field label={t('playbooks.f.value')} error={fieldErr('value')} id={fid('value')}>
          <select id={fid('value')} value={typeof value === 'string' ? value : ''} disabled={ro} data-testid="action-value" {...invalid(fieldErr('value'), fid('value'))}
            onChange={(e) => upd({ value: val(e) || null })}>
            <option value="">{t('playbooks.f.valueNull')}</option>
            {['high', 'low', 'tech'].map((x) => <option value={x}>{t(`tier.${x}` as Key)}</option>)}
          </select>
        </Field>
      ) : (
        <Field label={t('playbooks.f.value')} hint={t('playbooks.f.valueEmpty')} error={fieldErr('value')} id={fid('value')} grow>
          <input id={fid('value')} type="text" value={value === null || value === undefined ? '' : String(value)} disabled={ro} data-testid="action-value"
            {...invalid(fieldErr('value'), fid('value'))}
            onInput={(e) => upd({ value: typeof value === 'number' && /^-?\d+(\.\d+)?$/.test(val(e)) ? Number(val(e)) : val(e) === '' ? null : val(e) })} />
        </Field>
      )}
    </>
  );
}

function PreviewPanel({ id, dirty }: { id: number; dirty: boolean }) {
  const [state, setState] = useState<{ loading: boolean; data?: { data: PreviewHit[]; count: number }; error?: unknown }>({ loading: false });
  const run = async () => {
    setState({ loading: true });
    try { setState({ loading: false, data: await api.post(`/api/v1/playbooks/${id}/preview`, {}) }); }
    catch (error) { setState({ loading: false, error }); }
  };
  return (
    <div class="card" data-testid="playbook-preview">
      <div class="card-head">
        <h2>{t('playbooks.preview')}</h2>
        <button type="button" class="btn" onClick={run} disabled={state.loading} data-testid="playbook-preview-run">{t('playbooks.previewRun')}</button>
      </div>
      <p class="muted small">{t('playbooks.previewHint')}</p>
      {dirty && <p class="notice notice-warn">{t('playbooks.previewUnsaved')}</p>}
      {state.loading && <Loading />}
      {state.error !== undefined && <ErrorBox error={state.error} retry={run} />}
      {state.data && (
        <>
          <p role="status" data-testid="playbook-preview-count">{t('playbooks.previewCount', { n: fmtNumber(state.data.count) })}</p>
          {state.data.data.length === 0 ? <p class="state state-empty">{t('playbooks.previewEmpty')}</p> : (
            <ul class="rows">
              {state.data.data.map((h) => (
                <li class="row" key={h.account_id} data-testid="playbook-preview-row">
                  <Link href={`/accounts/${h.account_id}`}>{h.account_name ?? `#${h.account_id}`}</Link>
                  <span class="muted small">{h.detail?.summary ?? ''}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

function Runs({ id }: { id: number }) {
  const [extra, setExtra] = useState<{ items: Run[]; next: string | null } | null>(null);
  const q = useAsync(() => api.get<List<Run>>(`/api/v1/playbooks/${id}/runs?limit=20`), [id]);
  useEffect(() => setExtra(null), [q.data]);
  const items = q.data ? [...q.data.data, ...(extra?.items ?? [])] : undefined;
  const next = extra ? extra.next : q.data?.next_cursor ?? null;
  const more = async () => {
    if (!next) return;
    try {
      const r = await api.get<List<Run>>(`/api/v1/playbooks/${id}/runs${qs({ limit: 20, cursor: next })}`);
      setExtra({ items: [...(extra?.items ?? []), ...r.data], next: r.next_cursor });
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); }
  };
  return (
    <div class="card" data-testid="playbook-runs">
      <div class="card-head">
        <h2>{t('playbooks.runs')}</h2>
        <button type="button" class="btn btn-small" onClick={q.reload} aria-label={`${t('state.retry')} ${t('playbooks.runs')}`}>↻</button>
      </div>
      <AsyncList state={{ ...q, data: items }} empty={t('playbooks.runsEmpty')}>
        {(rows) => (
          <ul class="rows">
            {rows.map((r) => (
              <li class="row pb-run" key={r.id} data-testid="playbook-run">
                <div>
                  <Link href={`/accounts/${r.account_id}`}>{r.account_name ?? `#${r.account_id}`}</Link>
                  <span class="muted small block">{fmtDateTime(r.fired_at)} · {r.trigger?.summary ?? ''}</span>
                </div>
                <ul class="pb-outcomes" aria-label={t('playbooks.runOutcome')}>
                  {r.actions.map((o) => (
                    <li data-testid="run-outcome">
                      <span class={`pill ob-${o.status}`}>{t(`playbooks.a.${o.type}` as Key)}: {t(`playbooks.o.${o.status}` as Key)}</span>
                      {o.task_id !== undefined && <span class="muted small"> {t('playbooks.o.task', { id: o.task_id })}</span>}
                      {o.outbound_id !== undefined && <span class="muted small"> {t('playbooks.o.outbound', { id: o.outbound_id })}</span>}
                      {o.error && <span class="small"> {o.error}</span>}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </AsyncList>
      {next && items && <button type="button" class="btn more" onClick={more}>{t('playbooks.more')}</button>}
    </div>
  );
}
