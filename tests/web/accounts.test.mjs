// The accounts table against the demo's 300 accounts: keyset pages forward and back,
// search, tier/phase/owner filters, sort by ARR, and the CSV export with the same filters.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWeb } from './lib.mjs';

const env = await startWeb();
after(() => env.close());
let page;

before(async () => {
  page = await env.page();
  await env.login(page);
  await page.goto('/accounts');
  await page.getByTestId('account-row').first().waitFor();
});

const api = async (p) => {
  const r = await env.srv.as(env.srv.admin).get(p);
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};
const rowNames = () => page.getByTestId('account-row').locator('th a').allTextContents();
// Waits until the table shows exactly these names (a new list can start with the same
// account as the one it replaces, so the first row alone does not tell them apart).
async function waitRows(names) {
  await page.waitForFunction((want) => {
    if (document.querySelector('.table-wrap.is-loading')) return false;
    const got = [...document.querySelectorAll('[data-testid=account-row] th a')].map((a) => a.textContent);
    return JSON.stringify(got) === JSON.stringify(want);
  }, names).catch(() => {});
}

test('the first page shows 50 accounts by name, as the API orders them', async () => {
  const want = await api('/api/v1/accounts?limit=50');
  await waitRows(want.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), want.data.map((a) => a.name));
});

test('next and previous follow the keyset cursors', async () => {
  const p1 = await api('/api/v1/accounts?limit=50');
  const p2 = await api(`/api/v1/accounts?limit=50&cursor=${encodeURIComponent(p1.next_cursor)}`);
  await page.getByTestId('page-next').click();
  await waitRows(p2.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), p2.data.map((a) => a.name));
  assert.match(page.url(), /cursor=/);
  await page.getByTestId('page-prev').click();
  await waitRows(p1.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), p1.data.map((a) => a.name));
});

test('search narrows the list as you type', async () => {
  const want = await api('/api/v1/accounts?q=Cedar&limit=50');
  assert.ok(want.data.length > 0);
  await page.getByTestId('accounts-search').fill('Cedar');
  await page.waitForURL(/q=Cedar/);
  await waitRows(want.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), want.data.map((a) => a.name));
  await page.getByTestId('accounts-search').fill('');
  await page.waitForURL((u) => !u.search.includes('q='));
});

test('filters by tier, phase and owner', async () => {
  await page.getByTestId('filter-tier').selectOption('high');
  const high = await api('/api/v1/accounts?tier=high&limit=50');
  await waitRows(high.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), high.data.map((a) => a.name));
  for (const tag of await page.getByTestId('account-row').locator('.tier-high').allTextContents()) assert.equal(tag, 'High touch');
  assert.equal(await page.getByTestId('account-row').locator('.tier-high').count(), high.data.length);

  await page.getByTestId('filter-phase').selectOption('adoption');
  const both = await api('/api/v1/accounts?tier=high&phase=adoption&limit=50');
  if (both.data.length) await waitRows(both.data.map((a) => a.name));
  else await page.getByText('No account matches these filters.').waitFor();
  assert.deepEqual(both.data.length ? await rowNames() : [], both.data.map((a) => a.name));

  await page.getByTestId('filter-tier').selectOption('');
  await page.getByTestId('filter-phase').selectOption('');
  await page.getByTestId('filter-owner').selectOption('none');
  const none = await api('/api/v1/accounts?owner=none&limit=50');
  await waitRows(none.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), none.data.map((a) => a.name));
  await page.getByTestId('filter-owner').selectOption('');
});

test('sorting by ARR from the column header and from the menu', async () => {
  const desc = await api('/api/v1/accounts?sort=-arr&limit=50');
  await page.getByRole('button', { name: 'Sort by ARR' }).click();
  await waitRows(desc.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), desc.data.map((a) => a.name));
  assert.equal(await page.locator('th[aria-sort=descending]').count(), 1);
  const asc = await api('/api/v1/accounts?sort=renewal_date&limit=50');
  await page.getByTestId('sort').selectOption('renewal_date');
  await waitRows(asc.data.map((a) => a.name));
  assert.deepEqual(await rowNames(), asc.data.map((a) => a.name));
});

test('the CSV export link carries the filters and downloads CSV', async () => {
  await page.getByTestId('filter-tier').selectOption('low');
  await page.waitForURL(/tier=low/);
  const href = await page.getByTestId('export-csv').getAttribute('href');
  assert.match(href, /^\/api\/v1\/accounts\.csv\?/);
  assert.match(href, /tier=low/);
  const r = await page.request.get(href);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-type'], /^text\/csv/);
  const lines = (await r.text()).trim().split(/\r?\n/);
  const all = await env.srv.listAll(env.srv.admin, '/api/v1/accounts?tier=low&limit=500');
  assert.equal(lines.length - 1, all.items.length);
  await env.screenshot(page, 'accounts');
  env.assertNoConsoleErrors(page);
});

test('server stops cleanly', async () => {
  await page.context().close();
  await env.stop();
});
