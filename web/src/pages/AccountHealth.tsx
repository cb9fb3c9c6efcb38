// Account 360 → Overview: the health score with its band, a 90-day sparkline (inline SVG, no
// chart library), the 7/30-day change, the DEAR breakdown that explains the score (every
// measure's raw input, sub-score, weight and contribution; measures without data named and
// marked as not counted), and the CSM sentiment, editable by csm/admin (docs/health.md,
// docs/success.md).
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Account, Health, HealthDay, HealthMeasure } from '../api';
import { ErrorBox, HealthBadge, Loading, toast, useAsync, useMe, useUserName } from '../components';
import { addDaysISO, fmtDateTime, fmtNumber, fmtPercent, todayISO } from '../format';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';

export const label = (x: { label_ja: string; label_en: string }) => (lang() === 'ja' ? x.label_ja : x.label_en);

const REASONS: Record<string, Key> = {
  'no required milestones up to the current phase': 'reason.noMilestones',
  'not in onboarding': 'reason.notOnboarding',
  'onboarding has no expected duration': 'reason.noExpected',
  "no NPS answer from the account's contacts in 365 days": 'reason.noNps',
  'no decision maker among the contacts': 'reason.noDecisionMaker',
  'no CSM sentiment set': 'reason.noSentiment',
  'no product usage tracked': 'reason.noUsage',
  'no seats in the subscription': 'reason.noSeats',
  'no key events configured': 'reason.noKeyEvents',
  'no active users in the previous 30 days to compare': 'reason.noPrevUsers',
  'no success-plan goal with a measured value': 'reason.noGoal',
};
/** A server reason (English) in the UI language when it is a known one. */
export const reasonText = (r: string | null) => (r ? (REASONS[r] ? t(REASONS[r]) : r) : t('common.none'));

const n1 = (x: number) => fmtNumber(x, { maximumFractionDigits: 1 });

/** A measure's raw input in its unit: share as %, days, count, NPS, rating. */
export function fmtRaw(m: Pick<HealthMeasure, 'unit'>, v: number | null): string {
  if (v === null || v === undefined) return t('common.none');
  switch (m.unit) {
    case 'share': return fmtPercent(v);
    case 'ratio': return t('unit.ratio', { n: fmtNumber(v, { maximumFractionDigits: 2 }) });
    case 'days': return t('unit.days', { n: fmtNumber(v, { maximumFractionDigits: 0 }) });
    case 'count': return fmtNumber(v, { maximumFractionDigits: 0 });
    case 'nps': return `${v > 0 ? '+' : ''}${n1(v)}`;
    case 'rating': return t('unit.rating', { n: n1(v) });
    default: return n1(v);
  }
}

