// Settings (admin) → Email: the SMTP server playbook emails go to (GET/PUT
// /api/v1/settings/smtp; the password is write-only, the form shows whether one is set), and
// the email templates (/api/v1/email-templates) with an editor and a preview rendered by the
// server for a chosen account and contact. Template text and previews are shown as text,
// never as HTML (the HTML body's source is shown in a code block). docs/playbooks.md.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { Account, Contact, List } from '../api';
import { AsyncList, ErrorBox, Loading, toast, useAsync } from '../components';
import { fmtDateTime } from '../format';
import { t } from '../i18n';
import type { Key } from '../i18n';

type Tls = 'none' | 'starttls' | 'tls';
interface Smtp { host: string | null; port: number | null; tls: Tls | null; user: string | null; from: string | null; password_set: boolean }
interface Template { id: number; name: string; subject: string; body_text: string; body_html: string | null; created_at: string; updated_at: string }
interface Rendered { subject: string; body_text: string; body_html: string | null; to: string | null }
type Err = { field?: string; msg: string } | null;

const PLACEHOLDERS = ['account.name', 'account.tier', 'account.phase', 'account.renewal_date', 'contact.name', 'contact.email',
  'owner.name', 'owner.email', 'health.score', 'health.band', 'renewal_date', 'playbook.name', 'trigger'];

const val = (e: Event) => (e.currentTarget as HTMLInputElement).value;
const toErr = (e: unknown): Err => (e instanceof ApiError ? { field: e.field, msg: e.message } : { msg: (e as Error).message });

/** The server's 400 under the field it names. */
function FieldError({ err, field }: { err: Err; field: string }) {
  return err?.field === field ? <span class="field-error" role="alert" data-testid="field-error">{err.msg}</span> : null;
}

export function EmailSettings() {
  return (
    <div class="stack">
      <SmtpForm />
      <Templates />
    </div>
  );
}

/* ------------------------------------------------------------ SMTP */

function SmtpForm() {
  const state = useAsync(() => api.get<Smtp>('/api/v1/settings/smtp'), []);
  const [form, setForm] = useState({ host: '', port: '587', tls: 'starttls' as Tls, user: '', password: '', clear: false, from: '' });
  const [err, setErr] = useState<Err>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const s = state.data;
    if (s) setForm({ host: s.host ?? '', port: s.port ? String(s.port) : '587', tls: s.tls ?? 'starttls', user: s.user ?? '', password: '', clear: false, from: s.from ?? '' });
  }, [state.data]);
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    const body: Record<string, unknown> = { host: form.host.trim(), port: Number(form.port), tls: form.tls, user: form.user.trim() || null, from: form.from.trim() };
    if (form.clear) body.password = null;
    else if (form.password) body.password = form.password;
    try {
      state.set(await api.put<Smtp>('/api/v1/settings/smtp', body));
      toast(t('common.saved'));
    } catch (e2) { setErr(toErr(e2)); } finally { setBusy(false); }
  };
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: val(e) });
  return (
    <section class="card" aria-labelledby="h-smtp">
      <h2 id="h-smtp">{t('email.smtp')}</h2>
      <p class="muted">{t('email.smtpIntro')}</p>
      <form class="form" onSubmit={save} data-testid="smtp-form">
        <label class="field"><span>{t('email.host')}</span><input required maxLength={253} value={form.host} aria-invalid={err?.field === 'host'} onInput={set('host')} /><FieldError err={err} field="host" /></label>
        <label class="field"><span>{t('email.port')}</span><input type="number" required min={1} max={65535} value={form.port} aria-invalid={err?.field === 'port'} onInput={set('port')} /><FieldError err={err} field="port" /></label>
        <label class="field"><span>{t('email.tls')}</span>
          <select value={form.tls} onChange={(e) => setForm({ ...form, tls: (e.currentTarget as HTMLSelectElement).value as Tls })}>
            {(['none', 'starttls', 'tls'] as Tls[]).map((m) => <option value={m}>{t(`email.tls.${m}` as Key)}</option>)}
          </select>
          <FieldError err={err} field="tls" />
        </label>
        <label class="field"><span>{t('email.user')}</span><input autocomplete="off" maxLength={320} value={form.user} onInput={set('user')} /><FieldError err={err} field="user" /></label>
        <div class="field">
          <label class="field"><span>{t('email.password')}</span>
            <input type="password" autocomplete="new-password" maxLength={1000} value={form.password} disabled={form.clear} onInput={set('password')} aria-describedby="smtp-pw-state" data-testid="smtp-password" />
          </label>
          <span id="smtp-pw-state" class="muted small" data-testid="smtp-password-state">{state.data.password_set ? t('email.passwordSet') : t('email.passwordUnset')}</span>
          <FieldError err={err} field="password" />
        </div>
        {state.data.password_set && (
          <label class="check-opt"><input type="checkbox" checked={form.clear} onChange={(e) => setForm({ ...form, clear: (e.currentTarget as HTMLInputElement).checked, password: '' })} /> {t('email.passwordClear')}</label>
        )}
        <label class="field"><span>{t('email.from')}</span><input type="email" required maxLength={254} value={form.from} aria-invalid={err?.field === 'from'} onInput={set('from')} /><FieldError err={err} field="from" /></label>
        {err && !err.field && <p class="form-error" role="alert">{err.msg}</p>}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{busy ? t('common.saving') : t('common.save')}</button></div>
      </form>
    </section>
  );
}

