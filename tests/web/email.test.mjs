// Settings → Email as an admin: the SMTP form (password write-only, its "set" state shown,
// kept when left empty, removable), 400s shown next to the field they name, the templates
// list and editor (an unknown placeholder refused at save), and a preview for a demo account
// and contact rendered by the server and shown as text. Japanese labels, and no horizontal
// scrolling on a phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHorizontalOverflow, startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
const admin = () => env.srv.as(env.srv.admin);

before(async () => {
  page = await env.page();
  await env.login(page);
});

test('SMTP: save with a password; it is never shown, kept when left empty, removable', async () => {
  await page.goto('/settings?tab=email');
  const form = page.getByTestId('smtp-form');
  await form.waitFor();
  await page.getByTestId('smtp-password-state').filter({ hasText: 'No password is set.' }).waitFor();
  await form.getByLabel('Host').fill('smtp.example.com/bad');
  await form.getByLabel('Port').fill('587');
  await form.getByLabel('Encryption').selectOption('starttls');
  await form.getByLabel('User name (optional)').fill('cs-mailer');
  await form.getByLabel('Password', { exact: true }).fill('web-secret-123');
  await form.getByLabel('Sender address').fill('cs@example.com');
  await form.getByRole('button', { name: 'Save' }).click();
  // The server's 400 names the host: shown under it.
  await form.getByTestId('field-error').filter({ hasText: 'host' }).waitFor();
  await form.getByLabel('Host').fill('smtp.example.com');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('smtp-password-state').filter({ hasText: 'A password is set.' }).waitFor();
  assert.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not shown after saving');
  const s = (await admin().get('/api/v1/settings/smtp')).json;
  assert.deepEqual(s, { host: 'smtp.example.com', port: 587, tls: 'starttls', user: 'cs-mailer', from: 'cs@example.com', password_set: true });
  // Saving again without typing it keeps it.
  await form.getByLabel('Port').fill('2587');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).first().waitFor();
  await assertEventually(async () => (await admin().get('/api/v1/settings/smtp')).json.port === 2587);
  assert.equal((await admin().get('/api/v1/settings/smtp')).json.password_set, true);
  // A reload shows the settings, not the password.
  await page.reload();
  await form.waitFor();
  assert.equal(await form.getByLabel('Host').inputValue(), 'smtp.example.com');
  assert.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '');
  assert.equal(await page.content().then((h) => h.includes('web-secret-123')), false);
  await form.getByLabel('Remove the stored password').check();
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('smtp-password-state').filter({ hasText: 'No password is set.' }).waitFor();
  assert.equal((await admin().get('/api/v1/settings/smtp')).json.password_set, false);
  env.assertNoConsoleErrors(page, [/Failed to load resource.*400/]);
});

test('templates: the defaults are listed; a new one with an unknown placeholder is refused, then saved and previewed', async () => {
  await page.goto('/settings?tab=email');
  const table = page.getByTestId('templates-table');
  await table.getByText('Re-engagement', { exact: false }).waitFor();
  await page.getByRole('button', { name: 'New template' }).click();
  const ed = page.getByTestId('template-editor');
  await ed.getByLabel('Template name').fill('Web welcome');
  await ed.getByLabel('Subject').fill('Welcome {{account.nam}}');
  await ed.getByLabel('Text body').fill('Dear {{contact.name}} of {{account.name}}');
  await ed.getByLabel('HTML body (optional)').fill('<p>{{account.name}}</p>');
  await ed.getByText('Save the template to preview it.').waitFor();
  await ed.getByRole('button', { name: 'Save' }).click();
  await ed.getByTestId('field-error').filter({ hasText: 'account.nam' }).waitFor();
  await ed.getByLabel('Subject').fill('Welcome {{account.name}}');
  await ed.getByRole('button', { name: 'Save' }).click();
  await table.getByText('Web welcome').waitFor();
  const saved = (await admin().get('/api/v1/email-templates?limit=500')).json.data.find((x) => x.name === 'Web welcome');
  assert.equal(saved.body_html, '<p>{{account.name}}</p>');
  // Preview for a demo account with a contact that has an email address.
  const accounts = (await admin().get('/api/v1/accounts?limit=200&sort=name')).json.data;
  let acct = null, contact = null;
  for (const a of accounts) {
    const c = (await admin().get(`/api/v1/accounts/${a.id}/contacts`)).json.data.find((x) => x.email);
    if (c) { acct = a; contact = c; break; }
  }
  assert.ok(acct, 'a demo account with a contact');
  await ed.getByTestId('preview-account').selectOption(String(acct.id));
  await ed.getByTestId('preview-contact').locator(`option[value="${contact.id}"]`).waitFor({ state: 'attached' });
  await ed.getByTestId('preview-contact').selectOption(String(contact.id));
  await ed.getByRole('button', { name: 'Show preview' }).click();
  await ed.getByTestId('preview-subject').filter({ hasText: `Welcome ${acct.name}` }).waitFor();
  assert.equal(await ed.getByTestId('preview-text').textContent(), `Dear ${contact.name} of ${acct.name}`);
  const esc = acct.name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  assert.equal(await ed.getByTestId('preview-html').textContent(), `<p>${esc}</p>`, 'the HTML source, shown as text');
  // Delete it.
  await table.getByRole('button', { name: 'Delete: Web welcome' }).click();
  await table.getByText('Web welcome').waitFor({ state: 'detached' });
  env.assertNoConsoleErrors(page, [/Failed to load resource.*400/]);
});

test('in Japanese, and on a phone without horizontal scrolling', async () => {
  const p = await env.page({ width: 390, height: 844, locale: 'ja-JP', lang: 'ja' });
  await env.login(p);
  await p.goto('/settings?tab=email');
  await p.getByRole('heading', { name: 'SMTPサーバー' }).waitFor();
  await p.getByRole('heading', { name: 'メールテンプレート' }).waitFor();
  await p.getByLabel('送信元アドレス').waitFor();
  await p.getByTestId('templates-table').waitFor();
  await p.getByRole('button', { name: /^編集: 再活性化/ }).click();
  await p.getByTestId('template-editor').waitFor();
  assert.equal(await hasHorizontalOverflow(p), false);
  env.assertNoConsoleErrors(p);
  await p.context().close();
});

async function assertEventually(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await cond()) return; await new Promise((r) => setTimeout(r, 100)); }
  assert.fail('condition not met');
}

test('server stops cleanly', () => env.stop());
