// Segments: CRUD, every operator on realistic accounts (subscriptions, contacts, NPS answers,
// sentiment, custom fields, tracked usage), and/or/not nesting, member pagination, segment=
// on the accounts list, preview, injection strings matched verbatim, and bad filters refused
// with the JSON path of the offending node.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, msgId, startServer, todayUTC, waitFor } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const csm2 = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');

const DAY = 86400000;
const dayOffset = (n) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
const SEGMENT_KEYS = ['created_at', 'created_by', 'description', 'filter', 'id', 'member_count', 'name', 'updated_at'];

async function mkAccount(body, { sub, nps = [], sentiment, phase } = {}) {
  const r = await admin().post('/api/v1/accounts', body);
  assertStatus(r, 201, `account ${body.name}`);
  const id = r.json.id;
  if (sub) assertStatus(await admin().put(`/api/v1/accounts/${id}/subscription`, sub), 200, 'subscription');
  for (const [score, at] of nps) {
    const c = await admin().post(`/api/v1/accounts/${id}/contacts`, { name: `Contact ${score}`, role: 'decision_maker' });
    assertStatus(c, 201, 'contact');
    assertStatus(await admin().post(`/api/v1/accounts/${id}/survey-responses`,
      { type: 'nps', score, contact_id: c.json.id, answered_at: at }), 201, 'nps');
  }
  if (sentiment) assertStatus(await admin().put(`/api/v1/accounts/${id}/sentiment`, { score: sentiment, note: 'n' }), 200, 'sentiment');
  if (phase) assertStatus(await admin().post(`/api/v1/accounts/${id}/phase`, { phase, reason: 'test' }), 200, 'phase');
  return id;
}

// ---- fixtures: four accounts tagged custom.suite = "ops"
const INJECT_VALUE = "x'); DROP TABLE accounts; --";
const INJECT_KEY = "k'); DELETE FROM accounts; --"; // no '"': a JSON path cannot quote it
const ids = {};
ids.A = await mkAccount({
  name: 'Acme Corp', domain: 'acme.example', external_id: 'SEG-A', industry: 'SaaS', employees: 500, owner_id: csm.id,
  custom: { suite: 'ops', region: 'APAC', seats_used: 45, vip: true, note: "x' OR 1=1 --", [INJECT_KEY]: 'v' },
}, {
  sub: { plan: 'Enterprise', mrr: 1000000, currency: 'JPY', seats: 50, start_date: '2024-04-01', renewal_date: dayOffset(30), status: 'active', auto_renew: true },
  nps: [[9, '2025-01-01T00:00:00Z'], [3, '2025-06-01T00:00:00Z']], sentiment: 2,
});
ids.B = await mkAccount({
  name: 'Beta Labs', domain: 'beta.example', external_id: 'SEG-B', industry: 'Manufacturing', employees: 50,
  custom: { suite: 'ops', region: 'EMEA', seats_used: 5 },
}, {
  sub: { plan: 'Starter', mrr: 50000, currency: 'USD', seats: 5, start_date: '2025-06-01', renewal_date: dayOffset(90), status: 'trial', auto_renew: false },
  nps: [[10, '2025-03-01T00:00:00Z']], sentiment: 5, phase: 'adoption',
});
ids.C = await mkAccount({
  name: 'Gamma 50%_off', external_id: 'SEG-C', owner_id: csm2.id, custom: { suite: 'ops', region: INJECT_VALUE },
});
ids.D = await mkAccount({
  name: 'Delta', external_id: 'SEG-D', industry: 'SaaS', custom: { suite: 'ops' },
}, {
  sub: { plan: 'Pro', mrr: 200000, currency: 'JPY', seats: 10, start_date: '2023-01-01', renewal_date: dayOffset(-10), status: 'churned' },
  nps: [[7, '2025-02-01T00:00:00Z']],
});