function signed(x: number | null): string {
  if (x === null || x === undefined) return t('common.none');
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${fmtNumber(Math.abs(x), { maximumFractionDigits: 1 })}`;
}

/** A 90-day line of the daily scores as an SVG with the band thresholds; a text alternative. */
export function Sparkline({ days, bands }: { days: HealthDay[]; bands: { green: number; red: number } }) {
  const W = 280, H = 64, P = 5;
  const from = addDaysISO(todayISO(), -89);
  const x = (d: string) => P + ((Date.parse(`${d}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / (89 * 86400000)) * (W - 2 * P);
  const y = (s: number) => P + (1 - s / 100) * (H - 2 * P);
  const pts = days.filter((d) => d.score !== null);
  const path = pts.map((d, i) => `${i ? 'L' : 'M'}${x(d.day).toFixed(1)},${y(d.score!).toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1];
  const min = pts.length ? Math.min(...pts.map((d) => d.score!)) : null;
  const max = pts.length ? Math.max(...pts.map((d) => d.score!)) : null;
  const desc = pts.length
    ? t('health.sparkDesc', { n: pts.length, min: min!, max: max!, last: last.score! })
    : t('health.noHistory');
  return (
    <figure class="spark" data-testid="health-sparkline">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label={`${t('health.trend90')}: ${desc}`} preserveAspectRatio="none">
        <rect x="0" y={y(100)} width={W} height={y(bands.green) - y(100)} class="spark-green" />
        <rect x="0" y={y(bands.red)} width={W} height={y(0) - y(bands.red)} class="spark-red" />
        {pts.length > 1 && <path d={path} class="spark-line" fill="none" />}
        {last && <path d={`M${x(last.day).toFixed(1)},${y(last.score!).toFixed(1)} l0,0`} class="spark-dot" />}
      </svg>
      <figcaption class="muted small">{t('health.trend90')} · {desc}</figcaption>
    </figure>
  );
}

export function HealthCard({ account }: { account: Account }) {
  const health = useAsync(() => api.get<Health>(`/api/v1/accounts/${account.id}/health`), [account.id, account.updated_at, JSON.stringify(account.sentiment ?? null)]);
  const hist = useAsync(() => api.get<{ data: HealthDay[] }>(`/api/v1/accounts/${account.id}/health/history?from=${addDaysISO(todayISO(), -89)}`).then((r) => r.data), [account.id]);
  const h = health.data;
  return (
    <section class="card health-card" aria-labelledby="h-health" data-testid="health-card">
      <h2 id="h-health">{t('account.health')}</h2>
      {health.error ? <ErrorBox error={health.error} retry={health.reload} />
        : !h ? <Loading />
        : (
          <>
            <div class="health-top">
              <div class="health-score">
                <HealthBadge account={{ health: h.score, band: h.band }} large testid="health-card-score" />
                <p class="muted small">{t('health.bands', { green: h.bands.green, red: h.bands.red })}</p>
                <dl class="kpis health-change">
                  <div><dt>{t('health.change7')}</dt><dd data-testid="change-7d">{signed(h.change_7d)}</dd></div>
                  <div><dt>{t('health.change30')}</dt><dd data-testid="change-30d">{signed(h.change_30d)}</dd></div>
                </dl>
              </div>
              <div class="health-spark">
                {hist.error ? <ErrorBox error={hist.error} retry={hist.reload} />
                  : !hist.data ? <Loading />
                  : <Sparkline days={hist.data} bands={h.bands} />}
              </div>
            </div>
            <Dear health={h} />
            <p class="muted small">{t('health.computed', { at: fmtDateTime(h.computed_at), model: h.model === 'base' ? t('health.modelBase') : h.model })}</p>
          </>
        )}
    </section>
  );
}

function Dear({ health: h }: { health: Health }) {
  return (
    <div class="dear" data-testid="dear">
      <h3 class="h3">{t('health.dear')}</h3>
      {h.score === null && <p class="notice">{t('health.noScore')}</p>}
      {h.renormalised && <p class="notice notice-warn small" data-testid="renormalised">{t('health.renormalisedNote')}</p>}
      {h.components.map((c) => (
        <section class={`dear-comp${c.has_data ? '' : ' dear-off'}`} aria-label={label(c)} data-testid={`dear-${c.key}`}>
          <div class="dear-head">
            <strong class="dear-name"><span class="dear-letter" aria-hidden="true">{c.label_en[0]}</span>{label(c)}</strong>
            {c.has_data ? (
              <span class="dear-figs">
                <span>{t('health.score')} <strong>{n1(c.score!)}</strong></span>
                <span>{t('health.weight')} {fmtNumber(c.weight)} ({fmtPercent(c.effective_weight)})</span>
                <span>{t('health.contribution')} <strong>{t('unit.points', { n: n1(c.contribution) })}</strong></span>
              </span>
            ) : <span class="pill pill-yellow">{t('health.notCounted')}</span>}
          </div>
          {c.has_data && <span class="meter meter-wide" aria-hidden="true"><span style={{ width: `${Math.max(0, Math.min(100, c.score ?? 0))}%` }} /></span>}
          <div class="table-wrap">
            <table class="table compact dear-table">
              <caption class="sr-only">{label(c)}</caption>
              <thead><tr>
                <th scope="col">{t('health.measure')}</th><th scope="col" class="num">{t('health.raw')}</th>
                <th scope="col" class="num">{t('health.sub')}</th><th scope="col" class="num">{t('health.weight')}</th>
                <th scope="col" class="num">{t('health.contribution')}</th>
              </tr></thead>
              <tbody>
                {c.measures.map((m) => (
                  <tr class={m.has_data ? '' : 'row-off'} data-testid="measure" data-key={m.key}>
                    <th scope="row">
                      {label(m)}
                      <span class="muted small block">{t('health.range', { worst: fmtRaw(m, m.range.worst), best: fmtRaw(m, m.range.best) })}</span>
                    </th>
                    {m.has_data ? (
                      <>
                        <td class="num" data-label={t('health.raw')}>{fmtRaw(m, m.value)}</td>
                        <td class="num" data-label={t('health.sub')}>{n1(m.sub_score!)}</td>
                        <td class="num" data-label={t('health.weight')}>{fmtNumber(m.weight)}</td>
                        <td class="num" data-label={t('health.contribution')}>{t('unit.points', { n: n1(m.contribution) })}</td>
                      </>
                    ) : (
                      <td colSpan={4} class="missing" data-testid="missing">
                        <span class="pill pill-yellow">{t('health.notCounted')}</span> {reasonText(m.missing_reason)}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  );
}

/* ------------------------------------------------------------ sentiment */


export function SentimentCard({ account, onChange }: { account: Account; onChange: (a: Account) => void }) {
  const me = useMe();
  const userName = useUserName();
  const s = account.sentiment ?? null;
  const canEdit = me.role === 'admin' || (me.role === 'csm' && (account.owner_id === null || account.owner_id === me.id));
  const [editing, setEditing] = useState(false);
  const [score, setScore] = useState(s?.score ?? 3);
  const [note, setNote] = useState(s?.note ?? '');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    try {
      const a = await api.put<Account>(`/api/v1/accounts/${account.id}/sentiment`, { score, note: note.trim() || null });
      onChange(a); setEditing(false); toast(t('common.saved'));
    } catch (e2) { setErr(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  const clear = async () => {
    setBusy(true); setErr(null);
    try {
      await api.del(`/api/v1/accounts/${account.id}/sentiment`);
      onChange({ ...account, sentiment: null }); setEditing(false); toast(t('sentiment.cleared'));
    } catch (e2) { setErr(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="h-sentiment" data-testid="sentiment">
      <div class="card-head">
        <h2 id="h-sentiment">{t('sentiment.title')}</h2>
        {canEdit && !editing && <button type="button" class="btn btn-small" data-testid="sentiment-edit" onClick={() => { setScore(s?.score ?? 3); setNote(s?.note ?? ''); setEditing(true); }}>{s ? t('common.edit') : t('sentiment.set')}</button>}
      </div>
      {!editing ? (
        s ? (
          <div>
            <p class="sentiment-score"><strong data-testid="sentiment-score">{s.score} / 5</strong> {t(`sentiment.s${s.score}` as Key)}</p>
            {s.note && <p class="pre" data-testid="sentiment-note">{s.note}</p>}
            <p class="muted small">{t('sentiment.by', { name: userName(s.by), at: fmtDateTime(s.at) })}</p>
          </div>
        ) : <p class="state state-empty">{t('sentiment.none')}</p>
      ) : (
        <form class="form" onSubmit={save} data-testid="sentiment-form">
          <fieldset class="seg">
            <legend>{t('sentiment.score')}</legend>
            {[1, 2, 3, 4, 5].map((x) => (
              <label class={`seg-opt${score === x ? ' on' : ''}`}>
                <input type="radio" name="sentiment" value={x} checked={score === x} onChange={() => setScore(x)} />
                {x} <span class="small">{t(`sentiment.s${x}` as Key)}</span>
              </label>
            ))}
          </fieldset>
          <label class="field"><span>{t('sentiment.note')}</span>
            <textarea rows={3} maxLength={2000} value={note} data-testid="sentiment-note-input" onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
          </label>
          {err && <p class="form-error" role="alert">{err}</p>}
          <div class="actions">
            {s && <button type="button" class="btn btn-danger" disabled={busy} onClick={clear}>{t('sentiment.clear')}</button>}
            <button type="button" class="btn" onClick={() => setEditing(false)}>{t('common.cancel')}</button>
            <button type="submit" class="btn btn-primary" disabled={busy} data-testid="sentiment-save">{busy ? t('common.saving') : t('common.save')}</button>
          </div>
        </form>
      )}
    </section>
  );
}

