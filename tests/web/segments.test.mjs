// The segment editor on the demo data: build a filter (tier = high, then an OR group with a
// renewal window and a health band) and watch the live member count follow the API's own
// count of the same filter; an error from the API lands on the row its JSON path names; save
// it, see it in the list with its count, open its members on the accounts page (segment=),
// rename it; a viewer reads it without any control to change it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHorizontalOverflow, startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;
const admin = () => env.srv.as(env.srv.admin);
const countOf = async (filter) => {
  const r = await admin().post('/api/v1/segments/preview', { filter, limit: 1 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.count;
};
const liveCount = (n) => page.getByTestId('segment-live-count').filter({ hasText: new RegExp(`^${n.toLocaleString('en-US')} accounts match$`) });
let segId;

before(async () => {
  page = await env.page();
  await env.login(page, 'sato@example.com');
});

test('build a segment: the live count follows each change', async () => {
  await page.getByRole('link', { name: 'Segments' }).click();
  await page.waitForURL('**/segments');
  await page.getByTestId('segment-new').click();
  await page.waitForURL('**/segments/new');
  // An empty AND matches every account.
  const total = await countOf({ and: [] });
  assert.ok(total > 10, `demo accounts: ${total}`);
  await liveCount(total).waitFor();

  await page.getByTestId('filter-add-condition').click();
  const c1 = page.getByTestId('filter-condition').nth(0);
  await c1.getByTestId('filter-field').selectOption('tier');
  await c1.getByTestId('filter-value').selectOption('high');
  const high = await countOf({ and: [{ field: 'tier', op: 'eq', value: 'high' }] });
  assert.ok(high > 0 && high < total);
  await liveCount(high).waitFor();
  await page.getByTestId('segment-sample').getByRole('link').first().waitFor();

  // A nested OR: renewal within 365 days, or band red.
  await page.getByTestId('filter-add-group').first().click();
  const group = page.getByTestId('filter-group').nth(1);
  await group.getByTestId('filter-group-op').selectOption('or');
  await group.getByTestId('filter-add-condition').click();
  await group.getByTestId('filter-add-condition').click();
  const g1 = group.getByTestId('filter-condition').nth(0);
  await g1.getByTestId('filter-field').selectOption('renewal_date');
  await g1.getByTestId('filter-op').selectOption('within_days');
  await g1.getByTestId('filter-value').fill('365');
  const g2 = group.getByTestId('filter-condition').nth(1);
  await g2.getByTestId('filter-field').selectOption('band');
  await g2.getByTestId('filter-value').selectOption('red');
  const filter = { and: [
    { field: 'tier', op: 'eq', value: 'high' },
    { or: [{ field: 'renewal_date', op: 'within_days', value: 365 }, { field: 'band', op: 'eq', value: 'red' }] },
  ] };
  const n = await countOf(filter);
  await liveCount(n).waitFor();

  // A bad value: the API's 400 names filter.and[1].or[0].value, shown on that row.
  await g1.getByTestId('filter-value').fill('99999999');
  await g1.getByTestId('filter-error').waitFor();
  assert.match(await g1.getByTestId('filter-error').textContent(), /filter\.and\[1\]\.or\[0\]\.value/);
  assert.equal(await g1.getByTestId('filter-value').getAttribute('aria-invalid'), 'true');
  await g1.getByTestId('filter-value').fill('365');
  await liveCount(n).waitFor();
  assert.equal(await page.getByTestId('filter-error').count(), 0);

  // Save: the stored filter is exactly the tree built.
  await page.getByTestId('segment-name').fill('High touch renewing or red');
  await page.getByTestId('segment-save').click();
  await page.waitForURL(/\/segments\/\d+$/);
  segId = Number(new URL(page.url()).pathname.split('/').pop());
  const saved = (await admin().get(`/api/v1/segments/${segId}`)).json;
  assert.deepEqual(saved.filter, filter);
  assert.equal(saved.member_count, n);
  await env.screenshot(page, 'segment-editor');
  env.assertNoConsoleErrors(page, [/status of 400/]);
});

test('the list shows it with its count; its members open on the accounts page', async () => {
  await page.getByRole('link', { name: /All segments/ }).click();
  const row = page.getByTestId('segment-row').filter({ hasText: 'High touch renewing or red' });
  const n = (await admin().get(`/api/v1/segments/${segId}`)).json.member_count;
  await row.getByTestId('segment-count').filter({ hasText: String(n) }).waitFor();
  await row.getByRole('link', { name: 'View members' }).click();
  await page.waitForURL(`**/accounts?segment=${segId}`);
  assert.equal(await page.getByTestId('filter-segment').inputValue(), String(segId));
  await page.getByTestId('account-row').first().waitFor();
  const members = (await admin().get(`/api/v1/segments/${segId}/accounts?limit=50`)).json.data.map((a) => a.name);
  const shown = await page.getByTestId('account-row').locator('th a').allTextContents();
  assert.deepEqual(shown, members.slice(0, shown.length));
  assert.equal(shown.length, Math.min(50, n));
  // The CSV link carries the segment too.
  assert.match(await page.getByTestId('export-csv').getAttribute('href'), new RegExp(`segment=${segId}`));
  // Choosing "All" drops it.
  await page.getByTestId('filter-segment').selectOption('');
  await page.waitForURL((u) => !u.search.includes('segment='));
  env.assertNoConsoleErrors(page, [/status of 400/]);
});

test('rename it; 390 px wide it does not overflow', async () => {
  await page.goto(`/segments/${segId}`);
  await page.getByTestId('segment-name').fill('High touch: renewals or red');
  await page.getByTestId('segment-save').click();
  await page.getByRole('status').filter({ hasText: 'Segment saved.' }).waitFor();
  assert.equal((await admin().get(`/api/v1/segments/${segId}`)).json.name, 'High touch: renewals or red');

  const small = await env.page({ width: 390, height: 844 });
  await env.login(small, 'sato@example.com');
  await small.goto(`/segments/${segId}`);
  await small.getByTestId('filter-condition').first().waitFor();
  await small.getByTestId('segment-live-count').filter({ hasText: 'accounts match' }).waitFor();
  assert.equal(await hasHorizontalOverflow(small), false);
  await env.screenshot(small, 'segment-editor-390');
  env.assertNoConsoleErrors(small);
});

test('a viewer reads the segment without controls to change it', async () => {
  const viewer = await env.page();
  await env.login(viewer, 'tanaka@example.com');
  await viewer.goto('/segments');
  await viewer.getByTestId('segment-row').first().waitFor();
  assert.equal(await viewer.getByTestId('segment-new').count(), 0);
  await viewer.goto(`/segments/${segId}`);
  await viewer.getByTestId('segment-readonly').waitFor();
  await viewer.getByTestId('filter-condition').first().waitFor();
  assert.equal(await viewer.getByTestId('segment-save').count(), 0);
  assert.equal(await viewer.getByTestId('segment-delete').count(), 0);
  assert.equal(await viewer.getByTestId('filter-add-condition').count(), 0);
  assert.ok(await viewer.getByTestId('segment-name').isDisabled());
  assert.ok(await viewer.getByTestId('filter-field').first().isDisabled());
  env.assertNoConsoleErrors(viewer);
});

test('delete it (as its creator)', async () => {
  await page.goto(`/segments/${segId}`);
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('segment-delete').click();
  await page.waitForURL('**/segments');
  assert.equal((await admin().get(`/api/v1/segments/${segId}`)).status, 404);
});

test('the server stops cleanly', () => env.stop());
