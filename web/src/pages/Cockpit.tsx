// The cockpit (home): what needs me today, in one request (GET /api/v1/cockpit). My open
// tasks (overdue first; one click completes one), my accounts at risk (the red band, or
// falling fast: 10 points or more in 7 days; the reason in words, not only in colour), my
// renewals within 90 days and recent activity on my accounts, each entry linking to its
// account. Definitions: docs/cockpit.md.
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { Role, Task } from '../api';
import { AsyncList, HealthBadge, Link, PhaseBadge, ShowMore, TierBadge, toast, useAsync, useMe } from '../components';
import { fmtDate, fmtDateTime, fmtMoney, fmtNumber } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';

export interface CockpitTask extends Task { account_name: string; overdue: boolean }
export interface CockpitRisk {
  account_id: number; name: string; tier: string; phase: string; score: number; band: 'green' | 'yellow' | 'red';
  score_7d_ago: number | null; change_7d: number | null; reasons: ('red' | 'falling')[]; falling: boolean;
  weakest_component: { component: 'deployment' | 'engagement' | 'adoption' | 'roi'; score: number } | null;
  arr: number | null; currency: string | null;
}
export interface CockpitRenewal {
  account_id: number; name: string; tier: string; phase: string; renewal_date: string; days_left: number;
  arr: number; mrr: number; currency: string; status: 'trial' | 'active'; auto_renew: boolean;
  score: number | null; band: 'green' | 'yellow' | 'red' | null;
}
export interface ActivityEntry {
  id: number; account_id: number; account_name: string; type: string; author_id: number | null;
  author_name: string | null; occurred_at: string; summary: string; created_at: string;
}
export interface CockpitData {
  user: { id: number; name: string; role: Role };
  date: string;
  counts: { accounts: number; tasks_open: number; tasks_overdue: number; tasks_due_today: number; at_risk: number; red: number; falling: number; renewals: number };
  tasks: CockpitTask[];
  at_risk: CockpitRisk[];
  renewals: CockpitRenewal[];
  activity: ActivityEntry[];
}

/** Every list holds at most this many items; counts give the totals. */
const LIMIT = 200;

type Slice<T> = { data?: T[]; error?: unknown; loading: boolean; reload: () => void };

export function Cockpit() {
  const me = useMe();
  useEffect(() => { document.title = `${t('cockpit.title')} · Kizuna`; });
  const state = useAsync(() => api.get<CockpitData>(`/api/v1/cockpit${qs({ limit: LIMIT })}`), []);
  const d = state.data;
  const slice = <T,>(pick: (c: CockpitData) => T[]): Slice<T> => ({ data: d ? pick(d) : undefined, error: state.error, loading: state.loading, reload: state.reload });

  // A completed task leaves the list and the counts, without reloading the cockpit.
  const completed = (task: CockpitTask) => {
    if (!d) return;
    state.set({
      ...d,
      tasks: d.tasks.filter((x) => x.id !== task.id),
      counts: {
        ...d.counts,
        tasks_open: d.counts.tasks_open - 1,
        tasks_overdue: d.counts.tasks_overdue - (task.overdue ? 1 : 0),
        tasks_due_today: d.counts.tasks_due_today - (task.due_date === d.date ? 1 : 0),
      },
    });
  };

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('cockpit.title')}</h1>
        <p class="muted">{t('cockpit.greeting', { name: me.name })}</p>
        {d && (
          <p class="muted small" data-testid="cockpit-summary">
            {t('cockpit.summary', {
              accounts: fmtNumber(d.counts.accounts), open: fmtNumber(d.counts.tasks_open), overdue: fmtNumber(d.counts.tasks_overdue),
              risk: fmtNumber(d.counts.at_risk), renewals: fmtNumber(d.counts.renewals),
            })}
          </p>
        )}
      </div>
      <div class="cockpit-grid">
        <div class="stack">
          <MyTasks state={slice((c) => c.tasks)} total={d?.counts.tasks_open} today={d?.date ?? ''} onDone={completed} />
          <Activity state={slice((c) => c.activity)} />
        </div>
        <div class="stack">
          <AtRisk state={slice((c) => c.at_risk)} total={d?.counts.at_risk} />
          <Renewals state={slice((c) => c.renewals)} total={d?.counts.renewals} />
        </div>
      </div>
    </section>
  );
}

