// The cockpit (home): what needs me today. My open tasks (overdue first; one click
// completes one), renewals within 90 days on my accounts, recent timeline activity on my
// accounts, and my at-risk (red band) accounts.
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { Account, List, Task, TimelineEntry } from '../api';
import { AsyncList, HealthBadge, Link, PhaseBadge, ShowMore, TierBadge, toast, useAsync, useMe, useUserName } from '../components';
import { addDaysISO, daysUntil, fmtDate, fmtDateTime, fmtMoney, todayISO } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';

/** My accounts (owner=me), all pages up to a cap: the names for tasks and activity. */
async function myAccounts(): Promise<Account[]> {
  const out: Account[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10; i++) {
    const r: List<Account> = await api.get(`/api/v1/accounts${qs({ owner: 'me', limit: 500, sort: '-arr', cursor })}`);
    out.push(...r.data);
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export function Cockpit() {
  const me = useMe();
  useEffect(() => { document.title = `${t('cockpit.title')} · Kizuna`; });
  const accounts = useAsync(myAccounts, []);
  const names = new Map((accounts.data ?? []).map((a) => [a.id, a.name]));

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('cockpit.title')}</h1>
        <p class="muted">{t('cockpit.greeting', { name: me.name })}{accounts.data ? ` · ${t('cockpit.myAccounts', { n: accounts.data.length })}` : ''}</p>
      </div>
      <div class="cockpit-grid">
        <div class="stack">
          <MyTasks names={names} />
          <Activity accounts={accounts} />
        </div>
        <div class="stack">
          <AtRisk />
          <Renewals />
        </div>
      </div>
    </section>
  );
}

