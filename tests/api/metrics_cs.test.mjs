// Customer success metrics: renewals (30/60/90 days, MRR at risk), journey (phases,
// onboarding completion, funnel, TTV), health bands over time, NPS/CSAT/CES, and team
// activity (KAI) with the book of business, against hand-computed fixtures. Journey, health
// and survey rows have no write API on this branch yet (they come with the journey and health
// issues), so those fixtures are written with the sqlite3 CLI into the server's database
// (WAL: safe while it runs); those tests are skipped when the CLI is not installed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, parseCsv, sqliteQuery, startServer, waitFor, HAVE_SQLITE, sqliteExec } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const viewer = await srv.createUser('viewer');
const sql = (text) => sqliteExec(srv.db, text);

const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);

async function account(industry, extra = {}, sub = null) {
  const a = await admin().post('/api/v1/accounts', { name: `CS ${industry} ${Math.random().toString(36).slice(2, 8)}`, industry, ...extra });
  assertStatus(a, 201);
  if (sub) {
    const r = await admin().put(`/api/v1/accounts/${a.json.id}/subscription`, {
      plan: 'Pro', seats: 5, currency: 'JPY', start_date: '2024-01-01', status: 'active', effective_date: '2024-01-01', ...sub,
    });
    assertStatus(r, 200);
  }
  return a.json;
}

const get = async (p) => {
  const r = await srv.as(viewer).get(p);
  assertStatus(r, 200, p);
  return r.json;
};

test('renewals: 30/60/90-day windows from today, at-risk (red) and expected MRR', { skip: !HAVE_SQLITE }, async () => {
  const ind = 'fx-renewals';
  const red = await account(ind, {}, { mrr: 1000, renewal_date: day(10) });
  await account(ind, {}, { mrr: 500, status: 'trial', renewal_date: day(5) });
  const green = await account(ind, {}, { mrr: 2000, renewal_date: day(45) });
  const unscored = await account(ind, {}, { mrr: 4000, renewal_date: day(80) }); // never scored
  await account(ind, {}, { mrr: 8000, renewal_date: day(120) }); // beyond 90 days
  const churned = await account(ind, {}, { mrr: 9999, status: 'churned', renewal_date: day(3) }); // churned: not a renewal
  // Each subscription PUT has the scheduler re-score its account within a second or so; the
  // bands below are written after that, or the re-score could overwrite them.
  const all = (await get(`/api/v1/accounts?industry=${ind}`)).data.map((a) => a.id);
  assert.ok(all.includes(churned.id));
  await waitFor(() => Number(sqliteQuery(srv.db, `SELECT count(*) FROM health_snapshots WHERE day = '${day(0)}' AND account_id IN (${all.join(',')})`)[0][0]) === all.length,
    30000, 'the scheduler re-scoring the accounts with new subscriptions');
  sql(`UPDATE accounts SET health_band = NULL WHERE id IN (${all.join(',')});
    UPDATE accounts SET health_band = 'red' WHERE id = ${red.id}; UPDATE accounts SET health_band = 'green' WHERE id = ${green.id};`);
  const r = await get(`/api/v1/metrics/renewals?industry=${ind}`);
  assert.equal(r.currency, 'JPY');
  assert.equal(r.as_of, day(0));
  assert.deepEqual(r.windows, [
    { days: 30, accounts: 2, mrr: 1000, at_risk_mrr: 1000, expected_mrr: 0, unscored_mrr: 0 },
    { days: 60, accounts: 3, mrr: 3000, at_risk_mrr: 1000, expected_mrr: 2000, unscored_mrr: 0 },
    { days: 90, accounts: 4, mrr: 7000, at_risk_mrr: 1000, expected_mrr: 6000, unscored_mrr: 4000 },
  ]);
  assert.equal(r.total, 4);
  assert.deepEqual(r.data.map((x) => [x.days_until, x.window, x.mrr, x.health_band, x.status]), [
    [5, 30, 0, null, 'trial'], [10, 30, 1000, 'red', 'active'], [45, 60, 2000, 'green', 'active'], [80, 90, 4000, null, 'active'],
  ]);
  assert.equal(r.data[1].account_id, red.id);
  assert.equal(r.data[1].phase, 'onboarding');
  // limit pages the list, not the windows; from/to pick renewal months instead of 90 days.
  const one = await get(`/api/v1/metrics/renewals?industry=${ind}&limit=1`);
  assert.deepEqual([one.data.length, one.total, one.windows[2].mrr], [1, 4, 7000]);
  const far = day(120).slice(0, 7);
  const months = await get(`/api/v1/metrics/renewals?industry=${ind}&from=${far}&to=${far}`);
  assert.deepEqual(months.data.map((x) => [x.mrr, x.window]), [[8000, null]]);
  assert.equal(months.total, 1);
  assert.deepEqual(months.windows, r.windows, 'the windows count from today whatever the months listed');
  const csv = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/renewals?industry=${ind}&format=csv&limit=1`)).text);
  assert.equal(csv.length, 1 + 4, 'CSV lists every renewal');
  assert.equal(csv[0][0], 'account_id');
  assertProblem(await srv.as(viewer).get('/api/v1/metrics/renewals?limit=0'), 400, 'limit');
  // Other slices (each a set of accounts the renewals scan is tested against): a tier
  // nobody here has, unassigned (everyone here), and a segment on the subscription's MRR.
  const none = await get(`/api/v1/metrics/renewals?industry=${ind}&tier=high`);
  assert.deepEqual([none.total, none.data, none.windows.map((x) => x.accounts)], [0, [], [0, 0, 0]]);
  assert.deepEqual((await get(`/api/v1/metrics/renewals?industry=${ind}&owner=none`)).windows, r.windows);
  const seg = await admin().post('/api/v1/segments',
    { name: 'renewals big', filter: { and: [{ field: 'industry', op: 'eq', value: ind }, { field: 'mrr', op: 'gte', value: 2000 }] } });
  assertStatus(seg, 201);
  const big = await get(`/api/v1/metrics/renewals?segment=${seg.json.id}`);
  assert.deepEqual(big.windows[2], { days: 90, accounts: 2, mrr: 6000, at_risk_mrr: 0, expected_mrr: 6000, unscored_mrr: 4000 });
  assert.deepEqual(big.data.map((x) => [x.account_id, x.name, x.health_band, x.plan, x.auto_renew]),
    [[green.id, green.name, 'green', 'Pro', true], [unscored.id, unscored.name, null, 'Pro', true]]);
  const w = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/renewals?industry=${ind}&format=csv&table=windows`)).text);
  assert.deepEqual(w, [['days', 'accounts', 'mrr', 'at_risk_mrr', 'expected_mrr', 'unscored_mrr'],
    ['30', '2', '1000', '1000', '0', '0'], ['60', '3', '3000', '1000', '2000', '0'], ['90', '4', '7000', '1000', '6000', '4000']]);
});

