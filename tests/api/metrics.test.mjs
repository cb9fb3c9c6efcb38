// Revenue metrics (/api/v1/metrics/mrr, movements, retention, churn, ltv, cohorts) and the
// currency settings, against hand-computed fixtures built through the subscription API.
// Each scenario's accounts carry their own industry, so `industry=` isolates them (and
// exercises the filter) while the scenarios share one server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, parseCsv, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const viewer = await srv.createUser('viewer');
const csmA = await srv.createUser('csm');
const csmB = await srv.createUser('csm');

/** Creates an account and its subscription history: rows [date, mrr, status, currency?]. */
async function account(industry, rows, extra = {}) {
  const a = await admin().post('/api/v1/accounts', { name: `M ${industry} ${Math.random().toString(36).slice(2, 8)}`, industry, ...extra });
  assertStatus(a, 201);
  for (const [date, mrr, status, currency = 'JPY'] of rows) {
    const r = await admin().put(`/api/v1/accounts/${a.json.id}/subscription`, {
      plan: 'Pro', mrr, currency, seats: 10, start_date: rows[0][0], status, effective_date: date,
    });
    assertStatus(r, 200, `subscription ${date}`);
  }
  return a.json;
}

const get = async (p, who = viewer) => {
  const r = await srv.as(who).get(p);
  assertStatus(r, 200, p);
  return r.json;
};

/** mrr(m) = mrr(m-1) + new + expansion + reactivation - contraction - churn, every month. */
function assertReconciles(mov) {
  let prev = mov.start_mrr;
  for (const m of mov.data) {
    assert.equal(m.mrr, prev + m.new + m.expansion + m.reactivation - m.contraction - m.churn, `${m.month} reconciles`);
    prev = m.mrr;
  }
}

// The fixture of tests/unit/metrics.c, through the API (reporting JPY, USD at 150).
const FIX = 'fixture-movements';
await account(FIX, [['2024-02-10', 1000, 'active']]); // new in Feb
await account(FIX, [['2023-12-01', 2000, 'active'], ['2024-03-15', 3000, 'active']]); // expansion Mar
await account(FIX, [['2023-11-01', 5000, 'active'], ['2024-04-30', 4000, 'active']]); // contraction Apr
await account(FIX, [['2023-10-01', 1000, 'active'], ['2024-03-31', 1000, 'churned']]); // churn Mar
await account(FIX, [['2023-06-01', 700, 'active'], ['2023-09-01', 0, 'churned'], ['2024-05-02', 800, 'active']]); // reactivation May
await account(FIX, [['2023-12-01', 1000, 'active'], ['2024-02-03', 1500, 'active'], ['2024-02-20', 1000, 'active']]); // up and down in Feb
await account(FIX, [['2024-01-05', 5000, 'trial'], ['2024-03-05', 3000, 'active']]); // trial first: new in Mar
await account(FIX, [['2023-12-01', 2000, 'active'], ['2024-04-05', 2000, 'churned'], ['2024-04-25', 2500, 'active']]); // churn + back in Apr
await account(FIX, [['2024-01-20', 1000, 'active', 'USD']]); // $10.00 -> 1500 yen, new in Jan
const Q = `industry=${FIX}&from=2024-01&to=2024-06`;

