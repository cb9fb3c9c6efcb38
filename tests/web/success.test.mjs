// Issue 7 on the demo data: account 360's health card (score, band, sparkline, the DEAR
// breakdown with measures not counted), the CSM sentiment, the Journey tab (phase, history,
// milestones complete/reopen, a manual move with a reason), the Success plan (goals, values),
// Surveys (summary, filter, add), the accounts list's band filter and health sort, the
// cockpit's at-risk panel from the server, and the admin's health model and lifecycle editors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
let acct;
const requested = [];

const as = () => env.srv.as(env.srv.admin);
const api = async (p) => {
  const r = await as().get(p);
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};

before(async () => {
  acct = (await api('/api/v1/accounts?sort=-arr&limit=1')).data[0];
  page = await env.page();
  page.on('request', (req) => requested.push(new URL(req.url()).pathname + new URL(req.url()).search));
  await env.login(page);
});

test('Overview: health score, band, sparkline and the DEAR breakdown as the API explains it', async () => {
  const h = await api(`/api/v1/accounts/${acct.id}/health`);
  await page.goto(`/accounts/${acct.id}`);
  const card = page.getByTestId('health-card');
  await card.getByTestId('dear').waitFor();
  if (h.score !== null) assert.match(await card.getByTestId('health-card-score').textContent(), new RegExp(`${h.score}`));
  assert.match(await page.getByTestId('health-score').textContent(), /Healthy|Needs attention|At risk/);
  await card.getByTestId('health-sparkline').locator('svg').waitFor();
  const measures = h.components.flatMap((c) => c.measures);
  assert.equal(await card.getByTestId('measure').count(), measures.length);
  const missing = measures.filter((m) => !m.has_data);
  assert.equal(await card.getByTestId('missing').count(), missing.length);
  for (const m of missing) {
    const row = card.locator(`[data-testid=measure][data-key=${m.key}]`);
    assert.match(await row.textContent(), /Not counted — weights renormalised/);
  }
  if (missing.length) await card.getByTestId('renormalised').waitFor();
  // A measure with data shows its contribution in points, as the API gives it (one decimal).
  const shown = measures.find((m) => m.has_data);
  const row = await card.locator(`[data-testid=measure][data-key=${shown.key}]`).textContent();
  assert.ok(row.includes(`${shown.contribution.toFixed(1).replace(/\.0$/, '')} pt`), `${row} has ${shown.contribution}`);
  assert.ok(!requested.some((p) => /echarts/.test(p)), 'the sparkline needs no ECharts');
  // The header's phase label comes from the lifecycle.
  const lc = await api('/api/v1/settings/lifecycle');
  const phase = lc.phases.find((p) => p.key === acct.phase);
  assert.equal((await page.getByTestId('header-phase').textContent()).trim(), phase.label_en);
  await env.screenshot(page, 'account-health');
});

test('Overview in Japanese: DEAR component names and the not-counted mark', async () => {
  const ja = await env.page({ lang: 'ja' });
  await env.login(ja);
  await ja.goto(`/accounts/${acct.id}`);
  const card = ja.getByTestId('health-card');
  await card.getByTestId('dear').waitFor();
  for (const name of ['導入完了度', '関係性', '活用度', '費用対効果']) await card.getByText(name, { exact: true }).first().waitFor();
  const h = await api(`/api/v1/accounts/${acct.id}/health`);
  if (h.components.some((c) => c.measures.some((m) => !m.has_data))) {
    assert.match(await card.getByTestId('missing').first().textContent(), /対象外 — 重みを再配分/);
  }
  // The journey in the seeds' terms: phase history, milestones, the lifecycle's Japanese labels.
  const j = await api(`/api/v1/accounts/${acct.id}/journey`);
  await ja.getByRole('tab', { name: 'ジャーニー' }).click();
  await ja.getByRole('heading', { name: /フェーズ履歴/ }).waitFor();
  await ja.getByRole('heading', { name: 'マイルストーン', exact: true }).waitFor();
  assert.match(await ja.getByTestId('milestones').textContent(), new RegExp(j.phases[0].milestones[0].label_ja));
  assert.match(await ja.getByTestId('phase-history').textContent(), new RegExp(j.history[0].label_ja));
  await ja.getByRole('tab', { name: 'アンケート' }).click();
  await ja.getByRole('heading', { name: 'アンケート結果' }).waitFor();
  env.assertNoConsoleErrors(ja);
  await ja.context().close();
});

