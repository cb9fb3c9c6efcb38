// Settings: users and roles, my API tokens, write keys with a tracking snippet, tiers,
// key events and the accounts CSV import with its per-row error report. Everything but
// the tokens is for administrators (the API refuses the others anyway).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { ImportResult, KeyEvent, List, Role, TierThreshold, Token, User, WriteKey } from '../api';
import { AsyncList, ErrorBox, Loading, Tabs, toast, useAsync, useMe } from '../components';
import { fmtDateTime, fmtMoney } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { HealthModelSettings, LifecycleSettings } from './SettingsHealth';
import { EmailSettings } from './SettingsEmail';

const ADMIN_TABS = ['users', 'tokens', 'writeKeys', 'tiers', 'keyEvents', 'healthModel', 'lifecycle', 'import', 'email'] as const;
type STab = (typeof ADMIN_TABS)[number];

export function Settings() {
  const me = useMe();
  const loc = useLocation();
  useEffect(() => { document.title = `${t('settings.title')} · Kizuna`; });
  const allowed: readonly STab[] = me.role === 'admin' ? ADMIN_TABS : ['tokens'];
  const raw = loc.search.get('tab') as STab | null;
  const tab: STab = raw && allowed.includes(raw) ? raw : allowed[0];
  return (
    <section class="page">
      <div class="page-head"><h1>{t('settings.title')}</h1></div>
      {me.role !== 'admin' && <p class="notice">{t('settings.adminOnly')}</p>}
      <Tabs idPrefix="set" label={t('settings.sections')} current={tab}
        tabs={allowed.map((k) => ({ key: k, label: k === 'email' ? t('email.tab') : t(`settings.${k}` as Key) }))}
        onSelect={(k) => navigate(`/settings?tab=${k}`, true)} />
      <div role="tabpanel" id="set-panel" aria-labelledby={`set-tab-${tab}`} class="tabpanel">
        {tab === 'users' && <Users />}
        {tab === 'tokens' && <Tokens />}
        {tab === 'writeKeys' && <WriteKeys />}
        {tab === 'tiers' && <Tiers />}
        {tab === 'keyEvents' && <KeyEvents />}
        {tab === 'healthModel' && <HealthModelSettings />}
        {tab === 'lifecycle' && <LifecycleSettings />}
        {tab === 'import' && <Import />}
        {tab === 'email' && <EmailSettings />}
      </div>
    </section>
  );
}

const val = (e: Event) => (e.currentTarget as HTMLInputElement).value;
const fail = (e: unknown) => toast(t('common.actionFailed', { msg: (e as Error).message }));

/* ------------------------------------------------------------ users */

