// The cockpit of a demo CSM: their open tasks (overdue first) with one-click completion,
// renewals within 90 days and recent activity on their accounts, from the real API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWeb, DEMO_TODAY } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
let sato;

before(async () => {
  sato = await env.srv.login('sato@example.com', 'kizuna-demo');
  page = await env.page();
  await env.login(page, 'sato@example.com');
});

const api = async (p) => {
  const r = await env.srv.request('GET', p, { cookie: sato.cookie });
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};

test('my open tasks are listed, overdue ones first and marked', async () => {
  const mine = await api('/api/v1/tasks?assignee=me&status=open&limit=500');
  assert.ok(mine.data.length > 0, 'the demo gives sato open tasks');
  await page.getByTestId('task-row').first().waitFor();
  const titles = await page.getByTestId('task-row').locator('.task-title').allTextContents();
  assert.ok(titles.length > 0 && titles.length <= mine.data.length);
  assert.deepEqual(titles, mine.data.slice(0, titles.length).map((t) => t.title));
  const overdue = mine.data.filter((t) => t.due_date && t.due_date < DEMO_TODAY).length;
  if (overdue > 0) {
    assert.equal(await page.getByTestId('task-row').first().locator('.pill-red').count(), 1, 'the first task is marked overdue');
  }
  // "Show all" reveals the rest.
  if (mine.data.length > titles.length) {
    await page.getByTestId('tasks-more').click();
    assert.equal(await page.getByTestId('task-row').count(), Math.min(mine.data.length, 200));
    await page.getByTestId('tasks-more').click();
  }
});

test('completing a task takes one click and is saved', async () => {
  const first = page.getByTestId('task-row').first();
  const title = await first.locator('.task-title').textContent();
  const before = (await api('/api/v1/tasks?assignee=me&status=open&limit=500')).data;
  const task = before.find((t) => t.title === title);
  await first.getByTestId('task-complete').click();
  await page.getByRole('status').filter({ hasText: `Completed “${title}”` }).waitFor();
  const after = await api(`/api/v1/tasks/${task.id}`);
  assert.equal(after.status, 'done');
  assert.ok(after.completed_at);
  const ids = (await api('/api/v1/tasks?assignee=me&status=open&limit=500')).data.map((t) => t.id);
  assert.ok(!ids.includes(task.id));
});

test('renewals in the next 90 days on my accounts', async () => {
  const limit = new Date(Date.parse(`${DEMO_TODAY}T00:00:00Z`) + 91 * 86400000).toISOString().slice(0, 10);
  const want = (await api(`/api/v1/accounts?owner=me&renewal_before=${limit}&sort=renewal_date&limit=100`)).data
    .filter((a) => a.renewal_date >= DEMO_TODAY && a.subscription_status !== 'churned');
  const section = page.getByRole('region', { name: 'Renewals in the next 90 days' });
  if (want.length === 0) {
    await section.getByText('No renewals').waitFor();
  } else {
    await section.getByTestId('renewals').waitFor();
    if (await section.getByTestId('renewals-more').count()) await section.getByTestId('renewals-more').click();
    const names = await section.locator('.row-main > a').allTextContents();
    assert.deepEqual(names, want.map((a) => a.name));
  }
});

test('recent activity on my accounts and the at-risk panel', async () => {
  await page.getByTestId('activity').waitFor();
  assert.ok(await page.getByTestId('activity').locator('li').count() > 0);
  // No health bands from the API yet: the panel says so rather than claiming "none at risk".
  await page.getByText(/Health scores are not computed yet|None of your accounts is at risk/).or(page.getByTestId('at-risk')).first().waitFor();
  await env.screenshot(page, 'cockpit');
  env.assertNoConsoleErrors(page);
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
