// Settings (admin): the health model (component weights, measure weights and scoring ranges,
// band thresholds; GET/PUT /api/v1/settings/health-model, docs/health.md) with "recompute
// now", and the lifecycle editor (phases, expected days, milestones with required / value /
// criterion; GET/PUT /api/v1/settings/lifecycle, docs/journey.md). A 400 is shown next to the
// field it names; a 409 (a phase accounts are in was removed) above the phases.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { Criterion, HealthModel, Lifecycle, MilestoneDef, PhaseDef } from '../api';
import { ErrorBox, Link, Loading, loadLifecycle, toast, useAsync } from '../components';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';

const LABELS: Record<string, [string, string]> = {
  deployment: ['導入完了度', 'Deployment'],
  milestones_done: ['必須マイルストーン達成率', 'Required milestones complete'],
  onboarding_pace: ['導入期の経過（想定期間比）', 'Time in onboarding vs expected'],
  engagement: ['関係性', 'Engagement'],
  nps: ['担当者のNPS', 'NPS of the contacts'],
  decision_maker_days: ['決裁者との最終接点からの日数', 'Days since the last touch with a decision maker'],
  touches_90d: ['90日間の接点数', 'Touches in 90 days'],
  sentiment: ['CSMの所感', 'CSM sentiment'],
  adoption: ['活用度', 'Adoption'],
  active_user_share: ['アクティブユーザー率（席数比）', 'Active users in 30 days per seat'],
  feature_breadth: ['主要機能の利用幅', 'Key features used in 30 days'],
  active_users_trend: ['アクティブユーザー推移（前30日比）', 'Active users vs the previous 30 days'],
  days_since_seen: ['最終利用からの日数', 'Days since last seen'],
  roi: ['費用対効果', 'ROI'],
  goal_attainment: ['成功計画の目標達成度', 'Success-plan goal attainment'],
};
const lbl = (k: string) => (LABELS[k] ? LABELS[k][lang() === 'ja' ? 0 : 1] : k);
const clone = <T,>(x: T): T => JSON.parse(JSON.stringify(x));
type Err = { field?: string; msg: string } | null;

/** A number input bound to a path, with the server's 400 shown under it when it names it. */
function Num({ label, value, path, err, onValue, step = 'any', testid, srLabel }: {
  srLabel?: boolean; label: string; value: number | null | undefined; path: string; err: Err; onValue: (n: number | null) => void; step?: string; testid?: string;
}) {
  const bad = err?.field === path;
  return (
    <label class="field"><span class={srLabel ? 'sr-only' : undefined}>{label}</span>
      <input type="number" step={step} value={value ?? ''} aria-invalid={bad} data-field={path} data-testid={testid}
        onInput={(e) => { const v = (e.currentTarget as HTMLInputElement).value; onValue(v === '' ? null : Number(v)); }} />
      {bad && <span class="field-error" role="alert" data-testid="field-error">{err!.msg}</span>}
    </label>
  );
}