// Usage: B was seen an hour ago, D twenty days (and a few hours) ago; A and C never.
const wk = await srv.createWriteKey('segments');
for (const [ext, ago] of [['SEG-B', 3600000], ['SEG-D', 20 * DAY + 3 * 3600000]]) {
  const ts = new Date(Date.now() - ago).toISOString();
  const user = `u-${ext}`;
  const r = await srv.ingest('/v1/batch', {
    batch: [
      { type: 'group', userId: user, groupId: ext, timestamp: ts, messageId: msgId('g') },
      { type: 'track', userId: user, event: 'Login', timestamp: ts, messageId: msgId('t') },
    ],
  }, { key: wk.key });
  assertStatus(r, 200, 'ingest');
}
// Last-seen times are written a moment after the events are acknowledged (README: tracking).
for (const k of ['B', 'D']) {
  await waitFor(async () => RFC3339.test((await admin().get(`/api/v1/accounts/${ids[k]}`)).json.last_seen_at ?? ''),
    5000, `last_seen_at of ${k}`);
}

const TAG = { field: 'custom.suite', op: 'eq', value: 'ops' };
const NAMES = { A: 'Acme Corp', B: 'Beta Labs', C: 'Gamma 50%_off', D: 'Delta' };

/** The fixture accounts (as letters) matching cond, by preview; checks count = listed. */
async function members(cond) {
  const r = await admin().post('/api/v1/segments/preview', { filter: { and: [TAG, cond] }, limit: 500 });
  assertStatus(r, 200, JSON.stringify(cond));
  assert.equal(r.json.count, r.json.data.length);
  const byName = Object.fromEntries(Object.entries(NAMES).map(([k, v]) => [v, k]));
  return r.json.data.map((a) => byName[a.name]).sort().join('');
}

async function expectMembers(cases) {
  for (const [cond, want] of cases) assert.equal(await members(cond), want, JSON.stringify(cond));
}