test('journey: phases, onboarding completion by start month, funnel, time to value', { skip: !HAVE_SQLITE }, async () => {
  const ind = 'fx-journey';
  const A = await account(ind, { phase: 'expansion' }, { mrr: 100, start_date: '2024-01-01' });
  const B = await account(ind, { phase: 'churned' });
  const C = await account(ind, { phase: 'adoption' }, { mrr: 100, start_date: '2024-02-01', effective_date: '2024-02-01' });
  const D = await account(ind, { phase: 'onboarding' });
  const E = await account(ind, { phase: 'adoption' });
  const ids = [A, B, C, D, E].map((a) => a.id).join(',');
  const ph = (a, phase, at, left = null) => `(${a.id}, '${phase}', '${at}', ${left ? `'${left}'` : 'NULL'}, 'manual')`;
  sql(`DELETE FROM phase_history WHERE account_id IN (${ids});
    INSERT INTO phase_history (account_id, phase, entered_at, left_at, moved_by) VALUES
    ${ph(A, 'onboarding', '2024-01-10T00:00:00Z', '2024-01-30T00:00:00Z')},
    ${ph(A, 'adoption', '2024-01-30T00:00:00Z', '2024-06-01T00:00:00Z')},
    ${ph(A, 'expansion', '2024-06-01T00:00:00Z')},
    ${ph(B, 'onboarding', '2024-01-20T00:00:00Z', '2024-03-01T00:00:00Z')},
    ${ph(B, 'churned', '2024-03-01T00:00:00Z')},
    ${ph(C, 'onboarding', '2024-02-01T00:00:00Z', '2024-03-02T00:00:00Z')},
    ${ph(C, 'adoption', '2024-03-02T00:00:00Z')},
    ${ph(D, 'onboarding', '2024-02-15T00:00:00Z')},
    ${ph(E, 'onboarding', '2023-12-01T00:00:00Z', '2023-12-11T00:00:00Z')},
    ${ph(E, 'adoption', '2023-12-11T00:00:00Z')};
    UPDATE accounts SET value_reached_at = '2024-02-10T00:00:00Z' WHERE id = ${A.id};
    UPDATE accounts SET value_reached_at = '2024-03-11T12:00:00Z' WHERE id = ${C.id};`);
  const j = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03`);
  // every phase of the (default) lifecycle, in its order, with its names
  assert.deepEqual(j.phases.map((p) => [p.phase, p.accounts]), [['onboarding', 1], ['adoption', 2], ['expansion', 1], ['churned', 1]]);
  assert.deepEqual([j.phases[0].label_ja, j.phases[0].label_en, j.phases[3].label_en], ['導入期', 'Onboarding', 'Churned']);
  assert.deepEqual(j.data.map((m) => [m.month, m.onboarding_started, m.onboarding_completed, m.completion_rate, m.avg_onboarding_days, m.value_reached, m.avg_ttv_days]), [
    ['2024-01', 2, 1, 0.5, 20, 0, null],
    ['2024-02', 2, 1, 0.5, 30, 1, 40], // A: 2024-01-01 -> 2024-02-10
    ['2024-03', 0, 0, null, null, 1, 39.5], // C: 2024-02-01 -> 2024-03-11 12:00
  ]);
  assert.deepEqual(j.onboarding, { started: 4, completed: 2, completion_rate: 0.5, avg_days: 25, phase: 'onboarding' });
  assert.deepEqual(j.funnel.map(({ phase, accounts, share, terminal }) => ({ phase, accounts, share, terminal })), [
    { phase: 'onboarding', accounts: 4, share: 1, terminal: false }, { phase: 'adoption', accounts: 2, share: 0.5, terminal: false },
    { phase: 'expansion', accounts: 1, share: 0.25, terminal: false }, { phase: 'churned', accounts: 1, share: 0.25, terminal: true },
  ]);
  assert.equal(j.funnel[2].label_ja, '拡大・更新期');
  assert.deepEqual(j.ttv, { accounts: 2, avg_days: 39.8 }); // (40 + 39.5) / 2 = 39.75
  const funnel = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03&format=csv&table=funnel`)).text);
  assert.deepEqual(funnel, [['phase', 'accounts', 'share', 'label_ja', 'label_en', 'terminal'],
    ['onboarding', '4', '1', '導入期', 'Onboarding', 'false'], ['adoption', '2', '0.5', '定着期', 'Adoption', 'false'],
    ['expansion', '1', '0.25', '拡大・更新期', 'Expansion and renewal', 'false'], ['churned', '1', '0.25', '解約', 'Churned', 'true']]);
  const phases = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/journey?industry=${ind}&format=csv&table=phases`)).text);
  assert.deepEqual(phases.slice(0, 3), [['phase', 'accounts', 'label_ja', 'label_en'], ['onboarding', '1', '導入期', 'Onboarding'], ['adoption', '2', '定着期', 'Adoption']]);
  const f = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03&phase=churned`);
  assert.deepEqual([f.onboarding.started, f.funnel[3].accounts], [1, 1]);
});

