// The quality bars of issue 7 on the segment and playbook pages: no horizontal overflow at
// 1280×800 and 390×844, a name on every control, no console error, the editors reachable and
// usable from the keyboard with visible focus; and in Japanese, Japanese labels.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHorizontalOverflow, startWeb, unnamedControls, settle } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
const admin = () => env.srv.as(env.srv.admin);
let segId;
let pbId;

before(async () => {
  const s = await admin().post('/api/v1/segments', { name: 'Quality segment', filter: { and: [
    { field: 'tier', op: 'in', value: ['high', 'low'] },
    { or: [{ field: 'custom.region', op: 'eq', value: 'APAC' }, { not: { field: 'renewal_date', op: 'within_days', value: 90 } }] },
    { field: 'industry', op: 'is_null', value: false },
  ] } });
  assert.equal(s.status, 201);
  segId = s.json.id;
  const pbs = (await admin().get('/api/v1/playbooks?limit=500')).json.data;
  // A default playbook without an email action (every kind of action is on the new-playbook form).
  pbId = pbs.find((p) => !p.actions.some((a) => a.type === 'send_email')).id;
});

const PAGES = () => ['/segments', '/segments/new', `/segments/${segId}`, `/accounts?segment=${segId}`, '/playbooks', '/playbooks/new', `/playbooks/${pbId}`];

for (const [w, h] of [[1280, 800], [390, 844]]) {
  test(`segment and playbook pages at ${w}×${h}: no overflow, every control named, no console error`, async () => {
    const page = await env.page({ width: w, height: h });
    await env.login(page);
    for (const p of PAGES()) {
      await page.goto(p);
      await settle(page);
      assert.equal(await hasHorizontalOverflow(page), false, `${p} scrolls sideways at ${w}px`);
      assert.deepEqual(await unnamedControls(page), [], `${p}: controls without a name`);
    }
    // Every action type's fields, on the new-playbook form.
    await page.goto('/playbooks/new');
    for (const type of ['call_webhook', 'set_field']) {
      await page.getByTestId('action-add-type').selectOption(type);
      await page.getByTestId('action-add').click();
    }
    assert.equal(await hasHorizontalOverflow(page), false, `/playbooks/new with actions at ${w}px`);
    assert.deepEqual(await unnamedControls(page), [], '/playbooks/new with actions');
    env.assertNoConsoleErrors(page);
    await page.context().close();
  });
}

test('keyboard: add a condition and set it without a mouse; the focus is visible', async () => {
  const page = await env.page();
  await env.login(page);
  await page.goto('/segments/new');
  await page.getByTestId('filter-add-condition').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('filter-condition').waitFor();
  // Tab from the "add" button back up is long; focus the first control and walk forward.
  await page.getByTestId('filter-not').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'filter-field');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'filter-op');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'filter-value');
  await page.keyboard.type('Acme');
  await page.getByTestId('segment-live-count').filter({ hasText: /accounts match/ }).waitFor();
  assert.equal(await page.getByTestId('filter-value').inputValue(), 'Acme');
  env.assertNoConsoleErrors(page);
});

test('in Japanese: the editors speak Japanese', async () => {
  const page = await env.page({ lang: 'ja' });
  await env.login(page);
  await page.goto(`/segments/${segId}`);
  await page.getByRole('heading', { name: 'Quality segment' }).waitFor();
  await page.getByText('該当する顧客', { exact: true }).waitFor();
  await page.getByRole('button', { name: '条件を追加' }).first().waitFor();
  await page.getByTestId('segment-live-count').filter({ hasText: /社が該当/ }).waitFor();
  await page.goto('/playbooks/new');
  await page.getByRole('heading', { name: '新しいプレイブック' }).waitFor();
  await page.getByText('クールダウン (日)').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
  env.assertNoConsoleErrors(page);
});

test('server stops cleanly', () => env.stop());