const TASKS_SHOWN = 8;

function MyTasks({ state, total, today, onDone }: { state: Slice<CockpitTask>; total?: number; today: string; onDone: (t: CockpitTask) => void }) {
  const [showAll, setShowAll] = useState(false);
  const [busy, setBusy] = useState<number | null>(null);

  const complete = async (task: CockpitTask) => {
    setBusy(task.id);
    try {
      await api.patch(`/api/v1/tasks/${task.id}`, { status: 'done' });
      onDone(task);
      toast(t('cockpit.completed', { title: task.title }));
    } catch (e) {
      toast(t('common.actionFailed', { msg: (e as Error).message }));
    } finally {
      setBusy(null);
    }
  };

  // The API orders them: overdue first, then by due date, undated last.
  return (
    <section class="card card-tasks" aria-labelledby="h-tasks">
      <h2 id="h-tasks">{t('cockpit.tasks')}{total !== undefined ? <span class="count">{fmtNumber(total)}</span> : null}</h2>
      <AsyncList state={state} empty={t('cockpit.tasksEmpty')}>
        {(all) => {
          const items = showAll ? all : all.slice(0, TASKS_SHOWN);
          return (<>
          <ul class="tasklist" data-testid="my-tasks">
            {items.map((task) => {
              const dueToday = task.due_date === today;
              return (
                <li key={task.id} class={`task${task.overdue ? ' task-overdue' : ''}`} data-testid="task-row">
                  <button type="button" class="check" aria-label={t('cockpit.complete', { title: task.title })}
                    disabled={busy === task.id} onClick={() => complete(task)} data-testid="task-complete">
                    <span aria-hidden="true">✓</span>
                  </button>
                  <div class="task-main">
                    <span class="task-title">{task.title}</span>
                    <span class="task-meta">
                      <Link href={`/accounts/${task.account_id}`}>{task.account_name}</Link>
                      <span class="tag">{t(`task.${task.type}` as Key)}</span>
                    </span>
                  </div>
                  <div class="task-due">
                    {task.overdue && <span class="pill pill-red">{t('cockpit.overdue')}</span>}
                    {dueToday && <span class="pill pill-yellow">{t('cockpit.dueToday')}</span>}
                    <span class="muted">{task.due_date ? fmtDate(task.due_date) : t('cockpit.noDue')}</span>
                  </div>
                </li>
              );
            })}
          </ul>
          {all.length > TASKS_SHOWN && (
            <button type="button" class="btn more" onClick={() => setShowAll(!showAll)} aria-expanded={showAll} data-testid="tasks-more">
              {showAll ? t('cockpit.showFewer') : t('cockpit.showAll', { n: all.length })}
            </button>
          )}
          {total !== undefined && total > all.length && showAll && (
            <p class="muted small">{t('cockpit.tasksCapped', { shown: fmtNumber(all.length), total: fmtNumber(total) })}</p>
          )}
          </>);
        }}
      </AsyncList>
    </section>
  );
}

/** My accounts in the red band or falling fast, lowest score first, each with its reasons. */
function AtRisk({ state, total }: { state: Slice<CockpitRisk>; total?: number }) {
  const SHOWN = 10;
  return (
    <section class="card" aria-labelledby="h-risk">
      <h2 id="h-risk">{t('cockpit.atRisk')}{total !== undefined ? <span class="count">{fmtNumber(total)}</span> : null}</h2>
      <AsyncList state={state} empty={t('cockpit.atRiskEmpty')}>
        {(risky) => (
          <>
            <ul class="rows" data-testid="at-risk">
              {risky.slice(0, SHOWN).map((r) => (
                <li key={r.account_id} class="row" data-testid="risk-row">
                  <div class="row-main">
                    <Link href={`/accounts/${r.account_id}`}>{r.name}</Link>
                    <span class="row-sub">
                      {r.reasons.map((why) => (
                        <span key={why} class={`pill ${why === 'red' ? 'pill-red' : 'pill-yellow'}`} data-testid="risk-reason">
                          {why === 'red' ? t('cockpit.reasonRed') : `${t('cockpit.reasonFalling')} ↓`}
                        </span>
                      ))}
                      <PhaseBadge phase={r.phase} />
                    </span>
                    {r.falling && r.change_7d !== null && r.score_7d_ago !== null && (
                      <span class="muted small">{t('cockpit.fell', { n: fmtNumber(-r.change_7d), from: fmtNumber(r.score_7d_ago) })}</span>
                    )}
                    {r.weakest_component && (
                      <span class="muted small">{t('cockpit.weakest', { component: t(`cockpit.comp.${r.weakest_component.component}` as Key), score: fmtNumber(r.weakest_component.score) })}</span>
                    )}
                  </div>
                  <div class="row-side">
                    <HealthBadge account={{ health: r.score, band: r.band }} />
                    {r.arr !== null && <span class="muted">{fmtMoney(r.arr, r.currency)}</span>}
                  </div>
                </li>
              ))}
            </ul>
            {(total ?? risky.length) > SHOWN && (
              <p class="more"><Link href="/accounts?owner=me&band=red&sort=health">{t('cockpit.allAtRisk', { n: total ?? risky.length })}</Link></p>
            )}
          </>
        )}
      </AsyncList>
    </section>
  );
}