test('CSM sentiment: set with a note (counted in Engagement), then cleared', async () => {
  await page.goto(`/accounts/${acct.id}`);
  const box = page.getByTestId('sentiment');
  await box.getByTestId('sentiment-edit').click();
  await box.locator('label.seg-opt').nth(3).click();
  await box.getByTestId('sentiment-note-input').fill('Good QBR <b>really</b>');
  await box.getByTestId('sentiment-save').click();
  await box.getByTestId('sentiment-score').filter({ hasText: '4 / 5' }).waitFor();
  assert.equal(await box.locator('b').count(), 0);
  const a = await api(`/api/v1/accounts/${acct.id}`);
  assert.equal(a.sentiment.score, 4);
  assert.equal(a.sentiment.note, 'Good QBR <b>really</b>');
  await page.getByTestId('health-card').locator('[data-testid=measure][data-key=sentiment]').filter({ hasText: '4 / 5' }).waitFor();
  await box.getByTestId('sentiment-edit').click();
  await box.getByRole('button', { name: 'Clear' }).click();
  await box.getByText(/Not set/).waitFor();
  assert.equal((await api(`/api/v1/accounts/${acct.id}`)).sentiment, null);
});

test('Journey: phase, days against expected, history, milestones, TTV', async () => {
  const j = await api(`/api/v1/accounts/${acct.id}/journey`);
  await page.getByRole('tab', { name: 'Journey' }).click();
  await page.getByTestId('phase-history').waitFor();
  assert.match(await page.getByTestId('days-in-phase').textContent(), new RegExp(`${j.days_in_phase} days`));
  assert.equal(await page.getByTestId('history-row').count(), j.history.length);
  const msCount = j.phases.reduce((n, p) => n + p.milestones.length, 0);
  assert.equal(await page.getByTestId('milestone').count(), msCount);
  if (j.ttv.days !== null) assert.match(await page.getByTestId('ttv').textContent(), new RegExp(`${j.ttv.days} days`));
  assert.match(page.url(), /tab=journey/);
});

test('Journey: an overdue onboarding account shows the signal', async () => {
  // Find an account past its expected onboarding time, if the demo has one today.
  const list = (await api('/api/v1/accounts?phase=onboarding&limit=100')).data;
  for (const a of list) {
    const j = await api(`/api/v1/accounts/${a.id}/journey`);
    if (!j.overdue) continue;
    await page.goto(`/accounts/${a.id}?tab=journey`);
    const sig = page.getByTestId('overdue');
    await sig.waitFor();
    assert.match(await sig.textContent(), j.overdue_2x ? /Twice the expected time/ : /Overdue/);
    return;
  }
});

test('Journey: complete and reopen a milestone by hand; move the phase with a reason', async () => {
  await page.goto(`/accounts/${acct.id}?tab=journey`);
  const j = await api(`/api/v1/accounts/${acct.id}/journey`);
  const done = j.phases.flatMap((p) => p.milestones).find((m) => m.state === 'complete');
  const li = page.locator(`[data-testid=milestone][data-key=${done.key}]`);
  await li.getByTestId('ms-reopen').click();
  await li.getByTestId('ms-note').fill('Checked again with the customer');
  await li.getByTestId('ms-confirm').click();
  await li.getByTestId('ms-state').filter({ hasText: 'Reopened' }).waitFor();
  let m = (await api(`/api/v1/accounts/${acct.id}/journey`)).phases.flatMap((p) => p.milestones).find((x) => x.key === done.key);
  assert.equal(m.state, 'reopened');
  await li.getByTestId('ms-complete').click();
  await li.getByTestId('ms-confirm').click();
  await li.getByTestId('ms-state').filter({ hasText: 'Complete' }).waitFor();
  m = (await api(`/api/v1/accounts/${acct.id}/journey`)).phases.flatMap((p) => p.milestones).find((x) => x.key === done.key);
  assert.equal(m.state, 'complete');
  assert.equal(m.completed_by, 'manual');

  // A move needs a reason; with one it is recorded as manual, with the user and the reason.
  // (To the terminal phase, which the engine never moves on from.)
  const target = j.phases.find((p) => p.terminal);
  await page.getByTestId('move-phase').selectOption(target.key);
  await page.getByTestId('move-submit').click();
  assert.equal((await api(`/api/v1/accounts/${acct.id}`)).phase, acct.phase, 'no move without a reason');
  await page.getByTestId('move-reason').fill('Customer asked to restart the rollout');
  await page.getByTestId('move-submit').click();
  await page.getByTestId('history-row').first().filter({ hasText: 'Customer asked to restart the rollout' }).waitFor();
  assert.match(await page.getByTestId('history-row').first().textContent(), /Moved by hand/);
  await page.getByTestId('header-phase').filter({ hasText: target.label_en }).waitFor();
  const after = await api(`/api/v1/accounts/${acct.id}/journey`);
  assert.equal(after.phase.key, target.key);
  assert.equal(after.history.at(-1).moved_by, 'manual');
  // Back where it was, for the other tests.
  const r = await as().post(`/api/v1/accounts/${acct.id}/phase`, { phase: acct.phase, reason: 'test: back' });
  assert.equal(r.status, 200, r.text);
  env.assertNoConsoleErrors(page);
});