function Users() {
  const me = useMe();
  const users = useAsync(() => api.get<List<User>>('/api/v1/users?limit=500').then((r) => r.data), []);
  const [form, setForm] = useState({ name: '', email: '', role: 'csm' as Role, password: '' });
  const [err, setErr] = useState<string | null>(null);
  const update = async (u: User, change: Partial<User>) => {
    try {
      const upd = await api.patch<User>(`/api/v1/users/${u.id}`, change);
      users.set((users.data ?? []).map((x) => (x.id === u.id ? upd : x)));
      toast(t('common.saved'));
    } catch (e) { fail(e); users.reload(); }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      const u = await api.post<User>('/api/v1/users', form);
      users.set([...(users.data ?? []), u]);
      setForm({ name: '', email: '', role: 'csm', password: '' });
    } catch (e2) { setErr((e2 as Error).message); }
  };
  return (
    <div class="grid-2 grid-timeline">
      <section class="card" aria-labelledby="h-users">
        <h2 id="h-users">{t('settings.users')}</h2>
        <AsyncList state={users} empty={t('state.empty')}>
          {(items) => (
            <div class="table-wrap">
              <table class="table" data-testid="users-table">
                <thead><tr><th scope="col">{t('common.name')}</th><th scope="col">{t('common.email')}</th><th scope="col">{t('common.role')}</th><th scope="col">{t('common.status')}</th></tr></thead>
                <tbody>
                  {items.map((u) => (
                    <tr>
                      <th scope="row">{u.name}</th>
                      <td>{u.email}</td>
                      <td>
                        <label><span class="sr-only">{t('common.role')}: {u.name}</span>
                          <select value={u.role} disabled={u.id === me.id} onChange={(e) => update(u, { role: (e.currentTarget as HTMLSelectElement).value as Role })}>
                            {(['admin', 'csm', 'viewer'] as Role[]).map((r) => <option value={r}>{t(`role.${r}` as Key)}</option>)}
                          </select>
                        </label>
                      </td>
                      <td>
                        {u.disabled && <span class="pill pill-red">{t('users.disabled')}</span>}{' '}
                        {u.id !== me.id && <button type="button" class="btn btn-small" onClick={() => update(u, { disabled: !u.disabled })}>{u.disabled ? t('users.enable') : t('users.disable')}</button>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </AsyncList>
      </section>
      <section class="card" aria-labelledby="h-user-add">
        <h2 id="h-user-add">{t('users.add')}</h2>
        <form class="form" onSubmit={add}>
          <label class="field"><span>{t('common.name')}</span><input required value={form.name} onInput={(e) => setForm({ ...form, name: val(e) })} /></label>
          <label class="field"><span>{t('common.email')}</span><input type="email" required value={form.email} onInput={(e) => setForm({ ...form, email: val(e) })} /></label>
          <label class="field"><span>{t('common.role')}</span>
            <select value={form.role} onChange={(e) => setForm({ ...form, role: (e.currentTarget as HTMLSelectElement).value as Role })}>
              {(['admin', 'csm', 'viewer'] as Role[]).map((r) => <option value={r}>{t(`role.${r}` as Key)}</option>)}
            </select>
          </label>
          <label class="field"><span>{t('users.password')}</span><input type="password" autocomplete="new-password" minLength={8} required value={form.password} onInput={(e) => setForm({ ...form, password: val(e) })} /></label>
          {err && <p class="form-error" role="alert">{err}</p>}
          <button type="submit" class="btn btn-primary">{t('common.create')}</button>
        </form>
      </section>
    </div>
  );
}

/* ------------------------------------------------------------ tokens */

function CopyField({ label, value, testid }: { label: string; value: string; testid?: string }) {
  const [done, setDone] = useState(false);
  return (
    <div class="copy">
      <label class="field field-grow"><span>{label}</span><input readOnly value={value} data-testid={testid} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} /></label>
      <button type="button" class="btn" onClick={async () => {
        try { await navigator.clipboard.writeText(value); setDone(true); setTimeout(() => setDone(false), 2000); } catch { /* no clipboard: the field is selectable */ }
      }}>{done ? t('common.copied') : t('common.copy')}</button>
    </div>
  );
}

function Tokens() {
  const tokens = useAsync(() => api.get<List<Token>>('/api/v1/tokens').then((r) => r.data), []);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api.post<Token & { token: string }>('/api/v1/tokens', { name: name.trim() });
      setSecret(r.token);
      setName('');
      tokens.reload();
    } catch (e2) { fail(e2); }
  };
  const revoke = async (tok: Token) => {
    try { await api.del(`/api/v1/tokens/${tok.id}`); tokens.reload(); } catch (e) { fail(e); }
  };
  return (
    <section class="card" aria-labelledby="h-tokens">
      <h2 id="h-tokens">{t('settings.tokens')}</h2>
      <p class="muted">{t('tokens.intro')}</p>
      <form class="inline-form" onSubmit={create}>
        <label class="field field-grow"><span>{t('tokens.name')}</span><input required maxLength={100} value={name} onInput={(e) => setName(val(e))} /></label>
        <button type="submit" class="btn btn-primary" disabled={!name.trim()}>{t('common.create')}</button>
      </form>
      {secret && <div class="notice"><CopyField label={t('tokens.new')} value={secret} testid="new-token" /></div>}
      <AsyncList state={tokens} empty={t('tokens.empty')}>
        {(items) => (
          <div class="table-wrap">
            <table class="table">
              <thead><tr><th scope="col">{t('common.name')}</th><th scope="col">{t('tokens.prefix')}</th><th scope="col">{t('common.created')}</th><th scope="col">{t('tokens.lastUsed')}</th><th scope="col"><span class="sr-only">{t('common.revoke')}</span></th></tr></thead>
              <tbody>
                {items.map((tok) => (
                  <tr class={tok.revoked_at ? 'muted' : ''}>
                    <th scope="row">{tok.name}</th><td><code>{tok.prefix}…</code></td><td>{fmtDateTime(tok.created_at)}</td><td>{fmtDateTime(tok.last_used_at)}</td>
                    <td>{tok.revoked_at ? t('tokens.revoked') : <button type="button" class="btn btn-small btn-danger" onClick={() => revoke(tok)} aria-label={`${t('common.revoke')}: ${tok.name}`}>{t('common.revoke')}</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncList>
    </section>
  );
}

/* ------------------------------------------------------------ write keys */

function snippet(key: string): string {
  return `// npm install @segment/analytics-node
import { Analytics } from '@segment/analytics-node'

const analytics = new Analytics({ writeKey: '${key}', host: '${location.origin}' })

// The customer company (groupId = the account's external_id in Kizuna)
analytics.group({ userId: 'user-123', groupId: 'CRM-00222', traits: { name: 'Acme' } })
// The person using your product
analytics.identify({ userId: 'user-123', traits: { email: 'yamada@acme.co.jp', name: '山田 太郎' } })
// What they do
analytics.track({ userId: 'user-123', event: 'Report Created' })
`;
}

function WriteKeys() {
  const keys = useAsync(() => api.get<List<WriteKey>>('/api/v1/write-keys').then((r) => r.data), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<number | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const k = await api.post<WriteKey>('/api/v1/write-keys', { name: name.trim() });
      setCreated(k.id); setName(''); keys.reload();
    } catch (e2) { fail(e2); }
  };
  const revoke = async (k: WriteKey) => {
    try { await api.del(`/api/v1/write-keys/${k.id}`); keys.reload(); } catch (e) { fail(e); }
  };
  // The snippet uses the key just created, else the newest live one.
  const live = (keys.data ?? []).filter((k) => !k.revoked_at);
  const active = live.find((k) => k.id === created) ?? live.reduce<WriteKey | undefined>((a, k) => (!a || k.id > a.id ? k : a), undefined);
  return (
    <div class="stack">
      <section class="card" aria-labelledby="h-wk">
        <h2 id="h-wk">{t('settings.writeKeys')}</h2>
        <p class="muted">{t('wk.intro')}</p>
        <form class="inline-form" onSubmit={create}>
          <label class="field field-grow"><span>{t('wk.name')}</span><input required maxLength={100} value={name} onInput={(e) => setName(val(e))} /></label>
          <button type="submit" class="btn btn-primary" disabled={!name.trim()}>{t('common.create')}</button>
        </form>
        <AsyncList state={keys} empty={t('wk.empty')}>
          {(items) => (
            <div class="table-wrap">
              <table class="table">
                <thead><tr><th scope="col">{t('common.name')}</th><th scope="col">{t('wk.key')}</th><th scope="col">{t('common.created')}</th><th scope="col"><span class="sr-only">{t('common.revoke')}</span></th></tr></thead>
                <tbody>
                  {items.map((k) => (
                    <tr class={k.revoked_at ? 'muted' : ''}>
                      <th scope="row">{k.name}</th><td><code class="key">{k.key}</code></td><td>{fmtDateTime(k.created_at)}</td>
                      <td>{k.revoked_at ? t('tokens.revoked') : <button type="button" class="btn btn-small btn-danger" onClick={() => revoke(k)} aria-label={`${t('common.revoke')}: ${k.name}`}>{t('common.revoke')}</button>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </AsyncList>
      </section>
      {active && (
        <section class="card" aria-labelledby="h-snippet">
          <h2 id="h-snippet">{t('wk.snippet')}</h2>
          <pre class="code" data-testid="snippet"><code>{snippet(active.key)}</code></pre>
          <button type="button" class="btn" onClick={() => navigator.clipboard?.writeText(snippet(active.key)).then(() => toast(t('common.copied')), () => {})}>{t('common.copy')}</button>
        </section>
      )}
    </div>
  );
}

/* ------------------------------------------------------------ tiers */

function Tiers() {
  const state = useAsync(() => api.get<{ thresholds: TierThreshold[] }>('/api/v1/settings/tiers').then((r) => r.thresholds), []);
  const [rows, setRows] = useState<TierThreshold[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => { if (state.data) setRows(state.data.map((x) => ({ ...x }))); }, [state.data]);
  const save = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      const r = await api.put<{ thresholds: TierThreshold[] }>('/api/v1/settings/tiers', { thresholds: rows });
      setRows(r.thresholds);
      toast(t('common.saved'));
    } catch (e2) { setErr((e2 as Error).message); }
  };
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!rows) return <Loading />;
  const setRow = (i: number, change: Partial<TierThreshold>) => setRows(rows.map((r, j) => (i === j ? { ...r, ...change } : r)));
  return (
    <section class="card" aria-labelledby="h-tiers">
      <h2 id="h-tiers">{t('settings.tiers')}</h2>
      <p class="muted">{t('tiers.intro')}</p>
      <form class="form" onSubmit={save}>
        <div class="table-wrap">
          <table class="table">
            <thead><tr><th scope="col">{t('tiers.currency')}</th><th scope="col">{t('tiers.high')}</th><th scope="col">{t('tiers.low')}</th><th scope="col"><span class="sr-only">{t('common.delete')}</span></th></tr></thead>
            <tbody>
              {rows.map((r, i) => (
                <tr>
                  <td><label><span class="sr-only">{t('tiers.currency')}</span><input class="w-s" required pattern="[A-Z]{3}" maxLength={3} value={r.currency} onInput={(e) => setRow(i, { currency: val(e).toUpperCase() })} /></label></td>
                  <td><label><span class="sr-only">{t('tiers.high')} ({r.currency})</span><input type="number" min={0} step={1} required value={r.high_min_arr} onInput={(e) => setRow(i, { high_min_arr: Number(val(e)) })} /></label> <span class="muted small">{fmtMoney(r.high_min_arr, r.currency)}</span></td>
                  <td><label><span class="sr-only">{t('tiers.low')} ({r.currency})</span><input type="number" min={0} step={1} required value={r.low_min_arr} onInput={(e) => setRow(i, { low_min_arr: Number(val(e)) })} /></label> <span class="muted small">{fmtMoney(r.low_min_arr, r.currency)}</span></td>
                  <td><button type="button" class="btn btn-small" onClick={() => setRows(rows.filter((_, j) => j !== i))}>{t('tiers.removeRow', { c: r.currency })}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {err && <p class="form-error" role="alert">{err}</p>}
        <div class="actions">
          <button type="button" class="btn" onClick={() => setRows([...rows, { currency: '', high_min_arr: 0, low_min_arr: 0 }])}>{t('tiers.addRow')}</button>
          <button type="submit" class="btn btn-primary">{t('common.save')}</button>
        </div>
      </form>
    </section>
  );
}

/* ------------------------------------------------------------ key events */

function KeyEvents() {
  const state = useAsync(() => api.get<{ events: KeyEvent[] }>('/api/v1/settings/key-events').then((r) => r.events), []);
  const [rows, setRows] = useState<KeyEvent[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => { if (state.data) setRows(state.data.map((x) => ({ ...x }))); }, [state.data]);
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!rows) return <Loading />;
  const setRow = (i: number, change: Partial<KeyEvent>) => setRows(rows.map((r, j) => (i === j ? { ...r, ...change } : r)));
  const save = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      const r = await api.put<{ events: KeyEvent[] }>('/api/v1/settings/key-events', { events: rows });
      setRows(r.events);
      toast(t('common.saved'));
    } catch (e2) { setErr((e2 as Error).message); }
  };
  return (
    <section class="card" aria-labelledby="h-ke">
      <h2 id="h-ke">{t('settings.keyEvents')}</h2>
      <p class="muted">{t('ke.intro')}</p>
      <form class="form" onSubmit={save}>
        {rows.length === 0 ? <p class="state state-empty">{t('state.empty')}</p> : (
          <div class="table-wrap">
            <table class="table">
              <thead><tr><th scope="col">{t('ke.name')}</th><th scope="col">{t('ke.labelJa')}</th><th scope="col">{t('ke.labelEn')}</th><th scope="col"><span class="sr-only">{t('common.delete')}</span></th></tr></thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr>
                    <td><label><span class="sr-only">{t('ke.name')}</span><input required value={r.name} onInput={(e) => setRow(i, { name: val(e) })} /></label></td>
                    <td><label><span class="sr-only">{t('ke.labelJa')}</span><input value={r.label_ja} onInput={(e) => setRow(i, { label_ja: val(e) })} /></label></td>
                    <td><label><span class="sr-only">{t('ke.labelEn')}</span><input value={r.label_en} onInput={(e) => setRow(i, { label_en: val(e) })} /></label></td>
                    <td><button type="button" class="btn btn-small" onClick={() => setRows(rows.filter((_, j) => j !== i))}>{t('ke.removeRow', { n: r.name || '?' })}</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {err && <p class="form-error" role="alert">{err}</p>}
        <div class="actions">
          <button type="button" class="btn" onClick={() => setRows([...rows, { name: '', label_ja: '', label_en: '' }])}>{t('ke.addRow')}</button>
          <button type="submit" class="btn btn-primary">{t('common.save')}</button>
        </div>
      </form>
    </section>
  );
}

/* ------------------------------------------------------------ import */

function Import() {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true); setErr(null); setResult(null);
    try {
      const text = await file.text();
      setResult(await api.post<ImportResult>('/api/v1/import/accounts', text, { contentType: 'text/csv' }));
    } catch (e2) {
      if (!(e2 instanceof ApiError && e2.status === 401)) setErr(e2);
    } finally { setBusy(false); }
  };
  return (
    <section class="card" aria-labelledby="h-import">
      <h2 id="h-import">{t('settings.import')}</h2>
      <p class="muted">{t('import.intro')}</p>
      <form class="inline-form" onSubmit={submit}>
        <label class="field field-grow"><span>{t('import.file')}</span>
          <input type="file" accept=".csv,text/csv" data-testid="import-file" onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
        </label>
        <button type="submit" class="btn btn-primary" disabled={!file || busy} data-testid="import-submit">{busy ? t('common.saving') : t('import.submit')}</button>
      </form>
      {busy && <Loading />}
      {err ? <ErrorBox error={err} /> : null}
      {result && (
        <div data-testid="import-result">
          <p class={result.failed ? 'notice notice-warn' : 'notice'} role="status">{t('import.result', result as unknown as Record<string, number>)}</p>
          {result.errors.length > 0 && (
            <div class="table-wrap">
              <table class="table compact" data-testid="import-errors">
                <thead><tr><th scope="col">{t('import.line')}</th><th scope="col">{t('import.column')}</th><th scope="col">{t('import.reason')}</th></tr></thead>
                <tbody>{result.errors.map((x) => <tr><td>{x.line}</td><td>{x.column ?? t('common.none')}</td><td>{x.reason}</td></tr>)}</tbody>
              </table>
            </div>
          )}
          {result.errors_omitted ? <p class="muted">{t('import.omitted', { n: result.errors_omitted })}</p> : null}
        </div>
      )}
    </section>
  );
}
