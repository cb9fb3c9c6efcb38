// Account 360 on a demo account: the header, every tab with the API's real data, adding a
// timeline note with a participant, usage charted by ECharts (loaded only then), and user
// text that looks like HTML shown as text.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
let acct;
const requested = [];

const api = async (p) => {
  const r = await env.srv.as(env.srv.admin).get(p);
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};

before(async () => {
  acct = (await api('/api/v1/accounts?sort=-arr&limit=1')).data[0];
  // Product usage for it, through the tracking API as a product would send it.
  const key = await env.srv.createWriteKey('web test');
  const ts = (d) => new Date(Date.now() - d * 86400000).toISOString();
  const batch = [
    { type: 'group', userId: 'web-u1', groupId: acct.external_id, timestamp: ts(5) },
    { type: 'group', userId: 'web-u2', groupId: acct.external_id, timestamp: ts(5) },
    { type: 'identify', userId: 'web-u1', traits: { name: 'Usage Tester', email: 'u1@example.com' }, timestamp: ts(5) },
  ];
  for (let d = 0; d < 5; d++) {
    batch.push({ type: 'track', userId: 'web-u1', event: 'Report Created', timestamp: ts(d) });
    if (d % 2) batch.push({ type: 'track', userId: 'web-u2', event: 'Dashboard Viewed', timestamp: ts(d) });
  }
  const r = await env.srv.ingest('/v1/batch', { batch }, { key: key.key });
  assert.equal(r.status, 200, r.text);
  page = await env.page();
  page.on('request', (req) => requested.push(new URL(req.url()).pathname));
  await env.login(page);
});

test('the header shows the account', async () => {
  await page.goto(`/accounts/${acct.id}`);
  await page.getByRole('heading', { level: 1, name: acct.name }).waitFor();
  await page.getByTestId('health-score').waitFor();
  const head = await page.locator('.acct-head').textContent();
  assert.match(head, /High touch|Low touch|Tech touch/);
  assert.ok(!requested.some((p) => /echarts/.test(p)), 'ECharts is not loaded before a chart is drawn');
});

test('Overview: basic info, subscription and contacts from the API', async () => {
  const sub = await api(`/api/v1/accounts/${acct.id}/subscription`);
  const contacts = (await api(`/api/v1/accounts/${acct.id}/contacts?limit=500`)).data;
  await page.getByTestId('subscription').getByText(sub.plan, { exact: true }).waitFor();
  if (acct.domain) await page.getByText(acct.domain, { exact: true }).first().waitFor();
  await page.getByRole('heading', { name: /Contacts/ }).locator('.count').filter({ hasText: String(contacts.length) }).waitFor();
  await env.screenshot(page, 'account-overview');
});

test('Stakeholders: contacts by role, decision maker and champion highlighted', async () => {
  const contacts = (await api(`/api/v1/accounts/${acct.id}/contacts?limit=500`)).data;
  await page.getByRole('tab', { name: 'Stakeholders' }).click();
  await page.getByTestId('stakeholders').waitFor();
  assert.equal(await page.getByTestId('contact').count(), contacts.length);
  const key = contacts.filter((c) => c.role === 'decision_maker' || c.role === 'champion').length;
  assert.equal(await page.locator('.person-key').count(), key);
  assert.match(page.url(), /tab=stakeholders/);
});

