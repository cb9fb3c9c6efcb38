// Settings as an admin: users and roles, personal API tokens (shown once, usable), write
// keys with the tracking snippet, tier thresholds, key events, and the CSV import with its
// per-row error report. A CSM sees only their tokens.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;

before(async () => {
  page = await env.page();
  await env.login(page);
});

test('users: add a CSM, change a role, disable and enable', async () => {
  await page.goto('/settings?tab=users');
  await page.getByTestId('users-table').waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Web Test CSM');
  await page.getByLabel('Email', { exact: true }).fill('web-csm@example.com');
  await page.getByLabel(/Initial password/).fill('web-test-password');
  await page.getByRole('button', { name: 'Create' }).click();
  const row = page.getByTestId('users-table').locator('tr', { hasText: 'web-csm@example.com' });
  await row.waitFor();
  await row.getByLabel('Role: Web Test CSM').selectOption('viewer');
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const users = (await env.srv.as(env.srv.admin).get('/api/v1/users?limit=500')).json.data;
  const u = users.find((x) => x.email === 'web-csm@example.com');
  assert.equal(u.role, 'viewer');
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('Disabled').waitFor();
  await row.getByRole('button', { name: 'Enable' }).click();
  await row.getByRole('button', { name: 'Disable' }).waitFor();
});

test('tokens: a new token is shown once and works as a bearer token', async () => {
  await page.getByRole('tab', { name: 'My API tokens' }).click();
  await page.getByLabel('Token name').fill('web test script');
  await page.getByRole('button', { name: 'Create' }).click();
  const token = await page.getByTestId('new-token').inputValue();
  assert.match(token, /^kz_/);
  const r = await env.srv.as(token).get('/api/v1/session');
  assert.equal(r.status, 200);
  await page.getByRole('button', { name: 'Revoke: web test script' }).click();
  await page.locator('tr', { hasText: 'web test script' }).getByText('Revoked').waitFor();
  assert.equal((await env.srv.as(token).get('/api/v1/session')).status, 401);
});

test('write keys: create one and get a snippet that sends to this server', async () => {
  await page.getByRole('tab', { name: 'Write keys' }).click();
  await page.getByLabel('Key name').fill('production');
  const post = page.waitForResponse((r) => r.url().endsWith('/api/v1/write-keys') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Create' }).click();
  assert.equal((await post).status(), 201);
  const key = (await env.srv.as(env.srv.admin).get('/api/v1/write-keys')).json.data.find((k) => k.name === 'production').key;
  // The demo has a write key already: the snippet switches to the one just created.
  const snippet = page.getByTestId('snippet').filter({ hasText: key });
  await snippet.waitFor();
  const text = await snippet.textContent();
  assert.ok(text.includes(`writeKey: '${key}'`), text);
  assert.ok(text.includes(`host: '${env.base}'`), text);
  assert.match(text, /@segment\/analytics-node/);
  await env.screenshot(page, 'settings-write-keys');
});

test('tiers and key events are edited and saved', async () => {
  await page.getByRole('tab', { name: 'Tiers' }).click();
  const jpyHigh = page.getByLabel('High touch from ARR (JPY)');
  await jpyHigh.fill('15000000');
  const put = page.waitForResponse((r) => r.url().endsWith('/api/v1/settings/tiers') && r.request().method() === 'PUT');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal((await put).status(), 200);
  const tiers = (await env.srv.as(env.srv.admin).get('/api/v1/settings/tiers')).json.thresholds;
  assert.equal(tiers.find((x) => x.currency === 'JPY').high_min_arr, 15000000);

  await page.getByRole('tab', { name: 'Key events' }).click();
  await page.getByRole('button', { name: 'Add an event' }).click();
  const rows = page.locator('tbody tr');
  const last = rows.last();
  // The demo already has key events (Report Created among them): add a new one.
  await last.getByLabel('Event name').fill('Invoice Sent');
  await last.getByLabel('Label (Japanese)').fill('請求書送付');
  await last.getByLabel('Label (English)').fill('Invoice sent');
  const put2 = page.waitForResponse((r) => r.url().endsWith('/api/v1/settings/key-events') && r.request().method() === 'PUT');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal((await put2).status(), 200);
  const ke = (await env.srv.as(env.srv.admin).get('/api/v1/settings/key-events')).json.events;
  assert.ok(ke.some((e) => e.name === 'Invoice Sent' && e.label_ja === '請求書送付'));
  assert.ok(ke.some((e) => e.name === 'Report Created'), 'the existing key events are kept');
});

test('CSV import: good rows imported, bad rows reported by line and column', async () => {
  const csv = [
    'external_id,name,domain,plan,mrr,currency,start_date,renewal_date',
    'WEB-1,ウェブテスト株式会社,web-test-1.example.jp,Standard,100000,JPY,2026-04-01,2027-04-01',
    'WEB-2,,web-test-2.example.jp,Standard,100000,JPY,2026-04-01,2027-04-01',
    'WEB-3,Web Test Three,web-test-3.example.com,Standard,abc,USD,2026-04-01,2027-04-01',
  ].join('\n');
  const file = path.join(env.srv.dir, 'import.csv');
  fs.writeFileSync(file, csv);
  await page.getByRole('tab', { name: 'Import accounts' }).click();
  await page.getByTestId('import-file').setInputFiles(file);
  await page.getByTestId('import-submit').click();
  const result = page.getByTestId('import-result');
  await result.waitFor();
  assert.match(await result.locator('[role=status]').textContent(), /3 rows: 1 created, 0 updated, 2 failed/);
  const lines = await page.getByTestId('import-errors').locator('tbody tr td:first-child').allTextContents();
  assert.deepEqual([...new Set(lines)], ['3', '4']);
  assert.match(await page.getByTestId('import-errors').textContent(), /mrr/);
  assert.ok(await env.srv.accountByExternalId('WEB-1'));
  await env.screenshot(page, 'settings-import');
  env.assertNoConsoleErrors(page);
});

test('a CSM sees only their own tokens', async () => {
  const csm = await env.page();
  await env.login(csm, 'sato@example.com');
  await csm.goto('/settings?tab=users');
  await csm.getByRole('tab', { name: 'My API tokens', selected: true }).waitFor();
  assert.equal(await csm.getByRole('tab').count(), 1);
  env.assertNoConsoleErrors(csm);
  await csm.context().close();
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