test('Success plan: goals with attainment; add, record a value, see the history, edit, delete', async () => {
  const goals = (await api(`/api/v1/accounts/${acct.id}/goals?limit=200`)).data;
  await page.goto(`/accounts/${acct.id}?tab=success`);
  await page.getByTestId('goals').or(page.getByText(/No goals yet/)).first().waitFor();
  assert.equal(await page.getByTestId('goal').count(), goals.length);
  const title = `Cut onboarding time ${Date.now()}`;
  const form = page.getByTestId('goal-form');
  await form.getByTestId('goal-title').fill(title);
  await form.getByTestId('goal-metric').fill('Days to first report');
  await form.getByTestId('goal-unit').fill('days');
  await form.getByTestId('goal-baseline').fill('40');
  await form.getByTestId('goal-target').fill('10');
  await form.getByTestId('goal-submit').click();
  const g = page.getByTestId('goal').filter({ hasText: title });
  await g.waitFor();
  assert.match(await g.getByTestId('attainment').textContent(), /not measured yet/);
  await g.getByTestId('goal-value').fill('25');
  await g.getByTestId('goal-value-submit').click();
  await g.getByTestId('attainment').filter({ hasText: '50%' }).waitFor();
  await g.getByTestId('goal-values-toggle').click();
  await g.getByTestId('goal-values').locator('tbody tr').first().waitFor();
  assert.match(await g.getByTestId('goal-values').textContent(), /25 days/);
  await g.getByTestId('goal-edit').click();
  await page.getByRole('heading', { name: 'Edit the goal' }).waitFor();
  await form.getByTestId('goal-status').selectOption('achieved');
  await form.getByTestId('goal-submit').click();
  await g.getByText('Achieved', { exact: true }).waitFor();
  const saved = (await api(`/api/v1/accounts/${acct.id}/goals?limit=200`)).data.find((x) => x.title === title);
  assert.equal(saved.status, 'achieved');
  assert.equal(saved.current, 25);
  page.once('dialog', (d) => d.accept());
  await g.getByTestId('goal-delete').click();
  await g.waitFor({ state: 'detached' });
  assert.ok(!(await api(`/api/v1/accounts/${acct.id}/goals?limit=200`)).data.some((x) => x.title === title));
});

test('Surveys: the NPS/CSAT/CES summary, filtered by type, and a new response for a contact', async () => {
  const all = await api(`/api/v1/accounts/${acct.id}/survey-responses?limit=50`);
  await page.goto(`/accounts/${acct.id}?tab=surveys`);
  await page.getByTestId('survey-summary').waitFor();
  if (all.summary.nps.score !== null) assert.match(await page.getByTestId('nps-score').textContent(), new RegExp(String(all.summary.nps.score).replace('.', '\\.')));
  await page.getByTestId('survey-filter').selectOption('csat');
  await page.getByTestId('survey-row').first().or(page.getByText('No survey responses.')).first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=survey-row] .tag')].every((e) => e.textContent === 'CSAT'));
  const contacts = (await api(`/api/v1/accounts/${acct.id}/contacts?limit=500`)).data;
  await page.getByTestId('survey-filter').selectOption('');
  await page.getByTestId('survey-type').selectOption('nps');
  await page.getByTestId('survey-score').fill('3');
  await page.getByTestId('survey-contact').selectOption(String(contacts[0].id));
  await page.getByTestId('survey-comment').fill('Too slow <i>lately</i>');
  await page.getByTestId('survey-submit').click();
  const row = page.getByTestId('survey-row').filter({ hasText: 'Too slow <i>lately</i>' });
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(contacts[0].name));
  const mine = (await api(`/api/v1/accounts/${acct.id}/survey-responses?type=nps&limit=50`)).data.find((r) => r.comment === 'Too slow <i>lately</i>');
  assert.equal(mine.score, 3);
  assert.equal(mine.contact_id, contacts[0].id);
  env.assertNoConsoleErrors(page);
});