describe('every operator on realistic accounts', () => {
  test('text fields: eq, ne, in, contains (literal, case-insensitive), is_null', () => expectMembers([
    [{ field: 'industry', op: 'eq', value: 'SaaS' }, 'AD'],
    [{ field: 'industry', op: 'ne', value: 'SaaS' }, 'BC'],
    [{ field: 'industry', op: 'in', value: ['Manufacturing', 'Retail'] }, 'B'],
    [{ field: 'industry', op: 'contains', value: 'FACT' }, 'B'],
    [{ field: 'industry', op: 'is_null' }, 'C'],
    [{ field: 'industry', op: 'is_null', value: false }, 'ABD'],
    [{ field: 'name', op: 'contains', value: '50%_' }, 'C'],
    [{ field: 'name', op: 'contains', value: '%' }, 'C'],
    [{ field: 'name', op: 'contains', value: 'a' }, 'ABCD'],
    [{ field: 'domain', op: 'eq', value: 'beta.example' }, 'B'],
    [{ field: 'domain', op: 'is_null' }, 'CD'],
    [{ field: 'external_id', op: 'in', value: ['SEG-A', 'SEG-C'] }, 'AC'],
    [{ field: 'phase', op: 'eq', value: 'adoption' }, 'B'],
    [{ field: 'phase', op: 'ne', value: 'adoption' }, 'ACD'],
    [{ field: 'plan', op: 'in', value: ['Starter', 'Enterprise'] }, 'AB'],
    [{ field: 'currency', op: 'eq', value: 'JPY' }, 'AD'],
  ]));

  test('tier, band and subscription status enums', () => expectMembers([
    [{ field: 'tier', op: 'eq', value: 'high' }, 'A'],
    [{ field: 'tier', op: 'ne', value: 'high' }, 'BCD'],
    [{ field: 'tier', op: 'in', value: ['low', 'tech'] }, 'BCD'],
    [{ field: 'tier_override', op: 'is_null' }, 'ABCD'],
    [{ field: 'subscription_status', op: 'eq', value: 'churned' }, 'D'],
    [{ field: 'subscription_status', op: 'in', value: ['trial', 'active'] }, 'AB'],
    [{ field: 'subscription_status', op: 'is_null' }, 'C'],
    [{ field: 'auto_renew', op: 'eq', value: false }, 'B'],
    [{ field: 'auto_renew', op: 'ne', value: false }, 'ACD'],
  ]));

  test('numbers: employees, owner, arr (no subscription: null), mrr, seats, nps (latest answer), sentiment', () => expectMembers([
    [{ field: 'employees', op: 'gt', value: 100 }, 'A'],
    [{ field: 'employees', op: 'lte', value: 50 }, 'B'],
    [{ field: 'employees', op: 'eq', value: 500 }, 'A'],
    [{ field: 'employees', op: 'is_null' }, 'CD'],
    [{ field: 'owner', op: 'eq', value: csm.id }, 'A'],
    [{ field: 'owner', op: 'ne', value: csm.id }, 'BCD'],
    [{ field: 'owner', op: 'in', value: [csm.id, csm2.id] }, 'AC'],
    [{ field: 'owner', op: 'is_null' }, 'BD'],
    [{ field: 'arr', op: 'gte', value: 12000000 }, 'A'],
    [{ field: 'arr', op: 'lt', value: 1000000 }, 'B'],
    [{ field: 'arr', op: 'eq', value: 2400000 }, 'D'],
    [{ field: 'arr', op: 'is_null' }, 'C'],
    [{ field: 'arr', op: 'ne', value: 2400000 }, 'ABC'],
    [{ field: 'mrr', op: 'eq', value: 50000 }, 'B'],
    [{ field: 'seats', op: 'gte', value: 50 }, 'A'],
    [{ field: 'nps', op: 'lte', value: 6 }, 'A'],
    [{ field: 'nps', op: 'gte', value: 9 }, 'B'],
    [{ field: 'nps', op: 'eq', value: 7 }, 'D'],
    [{ field: 'nps', op: 'is_null' }, 'C'],
    [{ field: 'sentiment', op: 'eq', value: 2 }, 'A'],
    [{ field: 'sentiment', op: 'gt', value: 3 }, 'B'],
    [{ field: 'sentiment', op: 'is_null' }, 'CD'],
  ]));

  test('dates: renewal_date within_days (the next N days) and comparisons; start_date; created_at', () => expectMembers([
    [{ field: 'renewal_date', op: 'within_days', value: 60 }, 'A'],
    [{ field: 'renewal_date', op: 'within_days', value: 90 }, 'AB'],
    [{ field: 'renewal_date', op: 'lt', value: todayUTC() }, 'D'],
    [{ field: 'renewal_date', op: 'gt', value: dayOffset(60) }, 'B'],
    [{ field: 'renewal_date', op: 'eq', value: dayOffset(30) }, 'A'],
    [{ field: 'renewal_date', op: 'lte', value: dayOffset(30) }, 'AD'],
    [{ field: 'renewal_date', op: 'gte', value: dayOffset(30) }, 'AB'],
    [{ field: 'renewal_date', op: 'is_null' }, 'C'],
    [{ field: 'start_date', op: 'lt', value: '2025-01-01' }, 'AD'],
    [{ field: 'created_at', op: 'within_days', value: 1 }, 'ABCD'],
    [{ field: 'created_at', op: 'lt', value: todayUTC() }, ''],
    [{ field: 'created_at', op: 'gte', value: todayUTC() }, 'ABCD'],
    [{ field: 'days_in_phase', op: 'lt', value: 1 }, 'ABCD'],
    [{ field: 'days_in_phase', op: 'gt', value: 0 }, ''],
  ]));

  test('last_seen: days since the last event; is_null = never seen', () => expectMembers([
    [{ field: 'last_seen', op: 'gt', value: 14 }, 'D'],
    [{ field: 'last_seen', op: 'gte', value: 20 }, 'D'],
    [{ field: 'last_seen', op: 'gt', value: 20 }, ''],
    [{ field: 'last_seen', op: 'eq', value: 20 }, 'D'],
    [{ field: 'last_seen', op: 'ne', value: 20 }, 'ABC'],
    [{ field: 'last_seen', op: 'lt', value: 7 }, 'B'],
    [{ field: 'last_seen', op: 'lte', value: 0 }, 'B'],
    [{ field: 'last_seen', op: 'within_days', value: 7 }, 'B'],
    [{ field: 'last_seen', op: 'is_null' }, 'AC'],
  ]));

  test('health and band agree with the scores the engine computed', async () => {
    assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
    const acc = {};
    for (const k of Object.keys(ids)) acc[k] = (await admin().get(`/api/v1/accounts/${ids[k]}`)).json;
    const expect = (pred) => Object.keys(ids).filter((k) => pred(acc[k])).sort().join('');
    await expectMembers([
      [{ field: 'health', op: 'is_null' }, expect((a) => a.health === null)],
      [{ field: 'health', op: 'gte', value: 50 }, expect((a) => a.health !== null && a.health >= 50)],
      [{ field: 'health', op: 'lt', value: 50 }, expect((a) => a.health !== null && a.health < 50)],
      [{ field: 'band', op: 'eq', value: 'red' }, expect((a) => a.band === 'red')],
      [{ field: 'band', op: 'ne', value: 'green' }, expect((a) => a.band !== 'green')],
      [{ field: 'band', op: 'in', value: ['green', 'yellow'] }, expect((a) => a.band === 'green' || a.band === 'yellow')],
    ]);
    assert.ok(Object.values(acc).some((a) => a.health !== null), 'the recompute scored some fixture');
  });

  test('custom fields by key: typed comparisons, in, contains, booleans, missing keys', () => expectMembers([
    [{ field: 'custom.region', op: 'eq', value: 'APAC' }, 'A'],
    [{ field: 'custom.region', op: 'ne', value: 'APAC' }, 'BCD'],
    [{ field: 'custom.region', op: 'in', value: ['APAC', 'EMEA'] }, 'AB'],
    [{ field: 'custom.region', op: 'is_null' }, 'D'],
    [{ field: 'custom.seats_used', op: 'gt', value: 10 }, 'A'],
    [{ field: 'custom.seats_used', op: 'lte', value: 5.5 }, 'B'],
    [{ field: 'custom.vip', op: 'eq', value: true }, 'A'],
    [{ field: 'custom.no such key', op: 'is_null' }, 'ABCD'],
  ]));
});

