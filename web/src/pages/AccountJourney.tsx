// Account 360 → Journey (docs/journey.md): the current phase with days in phase against the
// expected days and the overdue / twice-overdue signal, TTV, the phase history as a timeline
// (days spent, how each move happened), the milestones of every phase with their state and
// who or what completed them, manual complete / reopen, and a manual phase move with a reason.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Account, Journey, JourneyMilestone, Criterion } from '../api';
import { ErrorBox, Loading, toast, useAsync, useMe } from '../components';
import { fmtDate, fmtDateTime, fmtNumber, fmtPercent } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { label } from './AccountHealth';

export function criterionText(c: Criterion | null): string {
  if (!c) return t('crit.manual');
  switch (c.type) {
    case 'event_count': return c.within_days
      ? t('crit.eventWithin', { event: c.event, n: c.count ?? 1, d: c.within_days })
      : t('crit.event', { event: c.event, n: c.count ?? 1 });
    case 'active_users': return c.seat_share !== undefined && c.seat_share !== null
      ? t('crit.seatShare', { p: fmtPercent(c.seat_share) }) : t('crit.activeUsers', { n: c.count ?? 0 });
    case 'survey_answered': return t('crit.survey', { s: c.survey.toUpperCase() });
    case 'subscription': return t(c.condition === 'renewed' ? 'crit.renewed' : 'crit.grew');
    default: return JSON.stringify(c);
  }
}

export function canWrite(me: { id: number; role: string }, a: Account) {
  return me.role === 'admin' || (me.role === 'csm' && (a.owner_id === null || a.owner_id === me.id));
}