test('health: each account once a month by its last snapshot; current bands', { skip: !HAVE_SQLITE }, async () => {
  const ind = 'fx-health';
  const F = await account(ind);
  const G = await account(ind);
  sql(`INSERT INTO health_snapshots (account_id, day, score, band) VALUES
    (${F.id}, '2024-01-05', 80, 'green'), (${F.id}, '2024-01-31', 20, 'red'), (${F.id}, '2024-02-10', 50, 'yellow'),
    (${G.id}, '2024-01-15', 90, 'green'), (${G.id}, '2024-03-01', NULL, NULL);
    UPDATE accounts SET health_band = 'red' WHERE id = ${F.id};`);
  const h = await get(`/api/v1/metrics/health?industry=${ind}&from=2024-01&to=2024-03`);
  assert.deepEqual(h.data, [
    { month: '2024-01', accounts: 2, green: 1, yellow: 0, red: 1, unscored: 0, avg_score: 55 },
    { month: '2024-02', accounts: 1, green: 0, yellow: 1, red: 0, unscored: 0, avg_score: 50 },
    { month: '2024-03', accounts: 1, green: 0, yellow: 0, red: 0, unscored: 1, avg_score: null },
  ]);
  assert.deepEqual(h.current, { green: 0, yellow: 0, red: 1, unscored: 1 });
  const csv = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/health?industry=${ind}&from=2024-01&to=2024-03&format=csv`)).text);
  assert.deepEqual(csv[1], ['2024-01', '2', '1', '0', '1', '0', '55']);
  // F alone (tier=high), with a snapshot a year later: each calendar month counts on its own
  // (2025-01 does not replace F's red of 2024-01-31).
  sql(`UPDATE accounts SET tier_override = 'high', tier = 'high' WHERE id = ${F.id};
    INSERT INTO health_snapshots (account_id, day, score, band) VALUES (${F.id}, '2025-01-31', 70, 'green');`);
  const f = await get(`/api/v1/metrics/health?industry=${ind}&from=2024-01&to=2025-01&tier=high`);
  assert.deepEqual(f.data.map((m) => [m.month, m.accounts, m.green, m.red, m.avg_score]).filter((m) => m[1]),
    [['2024-01', 1, 0, 1, 20], ['2024-02', 1, 0, 0, 50], ['2025-01', 1, 1, 0, 70]]);
  assert.deepEqual(f.current, { green: 0, yellow: 0, red: 1, unscored: 0 });
  const cur = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/health?industry=${ind}&format=csv&table=current`)).text);
  assert.deepEqual(cur, [['green', 'yellow', 'red', 'unscored'], ['0', '0', '1', '1']]);
});

