// Subscription (PUT/GET, history), ARR, and touch tiers from the settings, with recompute.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, startServer, todayUTC } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const newAccount = async (extra = {}) => {
  const r = await admin().post('/api/v1/accounts', { name: `Sub ${Math.random().toString(36).slice(2, 8)}`, ...extra });
  assertStatus(r, 201);
  return r.json;
};
const put = (id, body) => admin().put(`/api/v1/accounts/${id}/subscription`, body);
const tierOf = async (id) => (await admin().get(`/api/v1/accounts/${id}`)).json.tier;
const SUB_KEYS = ['account_id', 'arr', 'auto_renew', 'currency', 'effective_date', 'mrr', 'plan', 'renewal_date',
  'seats', 'start_date', 'status', 'updated_at'];
const HIST_KEYS = ['auto_renew', 'currency', 'effective_date', 'mrr', 'plan', 'renewal_date', 'seats', 'start_date', 'status'];
const DEFAULT_TIERS = [
  { currency: 'EUR', high_min_arr: 10000000, low_min_arr: 1000000 },
  { currency: 'JPY', high_min_arr: 12000000, low_min_arr: 1200000 },
  { currency: 'USD', high_min_arr: 10000000, low_min_arr: 1000000 },
];
const byCurrency = (v) => [...v].sort((a, b) => a.currency.localeCompare(b.currency));

