// Account 360 → Success plan (goals: baseline → current → target with attainment, add / edit /
// delete, record a measured value, the values history) and Surveys (NPS / CSAT / CES summary,
// responses filtered by type, add a response for one of the account's contacts).
// docs/success.md.
import { useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { Account, Contact, Goal, GoalStatus, GoalValue, List, SurveyResponse, SurveySummary, SurveyType } from '../api';
import { AsyncList, ErrorBox, Loading, toast, useAsync, useMe, useUserName } from '../components';
import { fmtDate, fmtDateTime, fmtNumber, fmtPercent } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { canWrite } from './AccountJourney';

const num = (x: number | null | undefined) => (x === null || x === undefined ? t('common.none') : fmtNumber(x, { maximumFractionDigits: 2 }));
const val = (e: Event) => (e.currentTarget as HTMLInputElement).value;
const STATUSES: GoalStatus[] = ['active', 'achieved', 'missed', 'cancelled'];

/* ------------------------------------------------------------ goals */

type GoalForm = { title: string; metric: string; unit: string; baseline: string; target: string; current: string; due_date: string; status: GoalStatus };
const emptyGoal: GoalForm = { title: '', metric: '', unit: '', baseline: '', target: '', current: '', due_date: '', status: 'active' };

export function SuccessTab({ account }: { account: Account }) {
  const me = useMe();
  const edit = canWrite(me, account);
  const goals = useAsync(() => api.get<List<Goal>>(`/api/v1/accounts/${account.id}/goals?limit=200`).then((r) => r.data), [account.id]);
  const [editing, setEditing] = useState<Goal | 'new' | null>(null);
  const replace = (g: Goal) => goals.set((goals.data ?? []).some((x) => x.id === g.id) ? goals.data!.map((x) => (x.id === g.id ? g : x)) : [...(goals.data ?? []), g]);
  return (
    <div class={edit ? 'grid-2 grid-timeline' : ''}>
      <section class="card" aria-labelledby="h-goals">
        <h2 id="h-goals">{t('goals.title')}{goals.data ? <span class="count">{goals.data.length}</span> : null}</h2>
        <AsyncList state={goals} empty={t('goals.empty')}>
          {(items) => (
            <ul class="goals" data-testid="goals">
              {items.map((g) => <GoalItem account={account} g={g} edit={edit} onEdit={() => setEditing(g)} onChange={replace}
                onDelete={() => goals.set((goals.data ?? []).filter((x) => x.id !== g.id))} />)}
            </ul>
          )}
        </AsyncList>
      </section>
      {edit && (
        <GoalEditor key={editing === null || editing === 'new' ? 'new' : editing.id} account={account} goal={editing === 'new' ? null : editing}
          onSaved={(g) => { replace(g); setEditing(null); }} onCancel={() => setEditing(null)} />
      )}
    </div>
  );
}

function GoalItem({ account, g, edit, onEdit, onChange, onDelete }: { account: Account; g: Goal; edit: boolean; onEdit: () => void; onChange: (g: Goal) => void; onDelete: () => void }) {
  const userName = useUserName();
  const [showValues, setShowValues] = useState(false);
  const [v, setV] = useState('');
  const [when, setWhen] = useState('');
  const [busy, setBusy] = useState(false);
  const values = useAsync(() => (showValues ? api.get<List<GoalValue>>(`/api/v1/accounts/${account.id}/goals/${g.id}/values?limit=200`).then((r) => r.data) : Promise.resolve([] as GoalValue[])), [showValues, g.updated_at]);
  const unit = g.unit ? ` ${g.unit}` : '';
  const record = async (e: Event) => {
    e.preventDefault();
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) return;
    setBusy(true);
    try {
      const body: Record<string, unknown> = { value: n };
      if (when) body.measured_at = new Date(when).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await api.post(`/api/v1/accounts/${account.id}/goals/${g.id}/values`, body);
      onChange(await api.get<Goal>(`/api/v1/accounts/${account.id}/goals/${g.id}`));
      setV(''); setWhen(''); toast(t('goals.recorded'));
    } catch (e2) { toast(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  const del = async () => {
    if (!confirm(t('goals.confirmDelete', { title: g.title }))) return;
    try { await api.del(`/api/v1/accounts/${account.id}/goals/${g.id}`); onDelete(); toast(t('goals.deleted')); } catch (e2) { toast(t('common.actionFailed', { msg: (e2 as Error).message })); }
  };
  return (
    <li class="goal" data-testid="goal">
      <div class="goal-head">
        <strong class="goal-title">{g.title}</strong>
        <span class={`tag goal-${g.status}`}>{t(`goal.${g.status}` as Key)}</span>
      </div>
      <p class="muted small">{g.metric}{g.due_date ? ` · ${t('goals.due', { d: fmtDate(g.due_date) })}` : ''}</p>
      <p class="goal-figs" data-testid="goal-figs">
        <span><span class="muted small">{t('goals.baseline')}</span> {num(g.baseline)}{unit}</span>
        <span aria-hidden="true">→</span>
        <span><span class="muted small">{t('goals.current')}</span> <strong>{num(g.current)}{g.current !== null ? unit : ''}</strong></span>
        <span aria-hidden="true">→</span>
        <span><span class="muted small">{t('goals.target')}</span> {num(g.target)}{unit}</span>
      </p>
      {g.attainment !== null ? (
        <div class="attain">
          <span class="meter meter-wide" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(g.attainment * 100)} aria-label={t('goals.attainment')}>
            <span style={{ width: `${g.attainment * 100}%` }} />
          </span>
          <span data-testid="attainment">{t('goals.attainment')} {fmtPercent(g.attainment)}</span>
        </div>
      ) : <p class="muted small" data-testid="attainment">{t('goals.attainment')}: {t(`goals.unknown.${g.attainment_unknown_reason ?? 'no_current_value'}` as Key)}</p>}
      <div class="actions actions-start">
        <button type="button" class="btn btn-small" aria-expanded={showValues} onClick={() => setShowValues(!showValues)} data-testid="goal-values-toggle">{t('goals.history')}</button>
        {edit && <button type="button" class="btn btn-small" onClick={onEdit} data-testid="goal-edit" aria-label={`${t('common.edit')}: ${g.title}`}>{t('common.edit')}</button>}
        {edit && <button type="button" class="btn btn-small btn-danger" onClick={del} data-testid="goal-delete" aria-label={`${t('common.delete')}: ${g.title}`}>{t('common.delete')}</button>}
      </div>
      {edit && (
        <form class="inline-form" onSubmit={record} data-testid="goal-record">
          <label class="field"><span>{t('goals.measured')}{unit ? ` (${g.unit})` : ''}</span><input type="number" step="any" required class="w-m" value={v} data-testid="goal-value" onInput={(e) => setV(val(e))} /></label>
          <label class="field"><span>{t('goals.measuredAt')}</span><input type="datetime-local" value={when} onInput={(e) => setWhen(val(e))} /></label>
          <button type="submit" class="btn" disabled={busy} data-testid="goal-value-submit">{t('goals.record')}</button>
        </form>
      )}
      {showValues && (
        <div data-testid="goal-values">
          <AsyncList state={values} empty={t('goals.noValues')}>
            {(items) => (
              <table class="table compact">
                <thead><tr><th scope="col">{t('goals.measuredAt')}</th><th scope="col" class="num">{t('goals.value')}</th><th scope="col">{t('goals.by')}</th></tr></thead>
                <tbody>{[...items].reverse().map((x) => <tr><td>{fmtDateTime(x.measured_at)}</td><td class="num">{num(x.value)}{unit}</td><td>{userName(x.user_id)}</td></tr>)}</tbody>
              </table>
            )}
          </AsyncList>
        </div>
      )}
    </li>
  );
}

function GoalEditor({ account, goal, onSaved, onCancel }: { account: Account; goal: Goal | null; onSaved: (g: Goal) => void; onCancel: () => void }) {
  const [f, setF] = useState<GoalForm>(goal ? {
    title: goal.title, metric: goal.metric, unit: goal.unit ?? '', baseline: goal.baseline === null ? '' : String(goal.baseline),
    target: String(goal.target), current: '', due_date: goal.due_date ?? '', status: goal.status,
  } : emptyGoal);
  const [err, setErr] = useState<{ msg: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const numOrNull = (s: string) => (s.trim() === '' ? null : Number(s));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    const body: Record<string, unknown> = {
      title: f.title.trim(), metric: f.metric.trim(), unit: f.unit.trim() || null, baseline: numOrNull(f.baseline),
      target: Number(f.target), due_date: f.due_date || null, status: f.status,
    };
    if (f.current.trim() !== '') body.current = Number(f.current);
    try {
      const g = goal ? await api.patch<Goal>(`/api/v1/accounts/${account.id}/goals/${goal.id}`, body)
        : await api.post<Goal>(`/api/v1/accounts/${account.id}/goals`, body);
      onSaved(g); if (!goal) setF(emptyGoal);
      toast(t('common.saved'));
    } catch (e2) { setErr({ msg: (e2 as Error).message, field: (e2 as { field?: string }).field }); } finally { setBusy(false); }
  };
  const fe = (name: string) => (err?.field === name ? <span class="form-error small" role="alert">{err.msg}</span> : null);
  const field = (name: keyof GoalForm, lbl: string, props: Record<string, unknown> = {}) => (
    <label class="field"><span>{lbl}</span>
      <input value={f[name]} data-testid={`goal-${name}`} aria-invalid={err?.field === name} onInput={(e) => setF({ ...f, [name]: val(e) })} {...props} />{fe(name)}
    </label>
  );
  return (
    <section class="card" aria-labelledby="h-goal-form">
      <h2 id="h-goal-form">{goal ? t('goals.edit') : t('goals.add')}</h2>
      <form class="form" onSubmit={submit} data-testid="goal-form">
        {field('title', t('goals.goalTitle'), { required: true, maxLength: 500 })}
        {field('metric', t('goals.metric'), { required: true, maxLength: 500 })}
        <div class="form-row">
          {field('unit', t('goals.unit'), { maxLength: 50 })}
          {field('baseline', t('goals.baseline'), { type: 'number', step: 'any' })}
          {field('target', t('goals.target'), { type: 'number', step: 'any', required: true })}
        </div>
        <div class="form-row">
          {field('current', goal ? t('goals.newCurrent') : t('goals.current'), { type: 'number', step: 'any' })}
          {field('due_date', t('goals.dueDate'), { type: 'date' })}
          <label class="field"><span>{t('common.status')}</span>
            <select value={f.status} data-testid="goal-status" onChange={(e) => setF({ ...f, status: (e.currentTarget as HTMLSelectElement).value as GoalStatus })}>
              {STATUSES.map((s) => <option value={s}>{t(`goal.${s}` as Key)}</option>)}
            </select>
          </label>
        </div>
        {err && !['title', 'metric', 'unit', 'baseline', 'target', 'current', 'due_date'].includes(err.field ?? '') && <p class="form-error" role="alert">{t('common.actionFailed', { msg: err.msg })}</p>}
        <div class="actions">
          {goal && <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>}
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="goal-submit">{goal ? t('common.save') : t('goals.addSubmit')}</button>
        </div>
      </form>
    </section>
  );
}

/* ------------------------------------------------------------ surveys */

const SCALE: Record<SurveyType, [number, number]> = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

function localNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

export function SurveysTab({ account, contacts }: { account: Account; contacts: Contact[] }) {
  const me = useMe();
  const edit = canWrite(me, account);
  const [type, setType] = useState<SurveyType | ''>('');
  const [pages, setPages] = useState(1);
  const state = useAsync(async () => {
    let cursor: string | null = null;
    let data: SurveyResponse[] = [];
    let summary: SurveySummary | null = null;
    for (let i = 0; i < pages; i++) {
      const r: List<SurveyResponse> & { summary: SurveySummary } = await api.get(`/api/v1/accounts/${account.id}/survey-responses${qs({ type, limit: 50, cursor })}`);
      data = [...data, ...r.data]; summary = r.summary; cursor = r.next_cursor;
      if (!cursor) break;
    }
    return { data, summary: summary!, next: cursor };
  }, [account.id, type, pages]);
  const cname = new Map(contacts.map((c) => [c.id, c.name]));
  const s = state.data?.summary;
  return (
    <div class="stack">
      <section class="card" aria-labelledby="h-survey-sum">
        <h2 id="h-survey-sum">{t('surveys.summary')}{type ? ` · ${type.toUpperCase()}` : ''}</h2>
        {state.error ? <ErrorBox error={state.error} retry={state.reload} /> : !s ? <Loading /> : (
          <dl class="kpis survey-kpis" data-testid="survey-summary">
            <div><dt>NPS</dt><dd><strong class="kpi-num" data-testid="nps-score">{s.nps.score === null ? t('common.none') : `${s.nps.score > 0 ? '+' : ''}${fmtNumber(s.nps.score)}`}</strong>
              <span class="muted small block">{t('surveys.npsCounts', { p: s.nps.promoters, n: s.nps.passives, d: s.nps.detractors, total: s.nps.responses })}</span></dd></div>
            <div><dt>CSAT</dt><dd><strong class="kpi-num" data-testid="csat-score">{s.csat.satisfied_pct === null ? t('common.none') : `${fmtNumber(s.csat.satisfied_pct)}%`}</strong>
              <span class="muted small block">{t('surveys.csatCounts', { mean: num(s.csat.mean), total: s.csat.responses })}</span></dd></div>
            <div><dt>CES</dt><dd><strong class="kpi-num" data-testid="ces-score">{s.ces.mean === null ? t('common.none') : num(s.ces.mean)}</strong>
              <span class="muted small block">{t('surveys.cesCounts', { easy: s.ces.easy_pct === null ? t('common.none') : `${fmtNumber(s.ces.easy_pct)}%`, total: s.ces.responses })}</span></dd></div>
          </dl>
        )}
      </section>
      <div class={edit ? 'grid-2 grid-timeline' : ''}>
        <section class="card" aria-labelledby="h-surveys">
          <div class="card-head">
            <h2 id="h-surveys">{t('surveys.responses')}</h2>
            <label class="field field-inline"><span>{t('surveys.type')}</span>
              <select value={type} data-testid="survey-filter" onChange={(e) => { setPages(1); setType((e.currentTarget as HTMLSelectElement).value as SurveyType | ''); }}>
                <option value="">{t('common.all')}</option>
                {(['nps', 'csat', 'ces'] as SurveyType[]).map((x) => <option value={x}>{t(`survey.${x}` as Key)}</option>)}
              </select>
            </label>
          </div>
          {state.error ? <ErrorBox error={state.error} retry={state.reload} />
            : !state.data ? <Loading />
            : state.data.data.length === 0 ? <p class="state state-empty">{t('surveys.empty')}</p>
            : (
              <>
                <div class="table-wrap">
                  <table class="table compact" data-testid="survey-table">
                    <thead><tr><th scope="col">{t('surveys.answeredAt')}</th><th scope="col">{t('surveys.type')}</th><th scope="col" class="num">{t('surveys.score')}</th><th scope="col">{t('surveys.contact')}</th><th scope="col">{t('surveys.comment')}</th></tr></thead>
                    <tbody>
                      {state.data.data.map((r) => (
                        <tr data-testid="survey-row">
                          <td>{fmtDate(r.answered_at.slice(0, 10))}</td>
                          <td><span class="tag">{r.type.toUpperCase()}</span></td>
                          <td class="num"><span class={`score ${scoreClass(r)}`}>{r.score}</span><span class="muted small"> / {SCALE[r.type][1]}</span></td>
                          <td>{r.contact_id === null ? <span class="muted">{t('surveys.anonymous')}</span> : cname.get(r.contact_id) ?? `#${r.contact_id}`}</td>
                          <td class="pre">{r.comment ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {state.data.next && <button type="button" class="btn more" onClick={() => setPages(pages + 1)}>{t('timeline.more')}</button>}
              </>
            )}
        </section>
        {edit && <AddSurvey account={account} contacts={contacts} onAdded={() => state.reload()} />}
      </div>
    </div>
  );
}

function scoreClass(r: SurveyResponse) {
  if (r.type === 'nps') return r.score >= 9 ? 'score-good' : r.score <= 6 ? 'score-bad' : 'score-mid';
  if (r.type === 'csat') return r.score >= 4 ? 'score-good' : r.score <= 2 ? 'score-bad' : 'score-mid';
  return r.score >= 5 ? 'score-good' : r.score <= 3 ? 'score-bad' : 'score-mid';
}

function AddSurvey({ account, contacts, onAdded }: { account: Account; contacts: Contact[]; onAdded: () => void }) {
  const [type, setType] = useState<SurveyType>('nps');
  const [score, setScore] = useState('');
  const [contact, setContact] = useState('');
  const [comment, setComment] = useState('');
  const [when, setWhen] = useState(localNow());
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [lo, hi] = SCALE[type];
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    try {
      const d = new Date(when);
      await api.post(`/api/v1/accounts/${account.id}/survey-responses`, {
        type, score: Number(score), contact_id: contact ? Number(contact) : null, comment: comment.trim() || null,
        answered_at: Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      setScore(''); setComment(''); toast(t('surveys.added'));
      onAdded();
    } catch (e2) { setErr(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="h-survey-add">
      <h2 id="h-survey-add">{t('surveys.add')}</h2>
      <form class="form" onSubmit={submit} data-testid="survey-form">
        <label class="field"><span>{t('surveys.type')}</span>
          <select value={type} data-testid="survey-type" onChange={(e) => { setType((e.currentTarget as HTMLSelectElement).value as SurveyType); setScore(''); }}>
            {(['nps', 'csat', 'ces'] as SurveyType[]).map((x) => <option value={x}>{t(`survey.${x}` as Key)}</option>)}
          </select>
        </label>
        <label class="field"><span>{t('surveys.scoreRange', { lo, hi })}</span>
          <input type="number" required min={lo} max={hi} step={1} value={score} data-testid="survey-score" onInput={(e) => setScore(val(e))} />
        </label>
        <label class="field"><span>{t('surveys.contact')}</span>
          <select value={contact} data-testid="survey-contact" onChange={(e) => setContact((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t('surveys.anonymous')}</option>
            {contacts.map((c) => <option value={String(c.id)}>{c.name}{c.title ? ` (${c.title})` : ''}</option>)}
          </select>
        </label>
        <label class="field"><span>{t('surveys.answeredAt')}</span>
          <input type="datetime-local" value={when} onInput={(e) => setWhen(val(e))} />
        </label>
        <label class="field"><span>{t('surveys.comment')}</span>
          <textarea rows={3} maxLength={2000} value={comment} data-testid="survey-comment" onInput={(e) => setComment((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        {err && <p class="form-error" role="alert">{err}</p>}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy} data-testid="survey-submit">{t('common.add')}</button></div>
      </form>
    </section>
  );
}
