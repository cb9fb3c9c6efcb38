// Account 360: the header (name, tier, phase, health, ARR, renewal, owner) and the tabs
// Overview (basic info, subscription and its history, contacts summary), Timeline (entries;
// add a note, meeting or call with participants), Usage (charted lazily with ECharts),
// Stakeholders (contacts by role) and Tasks. The tab is in the URL (?tab=).
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api';
import type { Account, Contact, ContactRole, List, Subscription, SubscriptionHistoryEntry, Task, TaskType, TimelineEntry, TimelineType, Usage } from '../api';
import { ApiError } from '../api';
import { AsyncList, ErrorBox, HealthBadge, Link, Loading, PhaseBadge, Tabs, TierBadge, toast, useAsync, useMe, useUserName } from '../components';
import { addDaysISO, fmtDate, fmtDateTime, fmtMoney, fmtNumber, fmtPercent, fmtRelative, todayISO } from '../format';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { TL_ICON } from './Cockpit';
import { UsageChart } from '../charts/UsageChart';
import { HealthCard, SentimentCard } from './AccountHealth';
import { JourneyTab } from './AccountJourney';
import { SuccessTab, SurveysTab } from './AccountSuccess';

const TABS = ['overview', 'journey', 'success', 'surveys', 'timeline', 'usage', 'stakeholders', 'tasks'] as const;
type Tab = (typeof TABS)[number];

export function AccountPage({ id }: { id: number }) {
  const loc = useLocation();
  const userName = useUserName();
  const tabRaw = loc.search.get('tab') as Tab | null;
  const tab: Tab = tabRaw && (TABS as readonly string[]).includes(tabRaw) ? tabRaw : 'overview';
  const account = useAsync(() => api.get<Account>(`/api/v1/accounts/${id}`), [id]);
  const contacts = useAsync(() => api.get<List<Contact>>(`/api/v1/accounts/${id}/contacts?limit=500`).then((r) => r.data), [id]);
  useEffect(() => { document.title = `${account.data?.name ?? t('accounts.title')} · Kizuna`; });

  if (account.error) {
    return (
      <section class="page">
        <p><Link href="/accounts">← {t('account.back')}</Link></p>
        {account.error instanceof ApiError && account.error.status === 404
          ? <h1>{t('notFound.title')}</h1> : <ErrorBox error={account.error} retry={account.reload} />}
      </section>
    );
  }
  if (!account.data) return <section class="page"><Loading /></section>;
  const a = account.data;

  return (
    <section class="page">
      <p class="crumb"><Link href="/accounts">← {t('account.back')}</Link></p>
      <header class="acct-head">
        <div class="acct-title">
          <h1>{a.name}</h1>
          <p class="muted">{[a.domain, a.industry].filter(Boolean).join(' · ') || t('common.none')}</p>
        </div>
        <dl class="kpis">
          <div><dt>{t('account.health')}</dt><dd><HealthBadge account={a} large /></dd></div>
          <div><dt>{t('account.tier')}</dt><dd><TierBadge tier={a.tier} /></dd></div>
          <div><dt>{t('account.phase')}</dt><dd data-testid="header-phase"><PhaseBadge phase={a.phase} /></dd></div>
          <div><dt>{t('account.arr')}</dt><dd class="kpi-num">{fmtMoney(a.arr, a.currency)}</dd></div>
          <div><dt>{t('account.renewal')}</dt><dd>{fmtDate(a.renewal_date)}</dd></div>
          <div><dt>{t('account.owner')}</dt><dd>{userName(a.owner_id, a.owner_name)}</dd></div>
        </dl>
      </header>
      <Tabs idPrefix="acct" label={t('account.tabs')} current={tab}
        tabs={TABS.map((k) => ({ key: k, label: t(`tab.${k}` as Key) }))}
        onSelect={(k) => navigate(`/accounts/${id}${k === 'overview' ? '' : `?tab=${k}`}`, true)} />
      <div role="tabpanel" id="acct-panel" aria-labelledby={`acct-tab-${tab}`} class="tabpanel" tabIndex={0}>
        {tab === 'overview' && <Overview account={a} contacts={contacts} onAccount={(x) => { account.set(x); setTimeout(account.reload, 2500); }} />}
        {tab === 'journey' && <JourneyTab account={a} onAccount={account.reload} />}
        {tab === 'success' && <SuccessTab account={a} />}
        {tab === 'surveys' && <SurveysTab account={a} contacts={contacts.data ?? []} />}
        {tab === 'timeline' && <Timeline account={a} contacts={contacts.data ?? []} />}
        {tab === 'usage' && <UsageTab account={a} />}
        {tab === 'stakeholders' && <Stakeholders contacts={contacts} />}
        {tab === 'tasks' && <Tasks account={a} />}
      </div>
    </section>
  );
}

