// The playbook editor on the demo data, as an admin: create a playbook (renewal within 400
// days, high touch, two actions reordered), see a validation error from the API at its field,
// preview it (it fires nothing), enable it from the list, evaluate and see its runs with each
// action's outcome, runs count and last fired in the list, and the outbound queue. Edits keep
// action fields the editor does not know. A CSM previews but cannot edit; a viewer only reads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHorizontalOverflow, startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
let pbId;
const admin = () => env.srv.as(env.srv.admin);

before(async () => {
  page = await env.page();
  await env.login(page);
});

test('create a playbook; an API error is shown at its field', async () => {
  await page.getByRole('link', { name: 'Playbooks' }).click();
  await page.getByTestId('playbook-row').first().waitFor(); // the default playbooks
  await page.getByTestId('playbook-new').click();
  await page.waitForURL('**/playbooks/new');
  await page.getByTestId('playbook-name').fill('Web renewal play');
  await page.getByTestId('playbook-audience-tier').check();
  await page.getByTestId('playbook-tier').selectOption('high');
  await page.getByTestId('playbook-trigger').selectOption('renewal_within');
  await page.getByTestId('playbook-trigger-days').fill('400');
  // The default first action is a task; add a webhook, then move it to the top.
  await page.getByTestId('action-add-type').selectOption('call_webhook');
  await page.getByTestId('action-add').click();
  const actions = page.getByTestId('playbook-action');
  assert.equal(await actions.count(), 2);
  await actions.nth(1).getByTestId('action-url').fill('http://127.0.0.1:9/hook');
  await actions.nth(1).getByTestId('action-up').click();
  assert.equal(await actions.nth(0).getByTestId('action-url').inputValue(), 'http://127.0.0.1:9/hook');
  await actions.nth(1).getByTestId('action-title').fill('Renewal: {{account.name}}');
  await actions.nth(1).getByTestId('action-due').fill('7');

  // An unknown placeholder is refused by the API, and the error lands on the task's title.
  await actions.nth(1).getByTestId('action-title').fill('Renewal: {{account.nickname}}');
  await page.getByTestId('playbook-save').click();
  const err = actions.nth(1).getByTestId('field-error');
  await err.waitFor();
  assert.match(await err.textContent(), /actions\[1\]\.title.*account\.nickname/);
  assert.equal(await actions.nth(1).getByTestId('action-title').getAttribute('aria-invalid'), 'true');
  // A trigger parameter out of range is shown at the trigger.
  await actions.nth(1).getByTestId('action-title').fill('Renewal: {{account.name}}');
  await page.getByTestId('playbook-trigger-days').fill('9999');
  await page.getByTestId('playbook-save').click();
  await page.locator('#pb-trigger-days-err').waitFor();
  await page.getByTestId('playbook-trigger-days').fill('400');
  await page.getByTestId('playbook-save').click();
  await page.waitForURL(/\/playbooks\/\d+$/);
  pbId = Number(new URL(page.url()).pathname.split('/').pop());
  const pb = (await admin().get(`/api/v1/playbooks/${pbId}`)).json;
  assert.equal(pb.enabled, false);
  assert.deepEqual(pb.audience, { tier: 'high' });
  assert.deepEqual(pb.trigger, { type: 'renewal_within', days: 400 });
  assert.deepEqual(pb.actions.map((a) => a.type), ['call_webhook', 'create_task']);
  assert.deepEqual(pb.actions[1], { type: 'create_task', title: 'Renewal: {{account.name}}', task_type: 'call', due_in_days: 7, assignee: 'owner' });
  env.assertNoConsoleErrors(page, [/status of 400/]);
});

test('preview lists the accounts it would fire for, and fires nothing', async () => {
  const expected = (await admin().post(`/api/v1/playbooks/${pbId}/preview`, {})).json;
  assert.ok(expected.count > 0, 'high-touch demo accounts renew within 400 days');
  await page.getByTestId('playbook-preview-run').click();
  await page.getByTestId('playbook-preview-count').filter({ hasText: `${expected.count} accounts would fire` }).waitFor();
  assert.equal(await page.getByTestId('playbook-preview-row').count(), expected.data.length);
  await page.getByTestId('playbook-runs').getByText('It has not fired yet.').waitFor();
  assert.equal((await admin().get(`/api/v1/playbooks/${pbId}/runs`)).json.data.length, 0);
  await env.screenshot(page, 'playbook-editor');
});