test('Accounts: band filter, sort by health, phase options from the lifecycle', async () => {
  const lc = await api('/api/v1/settings/lifecycle');
  await page.goto('/accounts');
  await page.getByTestId('account-row').first().waitFor();
  const opts = await page.getByTestId('filter-phase').locator('option').allTextContents();
  assert.deepEqual(opts.slice(1), lc.phases.map((p) => p.label_en));
  await page.getByTestId('filter-band').selectOption('red');
  await page.waitForURL(/band=red/);
  const red = await api('/api/v1/accounts?band=red&limit=50');
  assert.ok(red.data.length > 0, 'the demo has red accounts');
  // The filtered page replaces the first one: wait for its rows, not for any red badge (the
  // unfiltered first page may already start with a red account).
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=account-row]').length === n
    && document.querySelectorAll('[data-testid=account-row] .band-red').length === n, red.data.length);
  assert.equal(await page.getByTestId('account-row').count(), red.data.length);
  assert.equal(await page.getByTestId('account-row').locator('.band-red').count(), red.data.length);
  await page.getByTestId('filter-band').selectOption('');
  await page.getByTestId('sort').selectOption('health');
  await page.waitForURL(/sort=health/);
  const byHealth = await api('/api/v1/accounts?sort=health&limit=50');
  await page.getByTestId('account-row').first().filter({ hasText: byHealth.data[0].name }).waitFor();
  assert.deepEqual(await page.getByTestId('account-row').locator('th a').allTextContents(), byHealth.data.map((a) => a.name));
});

test('Cockpit: the at-risk panel shows the server\'s red and falling accounts (GET /api/v1/cockpit)', async () => {
  const csm = await env.page();
  const reqs = [];
  csm.on('request', (r) => reqs.push(r.url()));
  await env.login(csm, 'sato@example.com');
  await csm.getByTestId('at-risk').or(csm.getByText(/None of your accounts is at risk/)).first().waitFor();
  assert.ok(reqs.some((u) => /\/api\/v1\/cockpit(\?|$)/.test(u)), 'the cockpit is one request');
  const s = await env.srv.login('sato@example.com', 'kizuna-demo');
  const mine = (await env.srv.request('GET', '/api/v1/cockpit?limit=200', { cookie: s.cookie })).json.at_risk;
  // Either branch is checked: the accounts the server gives, or the empty state when none.
  const shown = mine.slice(0, 10);
  assert.equal(await csm.getByTestId('at-risk').locator('li').count(), shown.length);
  assert.equal(await csm.getByTestId('at-risk').locator('.band-red').count(), shown.filter((r) => r.band === 'red').length);
  assert.equal(await csm.getByText(/None of your accounts is at risk/).count(), shown.length ? 0 : 1);
  env.assertNoConsoleErrors(csm);
  await csm.context().close();
});

test('Settings: a health model preview shows the bands before and after the edit, saving nothing', async () => {
  await page.goto('/settings?tab=healthModel');
  const form = page.getByTestId('health-model');
  const preview = form.getByTestId('hm-preview');
  assert.ok(await preview.getByTestId('hm-preview-run').isDisabled(), 'nothing to preview before an edit');
  await form.getByTestId('band-green').fill('30');
  await form.getByTestId('band-red').fill('10');
  await preview.getByTestId('hm-preview-run').click();
  await preview.getByTestId('hm-preview-summary').waitFor();
  const body = { ...(await api('/api/v1/settings/health-model')), bands: { green: 30, red: 10 } };
  const want = (await env.srv.as(env.srv.admin).post('/api/v1/settings/health-model/preview', body)).json;
  for (const b of ['green', 'yellow', 'red', 'none']) {
    const cells = await preview.getByTestId(`hm-preview-${b}`).locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 2).map(Number), [want.current[b], want.proposed[b]], b);
  }
  assert.match(await preview.getByTestId('hm-preview-summary').textContent(), new RegExp(`${want.changed} of ${want.accounts} accounts`));
  assert.ok(want.proposed.green > want.current.green, 'a lower threshold makes more accounts healthy');
  assert.equal((await api('/api/v1/settings/health-model')).bands.green, 70, 'nothing saved');
  await form.getByRole('button', { name: 'Cancel' }).click();
  env.assertNoConsoleErrors(page);
});

