// Keyset pagination of the account list: every account exactly once, in sort order, for every
// sort, with ties (equal names, equal ARR, the same created_at second) and nulls (no subscription).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const N = 120;
const created = new Map(); // id -> account as created (with its subscription)

before(async () => {
  const csm = await srv.createUser('csm');
  srv.csm = csm;
  // Created in parallel batches: many share a created_at second, so ties are tested too.
  const batch = 10;
  for (let start = 0; start < N; start += batch) {
    await Promise.all(Array.from({ length: batch }, async (_, k) => {
      const i = start + k;
      const name = `acct-${String(i % 100).padStart(3, '0')}`; // 20 duplicate names
      const r = await admin().post('/api/v1/accounts', { name, owner_id: i % 3 === 0 ? csm.id : null, industry: i % 2 ? 'Odd' : 'Even' });
      assertStatus(r, 201);
      if (i % 4 !== 0) { // a quarter without a subscription: null arr and renewal_date
        const day = String(1 + (i % 28)).padStart(2, '0');
        const s = await admin().put(`/api/v1/accounts/${r.json.id}/subscription`, {
          plan: 'P', mrr: (i % 30) * 1000, currency: 'USD', start_date: '2024-01-01',
          renewal_date: `2025-${String(1 + (i % 12)).padStart(2, '0')}-${day}`, status: 'active',
        });
        assertStatus(s, 200);
      }
      created.set(r.json.id, (await admin().get(`/api/v1/accounts/${r.json.id}`)).json);
    }));
  }
  assert.equal(created.size, N);
});

const SORTS = {
  name: (a) => a.name,
  arr: (a) => a.arr,
  renewal_date: (a) => a.renewal_date,
  created_at: (a) => a.created_at,
};

/** Non-null keys ordered (ascending or descending), nulls all together at one end. */
function assertSorted(items, field, desc) {
  const keys = items.map(SORTS[field]);
  const firstNull = keys.indexOf(null);
  if (firstNull >= 0) {
    const nullsAtStart = firstNull === 0;
    const nonNull = keys.filter((k) => k !== null).length;
    const nulls = keys.length - nonNull;
    const expectNullSpan = nullsAtStart ? keys.slice(0, nulls) : keys.slice(nonNull);
    assert.ok(expectNullSpan.every((k) => k === null), `sort=${desc ? '-' : ''}${field}: nulls are not grouped at one end`);
  }
  const vals = keys.filter((k) => k !== null);
  for (let i = 1; i < vals.length; i++) {
    const ok = desc ? vals[i - 1] >= vals[i] : vals[i - 1] <= vals[i];
    assert.ok(ok, `sort=${desc ? '-' : ''}${field}: ${JSON.stringify(vals[i - 1])} before ${JSON.stringify(vals[i])} at ${i}`);
  }
}

for (const field of Object.keys(SORTS)) {
  for (const desc of [false, true]) {
    const sort = `${desc ? '-' : ''}${field}`;
    test(`sort=${sort}: limit=50 walks ${N} accounts in 3 pages, each exactly once, in order`, async () => {
      const { items, pages } = await srv.listAll(srv.admin, `/api/v1/accounts?sort=${sort}&limit=50`);
      assert.deepEqual(pages, [50, 50, 20]);
      const ids = items.map((a) => a.id);
      assert.equal(new Set(ids).size, ids.length, `sort=${sort}: an account appears twice`);
      assert.deepEqual([...ids].sort((a, b) => a - b), [...created.keys()].sort((a, b) => a - b), `sort=${sort}: not every account seen`);
      assertSorted(items, field, desc);
      // The whole list in one page gives the same order.
      const one = await admin().get(`/api/v1/accounts?sort=${sort}&limit=500`);
      assertStatus(one, 200);
      assert.equal(one.json.next_cursor, null);
      assert.deepEqual(one.json.data.map((a) => a.id), ids, `sort=${sort}: pages disagree with a single page`);
    });
  }
}

test('the default is sort=name, limit=50', async () => {
  const r = await admin().get('/api/v1/accounts');
  assertStatus(r, 200);
  assert.equal(r.json.data.length, 50);
  assert.equal(typeof r.json.next_cursor, 'string');
  const named = await admin().get('/api/v1/accounts?sort=name&limit=50');
  assert.deepEqual(r.json.data.map((a) => a.id), named.json.data.map((a) => a.id));
});

test('limit=1 walks every account one by one; limit=7 too', async () => {
  const one = await srv.listAll(srv.admin, '/api/v1/accounts?limit=1&sort=-arr');
  assert.equal(one.items.length, N);
  assert.ok(one.pages.every((n) => n === 1));
  const all = (await admin().get('/api/v1/accounts?limit=500&sort=-arr')).json.data.map((a) => a.id);
  assert.deepEqual(one.items.map((a) => a.id), all);
  const seven = await srv.listAll(srv.admin, '/api/v1/accounts?limit=7&sort=renewal_date');
  assert.deepEqual(seven.items.map((a) => a.id), (await admin().get('/api/v1/accounts?limit=500&sort=renewal_date')).json.data.map((a) => a.id));
});

test('filters combine with pagination', async () => {
  const expected = [...created.values()].filter((a) => a.owner_id === srv.csm.id && a.industry === 'Even').map((a) => a.id).sort((a, b) => a - b);
  const { items } = await srv.listAll(srv.admin, `/api/v1/accounts?owner=${srv.csm.id}&industry=Even&limit=3&sort=-name`);
  assert.deepEqual(items.map((a) => a.id).sort((a, b) => a - b), expected);
  assertSorted(items, 'name', true);
  const mine = await srv.listAll(srv.csm, '/api/v1/accounts?owner=me&limit=9');
  assert.equal(mine.items.length, [...created.values()].filter((a) => a.owner_id === srv.csm.id).length);
});

test('a cursor from one sort is refused by another, or still gives a consistent page', async () => {
  const first = await admin().get('/api/v1/accounts?sort=name&limit=50');
  const r = await admin().get(`/api/v1/accounts?sort=-arr&limit=50&cursor=${encodeURIComponent(first.json.next_cursor)}`);
  // Either a clean 400 naming the cursor, or a 200; never a 500.
  if (r.status === 400) assertProblem(r, 400, 'cursor');
  else assertStatus(r, 200);
});

test('tampered cursors are 400 naming cursor', async () => {
  const first = await admin().get('/api/v1/accounts?limit=50');
  const c = first.json.next_cursor;
  for (const bad of ['x', c.slice(0, -3), `${c}AAAA`, c.split('').reverse().join(''), '%00', 'eyJ2Ijo', '////']) {
    const r = await admin().get(`/api/v1/accounts?limit=50&cursor=${encodeURIComponent(bad)}`);
    assert.ok(r.status === 400 || r.status === 200, `cursor ${bad}: ${r.status} ${r.text}`);
    if (r.status === 400) assertProblem(r, 400, 'cursor', `cursor ${bad}`);
  }
  assertProblem(await admin().get('/api/v1/accounts?cursor=not-a-cursor'), 400, 'cursor');
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