function Renewals({ state, total }: { state: Slice<CockpitRenewal>; total?: number }) {
  return (
    <section class="card" aria-labelledby="h-renewals">
      <h2 id="h-renewals">{t('cockpit.renewals')}{total !== undefined ? <span class="count">{fmtNumber(total)}</span> : null}</h2>
      <AsyncList state={state} empty={t('cockpit.renewalsEmpty')}>
        {(all) => (
          <ShowMore items={all} n={8} label={(n) => t('cockpit.showAllRenewals', { n })} testid="renewals-more">
          {(items) => (
          <ul class="rows" data-testid="renewals">
            {items.map((r) => (
              <li key={r.account_id} class="row">
                <div class="row-main">
                  <Link href={`/accounts/${r.account_id}`}>{r.name}</Link>
                  <span class="row-sub">
                    <TierBadge tier={r.tier} /> <PhaseBadge phase={r.phase} /> <HealthBadge account={{ health: r.score, band: r.band }} hideEmpty />
                    {r.status === 'trial' && <span class="tag">{t('cockpit.trial')}</span>}
                    {!r.auto_renew && <span class="tag">{t('cockpit.noAutoRenew')}</span>}
                  </span>
                </div>
                <div class="row-side">
                  <strong>{t('cockpit.arrLabel', { amount: fmtMoney(r.arr, r.currency) })}</strong>
                  <span class={r.days_left <= 30 ? 'pill pill-yellow' : 'muted'}>{fmtDate(r.renewal_date)} · {r.days_left === 0 ? t('cockpit.today') : t('cockpit.inDays', { n: r.days_left })}</span>
                </div>
              </li>
            ))}
          </ul>
          )}
          </ShowMore>
        )}
      </AsyncList>
    </section>
  );
}

/** The latest timeline entries on my accounts (90 days), newest first. */
function Activity({ state }: { state: Slice<ActivityEntry> }) {
  return (
    <section class="card" aria-labelledby="h-activity">
      <h2 id="h-activity">{t('cockpit.activity')}</h2>
      <AsyncList state={state} empty={t('cockpit.activityEmpty')}>
        {(all) => (
          <ShowMore items={all} n={12} label={(n) => t('cockpit.showAllActivity', { n })} testid="activity-more">
          {(items) => (
          <ol class="feed" data-testid="activity">
            {items.map((e) => (
              <li key={e.id} class="feed-item" data-testid="activity-row">
                <span class={`tl-icon tl-${e.type}`} aria-hidden="true">{TL_ICON[e.type]}</span>
                <div class="feed-body">
                  <div><Link href={`/accounts/${e.account_id}?tab=timeline`}>{e.account_name}</Link> · <span class="tag">{t(`tl.${e.type}` as Key)}</span></div>
                  <div class="feed-summary">{e.summary}</div>
                  <div class="muted small">{fmtDateTime(e.occurred_at)} · {e.author_name ?? t('cockpit.system')}</div>
                </div>
              </li>
            ))}
          </ol>
          )}
          </ShowMore>
        )}
      </AsyncList>
    </section>
  );
}

export const TL_ICON: Record<string, string> = { note: '✎', meeting: '👥', call: '☎', email: '✉', ticket: '🎫', handoff: '⇄' };