export function HealthModelSettings() {
  const state = useAsync(() => api.get<HealthModel>('/api/v1/settings/health-model'), []);
  const [m, setM] = useState<HealthModel | null>(null);
  const [err, setErr] = useState<Err>(null);
  const [busy, setBusy] = useState(false);
  const [recomputing, setRecomputing] = useState(false);
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const model = m ?? state.data;
  const edit = (f: (x: HealthModel) => void) => { const x = clone(model); f(x); setM(x); };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    try {
      const saved = await api.put<HealthModel>('/api/v1/settings/health-model', model);
      state.set(saved ?? model); setM(null); toast(t('hm.saved'));
    } catch (e2) {
      const ae = e2 as ApiError;
      setErr({ field: ae.field, msg: ae.message });
      requestAnimationFrame(() => (document.querySelector(`[data-field="${ae.field}"]`) as HTMLElement | null)?.focus());
    } finally { setBusy(false); }
  };
  const recompute = async () => {
    setRecomputing(true);
    try {
      const r = await api.post<Record<string, unknown>>('/api/v1/health/recompute');
      toast(t('hm.recomputed', { n: String((r && (r.accounts ?? r.scored)) ?? '') }));
    } catch (e2) { toast(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setRecomputing(false); }
  };
  const total = Object.values(model.components).reduce((s, c) => s + (c.weight || 0), 0);
  const known = (f?: string) => !!f && (f === 'bands.green' || f === 'bands.red' || f === 'recompute_minutes' || /^components\./.test(f));
  return (
    <form class="stack" onSubmit={save} data-testid="health-model" noValidate>
      <section class="card" aria-labelledby="h-hm">
        <div class="card-head">
          <h2 id="h-hm">{t('settings.healthModel')}</h2>
          <button type="button" class="btn" disabled={recomputing} onClick={recompute} data-testid="recompute">{recomputing ? t('hm.recomputing') : t('hm.recompute')}</button>
        </div>
        <p class="muted small">{t('hm.help')}</p>
        <div class="inline-form">
          <Num label={t('hm.green')} value={model.bands.green} path="bands.green" err={err} step="1" testid="band-green" onValue={(n) => edit((x) => { x.bands.green = n as number; })} />
          <Num label={t('hm.red')} value={model.bands.red} path="bands.red" err={err} step="1" testid="band-red" onValue={(n) => edit((x) => { x.bands.red = n as number; })} />
          <Num label={t('hm.minutes')} value={model.recompute_minutes} path="recompute_minutes" err={err} step="1" onValue={(n) => edit((x) => { x.recompute_minutes = n as number; })} />
        </div>
        {err && !known(err.field) && <p class="form-error" role="alert">{t('common.actionFailed', { msg: err.msg })}</p>}
      </section>
      {Object.entries(model.components).map(([ck, c]) => (
        <section class="card" aria-label={lbl(ck)} data-testid={`hm-${ck}`}>
          <div class="card-head">
            <h3 class="h3"><span class="dear-letter" aria-hidden="true">{LABELS[ck]?.[1][0] ?? ck[0]}</span>{lbl(ck)}</h3>
            <span class="muted small">{total > 0 ? t('hm.share', { p: Math.round(((c.weight || 0) / total) * 100) }) : ''}</span>
          </div>
          <div class="inline-form">
            <Num label={t('hm.componentWeight')} value={c.weight} path={`components.${ck}.weight`} err={err} testid={`w-${ck}`} onValue={(n) => edit((x) => { x.components[ck].weight = n as number; })} />
          </div>
          <div class="table-wrap">
            <table class="table compact settings-table">
              <thead><tr><th scope="col">{t('health.measure')}</th><th scope="col">{t('health.weight')}</th><th scope="col">{t('hm.worst')}</th><th scope="col">{t('hm.best')}</th></tr></thead>
              <tbody>
                {Object.entries(c.measures).map(([mk, ms]) => (
                  <tr>
                    <th scope="row">{lbl(mk)}<span class="muted small block"><code>{mk}</code></span></th>
                    {(['weight', 'worst', 'best'] as const).map((f) => (
                      <td><Num srLabel label={`${lbl(mk)}: ${t(f === 'weight' ? 'health.weight' : f === 'worst' ? 'hm.worst' : 'hm.best')}`} value={ms[f]} path={`components.${ck}.measures.${mk}.${f}`} err={err}
                        testid={`${mk}-${f}`} onValue={(n) => edit((x) => { x.components[ck].measures[mk][f] = n as number; })} /></td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <BandPreview model={model} edited={!!m} onError={(e) => setErr(e)} />
      <div class="actions sticky-actions">
        {m && <button type="button" class="btn" onClick={() => { setM(null); setErr(null); }}>{t('common.cancel')}</button>}
        <button type="submit" class="btn btn-primary" disabled={busy || !m} data-testid="hm-save">{busy ? t('common.saving') : t('common.save')}</button>
      </div>
    </form>
  );
}

/* ------------------------------------------------------------ preview */

type Band = 'green' | 'yellow' | 'red';
type BandCounts = Record<Band | 'none', number>;
interface Preview {
  accounts: number; changed: number; current: BandCounts; proposed: BandCounts;
  moves: { from: Band | null; to: Band | null; accounts: number }[];
  examples: { account_id: number; name: string | null; from_score: number | null; to_score: number | null; from_band: Band | null; to_band: Band | null }[];
}
const bandName = (b: Band | null) => t(`band.${b ?? 'none'}` as Key);
const score = (n: number | null) => (n === null ? t('common.none') : String(n));

/** POST /settings/health-model/preview: the bands under the saved model and under the edits. */
function BandPreview({ model, edited, onError }: { model: HealthModel; edited: boolean; onError: (e: Err) => void }) {
  const [p, setP] = useState<{ for: string; data: Preview } | null>(null);
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(model);
  const run = async () => {
    setBusy(true); onError(null);
    try {
      setP({ for: key, data: (await api.post<Preview>('/api/v1/settings/health-model/preview', model))! });
    } catch (e) {
      const ae = e as ApiError;
      onError({ field: ae.field, msg: ae.message });
    } finally { setBusy(false); }
  };
  const d = p?.data;
  const fmt = new Intl.NumberFormat(lang() === 'ja' ? 'ja-JP' : 'en-US', { signDisplay: 'exceptZero' });
  return (
    <section class="card" aria-labelledby="h-hmp" data-testid="hm-preview">
      <div class="card-head">
        <h2 id="h-hmp">{t('hmp.title')}</h2>
        <button type="button" class="btn" disabled={busy || !edited} onClick={run} data-testid="hm-preview-run">{busy ? t('hmp.running') : t('hmp.run')}</button>
      </div>
      <p class="muted small">{t('hmp.help')}</p>
      {d && p.for !== key && <p class="muted small" role="status">{t('hmp.stale')}</p>}
      {d && (
        <div class="stack" aria-live="polite">
          <p data-testid="hm-preview-summary">{t('hmp.summary', { changed: d.changed, n: d.accounts })}</p>
          <div class="table-wrap">
            <table class="table compact" aria-label={t('hmp.table')}>
              <thead><tr><th scope="col">{t('hmp.band')}</th><th scope="col" class="num">{t('hmp.now')}</th><th scope="col" class="num">{t('hmp.then')}</th><th scope="col" class="num">{t('hmp.diff')}</th></tr></thead>
              <tbody>
                {(['green', 'yellow', 'red', 'none'] as const).map((b) => (
                  <tr data-testid={`hm-preview-${b}`}>
                    <th scope="row"><span class={b === 'none' ? 'badge badge-none' : `badge band-${b}`}>{t(`band.${b}` as Key)}</span></th>
                    <td class="num">{d.current[b]}</td><td class="num">{d.proposed[b]}</td>
                    <td class="num">{fmt.format(d.proposed[b] - d.current[b])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {d.moves.length > 0 && (
            <div><h3 class="h3">{t('hmp.moves')}</h3>
              <ul>{d.moves.map((mv) => <li>{t('hmp.move', { from: bandName(mv.from), to: bandName(mv.to), n: mv.accounts })}</li>)}</ul></div>
          )}
          {d.examples.length === 0 ? <p class="muted">{t('hmp.noChange')}</p> : (
            <div class="table-wrap">
              <table class="table compact" aria-label={t('hmp.examples')}>
                <caption class="h3">{t('hmp.examples')}</caption>
                <thead><tr><th scope="col">{t('hmp.account')}</th><th scope="col">{t('hmp.band')}</th><th scope="col">{t('hmp.score')}</th></tr></thead>
                <tbody>
                  {d.examples.map((e) => (
                    <tr>
                      <th scope="row"><Link href={`/accounts/${e.account_id}`}>{e.name ?? `#${e.account_id}`}</Link></th>
                      <td>{t('hmp.example', { from: bandName(e.from_band), to: bandName(e.to_band) })}</td>
                      <td>{t('hmp.example', { from: score(e.from_score), to: score(e.to_score) })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/* ------------------------------------------------------------ lifecycle */

const CRIT_TYPES = ['', 'event_count', 'active_users', 'survey_answered', 'subscription'] as const;

function defaultCriterion(type: string): Criterion | null {
  switch (type) {
    case 'event_count': return { type: 'event_count', event: '', count: 1 };
    case 'active_users': return { type: 'active_users', seat_share: 0.3 };
    case 'survey_answered': return { type: 'survey_answered', survey: 'nps' };
    case 'subscription': return { type: 'subscription', condition: 'renewed' };
    default: return null;
  }
}

export function LifecycleSettings() {
  const state = useAsync(() => api.get<Lifecycle>('/api/v1/settings/lifecycle'), []);
  const [lc, setLc] = useState<Lifecycle | null>(null);
  const [err, setErr] = useState<Err>(null);
  const [busy, setBusy] = useState(false);
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const cur = lc ?? state.data;
  const edit = (f: (x: Lifecycle) => void) => { const x = clone(cur); f(x); setLc(x); };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    try {
      const saved = await api.put<Lifecycle>('/api/v1/settings/lifecycle', cur);
      state.set(saved ?? cur); setLc(null); loadLifecycle(true).catch(() => {}); toast(t('lc.saved'));
    } catch (e2) {
      const ae = e2 as ApiError;
      setErr({ field: ae.status === 409 ? 'phases' : ae.field, msg: ae.status === 409 ? t('lc.inUse', { msg: ae.message }) : ae.message });
      requestAnimationFrame(() => (document.querySelector(`[data-field="${ae.status === 409 ? 'phases' : ae.field}"]`) as HTMLElement | null)?.focus());
    } finally { setBusy(false); }
  };
  const fe = (path: string) => (err?.field === path ? <span class="field-error" role="alert" data-testid="field-error">{err.msg}</span> : null);
  const text = (label: string, value: string, path: string, on: (v: string) => void, testid?: string) => (
    <label class="field"><span>{label}</span>
      <input value={value} aria-invalid={err?.field === path} data-field={path} data-testid={testid} onInput={(e) => on((e.currentTarget as HTMLInputElement).value)} />{fe(path)}
    </label>
  );
  const matched = (f?: string) => !!f && !!document.querySelector(`[data-field="${f}"]`);
  return (
    <form class="stack" onSubmit={save} data-testid="lifecycle" noValidate>
      <section class="card">
        <h2>{t('settings.lifecycle')}</h2>
        <p class="muted small">{t('lc.help')}</p>
        <div tabIndex={-1} data-field="phases">{fe('phases') && <p class="form-error" role="alert" data-testid="lc-error">{err!.msg}</p>}</div>
        {err && err.field !== 'phases' && !matched(err.field) && <p class="form-error" role="alert" data-testid="lc-error">{t('common.actionFailed', { msg: `${err.field ?? ''} ${err.msg}` })}</p>}
      </section>
      {cur.phases.map((p: PhaseDef, i) => {
        const pp = `phases[${i}]`;
        return (
          <section class="card lc-phase" aria-label={`${t('lc.phase')} ${i + 1}: ${lang() === 'ja' ? p.label_ja : p.label_en}`} data-testid="lc-phase">
            <div class="card-head">
              <h3 class="h3"><span class={`tag phase-${p.key}`}>{lang() === 'ja' ? p.label_ja : p.label_en}</span>{p.terminal && <span class="tag">{t('lc.terminal')}</span>}</h3>
              {!p.terminal && cur.phases.filter((x) => !x.terminal).length > 1 && (
                <button type="button" class="btn btn-small btn-danger" data-testid="lc-remove-phase" aria-label={`${t('lc.removePhase')}: ${p.key}`} onClick={() => edit((x) => { x.phases.splice(i, 1); })}>{t('lc.removePhase')}</button>
              )}
            </div>
            <div class="form-row">
              {text(t('lc.key'), p.key, `${pp}.key`, (v) => edit((x) => { x.phases[i].key = v; }))}
              {text(t('lc.labelJa'), p.label_ja, `${pp}.label_ja`, (v) => edit((x) => { x.phases[i].label_ja = v; }), `lc-label-ja-${i}`)}
              {text(t('lc.labelEn'), p.label_en, `${pp}.label_en`, (v) => edit((x) => { x.phases[i].label_en = v; }))}
              {!p.terminal && <Num label={t('lc.expected')} value={p.expected_days} path={`${pp}.expected_days`} err={err} step="1" testid={`lc-expected-${i}`} onValue={(n) => edit((x) => { x.phases[i].expected_days = n; })} />}
            </div>
            {!p.terminal && (
              <>
                <h4 class="h4">{t('journey.milestones')}</h4>
                <ul class="ms-list">
                  {p.milestones.map((ms: MilestoneDef, j) => {
                    const mp = `${pp}.milestones[${j}]`;
                    const c = ms.criterion;
                    const setC = (f: (c: any) => void) => edit((x) => { f(x.phases[i].milestones[j].criterion); });
                    return (
                      <li class="lc-ms" data-testid="lc-milestone">
                        <div class="form-row">
                          {text(t('lc.key'), ms.key, `${mp}.key`, (v) => edit((x) => { x.phases[i].milestones[j].key = v; }))}
                          {text(t('lc.labelJa'), ms.label_ja, `${mp}.label_ja`, (v) => edit((x) => { x.phases[i].milestones[j].label_ja = v; }))}
                          {text(t('lc.labelEn'), ms.label_en, `${mp}.label_en`, (v) => edit((x) => { x.phases[i].milestones[j].label_en = v; }))}
                        </div>
                        <div class="inline-form">
                          <label class="check-opt"><input type="checkbox" checked={ms.required} onChange={(e) => edit((x) => { x.phases[i].milestones[j].required = (e.currentTarget as HTMLInputElement).checked; })} />{t('ms.required')}</label>
                          <label class="check-opt"><input type="checkbox" checked={ms.value} data-field={`${mp}.value`} onChange={(e) => edit((x) => { x.phases[i].milestones[j].value = (e.currentTarget as HTMLInputElement).checked; })} />{t('ms.value')}</label>
                          {fe(`${mp}.value`)}
                          <label class="field"><span>{t('lc.criterion')}</span>
                            <select value={c?.type ?? ''} data-field={`${mp}.criterion`} onChange={(e) => edit((x) => { x.phases[i].milestones[j].criterion = defaultCriterion((e.currentTarget as HTMLSelectElement).value); })}>
                              {CRIT_TYPES.map((ct) => <option value={ct}>{t(`lc.crit.${ct || 'manual'}` as Key)}</option>)}
                            </select>{fe(`${mp}.criterion`)}
                          </label>
                          {c?.type === 'event_count' && (
                            <>
                              {text(t('lc.event'), c.event, `${mp}.criterion.event`, (v) => setC((cc) => { cc.event = v; }))}
                              <Num label={t('lc.count')} value={c.count} path={`${mp}.criterion.count`} err={err} step="1" onValue={(n) => setC((cc) => { cc.count = n ?? undefined; })} />
                              <Num label={t('lc.within')} value={c.within_days} path={`${mp}.criterion.within_days`} err={err} step="1" onValue={(n) => setC((cc) => { if (n === null) delete cc.within_days; else cc.within_days = n; })} />
                            </>
                          )}
                          {c?.type === 'active_users' && (
                            <>
                              <Num label={t('lc.seatShare')} value={c.seat_share} path={`${mp}.criterion.seat_share`} err={err} onValue={(n) => setC((cc) => { if (n === null) delete cc.seat_share; else { cc.seat_share = n; delete cc.count; } })} />
                              <Num label={t('lc.users')} value={c.count} path={`${mp}.criterion.count`} err={err} step="1" onValue={(n) => setC((cc) => { if (n === null) delete cc.count; else { cc.count = n; delete cc.seat_share; } })} />
                            </>
                          )}
                          {c?.type === 'survey_answered' && (
                            <label class="field"><span>{t('surveys.type')}</span>
                              <select value={c.survey} onChange={(e) => setC((cc) => { cc.survey = (e.currentTarget as HTMLSelectElement).value; })}>
                                {['nps', 'csat', 'ces'].map((s) => <option value={s}>{s.toUpperCase()}</option>)}
                              </select>
                            </label>
                          )}
                          {c?.type === 'subscription' && (
                            <label class="field"><span>{t('lc.condition')}</span>
                              <select value={c.condition} onChange={(e) => setC((cc) => { cc.condition = (e.currentTarget as HTMLSelectElement).value; })}>
                                <option value="renewed">{t('crit.renewed')}</option><option value="grew">{t('crit.grew')}</option>
                              </select>
                            </label>
                          )}
                          <button type="button" class="btn btn-small btn-danger" aria-label={`${t('lc.removeMilestone')}: ${ms.key}`} onClick={() => edit((x) => { x.phases[i].milestones.splice(j, 1); })}>{t('lc.removeMilestone')}</button>
                        </div>
                      </li>
                    );
                  })}
                </ul>
                <button type="button" class="btn btn-small" data-testid="lc-add-milestone" onClick={() => edit((x) => { x.phases[i].milestones.push({ key: '', label_ja: '', label_en: '', required: true, value: false, criterion: null }); })}>+ {t('lc.addMilestone')}</button>
              </>
            )}
          </section>
        );
      })}
      <div class="actions sticky-actions">
        <button type="button" class="btn" data-testid="lc-add-phase" onClick={() => edit((x) => { x.phases.splice(x.phases.length - 1, 0, { key: '', label_ja: '', label_en: '', terminal: false, expected_days: null, milestones: [] }); })}>+ {t('lc.addPhase')}</button>
        {lc && <button type="button" class="btn" onClick={() => { setLc(null); setErr(null); }}>{t('common.cancel')}</button>}
        <button type="submit" class="btn btn-primary" disabled={busy || !lc} data-testid="lc-save">{busy ? t('common.saving') : t('common.save')}</button>
      </div>
    </form>
  );
}