test('surveys: NPS, CSAT and CES by month and for the window', { skip: !HAVE_SQLITE }, async () => {
  const ind = 'fx-surveys';
  const H = await account(ind);
  const rows = [['nps', 10, '2024-01-03'], ['nps', 9, '2024-01-04'], ['nps', 8, '2024-01-05'], ['nps', 6, '2024-01-06'], ['nps', 0, '2024-01-07'],
    ['csat', 5, '2024-01-08'], ['csat', 4, '2024-01-09'], ['csat', 2, '2024-01-10'], ['ces', 3, '2024-01-11'], ['ces', 6, '2024-01-12'],
    ['nps', 10, '2024-02-01']];
  sql(`INSERT INTO survey_responses (account_id, type, score, answered_at, created_at) VALUES ${rows.map(([t, s, d]) => `(${H.id}, '${t}', ${s}, '${d}T10:00:00Z', '${d}T10:00:00Z')`).join(',')};`);
  const s = await get(`/api/v1/metrics/surveys?industry=${ind}&from=2024-01&to=2024-02`);
  assert.deepEqual(s.data[0], {
    month: '2024-01', nps_responses: 5, promoters: 2, passives: 1, detractors: 2, nps: 0,
    csat_responses: 3, csat: 66.7, csat_avg: 3.7, ces_responses: 2, ces_avg: 4.5,
  });
  assert.equal(s.data[1].nps, 100);
  assert.equal(s.data[1].csat, null);
  assert.equal(s.total.nps, 16.7); // (3 - 2) / 6
  assert.equal(s.total.nps_responses, 6);
});