describe('injection strings are values, matched verbatim', () => {
  test('in values, in contains and in custom keys', () => expectMembers([
    [{ field: 'custom.region', op: 'eq', value: INJECT_VALUE }, 'C'],
    [{ field: 'custom.region', op: 'contains', value: 'drop table' }, 'C'],
    [{ field: 'custom.note', op: 'eq', value: "x' OR 1=1 --" }, 'A'],
    [{ field: 'name', op: 'eq', value: "Acme Corp' OR '1'='1" }, ''],
    [{ field: `custom.${INJECT_KEY}`, op: 'eq', value: 'v' }, 'A'],
    [{ field: 'custom.region\') OR 1=1 --', op: 'is_null', value: false }, ''],
  ]));
  test('a saved segment keeps such strings as they were sent, and the accounts are intact', async () => {
    const filter = { and: [TAG, { field: `custom.${INJECT_KEY}`, op: 'in', value: ['v', INJECT_VALUE] }] };
    const r = await admin().post('/api/v1/segments', { name: `inject ${INJECT_VALUE}`, filter });
    assertStatus(r, 201);
    assert.deepEqual(r.json.filter, filter);
    assert.equal(r.json.name, `inject ${INJECT_VALUE}`);
    assert.equal(r.json.member_count, 1);
    const g = await admin().get(`/api/v1/segments/${r.json.id}`);
    assert.deepEqual(g.json.filter, filter);
    assert.equal((await admin().get('/api/v1/accounts?limit=500')).json.data.filter((a) => a.custom.suite === 'ops').length, 4);
  });
});

