// The Kizuna web app: session, layout and routes (/login, /, /accounts, /accounts/:id,
// /settings). The session is asked of the server at start; a 401 from any call sends the
// user to /login?next=<where they were>, and after logging in they go back there.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './style.css';
import { api, qs, setUnauthorizedHandler } from './api';
import type { List, TeamMember, User } from './api';
import { LangSwitch, Link, Loading, MeContext, Toaster, UsersContext } from './components';
import { t, useLang } from './i18n';
import { navigate, useLocation } from './router';
import { Login } from './pages/Login';
import { Cockpit } from './pages/Cockpit';
import { Accounts } from './pages/Accounts';
import { AccountPage } from './pages/Account';
import { Settings } from './pages/Settings';
import { Dashboards } from './pages/Dashboards';
import { lazyPage } from './lazyPage';
const SegmentsRoute = lazyPage(() => import('./pages/Segments').then((m) => m.SegmentsRoute));
const PlaybooksRoute = lazyPage(() => import('./pages/Playbooks').then((m) => m.PlaybooksRoute));

type SessionState = { status: 'checking' } | { status: 'out'; expired: boolean } | { status: 'in'; user: User };

function App() {
  const lang = useLang();
  const loc = useLocation();
  const [session, setSession] = useState<SessionState>({ status: 'checking' });
  const [users, setUsers] = useState<Map<number, TeamMember>>(new Map());

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSession((s) => {
        if (s.status === 'out') return s;
        const here = location.pathname + location.search;
        if (location.pathname !== '/login') navigate(`/login${here !== '/' ? `?next=${encodeURIComponent(here)}` : ''}`, true);
        setSessionHint(false);
        return { status: 'out', expired: s.status === 'in' };
      });
    });
    // The cookie is HttpOnly: a flag remembers that a session may exist, so that a first
    // visit goes straight to the login form instead of asking (and getting a 401).
    if (!sessionHint()) { setSession({ status: 'out', expired: false }); return; }
    api.get<{ user: User }>('/api/v1/session', { quiet401: true }).then(
      (r) => setSession({ status: 'in', user: r.user }),
      () => { setSessionHint(false); setSession({ status: 'out', expired: false }); },
    );
  }, []);

  // Every user's name and role (GET /api/v1/team, any role), for owners, assignees and
  // authors shown by id.
  useEffect(() => {
    if (session.status !== 'in') return;
    (async () => {
      const all: TeamMember[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const r: List<TeamMember> = await api.get(`/api/v1/team${qs({ limit: 500, cursor })}`);
        all.push(...r.data);
        cursor = r.next_cursor;
        if (!cursor) break;
      }
      setUsers(new Map(all.map((u) => [u.id, u])));
    })().catch(() => { /* names fall back to ids */ });
  }, [session.status]);

  useEffect(() => {
    if (session.status === 'out' && loc.path !== '/login') {
      const here = loc.href;
      navigate(`/login${here !== '/' ? `?next=${encodeURIComponent(here)}` : ''}`, true);
    }
  }, [session, loc.path]);

  // A new page moves keyboard focus to its content (the link that was activated may be gone).
  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) { firstPath.current = false; return; }
    if (session.status === 'in') document.getElementById('main')?.focus({ preventScroll: true });
  }, [loc.path]);

  if (session.status === 'checking') return <main class="center"><Loading /></main>;

  if (session.status === 'out' || loc.path === '/login') {
    const next = loc.search.get('next');
    const safeNext = next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
    if (session.status === 'in') { navigate(safeNext, true); return null; }
    return (
      <>
        <Login expired={session.status === 'out' && session.expired} lang={lang} onLoggedIn={(user) => {
          setSessionHint(true);
          setSession({ status: 'in', user });
          navigate(safeNext, true);
        }} />
        <Toaster />
      </>
    );
  }

  const me = session.user;
  const logout = async () => {
    try { await api.del('/api/v1/session'); } catch { /* already gone */ }
    setSessionHint(false);
    setSession({ status: 'out', expired: false });
    navigate('/login', true);
  };

  let page;
  let m: RegExpMatchArray | null;
  if (loc.path === '/') page = <Cockpit />;
  else if (loc.path === '/accounts') page = <Accounts />;
  else if ((m = loc.path.match(/^\/accounts\/([1-9][0-9]{0,15})$/))) page = <AccountPage id={Number(m[1])} />;
  else if (loc.path === '/settings') page = <Settings />;
  else if (loc.path === '/dashboards') page = <Dashboards />;
  else if (/^\/segments(\/|$)/.test(loc.path)) page = <SegmentsRoute />;
  else if (/^\/playbooks(\/|$)/.test(loc.path)) page = <PlaybooksRoute />;
  else page = <NotFound />;

  const section = loc.path === '/' ? 'cockpit' : loc.path.startsWith('/accounts') ? 'accounts' : loc.path.startsWith('/settings') ? 'settings' : '';

  return (
    <MeContext.Provider value={me}>
      <UsersContext.Provider value={users}>
        <a href="#main" class="skip">{t('app.skip')}</a>
        <header class="topbar">
          <Link href="/" class="brand"><span class="brand-mark" aria-hidden="true">絆</span> Kizuna</Link>
          <nav aria-label={t('nav.main')} class="mainnav">
            <Link href="/" aria-current={section === 'cockpit' ? 'page' : undefined}>{t('nav.cockpit')}</Link>
            <Link href="/accounts" aria-current={section === 'accounts' ? 'page' : undefined}>{t('nav.accounts')}</Link>
            <Link href="/dashboards" aria-current={loc.path === '/dashboards' ? 'page' : undefined}>{t('dash.nav')}</Link>
            <Link href="/segments" aria-current={loc.path.startsWith('/segments') ? 'page' : undefined}>{t('nav.segments')}</Link>
            <Link href="/playbooks" aria-current={loc.path.startsWith('/playbooks') ? 'page' : undefined}>{t('nav.playbooks')}</Link>
            <Link href="/settings" aria-current={section === 'settings' ? 'page' : undefined}>{t('nav.settings')}</Link>
          </nav>
          <div class="topbar-right">
            <LangSwitch lang={lang} />
            <span class="whoami" title={t('user.signedInAs', { name: me.name })}>{me.name}</span>
            <button type="button" class="btn btn-ghost" onClick={logout} data-testid="logout">{t('user.logout')}</button>
          </div>
        </header>
        <main id="main" tabIndex={-1} class="content">{page}</main>
        <Toaster />
      </UsersContext.Provider>
    </MeContext.Provider>
  );
}

const HINT = 'kizuna.session';
function sessionHint(): boolean {
  try { return localStorage.getItem(HINT) === '1'; } catch { return true; }
}
function setSessionHint(on: boolean) {
  try { if (on) localStorage.setItem(HINT, '1'); else localStorage.removeItem(HINT); } catch { /* storage blocked */ }
}

function NotFound() {
  useEffect(() => { document.title = `${t('notFound.title')} · Kizuna`; });
  return (
    <section class="page">
      <h1>{t('notFound.title')}</h1>
      <p><Link href="/">{t('notFound.back')}</Link></p>
    </section>
  );
}

render(<App />, document.getElementById('app')!);