test('no subscription yet: GET is 404; the account shows nulls', async () => {
  const a = await newAccount();
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/subscription`), 404);
  const h = await admin().get(`/api/v1/accounts/${a.id}/subscription/history`);
  assertStatus(h, 200);
  assert.deepEqual(h.json.data, []);
});

test('PUT sets the subscription; ARR = 12 × MRR; the account reflects it; history grows oldest first', async () => {
  const a = await newAccount();
  const body = {
    plan: 'Pro', mrr: 100000, currency: 'USD', seats: 25, start_date: '2024-01-01', renewal_date: '2025-01-01',
    auto_renew: true, status: 'active', effective_date: '2024-01-01',
  };
  const r = await put(a.id, body);
  assertStatus(r, 200);
  assert.deepEqual(Object.keys(r.json).sort(), SUB_KEYS);
  const { updated_at, ...rest } = r.json;
  assert.match(updated_at, RFC3339);
  assert.deepEqual(rest, { ...body, account_id: a.id, arr: 1200000 });
  const g = await admin().get(`/api/v1/accounts/${a.id}/subscription`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);
  let acct = (await admin().get(`/api/v1/accounts/${a.id}`)).json;
  assert.deepEqual([acct.plan, acct.mrr, acct.arr, acct.currency, acct.renewal_date, acct.subscription_status, acct.tier],
    ['Pro', 100000, 1200000, 'USD', '2025-01-01', 'active', 'low']);

  const up = { ...body, plan: 'Enterprise', mrr: 900000, seats: 120, auto_renew: false, renewal_date: null, effective_date: '2024-06-01' };
  const r2 = await put(a.id, up);
  assertStatus(r2, 200);
  assert.equal(r2.json.arr, 10800000);
  assert.equal(r2.json.auto_renew, false);
  assert.equal(r2.json.renewal_date, null);
  acct = (await admin().get(`/api/v1/accounts/${a.id}`)).json;
  assert.deepEqual([acct.plan, acct.mrr, acct.arr, acct.renewal_date, acct.tier], ['Enterprise', 900000, 10800000, null, 'high']);

  const churn = { ...up, status: 'churned', effective_date: '2024-09-01' };
  assertStatus(await put(a.id, churn), 200);
  acct = (await admin().get(`/api/v1/accounts/${a.id}`)).json;
  assert.equal(acct.subscription_status, 'churned');
  assert.equal(acct.tier, 'tech', 'a churned subscription is tech touch');

  const h = await admin().get(`/api/v1/accounts/${a.id}/subscription/history`);
  assertStatus(h, 200);
  assert.equal(h.json.data.length, 3);
  for (const e of h.json.data) {
    assert.deepEqual(Object.keys(e).filter((k) => k !== 'recorded_at').sort(), HIST_KEYS);
    if ('recorded_at' in e) assert.match(e.recorded_at, RFC3339);
  }
  const strip = ({ recorded_at: _r, ...x }) => x;
  assert.deepEqual(h.json.data.map(strip), [body, up, churn]);
});

test('history is ordered by effective_date, not by the order of the PUTs', async () => {
  const a = await newAccount();
  const base = { plan: 'A', mrr: 1, currency: 'JPY', start_date: '2024-01-01', status: 'trial' };
  assertStatus(await put(a.id, { ...base, plan: 'May', effective_date: '2024-05-01' }), 200);
  assertStatus(await put(a.id, { ...base, plan: 'Feb', effective_date: '2024-02-01' }), 200);
  assertStatus(await put(a.id, { ...base, plan: 'Aug', effective_date: '2024-08-01' }), 200);
  const h = (await admin().get(`/api/v1/accounts/${a.id}/subscription/history`)).json.data;
  assert.deepEqual(h.map((e) => [e.effective_date, e.plan]), [['2024-02-01', 'Feb'], ['2024-05-01', 'May'], ['2024-08-01', 'Aug']]);
  const cur = (await admin().get(`/api/v1/accounts/${a.id}/subscription`)).json;
  assert.equal(cur.plan, 'Aug', 'the current subscription is the latest entry');
  assert.equal(cur.effective_date, '2024-08-01');
});

test('defaults: seats 1, auto_renew true, renewal_date null, effective_date today (UTC)', async () => {
  const a = await newAccount();
  const before = todayUTC();
  const r = await put(a.id, { plan: 'Starter', mrr: 0, currency: 'EUR', start_date: '2024-03-15', status: 'trial' });
  const afterDay = todayUTC();
  assertStatus(r, 200);
  assert.equal(r.json.seats, 1);
  assert.equal(r.json.auto_renew, true);
  assert.equal(r.json.renewal_date, null);
  assert.equal(r.json.arr, 0);
  assert.ok([before, afterDay].includes(r.json.effective_date), `effective_date ${r.json.effective_date}, today ${before}`);
});

test('PUT validates every field and names it', async () => {
  const a = await newAccount();
  const ok = { plan: 'P', mrr: 1000, currency: 'USD', start_date: '2024-01-01', status: 'active' };
  const bad = [
    [{ mrr: -1 }, 'mrr'], [{ mrr: '1000' }, 'mrr'], [{ mrr: 10.5 }, 'mrr'], [{ mrr: null }, 'mrr'],
    [{ currency: 'usd' }, 'currency'], [{ currency: 'US' }, 'currency'], [{ currency: 'USDX' }, 'currency'], [{ currency: 840 }, 'currency'],
    [{ seats: -1 }, 'seats'], [{ seats: 'ten' }, 'seats'],
    [{ start_date: '2024-02-30' }, 'start_date'], [{ start_date: '2024/01/01' }, 'start_date'], [{ start_date: '2024-01-01T00:00:00Z' }, 'start_date'],
    [{ renewal_date: 'next year' }, 'renewal_date'], [{ effective_date: '2024-13-01' }, 'effective_date'],
    [{ auto_renew: 'yes' }, 'auto_renew'], [{ auto_renew: 1 }, 'auto_renew'],
    [{ status: 'paused' }, 'status'], [{ plan: '' }, 'plan'], [{ plan: 7 }, 'plan'],
    [{ arr: 12000 }, 'arr'], [{ account_id: a.id }, 'account_id'],
  ];
  for (const [patch, field] of bad) {
    assertProblem(await put(a.id, { ...ok, ...patch }), 400, field, JSON.stringify(patch));
  }
  for (const k of ['plan', 'mrr', 'currency', 'start_date', 'status']) {
    const { [k]: _drop, ...missing } = ok;
    assertProblem(await put(a.id, missing), 400, k, `missing ${k}`);
  }
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/subscription`), 404, undefined, 'nothing was stored');
  assertProblem(await put(999999, ok), 404);
  assertProblem(await admin().get('/api/v1/accounts/999999/subscription/history'), 404);
});

test('tiers: thresholds per currency, boundaries inclusive, override wins', async () => {
  const g = await admin().get('/api/v1/settings/tiers');
  assertStatus(g, 200);
  assert.deepEqual(Object.keys(g.json), ['thresholds']);
  assert.deepEqual(byCurrency(g.json.thresholds), DEFAULT_TIERS);
  const cases = [
    ['JPY', 1000000, 'high'], // ARR 12,000,000 = high_min
    ['JPY', 999999, 'low'],
    ['JPY', 100000, 'low'], // ARR 1,200,000 = low_min
    ['JPY', 99999, 'tech'],
    ['USD', 833334, 'high'], // ARR 10,000,008
    ['USD', 833333, 'low'], // ARR 9,999,996
    ['EUR', 83334, 'low'], // ARR 1,000,008
    ['EUR', 83333, 'tech'],
    ['GBP', 99999999, 'tech'], // no thresholds for GBP
  ];
  for (const [currency, mrr, tier] of cases) {
    const a = await newAccount();
    assertStatus(await put(a.id, { plan: 'P', mrr, currency, start_date: '2024-01-01', status: 'active' }), 200);
    assert.equal(await tierOf(a.id), tier, `${currency} MRR ${mrr}`);
  }
  // Override wins; clearing it recomputes from ARR.
  const o = await newAccount({ tier_override: 'tech' });
  assertStatus(await put(o.id, { plan: 'P', mrr: 5000000, currency: 'USD', start_date: '2024-01-01', status: 'active' }), 200);
  assert.equal(await tierOf(o.id), 'tech');
  const cleared = await admin().patch(`/api/v1/accounts/${o.id}`, { tier_override: null });
  assert.equal(cleared.json.tier, 'high');
  assert.equal(cleared.json.tier_override, null);
  assert.equal((await admin().patch(`/api/v1/accounts/${o.id}`, { tier_override: 'low' })).json.tier, 'low');
});