test('Timeline: entries listed; a new note with a participant appears at once and is saved', async () => {
  const entries = (await api(`/api/v1/accounts/${acct.id}/timeline?limit=25`)).data;
  await page.getByRole('tab', { name: 'Timeline' }).click();
  await page.getByTestId('timeline').waitFor();
  const shown = await page.getByTestId('timeline-entry').locator('.feed-summary').allTextContents();
  assert.deepEqual(shown, entries.map((e) => e.summary));

  const contacts = (await api(`/api/v1/accounts/${acct.id}/contacts?limit=500`)).data;
  const summary = `Web test note ${Date.now()} <b>not bold</b>`;
  await page.getByTestId('timeline-summary').fill(summary);
  await page.getByTestId('timeline-body').fill('Line one\n<script>alert(1)</script>');
  if (contacts.length) await page.getByRole('checkbox', { name: new RegExp(contacts[0].name) }).check();
  await page.getByTestId('timeline-submit').click();
  const entry = page.getByTestId('timeline-entry').filter({ hasText: summary });
  await entry.waitFor();
  assert.equal(await entry.locator('b').count(), 0, 'user text is never HTML');
  assert.match(await entry.textContent(), /<script>alert\(1\)<\/script>/);
  const saved = (await api(`/api/v1/accounts/${acct.id}/timeline?limit=50`)).data.find((e) => e.summary === summary);
  assert.ok(saved, 'the note is in the API');
  assert.equal(saved.type, 'note');
  if (contacts.length) assert.deepEqual(saved.contact_ids, [contacts[0].id]);
  await env.screenshot(page, 'account-timeline');
});

test('Usage: active users and events charted (ECharts loaded lazily), users last seen', async () => {
  await page.getByRole('tab', { name: 'Usage' }).click();
  await page.getByTestId('usage-chart').locator('canvas').waitFor();
  assert.ok(requested.some((p) => /\/assets\/echarts-.*\.js$/.test(p)), 'the ECharts chunk was fetched for the chart');
  const users = page.getByTestId('usage-users');
  await users.getByText('Usage Tester').waitFor();
  // The demo's own product users of this account, plus the two this test sent events for.
  assert.ok(await users.locator('tbody tr').count() >= 2);
  await env.screenshot(page, 'account-usage');
});

test('Tasks: the account\'s open tasks', async () => {
  const tasks = (await api(`/api/v1/tasks?account_id=${acct.id}&status=open&limit=200`)).data;
  await page.getByRole('tab', { name: 'Tasks' }).click();
  if (tasks.length) {
    await page.getByTestId('account-tasks').waitFor();
    assert.deepEqual(await page.getByTestId('account-tasks').locator('.task-title').allTextContents(), tasks.map((t) => t.title));
  } else {
    await page.getByText('No tasks on this account.').waitFor();
  }
  // Arrow keys move between tabs (WAI-ARIA tabs).
  await page.getByRole('tab', { name: 'Tasks' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('tab', { name: 'Stakeholders', selected: true }).waitFor();
  env.assertNoConsoleErrors(page);
});

test('an account name that looks like HTML is shown as text', async () => {
  const name = '<img src=x onerror="window.__pwned=1">Evil & Co';
  const r = await env.srv.as(env.srv.admin).post('/api/v1/accounts', { name });
  assert.equal(r.status, 201, r.text);
  await page.goto(`/accounts/${r.json.id}`);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  assert.equal(await page.locator('.acct-head img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.goto(`/accounts?q=${encodeURIComponent('Evil')}`);
  await page.getByTestId('account-row').filter({ hasText: 'Evil & Co' }).waitFor();
  assert.equal(await page.locator('[data-testid=account-row] img').count(), 0);
  env.assertNoConsoleErrors(page);
});

test('a viewer reads the account but gets no forms to change it', async () => {
  const viewer = await env.page();
  await env.login(viewer, 'tanaka@example.com');
  await viewer.goto(`/accounts/${acct.id}?tab=timeline`);
  await viewer.getByTestId('timeline').waitFor();
  assert.equal(await viewer.getByTestId('timeline-form').count(), 0);
  await viewer.getByRole('tab', { name: 'Tasks' }).click();
  await viewer.getByRole('heading', { name: 'Tasks', level: 2 }).waitFor();
  assert.equal(await viewer.getByRole('heading', { name: 'Add a task' }).count(), 0);
  env.assertNoConsoleErrors(viewer);
  await viewer.context().close();
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