/* ------------------------------------------------------------ templates */

const EMPTY = { name: '', subject: '', body_text: '', body_html: '' };

function Templates() {
  const list = useAsync(() => api.get<List<Template>>('/api/v1/email-templates?limit=500').then((r) => r.data), []);
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const remove = async (tp: Template) => {
    try {
      await api.del(`/api/v1/email-templates/${tp.id}`);
      if (editing !== 'new' && editing?.id === tp.id) setEditing(null);
      list.reload();
      toast(t('email.deleted'));
    } catch (e) { toast(t('common.actionFailed', { msg: (e as Error).message })); }
  };
  return (
    <div class="grid-2 grid-timeline">
      <section class="card" aria-labelledby="h-templates">
        <h2 id="h-templates">{t('email.templates')}</h2>
        <p class="muted">{t('email.templatesIntro')}</p>
        <div class="actions"><button type="button" class="btn" onClick={() => setEditing('new')}>{t('email.new')}</button></div>
        <AsyncList state={list} empty={t('email.templatesEmpty')}>
          {(items) => (
            <div class="table-wrap">
              <table class="table" data-testid="templates-table">
                <thead><tr><th scope="col">{t('email.name')}</th><th scope="col">{t('email.subject')}</th><th scope="col">{t('email.updated')}</th><th scope="col"><span class="sr-only">{t('email.edit')}</span></th></tr></thead>
                <tbody>
                  {items.map((tp) => (
                    <tr>
                      <th scope="row">{tp.name}</th>
                      <td>{tp.subject}</td>
                      <td>{fmtDateTime(tp.updated_at)}</td>
                      <td>
                        <button type="button" class="btn btn-small" aria-label={t('email.editNamed', { name: tp.name })} onClick={() => setEditing(tp)}>{t('email.edit')}</button>{' '}
                        <button type="button" class="btn btn-small btn-danger" aria-label={t('email.deleteNamed', { name: tp.name })} onClick={() => remove(tp)}>{t('common.delete')}</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </AsyncList>
      </section>
      {editing && (
        <Editor key={editing === 'new' ? 'new' : editing.id} template={editing === 'new' ? null : editing}
          onSaved={(tp) => { setEditing(tp); list.reload(); }} onCancel={() => setEditing(null)} />
      )}
    </div>
  );
}

function Editor({ template, onSaved, onCancel }: { template: Template | null; onSaved: (t: Template) => void; onCancel: () => void }) {
  const [form, setForm] = useState(template ? { name: template.name, subject: template.subject, body_text: template.body_text, body_html: template.body_html ?? '' } : EMPTY);
  const [err, setErr] = useState<Err>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    const body = { ...form, body_html: form.body_html.trim() ? form.body_html : null };
    try {
      const saved = template ? await api.patch<Template>(`/api/v1/email-templates/${template.id}`, body) : await api.post<Template>('/api/v1/email-templates', body);
      toast(t('common.saved'));
      onSaved(saved);
    } catch (e2) { setErr(toErr(e2)); } finally { setBusy(false); }
  };
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: val(e) });
  return (
    <section class="card" aria-labelledby="h-template-edit" data-testid="template-editor">
      <h2 id="h-template-edit">{template ? t('email.editing') : t('email.creating')}</h2>
      <form class="form" onSubmit={save}>
        <label class="field"><span>{t('email.name')}</span><input required maxLength={200} value={form.name} onInput={set('name')} /><FieldError err={err} field="name" /></label>
        <label class="field"><span>{t('email.subject')}</span><input required maxLength={500} value={form.subject} aria-invalid={err?.field === 'subject'} onInput={set('subject')} /><FieldError err={err} field="subject" /></label>
        <label class="field"><span>{t('email.bodyText')}</span><textarea required rows={8} value={form.body_text} aria-invalid={err?.field === 'body_text'} onInput={set('body_text')} /><FieldError err={err} field="body_text" /></label>
        <label class="field"><span>{t('email.bodyHtml')}</span><textarea rows={6} value={form.body_html} aria-invalid={err?.field === 'body_html'} onInput={set('body_html')} /><FieldError err={err} field="body_html" /></label>
        <p class="muted small">{t('email.placeholders')}: {PLACEHOLDERS.map((p) => <code class="key">{`{{${p}}}`}</code>).reduce<unknown[]>((a, c) => (a.length ? [...a, ' ', c] : [c]), [])}</p>
        {err && !err.field && <p class="form-error" role="alert">{err.msg}</p>}
        <div class="actions">
          <button type="button" class="btn" onClick={onCancel}>{t('email.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? t('common.saving') : t('common.save')}</button>
        </div>
      </form>
      {template ? <Preview template={template} /> : <p class="muted">{t('email.previewSaveFirst')}</p>}
    </section>
  );
}

function Preview({ template }: { template: Template }) {
  const accounts = useAsync(() => api.get<List<Account>>('/api/v1/accounts?limit=200&sort=name').then((r) => r.data), []);
  const [accountId, setAccountId] = useState('');
  const contacts = useAsync(() => (accountId ? api.get<List<Contact>>(`/api/v1/accounts/${accountId}/contacts?limit=100`).then((r) => r.data) : Promise.resolve([] as Contact[])), [accountId]);
  const [contactId, setContactId] = useState('');
  const [out, setOut] = useState<Rendered | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null); setOut(null);
    try {
      setOut(await api.post<Rendered>(`/api/v1/email-templates/${template.id}/preview`, { account_id: Number(accountId), ...(contactId ? { contact_id: Number(contactId) } : {}) }));
    } catch (e2) { setErr(e2); } finally { setBusy(false); }
  };
  return (
    <div class="stack" aria-labelledby="h-preview" role="group">
      <h3 id="h-preview">{t('email.preview')}</h3>
      {accounts.error ? <ErrorBox error={accounts.error} retry={accounts.reload} /> : !accounts.data ? <Loading /> : (
        <form class="inline-form" onSubmit={run}>
          <label class="field field-grow"><span>{t('email.previewAccount')}</span>
            <select required value={accountId} data-testid="preview-account" onChange={(e) => { setAccountId((e.currentTarget as HTMLSelectElement).value); setContactId(''); }}>
              <option value="">{t('email.previewChoose')}</option>
              {accounts.data.map((a) => <option value={String(a.id)}>{a.name}</option>)}
            </select>
          </label>
          <label class="field field-grow"><span>{t('email.previewContact')}</span>
            <select value={contactId} disabled={!accountId || !contacts.data} data-testid="preview-contact" onChange={(e) => setContactId((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">{t('email.previewNoContact')}</option>
              {(contacts.data ?? []).map((c) => <option value={String(c.id)}>{c.name}{c.email ? ` <${c.email}>` : ''}</option>)}
            </select>
          </label>
          <button type="submit" class="btn" disabled={!accountId || busy}>{t('email.previewRun')}</button>
        </form>
      )}
      {busy && <Loading />}
      {err ? <ErrorBox error={err} /> : null}
      {out && (
        <dl class="preview" data-testid="preview">
          <dt>{t('email.previewTo')}</dt><dd>{out.to ?? t('common.none')}</dd>
          <dt>{t('email.subject')}</dt><dd data-testid="preview-subject">{out.subject}</dd>
          <dt>{t('email.bodyText')}</dt><dd><pre class="code" data-testid="preview-text">{out.body_text}</pre></dd>
          {out.body_html !== null && <><dt>{t('email.previewHtmlSource')}</dt><dd><pre class="code" data-testid="preview-html">{out.body_html}</pre></dd></>}
        </dl>
      )}
    </div>
  );
}
