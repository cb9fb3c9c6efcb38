// The cockpit of a demo CSM, from GET /api/v1/cockpit: their open tasks (overdue first) with
// one-click completion, at-risk accounts with the reason in words ("Red band", "Falling
// fast" and by how much), renewals within 90 days and recent activity linking to the
// accounts; and user names (GET /api/v1/team) instead of "User #3" for a viewer and a CSM
// on the accounts table, its owner filter, the account header, tasks and the timeline.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHorizontalOverflow, startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
let sato;

before(async () => {
  sato = await env.srv.login('sato@example.com', 'kizuna-demo');
  page = await env.page();
  await env.login(page, 'sato@example.com');
});

const api = async (p, cookie = sato.cookie) => {
  const r = await env.srv.request('GET', p, { cookie });
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};
const cockpit = () => api('/api/v1/cockpit?limit=200');

test('my open tasks are listed in the API\'s order, overdue ones first and marked in words', async () => {
  const c = await cockpit();
  assert.ok(c.tasks.length > 0, 'the demo gives sato open tasks');
  await page.getByTestId('task-row').first().waitFor();
  const titles = await page.getByTestId('task-row').locator('.task-title').allTextContents();
  assert.ok(titles.length > 0 && titles.length <= c.tasks.length);
  assert.deepEqual(titles, c.tasks.slice(0, titles.length).map((t) => t.title));
  const names = await page.getByTestId('task-row').locator('.task-meta a').allTextContents();
  assert.deepEqual(names, c.tasks.slice(0, titles.length).map((t) => t.account_name));
  assert.ok(c.counts.tasks_overdue > 0, 'the demo gives sato overdue tasks');
  assert.equal(await page.getByTestId('task-row').first().locator('.pill-red').textContent(), 'Overdue');
  const summary = await page.getByTestId('cockpit-summary').textContent();
  assert.ok(summary.includes(`${c.counts.tasks_open} open tasks`), summary);
  // "Show all" reveals the rest.
  if (c.tasks.length > titles.length) {
    await page.getByTestId('tasks-more').click();
    assert.equal(await page.getByTestId('task-row').count(), c.tasks.length);
    await page.getByTestId('tasks-more').click();
  }
});

test('completing a task takes one click and is saved', async () => {
  const first = page.getByTestId('task-row').first();
  const title = await first.locator('.task-title').textContent();
  const before = (await cockpit()).tasks;
  const task = before.find((t) => t.title === title);
  assert.ok(before.length < 200, 'the demo book fits one cockpit page');
  await first.getByTestId('task-complete').click();
  await page.getByRole('status').filter({ hasText: `Completed “${title}”` }).waitFor();
  const done = await api(`/api/v1/tasks/${task.id}`);
  assert.equal(done.status, 'done');
  assert.ok(done.completed_at);
  const now = await cockpit();
  assert.ok(!now.tasks.some((t) => t.id === task.id));
  assert.equal(now.counts.tasks_open, before.length - 1);
  // The page took it off and counted it down without a reload.
  await page.getByTestId('cockpit-summary').filter({ hasText: `${now.counts.tasks_open} open tasks` }).waitFor();
});

test('renewals in the next 90 days on my accounts', async () => {
  const want = (await cockpit()).renewals;
  const section = page.getByRole('region', { name: 'Renewals in the next 90 days' });
  if (want.length === 0) {
    await section.getByText('No renewals').waitFor();
  } else {
    await section.getByTestId('renewals').waitFor();
    if (await section.getByTestId('renewals-more').count()) await section.getByTestId('renewals-more').click();
    const names = await section.locator('.row-main > a').allTextContents();
    assert.deepEqual(names, want.map((a) => a.name));
    assert.ok((await section.locator('.row-side strong').first().textContent()).startsWith('ARR '));
  }
});

test('at-risk accounts say why in words', async () => {
  const want = (await cockpit()).at_risk;
  const section = page.getByRole('region', { name: 'My at-risk accounts' });
  if (want.length === 0) {
    await section.getByText('None of your accounts is at risk.').waitFor();
  } else {
    await section.getByTestId('risk-row').first().waitFor();
    const names = await section.getByTestId('risk-row').locator('.row-main > a').allTextContents();
    assert.deepEqual(names, want.slice(0, 10).map((r) => r.name));
    const reasons = await section.getByTestId('risk-row').first().getByTestId('risk-reason').allTextContents();
    assert.deepEqual(reasons, want[0].reasons.map((r) => (r === 'red' ? 'Red band' : 'Falling fast ↓')));
  }
});