export function JourneyTab({ account, onAccount }: { account: Account; onAccount: () => void }) {
  const me = useMe();
  const j = useAsync(() => api.get<Journey>(`/api/v1/accounts/${account.id}/journey`), [account.id]);
  const edit = canWrite(me, account);
  if (j.error) return <ErrorBox error={j.error} retry={j.reload} />;
  if (!j.data) return <Loading />;
  const d = j.data;
  const set = (nj: Journey) => { j.set(nj); if (nj.phase.key !== account.phase) onAccount(); };
  const pct = d.expected_days ? Math.min(100, (d.days_in_phase / d.expected_days) * 100) : null;
  return (
    <div class="stack">
      <div class="grid-2">
        <section class="card" aria-labelledby="h-phase" data-testid="journey-current">
          <h2 id="h-phase">{t('journey.current')}</h2>
          <p class="phase-now"><span class={`tag phase-${d.phase.key}`}>{label(d.phase)}</span>
            {d.overdue_2x ? <span class="pill pill-red" data-testid="overdue">◆ {t('journey.overdue2x')}</span>
              : d.overdue ? <span class="pill pill-yellow" data-testid="overdue">▲ {t('journey.overdue')}</span> : null}
          </p>
          <p data-testid="days-in-phase">
            <strong class="kpi-num">{t('unit.days', { n: fmtNumber(d.days_in_phase) })}</strong>{' '}
            {d.expected_days !== null ? t('journey.ofExpected', { n: fmtNumber(d.expected_days) }) : <span class="muted">{t('journey.noExpected')}</span>}
          </p>
          {pct !== null && <span class={`meter meter-wide${d.overdue ? ' meter-over' : ''}`} aria-hidden="true"><span style={{ width: `${pct}%` }} /></span>}
          <p class="muted small">{t('journey.since', { at: fmtDateTime(d.entered_at) })}</p>
          <dl class="infos ttv" data-testid="ttv">
            <div class="info"><dt>{t('journey.ttv')}</dt><dd>{d.ttv.days !== null ? <strong>{t('unit.days', { n: fmtNumber(d.ttv.days) })}</strong> : <span class="muted">{ttvReason(d.ttv.reason)}</span>}</dd></div>
            <div class="info"><dt>{t('journey.contractStart')}</dt><dd>{fmtDate(d.ttv.start_date)}</dd></div>
            <div class="info"><dt>{t('journey.valueReached')}</dt><dd>{fmtDateTime(d.ttv.value_reached_at)}</dd></div>
          </dl>
        </section>
        {edit && <PhaseMove account={account} journey={d} onMoved={set} />}
      </div>
      <section class="card" aria-labelledby="h-history">
        <h2 id="h-history">{t('journey.history')}<span class="count">{d.history.length}</span></h2>
        {d.history.length === 0 ? <p class="state state-empty">{t('journey.noHistory')}</p> : (
          <ol class="phase-tl" data-testid="phase-history">
            {[...d.history].reverse().map((h) => (
              <li class={`phase-step${h.left_at ? '' : ' phase-step-now'}`} data-testid="history-row">
                <div class="phase-step-head">
                  <span class={`tag phase-${h.phase}`}>{label(h)}</span>
                  <strong>{t('unit.days', { n: fmtNumber(h.days_spent) })}</strong>
                  <span class="tag">{t(`moved.${h.moved_by}` as Key)}</span>
                </div>
                <p class="muted small">{fmtDateTime(h.entered_at)} → {h.left_at ? fmtDateTime(h.left_at) : t('journey.now')}</p>
                {(h.user || (h.reason && h.moved_by !== 'milestones' && h.moved_by !== 'initial')) && (
                  <p class="small pre">{h.user ? `${h.user.name}: ` : ''}{h.reason}</p>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
      <section class="card" aria-labelledby="h-ms">
        <h2 id="h-ms">{t('journey.milestones')}</h2>
        <div class="ms-phases" data-testid="milestones">
          {d.phases.filter((p) => !p.terminal).map((p) => (
            <section class={`ms-phase${p.current ? ' ms-current' : ''}`} aria-label={label(p)}>
              <h3 class="h3"><span class={`tag phase-${p.key}`}>{label(p)}</span>
                {p.current && <span class="pill pill-blue">{t('journey.currentShort')}</span>}
                <span class="muted small">{t('journey.required', { done: p.required_complete, total: p.required_total })}</span>
              </h3>
              {p.milestones.length === 0 ? <p class="state state-empty">{t('journey.noMilestones')}</p> : (
                <ul class="ms-list">
                  {p.milestones.map((m) => <Milestone account={account} m={m} edit={edit} onDone={set} />)}
                </ul>
              )}
            </section>
          ))}
        </div>
      </section>
    </div>
  );
}

function ttvReason(r: string | null) {
  if (r === 'no value milestone is configured') return t('ttv.noValueMilestone');
  if (r === 'the value milestone is not complete yet') return t('ttv.notYet');
  if (r === 'the account has no subscription start date') return t('ttv.noStart');
  return r ?? t('common.none');
}

function Milestone({ account, m, edit, onDone }: { account: Account; m: JourneyMilestone; edit: boolean; onDone: (j: Journey) => void }) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const done = m.state === 'complete';
  const act = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const j = await api.post<Journey>(`/api/v1/accounts/${account.id}/milestones/${encodeURIComponent(m.key)}/${done ? 'reopen' : 'complete'}`, note.trim() ? { note: note.trim() } : {});
      onDone(j); setOpen(false); setNote('');
      toast(done ? t('ms.reopened') : t('ms.completed'));
    } catch (e2) { toast(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  return (
    <li class={`ms ms-${m.state}`} data-testid="milestone" data-key={m.key}>
      <span class={`ms-icon${done ? ' checked' : ''}`} aria-hidden="true">{done ? '✓' : m.state === 'reopened' ? '↺' : ''}</span>
      <div class="ms-main">
        <div class="ms-title">
          <strong>{label(m)}</strong>
          <span class="tag" data-testid="ms-state">{t(`msState.${m.state}` as Key)}</span>
          {m.required ? <span class="tag">{t('ms.required')}</span> : <span class="tag">{t('ms.optional')}</span>}
          {m.value && <span class="tag tag-value">★ {t('ms.value')}</span>}
        </div>
        <p class="muted small">{criterionText(m.criterion)}</p>
        {m.completed_at && done && (
          <p class="small">
            {m.completed_by === 'criterion' ? t('ms.byCriterion') : t('ms.byUser', { name: m.user?.name ?? t('common.none') })} · {fmtDateTime(m.completed_at)}
          </p>
        )}
        {m.state === 'reopened' && <p class="small">{t('ms.reopenedBy', { name: m.user?.name ?? t('common.none'), at: fmtDateTime(m.updated_at) })}</p>}
        {m.detail && <p class="small pre ms-detail">{m.detail}</p>}
        {open && (
          <form class="inline-form" onSubmit={act}>
            <label class="field field-grow"><span>{t('ms.note')}</span>
              <input maxLength={2000} value={note} data-testid="ms-note" onInput={(e) => setNote((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="button" class="btn" onClick={() => setOpen(false)}>{t('common.cancel')}</button>
            <button type="submit" class="btn btn-primary" disabled={busy} data-testid="ms-confirm">{done ? t('ms.reopen') : t('ms.complete')}</button>
          </form>
        )}
      </div>
      {edit && !open && (
        <button type="button" class="btn btn-small" data-testid={done ? 'ms-reopen' : 'ms-complete'}
          aria-label={`${done ? t('ms.reopen') : t('ms.complete')}: ${label(m)}`} onClick={() => setOpen(true)}>
          {done ? t('ms.reopen') : t('ms.complete')}
        </button>
      )}
    </li>
  );
}

function PhaseMove({ account, journey, onMoved }: { account: Account; journey: Journey; onMoved: (j: Journey) => void }) {
  const others = journey.phases.filter((p) => p.key !== journey.phase.key);
  const [phase, setPhase] = useState(others[0]?.key ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) { setErr(t('journey.reasonRequired')); return; }
    setBusy(true); setErr(null);
    try {
      await api.post(`/api/v1/accounts/${account.id}/phase`, { phase, reason: reason.trim() });
      onMoved(await api.get<Journey>(`/api/v1/accounts/${account.id}/journey`));
      setReason(''); toast(t('journey.moved'));
    } catch (e2) { setErr(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="h-move">
      <h2 id="h-move">{t('journey.move')}</h2>
      <form class="form" onSubmit={submit} data-testid="phase-move">
        <label class="field"><span>{t('journey.toPhase')}</span>
          <select value={phase} data-testid="move-phase" onChange={(e) => setPhase((e.currentTarget as HTMLSelectElement).value)}>
            {others.map((p) => <option value={p.key}>{label(p)}</option>)}
          </select>
        </label>
        <label class="field"><span>{t('journey.reason')} *</span>
          <textarea rows={3} required maxLength={2000} value={reason} data-testid="move-reason" onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <p class="muted small">{t('journey.moveHelp')}</p>
        {err && <p class="form-error" role="alert">{err}</p>}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy || !phase} data-testid="move-submit">{t('journey.moveSubmit')}</button></div>
      </form>
    </section>
  );
}