function MyTasks({ names }: { names: Map<number, string> }) {
  const tasks = useAsync(() => api.get<List<Task>>(`/api/v1/tasks${qs({ assignee: 'me', status: 'open', limit: 200 })}`).then((r) => { setMore(!!r.next_cursor); return r.data; }), []);
  const [more, setMore] = useState(false);
  const [showAll, setShowAll] = useState(false);
  const [extra, setExtra] = useState<Map<number, string>>(new Map());
  const [busy, setBusy] = useState<number | null>(null);
  const today = todayISO();

  // Tasks on accounts I do not own (assigned to me on someone else's): fetch those names.
  useEffect(() => {
    if (!tasks.data || names.size === 0) return;
    const missing = [...new Set(tasks.data.map((x) => x.account_id))].filter((id) => !names.has(id) && !extra.has(id)).slice(0, 20);
    if (!missing.length) return;
    Promise.all(missing.map((id) => api.get<Account>(`/api/v1/accounts/${id}`).then((a) => [id, a.name] as const, () => null)))
      .then((rows) => setExtra((m) => { const n = new Map(m); for (const r of rows) if (r) n.set(r[0], r[1]); return n; }));
  }, [tasks.data, names.size]);

  const complete = async (task: Task) => {
    setBusy(task.id);
    try {
      await api.patch(`/api/v1/tasks/${task.id}`, { status: 'done' });
      tasks.set((tasks.data ?? []).filter((x) => x.id !== task.id));
      toast(t('cockpit.completed', { title: task.title }));
    } catch (e) {
      toast(t('common.actionFailed', { msg: (e as Error).message }));
    } finally {
      setBusy(null);
    }
  };

  // The API orders by due date, undated last: overdue ones come first already.
  return (
    <section class="card card-tasks" aria-labelledby="h-tasks">
      <h2 id="h-tasks">{t('cockpit.tasks')}{tasks.data ? <span class="count">{tasks.data.length}{more ? '+' : ''}</span> : null}</h2>
      <AsyncList state={tasks} empty={t('cockpit.tasksEmpty')}>
        {(all) => {
          const items = showAll ? all : all.slice(0, TASKS_SHOWN);
          return (<>
          <ul class="tasklist" data-testid="my-tasks">
            {items.map((task) => {
              const overdue = task.due_date !== null && task.due_date < today;
              const dueToday = task.due_date === today;
              const accName = names.get(task.account_id) ?? extra.get(task.account_id) ?? `#${task.account_id}`;
              return (
                <li key={task.id} class={`task${overdue ? ' task-overdue' : ''}`} data-testid="task-row">
                  <button type="button" class="check" aria-label={t('cockpit.complete', { title: task.title })}
                    disabled={busy === task.id} onClick={() => complete(task)} data-testid="task-complete">
                    <span aria-hidden="true">✓</span>
                  </button>
                  <div class="task-main">
                    <span class="task-title">{task.title}</span>
                    <span class="task-meta">
                      <Link href={`/accounts/${task.account_id}`}>{accName}</Link>
                      <span class="tag">{t(`task.${task.type}` as Key)}</span>
                    </span>
                  </div>
                  <div class="task-due">
                    {overdue && <span class="pill pill-red">{t('cockpit.overdue')}</span>}
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
          </>);
        }}
      </AsyncList>
    </section>
  );
}

const TASKS_SHOWN = 8;

function Renewals() {
  const today = todayISO();
  const state = useAsync(() => api.get<List<Account>>(`/api/v1/accounts${qs({ owner: 'me', renewal_before: addDaysISO(today, 91), sort: 'renewal_date', limit: 100 })}`)
    .then((r) => r.data.filter((a) => a.renewal_date && a.renewal_date >= today && a.subscription_status !== 'churned')), []);
  return (
    <section class="card" aria-labelledby="h-renewals">
      <h2 id="h-renewals">{t('cockpit.renewals')}{state.data ? <span class="count">{state.data.length}</span> : null}</h2>
      <AsyncList state={state} empty={t('cockpit.renewalsEmpty')}>
        {(all) => (
          <ShowMore items={all} n={8} label={(n) => t('cockpit.showAllRenewals', { n })} testid="renewals-more">
          {(items) => (
          <ul class="rows" data-testid="renewals">
            {items.map((a) => {
              const d = daysUntil(a.renewal_date!);
              return (
                <li key={a.id} class="row">
                  <div class="row-main">
                    <Link href={`/accounts/${a.id}`}>{a.name}</Link>
                    <span class="row-sub"><TierBadge tier={a.tier} /> <HealthBadge account={a} hideEmpty /></span>
                  </div>
                  <div class="row-side">
                    <strong>{fmtMoney(a.arr, a.currency)}</strong>
                    <span class={d <= 30 ? 'pill pill-yellow' : 'muted'}>{fmtDate(a.renewal_date)} · {d === 0 ? t('cockpit.today') : t('cockpit.inDays', { n: d })}</span>
                  </div>
                </li>
              );
            })}
          </ul>
          )}
          </ShowMore>
        )}
      </AsyncList>
    </section>
  );
}

/** My red accounts, lowest score first: the server filters (band=red&owner=me, sort=health). */
function AtRisk() {
  const state = useAsync(() => api.get<List<Account>>(`/api/v1/accounts${qs({ owner: 'me', band: 'red', sort: 'health', limit: 100 })}`), []);
  const items = state.data?.data;
  return (
    <section class="card" aria-labelledby="h-risk">
      <h2 id="h-risk">{t('cockpit.atRisk')}{items ? <span class="count">{items.length}{state.data!.next_cursor ? '+' : ''}</span> : null}</h2>
      <AsyncList state={{ ...state, data: items }} empty={t('cockpit.atRiskEmpty')}>
        {(risky) => (
          <>
            <ul class="rows" data-testid="at-risk">
              {risky.slice(0, 10).map((a) => (
                <li key={a.id} class="row">
                  <div class="row-main"><Link href={`/accounts/${a.id}`}>{a.name}</Link><span class="row-sub"><PhaseBadge phase={a.phase} /></span></div>
                  <div class="row-side"><HealthBadge account={a} /><span class="muted">{fmtMoney(a.arr, a.currency)}</span></div>
                </li>
              ))}
            </ul>
            {risky.length > 10 && <p class="more"><Link href="/accounts?owner=me&band=red&sort=health">{t('cockpit.allAtRisk', { n: risky.length })}</Link></p>}
          </>
        )}
      </AsyncList>
    </section>
  );
}

/** The latest timeline entries of my largest accounts (no cross-account timeline API yet:
 * the first 12 accounts by ARR, 4 entries each, merged). */
function Activity({ accounts }: { accounts: ReturnType<typeof useAsync<Account[]>> }) {
  const userName = useUserName();
  const ids = (accounts.data ?? []).slice(0, 12).map((a) => a.id);
  const names = new Map((accounts.data ?? []).map((a) => [a.id, a.name]));
  const ready = accounts.data !== undefined;
  const state = useAsync(async () => {
    if (!ready) return undefined as unknown as TimelineEntry[]; // shown as loading until the accounts are in
    const lists = await Promise.all(ids.map((id) => api.get<List<TimelineEntry>>(`/api/v1/accounts/${id}/timeline?limit=4`).then((r) => r.data)));
    return lists.flat().sort((a, b) => b.occurred_at.localeCompare(a.occurred_at)).slice(0, 12);
  }, [ready, ids.join(',')]);
  const view = accounts.error ? { ...state, error: accounts.error, reload: accounts.reload } : state;
  return (
    <section class="card" aria-labelledby="h-activity">
      <h2 id="h-activity">{t('cockpit.activity')}</h2>
      <AsyncList state={view} empty={t('cockpit.activityEmpty')}>
        {(items) => (
          <ol class="feed" data-testid="activity">
            {items.map((e) => (
              <li key={e.id} class="feed-item">
                <span class={`tl-icon tl-${e.type}`} aria-hidden="true">{TL_ICON[e.type]}</span>
                <div>
                  <div><Link href={`/accounts/${e.account_id}?tab=timeline`}>{names.get(e.account_id) ?? `#${e.account_id}`}</Link> · <span class="tag">{t(`tl.${e.type}` as Key)}</span></div>
                  <div class="feed-summary">{e.summary}</div>
                  <div class="muted small">{fmtDateTime(e.occurred_at)} · {userName(e.author_id)}</div>
                </div>
              </li>
            ))}
          </ol>
        )}
      </AsyncList>
    </section>
  );
}


export const TL_ICON: Record<string, string> = { note: '✎', meeting: '👥', call: '☎', email: '✉', ticket: '🎫', handoff: '⇄' };