test('activity: KAI per CSM and week, book of business', async () => {
  const ind = 'fx-activity';
  const csm = await srv.createUser('csm');
  const a1 = await account(ind, { owner_id: csm.id }, { mrr: 1000 });
  await account(ind, { owner_id: csm.id }, { mrr: 100, currency: 'USD' }); // $1.00 at 150
  await account(ind); // unassigned, no subscription
  await account(ind, { owner_id: csm.id }, { mrr: 700, status: 'trial' }); // owned, not paying
  const as = srv.as(csm);
  for (const type of ['call', 'call', 'email']) assertStatus(await as.post('/api/v1/tasks', { account_id: a1.id, title: type, type, status: 'done' }), 201);
  assertStatus(await as.post('/api/v1/tasks', { account_id: a1.id, title: 'open', type: 'call' }), 201);
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  for (const type of ['meeting', 'call']) {
    assertStatus(await as.post(`/api/v1/accounts/${a1.id}/timeline`, { type, summary: type, occurred_at: now }), 201);
  }
  const month = now.slice(0, 7);
  const r = await get(`/api/v1/metrics/activity?industry=${ind}&from=${month}&to=${month}`);
  const d = new Date(now.slice(0, 10) + 'T00:00:00Z');
  const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400000).toISOString().slice(0, 10);
  assert.equal(r.data.length, 1);
  assert.deepEqual(r.data[0], {
    user_id: csm.id, user_name: csm.name, week: monday,
    tasks_call: 2, tasks_meeting: 0, tasks_email: 1, tasks_review: 0, tasks_other: 0, tasks_total: 3,
    touches_note: 0, touches_meeting: 1, touches_call: 1, touches_email: 0, touches_ticket: 0, touches_handoff: 0, touches_total: 2,
  });
  assert.deepEqual(r.book, [
    { owner_id: null, owner_name: null, accounts: 1, paying_accounts: 0, mrr: 0, arr: 0 },
    { owner_id: csm.id, owner_name: csm.name, accounts: 3, paying_accounts: 2, mrr: 1150, arr: 13800 },
  ]);
  const book = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/activity?industry=${ind}&format=csv&table=book`)).text);
  assert.deepEqual(book, [['owner_id', 'owner_name', 'accounts', 'paying_accounts', 'mrr', 'arr'],
    ['', '', '1', '0', '0', '0'], [String(csm.id), csm.name, '3', '2', '1150', '13800']]);
  // The CSM's own slice: the same week row, and only their book.
  const mine = await get(`/api/v1/metrics/activity?industry=${ind}&from=${month}&to=${month}&owner=${csm.id}`);
  assert.deepEqual(mine.data, r.data);
  assert.deepEqual(mine.book, [r.book[1]]);
  const high = await get(`/api/v1/metrics/activity?industry=${ind}&from=${month}&to=${month}&tier=high`);
  assert.deepEqual([high.data, high.book], [[], []]);
  const other = await get(`/api/v1/metrics/activity?industry=${ind}&from=${month}&to=${month}&owner=none`);
  assert.deepEqual(other.data, [], 'tasks on the CSM\'s accounts are outside owner=none');
  const past = await get(`/api/v1/metrics/activity?industry=${ind}&from=2020-01&to=2020-12`);
  assert.deepEqual(past.data, []);
});

test('bad parameters: 400 naming the parameter on every CS metric', async () => {
  for (const route of ['renewals', 'journey', 'health', 'surveys', 'activity']) {
    const base = `/api/v1/metrics/${route}`;
    for (const [q, field] of [['from=2024-05&to=2024-01', 'from'], ['from=2024-13', 'from'], ['to=x', 'to'], ['segment=3', 'segment'],
      ['bogus=1', 'bogus'], ['tier=x', 'tier'], ['owner=0', 'owner'], ['format=pdf', 'format'], ['phase=trial', 'phase']]) {
      const r = await srv.as(viewer).get(`${base}?${q}`);
      assertProblem(r, 400, field, `${route}?${q}`);
      assert.equal(r.json.field, field, `${route}?${q}`);
    }
    assertStatus(await srv.as(viewer).get(`${base}?format=csv`), 200);
    assert.equal((await srv.as(viewer).get(`${base}?format=csv&table=nope`)).json.field, 'table');
    assertProblem(await srv.request('GET', base), 401);
  }
});

test('?table= picks a secondary table for CSV only, on the routes that have one', async () => {
  for (const [route, table] of [['renewals', 'windows'], ['journey', 'funnel'], ['health', 'current'], ['activity', 'book']]) {
    const r = await srv.as(viewer).get(`/api/v1/metrics/${route}?table=${table}`);
    assertProblem(r, 400, 'table', `${route} JSON`);
    assert.equal(r.json.field, 'table');
    const c = await srv.as(viewer).get(`/api/v1/metrics/${route}?format=csv&table=${table}`);
    assertStatus(c, 200, route);
    assert.match(c.headers.get('content-disposition'), new RegExp(`${route}-${table}\\.csv`));
  }
  for (const route of ['surveys', 'mrr', 'cohorts']) {
    assert.equal((await srv.as(viewer).get(`/api/v1/metrics/${route}?format=csv&table=book`)).json.field, 'table');
  }
});

test('server stops cleanly', () => srv.stop());