test('and / or / not nesting; not is the exact complement (missing values included)', () => expectMembers([
  [{ or: [{ and: [{ field: 'industry', op: 'eq', value: 'SaaS' }, { field: 'tier', op: 'eq', value: 'high' }] },
    { not: { field: 'custom.region', op: 'in', value: ['APAC', 'EMEA'] } }] }, 'ACD'],
  [{ not: { field: 'industry', op: 'eq', value: 'SaaS' } }, 'BC'],
  [{ not: { not: { field: 'industry', op: 'eq', value: 'SaaS' } } }, 'AD'],
  [{ not: { field: 'arr', op: 'gt', value: 1000000 } }, 'BC'],
  [{ and: [] }, 'ABCD'],
  [{ or: [] }, ''],
  [{ and: [{ or: [{ field: 'nps', op: 'lte', value: 6 }, { field: 'last_seen', op: 'gt', value: 14 }] },
    { not: { field: 'subscription_status', op: 'eq', value: 'churned' } }] }, 'A'],
]));

describe('CRUD', () => {
  const FILTER = { and: [TAG, { field: 'industry', op: 'eq', value: 'SaaS' }] };
  test('create, read with member_count, patch, delete', async () => {
    const c = await srv.as(csm).post('/api/v1/segments', { name: 'SaaS accounts', description: 'All SaaS', filter: FILTER });
    assertStatus(c, 201);
    assert.deepEqual(Object.keys(c.json).sort(), SEGMENT_KEYS);
    assert.equal(c.json.name, 'SaaS accounts');
    assert.equal(c.json.description, 'All SaaS');
    assert.deepEqual(c.json.filter, FILTER);
    assert.equal(c.json.created_by, csm.id);
    assert.equal(c.json.member_count, 2);
    assert.match(c.json.created_at, RFC3339);
    const g = await srv.as(viewer).get(`/api/v1/segments/${c.json.id}`);
    assertStatus(g, 200);
    assert.deepEqual(g.json, c.json);

    const f2 = { and: [TAG, { field: 'tier', op: 'eq', value: 'high' }] };
    const p = await srv.as(csm).patch(`/api/v1/segments/${c.json.id}`, { filter: f2, description: null });
    assertStatus(p, 200);
    assert.deepEqual([p.json.name, p.json.description, p.json.member_count], ['SaaS accounts', null, 1]);
    assert.deepEqual(p.json.filter, f2);
    const p2 = await admin().patch(`/api/v1/segments/${c.json.id}`, { name: 'High touch' });
    assertStatus(p2, 200);
    assert.deepEqual([p2.json.name, p2.json.member_count, p2.json.created_by], ['High touch', 1, csm.id]);
    assert.deepEqual(p2.json.filter, f2);

    assertStatus(await srv.as(csm).del(`/api/v1/segments/${c.json.id}`), 204);
    assertProblem(await admin().get(`/api/v1/segments/${c.json.id}`), 404);
    assertProblem(await admin().del(`/api/v1/segments/${c.json.id}`), 404);
    assertProblem(await admin().patch(`/api/v1/segments/${c.json.id}`, { name: 'x' }), 404);
    assertProblem(await admin().get(`/api/v1/segments/${c.json.id}/accounts`), 404);
    assertProblem(await admin().get('/api/v1/segments/abc'), 404);
  });

  test('names are unique (409 naming name); bad bodies are 400 naming the field', async () => {
    assertStatus(await admin().post('/api/v1/segments', { name: 'Unique', filter: FILTER }), 201);
    assertProblem(await admin().post('/api/v1/segments', { name: 'Unique', filter: FILTER }), 409, 'name');
    const other = await admin().post('/api/v1/segments', { name: 'Other', filter: FILTER });
    assertProblem(await admin().patch(`/api/v1/segments/${other.json.id}`, { name: 'Unique' }), 409, 'name');
    assertProblem(await admin().post('/api/v1/segments', { filter: FILTER }), 400, 'name');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x' }), 400, 'filter');
    assertProblem(await admin().post('/api/v1/segments', { name: '  ', filter: FILTER }), 400, 'name');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x', filter: FILTER, colour: 'red' }), 400, 'colour');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x', filter: FILTER, member_count: 3 }), 400, 'member_count');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x'.repeat(201), filter: FILTER }), 400, 'name');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x', description: 5, filter: FILTER }), 400, 'description');
    assertProblem(await admin().post('/api/v1/segments', { name: 'x', filter: null }), 400, 'filter');
    assertProblem(await admin().patch(`/api/v1/segments/${other.json.id}`, { filter: [] }), 400, 'filter');
  });

  test('the list: by name, paginated, unknown parameters refused', async () => {
    const names = [];
    for (let i = 0; i < 7; i++) {
      const n = `List ${String.fromCharCode(71 - i)}`; // G, F, ... A: created out of order
      names.push(n);
      assertStatus(await admin().post('/api/v1/segments', { name: n, filter: FILTER }), 201);
    }
    const { items, pages } = await srv.listAll(viewer, '/api/v1/segments?limit=3');
    const listed = items.map((s) => s.name);
    assert.deepEqual(listed, [...listed].sort());
    for (const n of names) assert.ok(listed.includes(n), n);
    assert.equal(new Set(items.map((s) => s.id)).size, items.length);
    assert.ok(pages.length >= 3);
    assert.ok(!('member_count' in items[0]));
    assertProblem(await admin().get('/api/v1/segments?sort=name'), 400, 'sort');
    assertProblem(await admin().get('/api/v1/segments?limit=0'), 400, 'limit');
    assertProblem(await admin().get('/api/v1/segments?cursor=zzz'), 400, 'cursor');
  });
});