test('a falling account is marked "Falling fast" with its 7-day drop, not only by colour', async () => {
  const real = await cockpit();
  const falling = {
    account_id: real.renewals[0]?.account_id ?? real.tasks[0].account_id, name: 'Falling Test KK', tier: 'high', phase: 'adoption',
    score: 52, band: 'yellow', score_7d_ago: 70, change_7d: -18, reasons: ['falling'], falling: true,
    weakest_component: { component: 'adoption', score: 21 }, arr: 1200000, currency: 'JPY',
  };
  for (const [lang, reason, drop, weakest] of [['en', 'Falling fast ↓', 'down 18 points in 7 days (from 70)', 'Weakest: Adoption 21'],
    ['ja', '急低下 ↓', '7 日間で 18 ポイント低下 (70 から)', '最も低い要素: 活用度 21']]) {
    const p2 = await env.page({ lang });
    await p2.route((u) => u.pathname === '/api/v1/cockpit', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.at_risk = [falling, ...body.at_risk];
      body.counts.at_risk += 1;
      body.counts.falling += 1;
      await route.fulfill({ response: res, json: body });
    });
    await env.login(p2, 'sato@example.com');
    const row = p2.getByTestId('risk-row').filter({ hasText: 'Falling Test KK' });
    await row.waitFor();
    assert.deepEqual(await row.getByTestId('risk-reason').allTextContents(), [reason]);
    await row.getByText(drop).waitFor();
    await row.getByText(weakest).waitFor();
    env.assertNoConsoleErrors(p2);
    await p2.context().close();
  }
});

test('recent activity on my accounts links to the account\'s timeline', async () => {
  const want = (await cockpit()).activity;
  if (want.length === 0) {
    await page.getByText('No recent activity on your accounts.').waitFor();
    return;
  }
  await page.getByTestId('activity').waitFor();
  const rows = page.getByTestId('activity-row');
  const shown = await rows.count();
  assert.deepEqual(await rows.locator('.feed-body > div:first-child > a').allTextContents(), want.slice(0, shown).map((e) => e.account_name));
  assert.deepEqual(await rows.locator('.feed-summary').allTextContents(), want.slice(0, shown).map((e) => e.summary));
  const author = await rows.first().locator('.muted.small').textContent();
  assert.ok(author.endsWith(want[0].author_name ?? 'system'), author);
  await env.screenshot(page, 'cockpit');
  env.assertNoConsoleErrors(page);
  await rows.first().locator('a').first().click();
  await page.waitForURL((u) => u.pathname === `/accounts/${want[0].account_id}`);
  await page.goto('/');
});

test('no layout break at 390x844', async () => {
  const p = await env.page({ width: 390, height: 844 });
  await env.login(p, 'sato@example.com');
  await p.getByTestId('task-row').first().waitFor();
  assert.equal(await hasHorizontalOverflow(p), false);
  env.assertNoConsoleErrors(p);
  await p.context().close();
});

test('a viewer and a CSM see user names, never "User #n"', async () => {
  const team = (await api('/api/v1/team?limit=500')).data;
  const csms = team.filter((u) => u.role === 'csm').map((u) => u.name);
  const viewerPage = await env.page();
  await env.login(viewerPage, 'tanaka@example.com');
  await viewerPage.goto('/accounts');
  await viewerPage.getByTestId('account-row').first().waitFor();
  const body = await viewerPage.locator('main').textContent();
  assert.ok(!/User #\d/.test(body), 'no user shown by id on the accounts page');
  assert.ok(csms.some((n) => body.includes(n)), 'owners by name');
  // The owner filter lists the CSMs by name.
  const options = await viewerPage.getByTestId('filter-owner').locator('option').allTextContents();
  for (const n of csms) assert.ok(options.includes(n), `owner filter lists ${n}`);
  // The account header names its owner.
  const acc = (await api('/api/v1/accounts?owner=me&limit=1')).data[0];
  await viewerPage.goto(`/accounts/${acc.id}`);
  await viewerPage.getByTestId('health-score').waitFor();
  await viewerPage.getByText(team.find((u) => u.id === acc.owner_id).name).first().waitFor();
  assert.ok(!/User #\d/.test(await viewerPage.locator('main').textContent()), 'no user shown by id on the account page');
  env.assertNoConsoleErrors(viewerPage);
  await viewerPage.context().close();

  // A CSM: the timeline's authors and the tasks' assignees by name on an account of theirs.
  const withEntries = (await api('/api/v1/activity?owner=me&limit=1')).data[0];
  await page.goto(`/accounts/${withEntries.account_id}?tab=timeline`);
  await page.getByText(withEntries.summary).first().waitFor();
  assert.ok(!/User #\d/.test(await page.locator('main').textContent()), 'no author shown by id');
  await page.goto('/');
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