test('PUT /api/v1/settings/tiers replaces the thresholds and recomputes every account', async () => {
  const mk = async (currency, mrr) => {
    const a = await newAccount();
    assertStatus(await put(a.id, { plan: 'P', mrr, currency, start_date: '2024-01-01', status: 'active' }), 200);
    return a.id;
  };
  const usdLow = await mk('USD', 100000); // ARR 1,200,000: low
  const usdTech = await mk('USD', 10000); // ARR 120,000: tech
  const gbp = await mk('GBP', 100000); // no thresholds: tech
  const pinned = (await newAccount({ tier_override: 'low' })).id;
  await put(pinned, { plan: 'P', mrr: 100000, currency: 'USD', start_date: '2024-01-01', status: 'active' });
  assert.deepEqual([await tierOf(usdLow), await tierOf(usdTech), await tierOf(gbp)], ['low', 'tech', 'tech']);

  const next = [
    { currency: 'GBP', high_min_arr: 1000000, low_min_arr: 100000 },
    { currency: 'JPY', high_min_arr: 12000000, low_min_arr: 1200000 },
    { currency: 'USD', high_min_arr: 1000000, low_min_arr: 100000 },
  ];
  const r = await admin().put('/api/v1/settings/tiers', { thresholds: next });
  assertStatus(r, 200);
  assert.deepEqual(byCurrency(r.json.thresholds), next);
  assert.deepEqual(byCurrency((await admin().get('/api/v1/settings/tiers')).json.thresholds), next);
  assert.deepEqual([await tierOf(usdLow), await tierOf(usdTech), await tierOf(gbp), await tierOf(pinned)], ['high', 'low', 'high', 'low']);
  // EUR was dropped: EUR accounts are now tech.
  const eur = await mk('EUR', 99999999);
  assert.equal(await tierOf(eur), 'tech');

  // Restore the defaults; everything recomputes back.
  assertStatus(await admin().put('/api/v1/settings/tiers', { thresholds: DEFAULT_TIERS }), 200);
  assert.deepEqual([await tierOf(usdLow), await tierOf(usdTech), await tierOf(gbp), await tierOf(eur)], ['low', 'tech', 'tech', 'high']);
  // The list filter sees recomputed tiers too.
  const high = (await srv.listAll(srv.admin, '/api/v1/accounts?tier=high&limit=500')).items.map((a) => a.id);
  assert.ok(high.includes(eur) && !high.includes(usdLow));
});

test('settings/tiers: bad bodies are 400; readable by a viewer, writable by admins only', async () => {
  const bad = [
    [{}, 'thresholds'], [{ thresholds: 'x' }, 'thresholds'], [{ thresholds: [{ currency: 'USD' }] }, null],
    [{ thresholds: [{ currency: 'usd', high_min_arr: 1, low_min_arr: 0 }] }, null],
    [{ thresholds: [{ currency: 'USD', high_min_arr: -1, low_min_arr: 0 }] }, null],
    [{ thresholds: [{ currency: 'USD', high_min_arr: '1', low_min_arr: 0 }] }, null],
    [{ thresholds: [], extra: 1 }, 'extra'],
  ];
  for (const [body, field] of bad) {
    const r = await admin().put('/api/v1/settings/tiers', body);
    assertProblem(r, 400, field ?? undefined, JSON.stringify(body));
  }
  assert.deepEqual(byCurrency((await admin().get('/api/v1/settings/tiers')).json.thresholds), DEFAULT_TIERS, 'unchanged');
  const v = await srv.createUser('viewer');
  const c = await srv.createUser('csm');
  assertStatus(await srv.as(v).get('/api/v1/settings/tiers'), 200);
  assertProblem(await srv.as(c).put('/api/v1/settings/tiers', { thresholds: DEFAULT_TIERS }), 403);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