describe('members', () => {
  const PAGE_TAG = { field: 'custom.suite', op: 'eq', value: 'page' };
  const made = [];
  test('setup: 23 accounts in the segment, 3 outside it', async () => {
    for (let i = 0; i < 26; i++) {
      const inside = i < 23;
      const r = await admin().post('/api/v1/accounts', {
        name: `Page ${String(i).padStart(2, '0')}`, owner_id: i % 2 ? csm.id : null,
        custom: { suite: inside ? 'page' : 'page-out' },
      });
      assertStatus(r, 201);
      if (i % 3 === 0) assertStatus(await admin().put(`/api/v1/accounts/${r.json.id}/subscription`, { plan: 'P', mrr: 1000 * (i + 1), currency: 'USD', start_date: '2025-01-01', status: 'active' }), 200);
      if (inside) made.push(r.json);
    }
  });

  test('GET /segments/{id}/accounts pages through every member, in each sort', async () => {
    const seg = (await admin().post('/api/v1/segments', { name: 'Page members', filter: PAGE_TAG })).json;
    assert.equal(seg.member_count, 23);
    // (Not health: the scheduler scores new accounts meanwhile, and a key that moves while
    // paging may show a row twice, as in any keyset list.)
    for (const sort of ['name', '-name', 'arr', '-arr', 'created_at', 'renewal_date', '-renewal_date']) {
      const { items, pages } = await srv.listAll(viewer, `/api/v1/segments/${seg.id}/accounts?limit=5&sort=${sort}`);
      assert.deepEqual(pages, [5, 5, 5, 5, 3], sort);
      assert.deepEqual(items.map((a) => a.id).sort((x, y) => x - y), made.map((a) => a.id).sort((x, y) => x - y), sort);
      if (sort === 'name') assert.deepEqual(items.map((a) => a.name), made.map((a) => a.name).sort());
      if (sort === '-arr') {
        const arrs = items.map((a) => a.arr ?? -1);
        assert.deepEqual(arrs, [...arrs].sort((x, y) => y - x));
      }
    }
    // The same JSON as the accounts list.
    const one = (await admin().get(`/api/v1/segments/${seg.id}/accounts?limit=1`)).json.data[0];
    assert.deepEqual(one, (await admin().get(`/api/v1/accounts/${one.id}`)).json);
    // Other account filters narrow the members.
    const mine = await srv.listAll(csm, `/api/v1/segments/${seg.id}/accounts?owner=me&limit=4`);
    assert.equal(mine.items.length, made.filter((a) => a.owner_id === csm.id).length);
    assertProblem(await admin().get(`/api/v1/segments/${seg.id}/accounts?segment=${seg.id}`), 400, 'segment');
    assertProblem(await admin().get(`/api/v1/segments/${seg.id}/accounts?colour=red`), 400, 'colour');
    assertProblem(await admin().get(`/api/v1/segments/${seg.id}/accounts?sort=colour`), 400, 'sort');
  });

  test('the accounts list and the CSV export take segment=<id>, AND-ed with the other filters', async () => {
    const seg = (await admin().post('/api/v1/segments', { name: 'Page via list', filter: PAGE_TAG })).json;
    const all = await srv.listAll(viewer, `/api/v1/accounts?segment=${seg.id}&limit=7`);
    assert.equal(all.items.length, 23);
    assert.ok(all.items.every((a) => a.custom.suite === 'page'));
    const mine = await srv.listAll(viewer, `/api/v1/accounts?segment=${seg.id}&owner=${csm.id}&sort=-name`);
    assert.deepEqual(mine.items.map((a) => a.name), made.filter((a) => a.owner_id === csm.id).map((a) => a.name).sort().reverse());
    const csv = await admin().get(`/api/v1/accounts.csv?segment=${seg.id}`);
    assertStatus(csv, 200);
    assert.equal(csv.text.trim().split('\n').length, 24);
    assertProblem(await admin().get('/api/v1/accounts?segment=999999'), 400, 'segment');
    assertProblem(await admin().get('/api/v1/accounts?segment=abc'), 400, 'segment');
    assertProblem(await admin().get('/api/v1/accounts?segment=0'), 400, 'segment');
    assertProblem(await admin().get('/api/v1/accounts.csv?segment=-1'), 400, 'segment');
    // Membership follows the data: a member that changes drops out.
    const id = all.items[0].id;
    assertStatus(await admin().patch(`/api/v1/accounts/${id}`, { custom: { suite: 'moved' } }), 200);
    assert.equal((await admin().get(`/api/v1/segments/${seg.id}`)).json.member_count, 22);
    assertStatus(await admin().patch(`/api/v1/accounts/${id}`, { custom: { suite: 'page' } }), 200);
  });

  test('preview: the count and the first page of an unsaved filter; nothing is saved', async () => {
    const before = (await srv.listAll(srv.admin, '/api/v1/segments?limit=500')).items.length;
    const r = await srv.as(viewer).post('/api/v1/segments/preview', { filter: PAGE_TAG, limit: 10, sort: '-name' });
    assertStatus(r, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['count', 'data']);
    assert.equal(r.json.count, 23);
    assert.deepEqual(r.json.data.map((a) => a.name), made.map((a) => a.name).sort().reverse().slice(0, 10));
    const d = await admin().post('/api/v1/segments/preview', { filter: PAGE_TAG });
    assert.equal(d.json.data.length, 23);
    assert.equal((await srv.listAll(srv.admin, '/api/v1/segments?limit=500')).items.length, before);
    assertProblem(await admin().post('/api/v1/segments/preview', {}), 400, 'filter');
    assertProblem(await admin().post('/api/v1/segments/preview', { filter: PAGE_TAG, limit: 501 }), 400, 'limit');
    assertProblem(await admin().post('/api/v1/segments/preview', { filter: PAGE_TAG, sort: 'colour' }), 400, 'sort');
    assertProblem(await admin().post('/api/v1/segments/preview', { filter: PAGE_TAG, name: 'x' }), 400, 'name');
  });
});
// Each bad filter → 400 naming the JSON path of the offending node, on create, patch and preview.
describe('bad filters name the offending node', () => {
  const deep = (n) => (n === 0 ? { field: 'tier', op: 'eq', value: 'high' } : { not: deep(n - 1) });
  const many = (n) => ({ or: Array.from({ length: n }, (_, i) => ({ field: 'health', op: 'eq', value: i % 101 })) });
  const BAD = [
    [{ field: 'colour', op: 'eq', value: 'red' }, 'filter.field'],
    [{ field: 'tier', op: 'like', value: 'high' }, 'filter.op'],
    [{ and: [{ field: 'tier', op: 'eq', value: 'high' }, { or: [{ field: 'tier', op: 'between', value: 1 }] }] }, 'filter.and[1].or[0].op'],
    [{ and: [{ field: 'tier', op: 'eq', value: 'gold' }] }, 'filter.and[0].value'],
    [{ field: 'health', op: 'gt', value: '50' }, 'filter.value'],
    [{ field: 'arr', op: 'gt', value: 1.5 }, 'filter.value'],
    [{ field: 'renewal_date', op: 'within_days', value: 'soon' }, 'filter.value'],
    [{ field: 'renewal_date', op: 'lt', value: '2026-13-01' }, 'filter.value'],
    [{ field: 'tier', op: 'in', value: 'high' }, 'filter.value'],
    [{ field: 'tier', op: 'in', value: ['high', 7] }, 'filter.value[1]'],
    [{ field: 'health', op: 'contains', value: '5' }, 'filter.op'],
    [{ field: 'name', op: 'within_days', value: 5 }, 'filter.op'],
    [{ field: 'custom.a"b', op: 'eq', value: 1 }, 'filter.field'],
    [{ field: 'tier', op: 'eq', value: 'high', extra: 1 }, 'filter.extra'],
    [{ and: [], or: [] }, 'filter.or'],
    [{ and: {} }, 'filter.and'],
    [{ or: [[]] }, 'filter.or[0]'],
    [{}, 'filter.field'],
    ['tier = high', 'filter'],
    [{ and: [deep(8)] }, 'filter.and[0].not.not.not.not.not.not.not'],
    [many(101), 'filter.or[100]'],
    // An unknown key is named, cut to 100 bytes on a character boundary (é is 2 bytes).
    [{ field: 'tier', op: 'eq', value: 'high', ['é'.repeat(80)]: 1 }, `filter.${'é'.repeat(50)}`],
  ];
  for (const [filter, path] of BAD) {
    test(`${JSON.stringify(filter).slice(0, 90)} → 400 ${path}`, async () => {
      assertProblem(await admin().post('/api/v1/segments', { name: `bad ${path}`, filter }), 400, path);
      assertProblem(await admin().post('/api/v1/segments/preview', { filter }), 400, path);
    });
  }
  test('on PATCH too, and the stored filter is unchanged', async () => {
    const ok = { field: 'tier', op: 'eq', value: 'high' };
    const s = (await admin().post('/api/v1/segments', { name: 'patch target', filter: ok })).json;
    assertProblem(await admin().patch(`/api/v1/segments/${s.id}`, { filter: { or: [ok, { field: 'tier', op: 'nope' }] } }), 400, 'filter.or[1].op');
    assert.deepEqual((await admin().get(`/api/v1/segments/${s.id}`)).json.filter, ok);
  });
  test('the limits themselves are allowed: depth 8, 100 conditions', async () => {
    assertStatus(await admin().post('/api/v1/segments/preview', { filter: deep(7) }), 200);
    assertStatus(await admin().post('/api/v1/segments/preview', { filter: many(100) }), 200);
  });
});

test('role rule: viewers read; the creator or an admin changes a segment', async () => {
  const FILTER = { field: 'tier', op: 'eq', value: 'low' };
  const s = (await srv.as(csm).post('/api/v1/segments', { name: 'csm owned', filter: FILTER })).json;
  assertProblem(await srv.as(viewer).post('/api/v1/segments', { name: 'v', filter: FILTER }), 403);
  assertProblem(await srv.as(viewer).patch(`/api/v1/segments/${s.id}`, { name: 'v' }), 403);
  assertProblem(await srv.as(csm2).patch(`/api/v1/segments/${s.id}`, { name: 'taken over' }), 403);
  assertProblem(await srv.as(csm2).del(`/api/v1/segments/${s.id}`), 403);
  assert.equal((await admin().get(`/api/v1/segments/${s.id}`)).json.name, 'csm owned');
  assertStatus(await srv.as(viewer).get(`/api/v1/segments/${s.id}/accounts`), 200);
  assertStatus(await srv.as(viewer).post('/api/v1/segments/preview', { filter: FILTER }), 200);
  assertProblem(await srv.request('GET', '/api/v1/segments'), 401);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