test('enable it in the list, evaluate, and see its runs and outcomes', async () => {
  await page.getByRole('link', { name: /All playbooks/ }).click();
  const row = page.getByTestId('playbook-row').filter({ hasText: 'Web renewal play' });
  await row.getByText('Never').waitFor();
  await row.getByTestId('playbook-enabled').check();
  await page.getByRole('status').filter({ hasText: 'is now On' }).waitFor();
  assert.equal((await admin().get(`/api/v1/playbooks/${pbId}`)).json.enabled, true);

  const evaluated = page.waitForResponse((r) => r.url().endsWith('/api/v1/playbooks/evaluate'));
  await page.getByTestId('playbooks-evaluate').click();
  assert.equal((await evaluated).status(), 200);
  const runs = (await admin().get(`/api/v1/playbooks/${pbId}/runs?limit=500`)).json.data;
  assert.ok(runs.length > 0);
  await row.getByTestId('playbook-runs-count').filter({ hasText: String(runs.length) }).waitFor();
  assert.notEqual(await row.getByText('Never').count(), 1);

  // The outbound queue has the webhooks (nothing listens on port 9: they are retried).
  const outbound = page.getByTestId('outbound');
  await outbound.getByTestId('outbound-row').first().waitFor();
  await outbound.getByTestId('outbound-row').filter({ hasText: 'http://127.0.0.1:9/hook' }).first().waitFor();

  await row.getByRole('link', { name: 'Web renewal play' }).click();
  const runList = page.getByTestId('playbook-runs');
  await runList.getByTestId('playbook-run').first().waitFor();
  assert.equal(await runList.getByTestId('playbook-run').count(), Math.min(20, runs.length));
  const first = runList.getByTestId('playbook-run').first();
  assert.match(await first.textContent(), new RegExp(runs[0].account_name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await first.getByTestId('run-outcome').filter({ hasText: 'Call a webhook: queued' }).waitFor();
  await first.getByTestId('run-outcome').filter({ hasText: 'Create a task: done' }).waitFor();
  env.assertNoConsoleErrors(page, [/status of 400/]);
});

test('saving an edit keeps action fields the editor does not know', async () => {
  // A field the editor has no control for, as a newer server may add (the store keeps the JSON).
  const pb = (await admin().get(`/api/v1/playbooks/${pbId}`)).json;
  const sqlActions = pb.actions.map((a, i) => (i === 0 ? { ...a, payload: { text: '{{account.name}}', extra: { keep: [1, 2] } } } : a));
  assert.equal((await admin().patch(`/api/v1/playbooks/${pbId}`, { actions: sqlActions })).status, 200);
  await page.goto(`/playbooks/${pbId}`);
  await page.getByTestId('playbook-cooldown').fill('45');
  await page.getByTestId('playbook-save').click();
  await page.getByRole('status').filter({ hasText: 'Playbook saved.' }).waitFor();
  const after = (await admin().get(`/api/v1/playbooks/${pbId}`)).json;
  assert.equal(after.cooldown_days, 45);
  assert.deepEqual(after.actions, sqlActions);
});

test('a CSM previews but cannot edit; a viewer only reads; 390 px wide nothing overflows', async () => {
  const csm = await env.page();
  await env.login(csm, 'sato@example.com');
  await csm.goto(`/playbooks/${pbId}`);
  await csm.getByTestId('playbook-readonly').waitFor();
  assert.equal(await csm.getByTestId('playbook-save').count(), 0);
  assert.ok(await csm.getByTestId('playbook-name').isDisabled());
  await csm.getByTestId('playbook-preview-run').click();
  await csm.getByTestId('playbook-preview-count').waitFor();
  env.assertNoConsoleErrors(csm);

  const viewer = await env.page({ width: 390, height: 844 });
  await env.login(viewer, 'tanaka@example.com');
  await viewer.goto('/playbooks');
  await viewer.getByTestId('playbook-row').first().waitFor();
  assert.equal(await viewer.getByTestId('playbook-enabled').count(), 0);
  assert.equal(await viewer.getByTestId('playbook-new').count(), 0);
  assert.equal(await viewer.getByTestId('outbound').count(), 0);
  await viewer.goto(`/playbooks/${pbId}`);
  await viewer.getByTestId('playbook-runs').getByTestId('playbook-run').first().waitFor();
  assert.equal(await viewer.getByTestId('playbook-preview').count(), 0);
  assert.equal(await viewer.getByTestId('action-add').count(), 0);
  assert.equal(await hasHorizontalOverflow(viewer), false);
  await env.screenshot(viewer, 'playbook-viewer-390');
  env.assertNoConsoleErrors(viewer);
});

test('in Japanese', async () => {
  const ja = await env.page({ lang: 'ja' });
  await env.login(ja);
  await ja.goto('/playbooks');
  await ja.getByRole('heading', { name: 'プレイブック' }).waitFor();
  await ja.getByRole('columnheader', { name: 'トリガー' }).waitFor();
  await ja.getByText('更新まで 400 日以内').waitFor();
  env.assertNoConsoleErrors(ja);
});

test('the server stops cleanly', () => env.stop());