test('movements: every type by hand, same-month up-then-down nets out, trial first, reconciles', async () => {
  const mov = await get(`/api/v1/metrics/movements?${Q}`);
  assert.equal(mov.currency, 'JPY');
  assert.equal(mov.from, '2024-01');
  assert.equal(mov.to, '2024-06');
  assert.equal(mov.start_mrr, 11000);
  const cols = (m) => [m.month, m.mrr, m.new, m.expansion, m.contraction, m.churn, m.reactivation];
  assert.deepEqual(mov.data.map(cols), [
    ['2024-01', 12500, 1500, 0, 0, 0, 0],
    ['2024-02', 13500, 1000, 0, 0, 0, 0],
    ['2024-03', 16500, 3000, 1000, 0, 1000, 0],
    ['2024-04', 16000, 0, 500, 1000, 0, 0],
    ['2024-05', 16800, 0, 0, 0, 0, 800],
    ['2024-06', 16800, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(Object.keys(mov.data[0]), ['month', 'mrr', 'new', 'expansion', 'contraction', 'churn', 'reactivation']);
  assertReconciles(mov);
});

test('mrr: month-end MRR, ARR = 12 x MRR, customers, ARPA', async () => {
  const m = await get(`/api/v1/metrics/mrr?${Q}`);
  assert.deepEqual(m.data.map((x) => [x.month, x.mrr, x.arr, x.customers, x.arpa]), [
    ['2024-01', 12500, 150000, 6, 2083], // 12500 / 6 = 2083.33
    ['2024-02', 13500, 162000, 7, 1929], // 1928.57
    ['2024-03', 16500, 198000, 7, 2357], // 2357.14
    ['2024-04', 16000, 192000, 7, 2286], // 2285.71
    ['2024-05', 16800, 201600, 8, 2100],
    ['2024-06', 16800, 201600, 8, 2100],
  ]);
});

test('retention, churn and LTV against hand-computed values', async () => {
  const ret = await get(`/api/v1/metrics/retention?${Q}`);
  const mar = ret.data[2];
  assert.equal(mar.start_mrr, 13500);
  assert.equal(mar.nrr, 13500 / 13500);
  assert.equal(mar.grr, 12500 / 13500);
  const apr = ret.data[3];
  assert.equal(apr.nrr, (16500 + 500 - 1000) / 16500);
  assert.equal(apr.grr, (16500 - 1000) / 16500);
  // Trailing 12 months at 2024-06: only the account paying at the end of 2023-06 (700 -> 800).
  assert.equal(ret.data[5].start_mrr_12m, 700);
  assert.equal(ret.data[5].nrr_12m, 800 / 700);
  assert.equal(ret.data[5].grr_12m, 1);
  assert.equal(ret.data[4].nrr_12m, null, 'nobody paid at the end of 2023-05: undefined');

  const ch = await get(`/api/v1/metrics/churn?${Q}`);
  assert.deepEqual([ch.data[2].start_customers, ch.data[2].churned_customers], [7, 1]);
  assert.equal(ch.data[2].logo_churn_rate, 1 / 7);
  assert.equal(ch.data[2].logo_retention_rate, 6 / 7);
  assert.equal(ch.data[2].revenue_churn_rate, 1000 / 13500);
  assert.equal(ch.data[3].revenue_churn_rate, 1000 / 16500);
  assert.equal(ch.data[3].net_revenue_churn_rate, 500 / 16500);
  assert.equal(ch.data[0].logo_churn_rate, 0);

  // LTV, whole window: ARPA of June 2100, margin 0.8 (default), churn + contraction 2000 over
  // the starting MRR of Jan..Jun: 11000 + 12500 + 13500 + 16500 + 16000 + 16800 = 86300.
  // 2100 x 0.8 x 86300 / 2000 = 72492.
  const ltv = await get(`/api/v1/metrics/ltv?${Q}`);
  assert.equal(ltv.gross_margin, 0.8);
  assert.equal(ltv.arpa, 2100);
  assert.equal(ltv.revenue_churn_rate, 2000 / 86300);
  assert.equal(ltv.ltv, 72492);
  assert.equal(ltv.note, null);
  // March alone: ARPA 2357, rate 1000 / 13500: 2357 x 0.8 x 13.5 = 25455.6 -> 25456.
  assert.equal(ltv.data[2].ltv, 25456);
  // No churn in June: undefined, and said so for a window without churn.
  assert.equal(ltv.data[5].ltv, null);
  const calm = await get(`/api/v1/metrics/ltv?industry=${FIX}&from=2024-05&to=2024-06`);
  assert.equal(calm.ltv, null);
  assert.match(calm.note, /undefined/);
});

test('cohorts: by first paid month (a trial does not count), logo and revenue retention', async () => {
  const c = await get(`/api/v1/metrics/cohorts?${Q}`);
  const byCohort = Object.fromEntries(c.data.map((x) => [x.cohort, x]));
  assert.equal(c.data.length, 6);
  assert.deepEqual([byCohort['2024-01'].customers, byCohort['2024-01'].mrr], [1, 1500]);
  assert.deepEqual([byCohort['2024-02'].customers, byCohort['2024-02'].mrr], [1, 1000]);
  assert.deepEqual([byCohort['2024-03'].customers, byCohort['2024-03'].mrr], [1, 3000]);
  assert.equal(byCohort['2024-03'].months.length, 4);
  assert.deepEqual(byCohort['2024-03'].months[3], { offset: 3, month: '2024-06', customers: 1, mrr: 3000, logo_retention: 1, revenue_retention: 1 });
  assert.equal(byCohort['2024-04'].customers, 0);
  assert.equal(byCohort['2024-04'].months[0].logo_retention, null);
  const csv = await srv.as(viewer).get(`/api/v1/metrics/cohorts?${Q}&format=csv`);
  assertStatus(csv, 200);
  const rows = parseCsv(csv.text);
  assert.deepEqual(rows[0], ['cohort', 'offset', 'month', 'customers', 'mrr', 'logo_retention', 'revenue_retention']);
  assert.equal(rows.length - 1, 6 + 5 + 4 + 3 + 2 + 1);
  assert.deepEqual(rows[1], ['2024-01', '0', '2024-01', '1', '1500', '1', '1']);
});

test('churn and reactivation in the same month, by different accounts; a reactivation is not new', async () => {
  const ind = 'fixture-same-month';
  await account(ind, [['2023-01-01', 4000, 'active'], ['2024-03-10', 0, 'churned']]);
  await account(ind, [['2023-01-01', 1500, 'active'], ['2023-06-01', 0, 'churned'], ['2024-03-20', 2500, 'active']]);
  // Mid-month changes count at the month end: active on the 31st of March only.
  await account(ind, [['2024-03-31', 600, 'active']]);
  const mov = await get(`/api/v1/metrics/movements?industry=${ind}&from=2024-02&to=2024-04`);
  assert.deepEqual(mov.data.map((m) => [m.month, m.mrr, m.new, m.churn, m.reactivation]), [
    ['2024-02', 4000, 0, 0, 0],
    ['2024-03', 3100, 600, 4000, 2500],
    ['2024-04', 3100, 0, 0, 0],
  ]);
  assertReconciles(mov);
});

test('currency: conversion with the settings, a new rate changes the totals, unconverted currencies are reported', async () => {
  const ind = 'fixture-currency';
  await account(ind, [['2024-01-01', 9999, 'active', 'EUR']]); // 99.99 EUR
  await account(ind, [['2024-01-01', 1, 'active', 'USD']]); // 1 cent = 1.5 yen -> 2
  await account(ind, [['2024-01-01', 5000, 'active', 'GBP']]); // no rate by default
  const q = `/api/v1/metrics/mrr?industry=${ind}&from=2024-01&to=2024-01`;
  let m = await get(q);
  assert.equal(m.data[0].mrr, 15998 + 2); // 99.99 x 160 = 15998.4 -> 15998
  assert.deepEqual(m.unconverted_currencies, ['GBP']);
  assert.equal(m.excluded_accounts, 1);

  const put = await admin().put('/api/v1/settings/currency', { reporting_currency: 'USD', rates: { JPY: 0.0067, EUR: 1.085, GBP: 1.27 }, gross_margin: 0.75 });
  assertStatus(put, 200);
  assert.deepEqual(put.json, { reporting_currency: 'USD', rates: { JPY: 0.0067, EUR: 1.085, GBP: 1.27 }, gross_margin: 0.75 });
  assert.deepEqual((await get('/api/v1/settings/currency')), put.json);
  m = await get(q);
  assert.equal(m.currency, 'USD');
  // EUR 9999 cents x 1.085 = 10848.915 -> 10849; USD 1; GBP 5000 x 1.27 = 6350.
  assert.equal(m.data[0].mrr, 10849 + 1 + 6350);
  assert.deepEqual(m.unconverted_currencies, []);
  // JPY (0 decimals) into USD (2): 1000 yen x 0.0067 = 6.70 USD = 670 cents.
  const fix = await get(`/api/v1/metrics/movements?industry=${FIX}&from=2024-01&to=2024-01`);
  // 11000 yen -> 7370 cents at the start; January adds the USD account's 1000 cents as is.
  assert.equal(fix.start_mrr, 1340 + 3350 + 670 + 670 + 1340); // 2000 + 5000 + 1000 + 1000 + 2000 yen, each converted
  assert.equal(fix.data[0].new, 1000);
  const back = await admin().put('/api/v1/settings/currency', { reporting_currency: 'JPY', rates: { USD: 150, EUR: 160 }, gross_margin: 0.8 });
  assertStatus(back, 200);
});

test('filters: owner, tier, phase, industry slice the book', async () => {
  const ind = 'fixture-filters';
  await account(ind, [['2024-01-01', 1000, 'active']], { owner_id: csmA.id, phase: 'adoption' });
  await account(ind, [['2024-01-01', 2000, 'active']], { owner_id: csmB.id, phase: 'onboarding' });
  await account(ind, [['2024-01-01', 4000, 'active']], { tier_override: 'high' });
  const mrr = async (extra) => (await get(`/api/v1/metrics/mrr?industry=${ind}&from=2024-01&to=2024-01${extra}`)).data[0].mrr;
  assert.equal(await mrr(''), 7000);
  assert.equal(await mrr(`&owner=${csmA.id}`), 1000);
  assert.equal(await mrr(`&owner=${csmB.id}`), 2000);
  assert.equal(await mrr('&owner=none'), 4000);
  assert.equal(await mrr('&tier=high'), 4000);
  assert.equal(await mrr('&phase=adoption'), 1000);
  assert.equal(await mrr('&phase=churned'), 0);
  const me = await srv.as(csmA).get(`/api/v1/metrics/mrr?industry=${ind}&from=2024-01&to=2024-01&owner=me`);
  assert.equal(me.json.data[0].mrr, 1000);
  assert.equal((await get('/api/v1/metrics/mrr?industry=nobody&from=2024-01&to=2024-01')).data[0].mrr, 0);
  // A segment (saved filter tree, docs/segments.md) slices every metric the same way,
  // including on fields the metrics' own filters do not have (MRR of the subscription).
  const seg = await srv.as(srv.admin).post('/api/v1/segments',
    { name: 'metrics big', filter: { and: [{ field: 'industry', op: 'eq', value: ind }, { field: 'mrr', op: 'gte', value: 2000 }] } });
  assert.equal(seg.status, 201, seg.text);
  assert.equal(await mrr(`&segment=${seg.json.id}`), 6000);
  assert.equal(await mrr(`&segment=${seg.json.id}&tier=high`), 4000);
  const mov = await get(`/api/v1/metrics/movements?segment=${seg.json.id}&from=2024-01&to=2024-01`);
  assert.equal(mov.data[0].new, 6000);
  assertProblem(await srv.as(viewer).get('/api/v1/metrics/mrr?segment=abc'), 400, 'segment');
});

test('bad parameters get a 400 naming the parameter', async () => {
  for (const route of ['mrr', 'movements', 'retention', 'churn', 'ltv', 'cohorts']) {
    const base = `/api/v1/metrics/${route}`;
    assertProblem(await srv.as(viewer).get(`${base}?from=2024-05&to=2024-01`), 400, 'from');
    for (const bad of ['2024-13', '2024-1', '24-01', '2024-01-01', '', 'x', '1969-12', '２０２４-01']) {
      const r = await srv.as(viewer).get(`${base}?from=${encodeURIComponent(bad)}`);
      assertProblem(r, 400, 'from', bad);
      assert.equal(r.json.field, 'from');
      assertProblem(await srv.as(viewer).get(`${base}?to=${encodeURIComponent(bad)}`), 400, 'to', bad);
    }
    const u = await srv.as(viewer).get(`${base}?segment=999999`);
    assertProblem(u, 400, 'segment');
    assert.equal(u.json.field, 'segment');
    assert.equal((await srv.as(viewer).get(`${base}?tier=gold`)).json.field, 'tier');
    assert.equal((await srv.as(viewer).get(`${base}?phase=x`)).json.field, 'phase');
    assert.equal((await srv.as(viewer).get(`${base}?owner=-1`)).json.field, 'owner');
    assert.equal((await srv.as(viewer).get(`${base}?owner=abc`)).json.field, 'owner');
    assert.equal((await srv.as(viewer).get(`${base}?format=xml`)).json.field, 'format');
    assert.equal((await srv.as(viewer).get(`${base}?from=2000-01&to=2024-01`)).json.field, 'from', 'more than 120 months');
    assertProblem(await srv.request('GET', base), 401);
  }
  // Defaults: the 12 months up to the current one.
  const d = await get('/api/v1/metrics/mrr');
  assert.equal(d.data.length, 12);
  assert.equal(d.to, new Date().toISOString().slice(0, 7));
  assert.equal((await get('/api/v1/metrics/mrr?to=2024-03')).from, '2023-04');
  assert.equal((await get('/api/v1/metrics/mrr?from=2099-03')).to, '2099-03');
});

test('CSV for the monthly tables', async () => {
  const r = await srv.as(viewer).get(`/api/v1/metrics/movements?${Q}&format=csv`);
  assertStatus(r, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const rows = parseCsv(r.text);
  assert.deepEqual(rows[0], ['month', 'mrr', 'new', 'expansion', 'contraction', 'churn', 'reactivation']);
  assert.deepEqual(rows[3], ['2024-03', '16500', '3000', '1000', '0', '1000', '0']);
  for (const route of ['mrr', 'retention', 'churn', 'ltv']) {
    const c = await srv.as(viewer).get(`/api/v1/metrics/${route}?${Q}&format=csv`);
    assertStatus(c, 200);
    const t = parseCsv(c.text);
    assert.equal(t.length, 7, route);
    assert.equal(t[0][0], 'month');
    const j = await get(`/api/v1/metrics/${route}?${Q}`);
    assert.deepEqual(t[0], Object.keys(j.data[0]), route);
  }
});

test('currency settings: validation names the field and keeps the old settings; admin only', async () => {
  const before = await get('/api/v1/settings/currency');
  assert.deepEqual(before, { reporting_currency: 'JPY', rates: { USD: 150, EUR: 160 }, gross_margin: 0.8 });
  const good = { reporting_currency: 'JPY', rates: { USD: 150 }, gross_margin: 0.8 };
  const cases = [
    [{ ...good, reporting_currency: 'XXX' }, 'reporting_currency'],
    [{ ...good, reporting_currency: 'jpy' }, 'reporting_currency'],
    [{ ...good, reporting_currency: 12 }, 'reporting_currency'],
    [{ ...good, rates: { ABC: 1 } }, 'rates.ABC'],
    [{ ...good, rates: { USD: 0 } }, 'rates.USD'],
    [{ ...good, rates: { USD: -150 } }, 'rates.USD'],
    [{ ...good, rates: { USD: '150' } }, 'rates.USD'],
    [{ ...good, rates: { USD: 1e12 } }, 'rates.USD'],
    [{ ...good, rates: { JPY: 2 } }, 'rates.JPY'],
    [{ ...good, rates: [] }, 'rates'],
    [{ ...good, gross_margin: 1.5 }, 'gross_margin'],
    [{ ...good, gross_margin: -0.1 }, 'gross_margin'],
    [{ ...good, gross_margin: null }, 'gross_margin'],
    [{ reporting_currency: 'JPY', rates: {} }, 'gross_margin'],
    [{ ...good, extra: 1 }, 'extra'],
  ];
  for (const [body, field] of cases) {
    const r = await admin().put('/api/v1/settings/currency', body);
    assertProblem(r, 400, field, JSON.stringify(body));
    assert.equal(r.json.field, field, JSON.stringify(body));
  }
  assert.deepEqual(await get('/api/v1/settings/currency'), before, 'a refused PUT changes nothing');
  assertProblem(await srv.as(viewer).put('/api/v1/settings/currency', good), 403);
  assertProblem(await srv.as(csmA).put('/api/v1/settings/currency', good), 403);
});

test('server stops cleanly', () => srv.stop());