/* ------------------------------------------------------------ overview */

function Info({ label, value }: { label: string; value: unknown }) {
  const v = value === null || value === undefined || value === '' ? t('common.none') : String(value);
  return <div class="info"><dt>{label}</dt><dd>{v}</dd></div>;
}

function Overview({ account: a, contacts, onAccount }: { account: Account; contacts: ReturnType<typeof useAsync<Contact[]>>; onAccount: (a: Account) => void }) {
  // The account carries its current plan: without one there is no subscription to ask for.
  const hasSub = a.plan !== null || a.subscription_status !== null;
  const sub = useAsync(() => (!hasSub ? Promise.resolve(null) : api.get<Subscription>(`/api/v1/accounts/${a.id}/subscription`)).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }), [a.id]);
  const hist = useAsync(() => (!hasSub ? Promise.resolve([]) : api.get<List<SubscriptionHistoryEntry>>(`/api/v1/accounts/${a.id}/subscription/history?limit=50`).then((r) => r.data)).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  }), [a.id]);
  const custom = Object.entries(a.custom ?? {});
  const byRole = (r: ContactRole) => (contacts.data ?? []).filter((c) => c.role === r);
  return (
    <div class="stack">
    <div class="grid-health">
      <HealthCard account={a} />
      <SentimentCard account={a} onChange={onAccount} />
    </div>
    <div class="grid-2">
      <section class="card" aria-labelledby="h-basic">
        <h2 id="h-basic">{t('overview.basic')}</h2>
        <dl class="infos">
          <Info label={t('overview.domain')} value={a.domain} />
          <Info label={t('overview.externalId')} value={a.external_id} />
          <Info label={t('overview.industry')} value={a.industry} />
          <Info label={t('overview.employees')} value={a.employees === null ? null : fmtNumber(a.employees)} />
          <Info label={t('overview.address')} value={a.address} />
          <Info label={t('overview.purpose')} value={a.purpose} />
          <Info label={t('overview.challenges')} value={a.challenges} />
          {custom.map(([k, v]) => <Info label={k} value={typeof v === 'object' ? JSON.stringify(v) : v} />)}
        </dl>
      </section>
      <div class="stack">
        <section class="card" aria-labelledby="h-sub">
          <h2 id="h-sub">{t('overview.subscription')}</h2>
          {sub.error ? <ErrorBox error={sub.error} retry={sub.reload} />
            : sub.data === undefined ? <Loading />
            : sub.data === null ? <p class="state state-empty">{t('overview.noSubscription')}</p>
            : (
              <dl class="infos" data-testid="subscription">
                <Info label={t('overview.plan')} value={sub.data.plan} />
                <Info label={t('overview.subStatus')} value={t(`sub.${sub.data.status}` as Key)} />
                <Info label={t('overview.mrr')} value={fmtMoney(sub.data.mrr, sub.data.currency)} />
                <Info label={t('account.arr')} value={fmtMoney(sub.data.arr, sub.data.currency)} />
                <Info label={t('overview.seats')} value={fmtNumber(sub.data.seats)} />
                <Info label={t('overview.start')} value={fmtDate(sub.data.start_date)} />
                <Info label={t('account.renewal')} value={fmtDate(sub.data.renewal_date)} />
                <Info label={t('overview.autoRenew')} value={sub.data.auto_renew ? t('common.yes') : t('common.no')} />
              </dl>
            )}
          {hist.data && hist.data.length > 1 && (
            <details class="history">
              <summary>{t('overview.history')} ({hist.data.length})</summary>
              <table class="table compact">
                <thead><tr><th scope="col">{t('overview.start')}</th><th scope="col">{t('overview.plan')}</th><th scope="col" class="num">{t('overview.mrr')}</th><th scope="col" class="num">{t('overview.seats')}</th><th scope="col">{t('overview.subStatus')}</th></tr></thead>
                <tbody>
                  {hist.data.map((h) => (
                    <tr><td>{fmtDate(h.effective_date)}</td><td>{h.plan}</td><td class="num">{fmtMoney(h.mrr, h.currency)}</td><td class="num">{fmtNumber(h.seats)}</td><td>{t(`sub.${h.status}` as Key)}</td></tr>
                  ))}
                </tbody>
              </table>
            </details>
          )}
        </section>
        <section class="card" aria-labelledby="h-contacts">
          <h2 id="h-contacts">{t('overview.contacts')}{contacts.data ? <span class="count">{contacts.data.length}</span> : null}</h2>
          <AsyncList state={contacts} empty={t('stake.empty')}>
            {() => (
              <ul class="rows">
                {(['decision_maker', 'champion', 'admin', 'user'] as ContactRole[]).map((r) => byRole(r).length > 0 && (
                  <li class="row row-start">
                    <span class={`tag role-${r}`}>{t(`stake.${r}` as Key)}</span>
                    <span class="row-main">{byRole(r).map((c) => c.name).join('、')}</span>
                  </li>
                ))}
              </ul>
            )}
          </AsyncList>
        </section>
      </div>
    </div>
    </div>
  );
}

