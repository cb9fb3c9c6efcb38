// Success plans (ROI): goals with baseline, target and measured values; attainment;
// the values history; patch semantics; bad input; the CSM sentiment on the account.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');
const acct = (await admin().post('/api/v1/accounts', { name: 'Goal account', owner_id: csm.id })).json;
const other = (await admin().post('/api/v1/accounts', { name: 'Other account' })).json;
const base = `/api/v1/accounts/${acct.id}/goals`;
const GOAL_KEYS = ['account_id', 'attainment', 'attainment_unknown_reason', 'baseline', 'created_at', 'current', 'due_date',
  'id', 'metric', 'status', 'target', 'title', 'unit', 'updated_at'];

async function values(goalId, accountId = acct.id) {
  return (await srv.listAll(srv.admin, `/api/v1/accounts/${accountId}/goals/${goalId}/values?limit=500`)).items;
}

test('create with every field; attainment from baseline toward target; read back', async () => {
  const body = { title: '問い合わせ対応時間の短縮', metric: 'handling time', unit: 'min', baseline: 12, target: 6, current: 9, due_date: '2027-03-31', status: 'active' };
  const r = await srv.as(csm).post(base, body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), GOAL_KEYS);
  for (const [k, v] of Object.entries(body)) assert.equal(r.json[k], v, k);
  assert.equal(r.json.attainment, 0.5, 'a decreasing goal halfway there');
  assert.equal(r.json.attainment_unknown_reason, null);
  assert.equal(r.json.account_id, acct.id);
  assert.match(r.json.created_at, RFC3339);
  const g = await srv.as(viewer).get(`${base}/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);
  // The current value given at creation is the first measurement.
  const h = await values(r.json.id);
  assert.equal(h.length, 1);
  assert.equal(h[0].value, 9);
  assert.equal(h[0].user_id, csm.id);
  assert.match(h[0].measured_at, RFC3339);
});

test('the defaults, and attainment unknown with its reason', async () => {
  const r = await admin().post(base, { title: 'Active users', metric: 'WAU', target: 80 });
  assertStatus(r, 201);
  assert.deepEqual([r.json.unit, r.json.baseline, r.json.current, r.json.due_date, r.json.status, r.json.attainment, r.json.attainment_unknown_reason],
    [null, null, null, null, 'active', null, 'no_current_value']);
  assert.deepEqual(await values(r.json.id), []);
  const nb = await admin().patch(`${base}/${r.json.id}`, { current: 40 });
  assertStatus(nb, 200);
  assert.deepEqual([nb.json.current, nb.json.attainment, nb.json.attainment_unknown_reason], [40, null, 'no_baseline']);
  const flat = await admin().patch(`${base}/${r.json.id}`, { baseline: 80 });
  assert.deepEqual([flat.json.attainment, flat.json.attainment_unknown_reason], [null, 'baseline_equals_target']);
  const ok = await admin().patch(`${base}/${r.json.id}`, { baseline: 20 });
  assert.deepEqual([ok.json.attainment, ok.json.attainment_unknown_reason], [1 / 3, null]);
  // Clamped: past the target counts as 1, away from it as 0.
  assert.equal((await admin().patch(`${base}/${r.json.id}`, { current: 120 })).json.attainment, 1);
  assert.equal((await admin().patch(`${base}/${r.json.id}`, { current: 10 })).json.attainment, 0);
});

test('PATCH changes only the fields present; current appends to the history', async () => {
  const g = (await admin().post(base, { title: 'Reports', metric: 'reports/week', baseline: 10, target: 50, current: 10, due_date: '2027-01-01' })).json;
  const p = await srv.as(csm).patch(`${base}/${g.id}`, { current: 30 });
  assertStatus(p, 200);
  assert.deepEqual([p.json.title, p.json.metric, p.json.baseline, p.json.target, p.json.current, p.json.due_date, p.json.attainment],
    ['Reports', 'reports/week', 10, 50, 30, '2027-01-01', 0.5]);
  const p2 = await admin().patch(`${base}/${g.id}`, { status: 'achieved', due_date: null, unit: 'reports', title: 'Weekly reports' });
  assert.deepEqual([p2.json.status, p2.json.due_date, p2.json.unit, p2.json.title, p2.json.current], ['achieved', null, 'reports', 'Weekly reports', 30]);
  const h = await values(g.id);
  assert.deepEqual(h.map((v) => v.value), [10, 30], 'only changes of current are measurements');
  // A PATCH without current records nothing.
  await admin().patch(`${base}/${g.id}`, { baseline: 12 });
  assert.equal((await values(g.id)).length, 2);
});

test('POST values: measured_at settable; current is the latest measurement; history oldest first', async () => {
  const g = (await admin().post(base, { title: 'Tickets', metric: 'tickets/month', baseline: 100, target: 50 })).json;
  const vp = `${base}/${g.id}/values`;
  const a = await srv.as(csm).post(vp, { value: 90, measured_at: '2026-01-15T09:00:00Z' });
  assertStatus(a, 201);
  assert.deepEqual([a.json.value, a.json.measured_at, a.json.goal_id, a.json.user_id, a.json.goal_current], [90, '2026-01-15T09:00:00Z', g.id, csm.id, 90]);
  // A later one becomes current...
  const b = await admin().post(vp, { value: 70, measured_at: '2026-03-01T00:00:00+09:00' });
  assertStatus(b, 201);
  assert.equal(b.json.measured_at, '2026-02-28T15:00:00Z', 'stored in UTC');
  assert.equal(b.json.goal_current, 70);
  // ...an earlier one (a back-filled measurement) does not.
  const c = await admin().post(vp, { value: 95, measured_at: '2025-12-01T00:00:00Z' });
  assert.equal(c.json.goal_current, 70);
  const got = (await admin().get(`${base}/${g.id}`)).json;
  assert.equal(got.current, 70);
  assert.equal(got.attainment, 0.6);
  // Without measured_at: now.
  const d = await admin().post(vp, { value: 60.5 });
  assertStatus(d, 201);
  assert.ok(Math.abs(Date.parse(d.json.measured_at) - Date.now()) < 120000);
  assert.equal(d.json.goal_current, 60.5);
  const h = await values(g.id);
  assert.deepEqual(h.map((v) => v.value), [95, 90, 70, 60.5]);
  // Paginated: two at a time, the same order.
  const pages = await srv.listAll(srv.admin, `${vp}?limit=2`);
  assert.deepEqual(pages.pages, [2, 2]);
  assert.deepEqual(pages.items.map((v) => v.id), h.map((v) => v.id));
});

test('list: by id, status filter, keyset pagination, unknown query parameters refused', async () => {
  const acc = (await admin().post('/api/v1/accounts', { name: 'Many goals' })).json;
  const p = `/api/v1/accounts/${acc.id}/goals`;
  const ids = [];
  for (let i = 0; i < 7; i++) {
    const r = await admin().post(p, { title: `g${i}`, metric: 'm', target: i + 1, status: i % 3 === 0 ? 'missed' : 'active' });
    ids.push(r.json.id);
  }
  const all = await srv.listAll(srv.admin, `${p}?limit=3`);
  assert.deepEqual(all.pages, [3, 3, 1]);
  assert.deepEqual(all.items.map((g) => g.id), ids);
  const missed = await admin().get(`${p}?status=missed`);
  assert.deepEqual(missed.json.data.map((g) => g.title), ['g0', 'g3', 'g6']);
  assertProblem(await admin().get(`${p}?status=done`), 400, 'status');
  assertProblem(await admin().get(`${p}?sort=title`), 400, 'sort');
  assertProblem(await admin().get(`${p}?limit=0`), 400, 'limit');
  assertProblem(await admin().get(`${p}?cursor=garbage!`), 400, 'cursor');
  assertProblem(await admin().get(`${base}/1/values?what=1`), 400, 'what');
  // Goals of another account are not visible here.
  assert.deepEqual((await admin().get(`/api/v1/accounts/${other.id}/goals`)).json.data, []);
});

test('delete: the goal and its history go; 404 afterwards and under another account', async () => {
  const g = (await admin().post(base, { title: 'Doomed', metric: 'm', target: 1, current: 0 })).json;
  assertProblem(await admin().get(`/api/v1/accounts/${other.id}/goals/${g.id}`), 404);
  assertProblem(await admin().del(`/api/v1/accounts/${other.id}/goals/${g.id}`), 404);
  assertProblem(await admin().post(`/api/v1/accounts/${other.id}/goals/${g.id}/values`, { value: 1 }), 404);
  assertProblem(await admin().patch(`/api/v1/accounts/${other.id}/goals/${g.id}`, { title: 'x' }), 404);
  assertStatus(await srv.as(csm).del(`${base}/${g.id}`), 204);
  assertProblem(await admin().get(`${base}/${g.id}`), 404);
  assertProblem(await admin().del(`${base}/${g.id}`), 404);
  assertProblem(await admin().get(`${base}/${g.id}/values`), 404);
  assertProblem(await admin().get('/api/v1/accounts/999999/goals'), 404);
  assertProblem(await admin().post('/api/v1/accounts/999999/goals', { title: 't', metric: 'm', target: 1 }), 404);
});

test('bad input: a 400 naming the field, nothing stored', async () => {
  const ok = { title: 't', metric: 'm', target: 10 };
  const cases = [
    [{ ...ok, title: undefined }, 'title'],
    [{ ...ok, metric: undefined }, 'metric'],
    [{ ...ok, target: undefined }, 'target'],
    [{ ...ok, target: null }, 'target'],
    [{ ...ok, target: '10' }, 'target'],
    [{ ...ok, baseline: 'low' }, 'baseline'],
    [{ ...ok, baseline: 1e300 }, 'baseline'],
    [{ ...ok, current: true }, 'current'],
    [{ ...ok, current: null }, 'current'],
    [{ ...ok, title: '' }, 'title'],
    [{ ...ok, title: 5 }, 'title'],
    [{ ...ok, due_date: '2027-02-30' }, 'due_date'],
    [{ ...ok, due_date: 'tomorrow' }, 'due_date'],
    [{ ...ok, status: 'done' }, 'status'],
    [{ ...ok, attainment: 1 }, 'attainment'],
    [{ ...ok, id: 3 }, 'id'],
    [{ ...ok, colour: 'red' }, 'colour'],
  ];
  const before = (await srv.listAll(srv.admin, `${base}?limit=500`)).items.length;
  for (const [body, field] of cases) {
    const b = JSON.parse(JSON.stringify(body));
    assertProblem(await admin().post(base, b), 400, field, JSON.stringify(b));
  }
  assert.equal((await srv.listAll(srv.admin, `${base}?limit=500`)).items.length, before);
  assertProblem(await admin().post(base, [1, 2]), 400);
  assertProblem(await admin().post(base, '{"title":'), 400);
  const g = (await admin().post(base, ok)).json;
  assertProblem(await admin().patch(`${base}/${g.id}`, { current: null }), 400, 'current');
  assertProblem(await admin().patch(`${base}/${g.id}`, { target: null }), 400, 'target');
  assertProblem(await admin().patch(`${base}/${g.id}`, { account_id: other.id }), 400, 'account_id');
  const vp = `${base}/${g.id}/values`;
  assertProblem(await admin().post(vp, {}), 400, 'value');
  assertProblem(await admin().post(vp, { value: '3' }), 400, 'value');
  assertProblem(await admin().post(vp, { value: 3, measured_at: '2026-13-01T00:00:00Z' }), 400, 'measured_at');
  assertProblem(await admin().post(vp, { value: 3, measured_at: '2026-01-01' }), 400, 'measured_at');
  const future = new Date(Date.now() + 86400000).toISOString();
  assertProblem(await admin().post(vp, { value: 3, measured_at: future }), 400, 'measured_at');
  assertProblem(await admin().post(vp, { value: 3, user_id: 1 }), 400, 'user_id');
  assert.deepEqual(await values(g.id), []);
});

test('CSM sentiment: PUT sets it on the account JSON, DELETE clears it; bad scores refused', async () => {
  const p = `/api/v1/accounts/${acct.id}/sentiment`;
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.sentiment, null);
  const r = await srv.as(csm).put(p, { score: 2, note: '決裁者が異動、関係が薄い' });
  assertStatus(r, 200);
  assert.equal(r.json.id, acct.id);
  assert.deepEqual({ ...r.json.sentiment, at: undefined }, { score: 2, note: '決裁者が異動、関係が薄い', at: undefined, by: csm.id });
  assert.match(r.json.sentiment.at, RFC3339);
  const g = await srv.as(viewer).get(`/api/v1/accounts/${acct.id}`);
  assert.deepEqual(g.json.sentiment, r.json.sentiment);
  // In the list as well.
  const list = await admin().get('/api/v1/accounts?limit=500');
  assert.deepEqual(list.json.data.find((a) => a.id === acct.id).sentiment, r.json.sentiment);
  // PUT replaces: no note is no note.
  const r2 = await admin().put(p, { score: 4 });
  assert.deepEqual([r2.json.sentiment.score, r2.json.sentiment.note, r2.json.sentiment.by], [4, null, srv.admin.id]);
  for (const [body, field] of [[{}, 'score'], [{ score: 0 }, 'score'], [{ score: 6 }, 'score'], [{ score: 3.5 }, 'score'],
    [{ score: '3' }, 'score'], [{ score: null }, 'score'], [{ score: 3, note: 7 }, 'note'], [{ score: 3, by: 1 }, 'by']]) {
    assertProblem(await admin().put(p, body), 400, field, JSON.stringify(body));
  }
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.sentiment.score, 4, 'unchanged by refused requests');
  // Not settable through PATCH /accounts.
  assertProblem(await admin().patch(`/api/v1/accounts/${acct.id}`, { sentiment: { score: 1 } }), 400, 'sentiment');
  assertStatus(await srv.as(csm).del(p), 204);
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.sentiment, null);
  assertStatus(await srv.as(csm).del(p), 204, 'clearing twice is fine');
  assertProblem(await admin().put('/api/v1/accounts/999999/sentiment', { score: 3 }), 404);
  assertProblem(await admin().del('/api/v1/accounts/999999/sentiment'), 404);
});

test('the server stops cleanly', () => srv.stop());