test('Settings: the health model shows a 400 next to its field, saves, and recomputes', async () => {
  await page.goto('/settings?tab=healthModel');
  const form = page.getByTestId('health-model');
  await form.getByTestId('band-red').fill('90');
  await form.getByTestId('hm-save').click();
  const err = form.getByTestId('field-error');
  await err.waitFor();
  assert.match(await err.textContent(), /red/);
  assert.equal(await form.locator('[aria-invalid=true]').getAttribute('data-field'), 'bands.red');
  assert.equal((await api('/api/v1/settings/health-model')).bands.red, 40, 'the old model stays in force');
  await form.getByTestId('band-red').fill('35');
  await form.getByTestId('nps-weight').fill('3');
  await form.getByTestId('hm-save').click();
  await page.getByText('Health model saved.').first().waitFor();
  const m = await api('/api/v1/settings/health-model');
  assert.equal(m.bands.red, 35);
  assert.equal(m.components.engagement.measures.nps.weight, 3);
  await page.getByTestId('recompute').click();
  await page.getByText(/Recomputed the health of \d+ accounts/).waitFor();
  env.assertNoConsoleErrors(page, [/status of 400/]); // the refused save
});

test('Settings: the lifecycle editor saves labels and shows the 409 for a phase in use', async () => {
  await page.goto('/settings?tab=lifecycle');
  const form = page.getByTestId('lifecycle');
  await form.getByTestId('lc-phase').first().waitFor();
  // Removing a phase accounts are in is refused with 409, shown above the phases.
  const lc = await api('/api/v1/settings/lifecycle');
  const inUse = lc.phases.findIndex((p) => p.key === 'adoption');
  await form.getByTestId('lc-phase').nth(inUse).getByTestId('lc-remove-phase').click();
  await form.getByTestId('lc-save').click();
  await form.getByTestId('lc-error').waitFor();
  assert.match(await form.getByTestId('lc-error').textContent(), /adoption/);
  await form.getByRole('button', { name: 'Cancel' }).click();
  // A blank label is a 400 shown at its field.
  await form.getByTestId('lc-label-ja-0').fill(' ');
  await form.getByTestId('lc-save').click();
  await form.getByTestId('field-error').waitFor();
  assert.equal(await form.locator('[aria-invalid=true]').getAttribute('data-field'), 'phases[0].label_ja');
  await form.getByTestId('lc-label-ja-0').fill('導入期（立ち上げ）');
  await form.getByTestId('lc-expected-0').fill('60');
  await form.getByTestId('lc-save').click();
  await page.getByText('Lifecycle saved.').first().waitFor();
  const saved = await api('/api/v1/settings/lifecycle');
  assert.equal(saved.phases[0].label_ja, '導入期（立ち上げ）');
  assert.equal(saved.phases[0].expected_days, 60);
  env.assertNoConsoleErrors(page, [/status of (400|409)/]); // the refused saves
});

test('a viewer sees health, journey, goals and surveys without the forms', async () => {
  const viewer = await env.page();
  await env.login(viewer, 'tanaka@example.com');
  await viewer.goto(`/accounts/${acct.id}`);
  await viewer.getByTestId('dear').waitFor();
  assert.equal(await viewer.getByTestId('sentiment-edit').count(), 0);
  await viewer.getByRole('tab', { name: 'Journey' }).click();
  await viewer.getByTestId('milestones').waitFor();
  assert.equal(await viewer.getByTestId('phase-move').count(), 0);
  assert.equal(await viewer.getByTestId('ms-complete').count() + await viewer.getByTestId('ms-reopen').count(), 0);
  await viewer.getByRole('tab', { name: 'Success plan' }).click();
  await viewer.getByRole('heading', { name: /Success plan goals/ }).waitFor();
  assert.equal(await viewer.getByTestId('goal-form').count(), 0);
  await viewer.getByRole('tab', { name: 'Surveys' }).click();
  await viewer.getByTestId('survey-summary').waitFor();
  assert.equal(await viewer.getByTestId('survey-form').count(), 0);
  env.assertNoConsoleErrors(viewer);
  await viewer.context().close();
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