/* ------------------------------------------------------------ timeline */

function localDateTimeNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function Timeline({ account, contacts }: { account: Account; contacts: Contact[] }) {
  const me = useMe();
  const userName = useUserName();
  const [entries, setEntries] = useState<TimelineEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const cname = new Map(contacts.map((c) => [c.id, c.name]));

  const load = async (cursor: string | null) => {
    setError(null);
    try {
      const r = await api.get<List<TimelineEntry>>(`/api/v1/accounts/${account.id}/timeline${qs({ limit: 25, cursor })}`);
      setEntries((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setError(e);
    }
  };
  useEffect(() => { setEntries(null); load(null); }, [account.id]);

  return (
    <div class="grid-2 grid-timeline">
      <section class="card" aria-labelledby="h-tl">
        <h2 id="h-tl">{t('tab.timeline')}</h2>
        {error ? <ErrorBox error={error} retry={() => load(null)} />
          : entries === null ? <Loading />
          : entries.length === 0 ? <p class="state state-empty">{t('timeline.empty')}</p>
          : (
            <>
              <ol class="feed" data-testid="timeline">
                {entries.map((e) => (
                  <li key={e.id} class="feed-item" data-testid="timeline-entry">
                    <span class={`tl-icon tl-${e.type}`} aria-hidden="true">{TL_ICON[e.type]}</span>
                    <div class="feed-body">
                      <div class="feed-head"><span class="tag">{t(`tl.${e.type}` as Key)}</span> <strong class="feed-summary">{e.summary}</strong></div>
                      {e.body && <p class="pre">{e.body}</p>}
                      {e.contact_ids.length > 0 && <p class="small">{t('timeline.participants')}: {e.contact_ids.map((id) => cname.get(id) ?? `#${id}`).join('、')}</p>}
                      <p class="muted small">{fmtDateTime(e.occurred_at)} · {t('timeline.by', { name: userName(e.author_id) })}</p>
                    </div>
                  </li>
                ))}
              </ol>
              {next && (
                <button type="button" class="btn" disabled={loadingMore} onClick={async () => { setLoadingMore(true); await load(next); setLoadingMore(false); }}>
                  {t('timeline.more')}
                </button>
              )}
            </>
          )}
      </section>
      {me.role !== 'viewer' && <AddEntry account={account} contacts={contacts} onAdded={(e) => setEntries((old) => [e, ...(old ?? [])].sort((x, y) => y.occurred_at.localeCompare(x.occurred_at)))} />}
    </div>
  );
}

function AddEntry({ account, contacts, onAdded }: { account: Account; contacts: Contact[]; onAdded: (e: TimelineEntry) => void }) {
  const [type, setType] = useState<TimelineType>('note');
  const [summary, setSummary] = useState('');
  const [body, setBody] = useState('');
  const [when, setWhen] = useState(localDateTimeNow());
  const [who, setWho] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const occurred = new Date(when);
      const entry = await api.post<TimelineEntry>(`/api/v1/accounts/${account.id}/timeline`, {
        type, summary: summary.trim(), body,
        occurred_at: Number.isNaN(occurred.getTime()) ? undefined : occurred.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        contact_ids: [...who],
      });
      onAdded(entry);
      setSummary(''); setBody(''); setWho(new Set()); setWhen(localDateTimeNow());
      toast(t('timeline.added'));
    } catch (e2) {
      setErr(t('common.actionFailed', { msg: (e2 as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="h-add">
      <h2 id="h-add">{t('timeline.add')}</h2>
      <form class="form" onSubmit={submit} data-testid="timeline-form">
        <fieldset class="seg">
          <legend>{t('timeline.type')}</legend>
          {(['note', 'meeting', 'call'] as TimelineType[]).map((x) => (
            <label class={`seg-opt${type === x ? ' on' : ''}`}>
              <input type="radio" name="tl-type" value={x} checked={type === x} onChange={() => setType(x)} />
              <span aria-hidden="true">{TL_ICON[x]}</span> {t(`tl.${x}` as Key)}
            </label>
          ))}
        </fieldset>
        <label class="field"><span>{t('timeline.summary')}</span>
          <input required maxLength={500} value={summary} data-testid="timeline-summary" onInput={(e) => setSummary((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field"><span>{t('timeline.body')}</span>
          <textarea rows={4} value={body} data-testid="timeline-body" onInput={(e) => setBody((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <label class="field"><span>{t('timeline.when')}</span>
          <input type="datetime-local" value={when} onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <fieldset class="checks">
          <legend>{t('timeline.participants')}</legend>
          {contacts.length === 0 ? <p class="muted small">{t('timeline.noContacts')}</p> : contacts.map((c) => (
            <label class="check-opt">
              <input type="checkbox" checked={who.has(c.id)} onChange={(e) => {
                const n = new Set(who);
                if ((e.currentTarget as HTMLInputElement).checked) n.add(c.id); else n.delete(c.id);
                setWho(n);
              }} />
              {c.name} <span class="muted small">{t(`stake.${c.role}` as Key)}</span>
            </label>
          ))}
        </fieldset>
        {err && <p class="form-error" role="alert">{err}</p>}
        <button type="submit" class="btn btn-primary" disabled={busy || !summary.trim()} data-testid="timeline-submit">{busy ? t('common.saving') : t('common.add')}</button>
      </form>
    </section>
  );
}

/* ------------------------------------------------------------ usage */

function UsageTab({ account }: { account: Account }) {
  const [days, setDays] = useState(90);
  const to = todayISO();
  const usage = useAsync(() => api.get<Usage>(`/api/v1/accounts/${account.id}/usage${qs({ from: addDaysISO(to, -(days - 1)), to, granularity: 'day' })}`), [account.id, days]);
  const u = usage.data;
  const hasData = u && u.data.some((p) => p.events > 0 || p.active_users > 0);
  return (
    <div class="stack">
      <section class="card" aria-labelledby="h-usage">
        <div class="card-head">
          <h2 id="h-usage">{t('usage.title')}</h2>
          <label class="field field-inline"><span>{t('usage.range')}</span>
            <select value={String(days)} onChange={(e) => setDays(Number((e.currentTarget as HTMLSelectElement).value))}>
              {[30, 90, 180, 365].map((n) => <option value={String(n)}>{t('usage.days', { n })}</option>)}
            </select>
          </label>
        </div>
        {usage.error ? <ErrorBox error={usage.error} retry={usage.reload} />
          : !u ? <Loading />
          : (
            <>
              <dl class="kpis kpis-usage">
                <div><dt>{t('usage.dau')}</dt><dd class="kpi-num">{fmtNumber(u.dau)}</dd></div>
                <div><dt>{t('usage.wau')}</dt><dd class="kpi-num">{fmtNumber(u.wau)}</dd></div>
                <div><dt>{t('usage.mau')}</dt><dd class="kpi-num">{fmtNumber(u.mau)}</dd></div>
                <div><dt>{t('usage.seats')}</dt><dd><span class="kpi-num">{fmtPercent(u.seat_utilisation)}</span>
                  {u.seats !== null && <span class="muted small block">{t('usage.seatsOf', { mau: fmtNumber(u.mau), seats: fmtNumber(u.seats) })}</span>}
                  {u.seat_utilisation !== null && <span class="meter" aria-hidden="true"><span style={{ width: `${Math.min(100, Math.round(u.seat_utilisation * 100))}%` }} /></span>}
                </dd></div>
                <div><dt>{t('usage.keyFeatures')}</dt><dd class="kpi-num">{t('usage.keyFeaturesOf', { used: u.key_features.used, total: u.key_features.total })}</dd></div>
                <div><dt>{t('usage.lastSeen')}</dt><dd>{u.last_seen_at ? fmtRelative(u.last_seen_at) : t('common.none')}</dd></div>
              </dl>
              {hasData ? <UsageChart data={u.data} /> : <p class="state state-empty" data-testid="usage-empty">{t('usage.empty')}</p>}
            </>
          )}
      </section>
      {u && (
        <div class="grid-2">
          <section class="card" aria-labelledby="h-kf">
            <h2 id="h-kf">{t('usage.keyFeatures')}</h2>
            {u.key_features.events.length === 0 ? <p class="state state-empty">{t('state.empty')}</p> : (
              <ul class="rows">
                {u.key_features.events.map((k) => (
                  <li class="row"><span class="row-main">{lang() === 'ja' ? k.label_ja || k.name : k.label_en || k.name} <span class="muted small">{k.name}</span></span>
                    <span class={`row-side ${k.count_30d > 0 ? '' : 'muted'}`}>{k.count_30d > 0 ? '✓ ' : '✗ '}{fmtNumber(k.count_30d)}</span></li>
                ))}
              </ul>
            )}
          </section>
          <section class="card" aria-labelledby="h-users">
            <h2 id="h-users">{t('usage.users')}</h2>
            {u.users.length === 0 ? <p class="state state-empty">{t('state.empty')}</p> : (
              <table class="table compact" data-testid="usage-users">
                <thead><tr><th scope="col">{t('common.name')}</th><th scope="col">{t('usage.lastSeen')}</th></tr></thead>
                <tbody>
                  {u.users.map((x) => (
                    <tr><td>{x.name ?? x.email ?? x.user_id}</td><td>{x.last_seen ? fmtRelative(x.last_seen) : t('common.none')}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

/* ------------------------------------------------------------ stakeholders */

function Stakeholders({ contacts }: { contacts: ReturnType<typeof useAsync<Contact[]>> }) {
  const roles: ContactRole[] = ['decision_maker', 'champion', 'admin', 'user'];
  return (
    <AsyncList state={contacts} empty={t('stake.empty')}>
      {(items) => (
        <div class="stake-grid" data-testid="stakeholders">
          {roles.map((r) => {
            const list = items.filter((c) => c.role === r);
            if (!list.length) return null;
            return (
              <section class="card" aria-labelledby={`h-role-${r}`}>
                <h2 id={`h-role-${r}`}><span class={`tag role-${r}`}>{t(`stake.${r}` as Key)}</span><span class="count">{list.length}</span></h2>
                <ul class="people">
                  {list.map((c) => (
                    <li class={`person${r === 'decision_maker' || r === 'champion' ? ' person-key' : ''}`} data-testid="contact">
                      <div class="person-name">{c.name}{(r === 'decision_maker' || r === 'champion') && <span class="star" title={t('stake.key')} aria-label={t('stake.key')}>★</span>}</div>
                      {c.title && <div class="small">{c.title}</div>}
                      {c.email && <div class="small"><a href={`mailto:${c.email}`}>{c.email}</a></div>}
                      {c.phone && <div class="small muted">{c.phone}</div>}
                      {c.notes && <p class="small pre">{c.notes}</p>}
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
    </AsyncList>
  );
}

/* ------------------------------------------------------------ tasks */

function Tasks({ account }: { account: Account }) {
  const me = useMe();
  const userName = useUserName();
  const [showDone, setShowDone] = useState(false);
  const tasks = useAsync(() => api.get<List<Task>>(`/api/v1/tasks${qs({ account_id: account.id, status: showDone ? '' : 'open', limit: 200 })}`).then((r) => r.data), [account.id, showDone]);
  const [title, setTitle] = useState('');
  const [due, setDue] = useState(addDaysISO(todayISO(), 7));
  const [type, setType] = useState<TaskType>('call');
  const [busy, setBusy] = useState(false);
  const today = todayISO();
  const canWrite = me.role !== 'viewer';

  const setStatus = async (task: Task, status: Task['status']) => {
    try {
      const upd = await api.patch<Task>(`/api/v1/tasks/${task.id}`, { status });
      tasks.set((tasks.data ?? []).map((x) => (x.id === task.id ? upd : x)).filter((x) => showDone || x.status === 'open'));
      if (status === 'done') toast(t('cockpit.completed', { title: task.title }));
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const task = await api.post<Task>('/api/v1/tasks', { account_id: account.id, title: title.trim(), due_date: due || null, type });
      tasks.set([...(tasks.data ?? []), task].sort((x, y) => (x.due_date ?? '9999').localeCompare(y.due_date ?? '9999')));
      setTitle('');
    } catch (e2) { toast(t('common.actionFailed', { msg: (e2 as Error).message })); } finally { setBusy(false); }
  };

  return (
    <div class="grid-2 grid-timeline">
      <section class="card" aria-labelledby="h-tasks-acct">
        <div class="card-head">
          <h2 id="h-tasks-acct">{t('tab.tasks')}</h2>
          <label class="check-opt"><input type="checkbox" checked={showDone} onChange={(e) => setShowDone((e.currentTarget as HTMLInputElement).checked)} /> {t('tasks.showDone')}</label>
        </div>
        <AsyncList state={tasks} empty={t('tasks.empty')}>
          {(items) => (
            <ul class="tasklist" data-testid="account-tasks">
              {items.map((task) => {
                const overdue = task.status === 'open' && task.due_date !== null && task.due_date < today;
                return (
                  <li class={`task${overdue ? ' task-overdue' : ''}${task.status !== 'open' ? ' task-done' : ''}`}>
                    {task.status === 'open'
                      ? <button type="button" class="check" disabled={!canWrite} aria-label={t('cockpit.complete', { title: task.title })} onClick={() => setStatus(task, 'done')}><span aria-hidden="true">✓</span></button>
                      : <button type="button" class="check checked" disabled={!canWrite} aria-label={`${t('tasks.reopen')}: ${task.title}`} onClick={() => setStatus(task, 'open')}><span aria-hidden="true">✓</span></button>}
                    <div class="task-main">
                      <span class="task-title">{task.title}</span>
                      <span class="task-meta"><span class="tag">{t(`task.${task.type}` as Key)}</span> {userName(task.assignee_id)} · {t(`status.${task.status}` as Key)}</span>
                    </div>
                    <div class="task-due">
                      {overdue && <span class="pill pill-red">{t('cockpit.overdue')}</span>}
                      <span class="muted">{task.due_date ? fmtDate(task.due_date) : t('cockpit.noDue')}</span>
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </AsyncList>
      </section>
      {canWrite && (
        <section class="card" aria-labelledby="h-task-add">
          <h2 id="h-task-add">{t('tasks.add')}</h2>
          <form class="form" onSubmit={add}>
            <label class="field"><span>{t('tasks.title')}</span><input required maxLength={500} value={title} onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)} /></label>
            <label class="field"><span>{t('tasks.type')}</span>
              <select value={type} onChange={(e) => setType((e.currentTarget as HTMLSelectElement).value as TaskType)}>
                {(['call', 'meeting', 'email', 'review', 'other'] as TaskType[]).map((x) => <option value={x}>{t(`task.${x}` as Key)}</option>)}
              </select>
            </label>
            <label class="field"><span>{t('tasks.due')}</span><input type="date" value={due} onInput={(e) => setDue((e.currentTarget as HTMLInputElement).value)} /></label>
            <button type="submit" class="btn btn-primary" disabled={busy || !title.trim()}>{t('common.add')}</button>
          </form>
        </section>
      )}
    </div>
  );
}
