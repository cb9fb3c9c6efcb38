// Health (DEAR): the model settings, an account's explained score built from real data (a
// decision maker touch, events through the tracking API), weights changing scores after a
// recompute, the daily history, and the accounts list's health field, band filter and sort.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, msgId, startServer, todayUTC, waitFor } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const viewer = await srv.createUser('viewer');

// Engagement and adoption only, so the expected score below is computed from this test's data
// alone: the deployment (journey) and ROI (goals) components are weighted 0.
const MODEL = { components: { deployment: { weight: 0 }, roi: { weight: 0 } } };

const ext = `HEALTH-${process.pid}`;
const acct = (await admin().post('/api/v1/accounts', { name: 'Health Co', external_id: ext })).json;
assertStatus(await admin().put(`/api/v1/accounts/${acct.id}/subscription`,
  { plan: 'Pro', mrr: 100000, currency: 'JPY', seats: 10, start_date: '2026-01-01', status: 'active' }), 200);
const dm = (await admin().post(`/api/v1/accounts/${acct.id}/contacts`, { name: '決裁 太郎', role: 'decision_maker' })).json;
assertStatus(await admin().post(`/api/v1/accounts/${acct.id}/timeline`,
  { type: 'meeting', summary: 'Quarterly review', occurred_at: new Date().toISOString().slice(0, 19) + 'Z', contact_ids: [dm.id] }), 201);
assertStatus(await admin().put('/api/v1/settings/key-events', {
  events: [{ name: 'Report Created', label_ja: 'レポート作成', label_en: 'Report created' },
    { name: 'Dashboard Viewed', label_ja: 'ダッシュボード閲覧', label_en: 'Dashboard viewed' }],
}), 200);
const key = (await srv.createWriteKey('health')).key;
const batch = [];
for (const u of ['u1', 'u2', 'u3', 'u4']) {
  batch.push({ type: 'group', userId: `${ext}-${u}`, groupId: ext, messageId: msgId() });
  batch.push({ type: 'track', userId: `${ext}-${u}`, event: 'Report Created', messageId: msgId() });
}
assertStatus(await srv.ingest('/v1/batch', { batch }, { key }), 200);
await waitFor(async () => (await srv.usage(acct.id)).data.some((d) => d.active_users === 4), 10000, 'usage rollups');

const health = async (id = acct.id) => {
  const r = await admin().get(`/api/v1/accounts/${id}/health`);
  assertStatus(r, 200);
  return r.json;
};
const recompute = async () => {
  const r = await admin().post('/api/v1/health/recompute', {});
  assertStatus(r, 200);
  assert.ok(r.json.accounts >= 1);
};
const measure = (h, k) => h.components.flatMap((c) => c.measures).find((m) => m.key === k);

test('the default model, and a bad model refused naming the field, the old one kept', async () => {
  const d = (await srv.as(viewer).get('/api/v1/settings/health-model')).json;
  assert.deepEqual(d.bands, { green: 70, red: 40 });
  assert.deepEqual(Object.keys(d.components), ['deployment', 'engagement', 'adoption', 'roi']);
  assert.equal(d.components.adoption.measures.days_since_seen.worst, 30);
  assert.equal(d.recompute_minutes, 15);
  const put = await admin().put('/api/v1/settings/health-model', { ...MODEL, bands: { green: 65, red: 35 } });
  assertStatus(put, 200);
  // GET returns exactly what a PUT accepts.
  assertStatus(await admin().put('/api/v1/settings/health-model', put.json), 200);
  for (const [body, field] of [
    [{ components: { adoption: { weight: -5 } } }, 'components.adoption.weight'],
    [{ components: { engagement: { measures: { nps: { weight: -1 } } } } }, 'components.engagement.measures.nps.weight'],
    [{ components: { adoption: { measures: { logins: { weight: 1 } } } } }, 'components.adoption.measures.logins'],
    [{ components: { mood: { weight: 1 } } }, 'components.mood'],
    [{ bands: { green: 40, red: 70 } }, 'bands.red'],
    [{ bands: { green: 'high' } }, 'bands.green'],
    [{ tiers: { platinum: {} } }, 'tiers.platinum'],
    [{ weights: {} }, 'weights'],
  ]) {
    assertProblem(await admin().put('/api/v1/settings/health-model', body), 400, field);
  }
  const now = (await admin().get('/api/v1/settings/health-model')).json;
  assert.deepEqual(now.bands, { green: 65, red: 35 }, 'the refused PUTs changed nothing');
  assertStatus(await admin().put('/api/v1/settings/health-model', MODEL), 200);
});

test('an explained score from real data, by hand', async () => {
  await recompute();
  const h = await health();
  // Engagement: decision maker touched today (100, weight 1), 1 touch in 90 days (1/6 of the
  // way to 6: 16.67, weight 1); NPS and sentiment have no data: (100 + 16.667) / 2 = 58.33.
  // Adoption: 4 active users of 10 seats (0.4 of 0.8: 50, weight 2), 1 of 2 key events (50,
  // weight 1), seen today (100, weight 1); no previous 30 days for the trend:
  // (2*50 + 50 + 100) / 4 = 62.5. Score: (25*58.33 + 35*62.5) / 60 = 60.76 -> 61, yellow.
  const comp = Object.fromEntries(h.components.map((c) => [c.key, c]));
  assert.equal(comp.engagement.score, 58.3);
  assert.equal(comp.adoption.score, 62.5);
  assert.equal(comp.deployment.effective_weight, 0);
  assert.equal(h.score, 61);
  assert.equal(h.band, 'yellow');
  assert.equal(h.renormalised, true);
  assert.equal(measure(h, 'active_user_share').value, 0.4);
  assert.equal(measure(h, 'feature_breadth').value, 0.5);
  assert.equal(measure(h, 'touches_90d').value, 1);
  assert.equal(measure(h, 'nps').has_data, false);
  assert.match(measure(h, 'nps').missing_reason, /no NPS answer/);
  assert.match(measure(h, 'active_users_trend').missing_reason, /previous 30 days/);
  assert.equal(measure(h, 'nps').contribution, 0);
  const total = h.components.reduce((s, c) => s + c.contribution, 0);
  assert.ok(Math.abs(total - 60.76) < 0.2, `contributions add up to the score: ${total}`);
  assert.equal(measure(h, 'decision_maker_days').label_ja, '決裁者との最終接点からの日数');
  // The list carries what the recompute saved.
  const a = (await admin().get(`/api/v1/accounts/${acct.id}`)).json;
  assert.equal(a.health, 61);
  assert.equal(a.band, 'yellow');
  assert.match(a.last_seen_at, /^\d{4}-\d{2}-\d{2}T/);
});

test('changing weights through the API changes scores after a recompute', async () => {
  assertStatus(await admin().put('/api/v1/settings/health-model',
    { components: { deployment: { weight: 0 }, adoption: { weight: 0 }, roi: { weight: 0 } }, bands: { green: 50, red: 20 } }), 200);
  await recompute();
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.health, 58);
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.band, 'green');
  // A per-tier model applies to the accounts of that tier only.
  const { tier } = (await admin().get(`/api/v1/accounts/${acct.id}`)).json;
  const other = tier === 'high' ? 'low' : 'high';
  assertStatus(await admin().put('/api/v1/settings/health-model',
    { ...MODEL, tiers: { [other]: { components: { adoption: { weight: 0 } } } } }), 200);
  await recompute();
  assert.equal((await health()).model, 'base');
  assertStatus(await admin().put('/api/v1/settings/health-model',
    { ...MODEL, tiers: { [tier]: { components: { engagement: { weight: 0 } } } } }), 200);
  await recompute();
  const h = await health();
  assert.equal(h.model, tier);
  assert.equal(h.score, 63, 'adoption alone: 62.5 rounds half up');
  assertStatus(await admin().put('/api/v1/settings/health-model', MODEL), 200);
  await recompute();
  assert.equal((await health()).score, 61);
});

test('a model preview shows the band moves and saves nothing', async () => {
  // The model in force is MODEL (the previous test), which scores this account 61: yellow.
  await recompute();
  const bad = await admin().post('/api/v1/settings/health-model/preview', { bands: { green: 30, red: 60 } });
  assertProblem(bad, 400, 'bands.red');
  const same = await admin().post('/api/v1/settings/health-model/preview', MODEL);
  assertStatus(same, 200);
  assert.equal(same.json.changed, 0);
  assert.deepEqual(same.json.moves, []);
  assert.deepEqual(same.json.proposed, same.json.current);
  const stored = { green: 0, yellow: 0, red: 0, none: 0 };
  for (const a of (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items) stored[a.band ?? 'none']++;
  assert.deepEqual(same.json.current, stored, 'the saved model computes what was saved');
  assert.equal(same.json.accounts, stored.green + stored.yellow + stored.red + stored.none);

  const lenient = await admin().post('/api/v1/settings/health-model/preview', { ...MODEL, bands: { green: 50, red: 20 } });
  assertStatus(lenient, 200);
  const p = lenient.json;
  assert.equal(p.proposed.none, p.current.none);
  assert.ok(p.proposed.green >= p.current.green + 1);
  assert.equal(p.changed, p.moves.reduce((n, m) => n + m.accounts, 0));
  assert.ok(p.moves.some((m) => m.from === 'yellow' && m.to === 'green' && m.accounts >= 1));
  const ex = p.examples.find((e) => e.account_id === acct.id);
  assert.deepEqual(ex, { account_id: acct.id, name: 'Health Co', from_score: 61, to_score: 61, from_band: 'yellow', to_band: 'green' });
  // Nothing saved: the model and the account's band are as they were.
  assert.equal((await admin().get('/api/v1/settings/health-model')).json.bands.green, 70);
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.band, 'yellow');
  assertStatus(await srv.as(viewer).post('/api/v1/settings/health-model/preview', MODEL), 403);
});

test('the daily history and the 7/30-day change', async () => {
  const r = await admin().get(`/api/v1/accounts/${acct.id}/health/history`);
  assertStatus(r, 200);
  assert.equal(r.json.to, todayUTC());
  assert.equal(r.json.data.length, 1, 'one snapshot a day, the last recompute wins');
  // Deployment is weighted 0 here but still scored: in onboarding (default lifecycle) for
  // under a day (pace 100, weight 1), 1 of 3 required milestones done (hands-on mastery: 4 of
  // 10 seats active >= 30%; 33.3, weight 3): (100 + 3 * 33.3) / 4 = 50.
  assert.deepEqual(r.json.data[0], { day: todayUTC(), score: 61, band: 'yellow', deployment: 50, engagement: 58, adoption: 63, roi: null });
  assert.equal((await health()).change_7d, null, 'no snapshot 7 days ago');
  for (const [q, field] of [['from=2026-13-01', 'from'], ['to=yesterday', 'to'], ['from=2026-05-02&to=2026-05-01', 'from'],
    ['from=2010-01-01&to=2026-01-01', 'from'], ['days=7', 'days']]) {
    assertProblem(await admin().get(`/api/v1/accounts/${acct.id}/health/history?${q}`), 400, field);
  }
  assert.equal((await admin().get('/api/v1/accounts/999999/health')).status, 404);
  assert.equal((await admin().get('/api/v1/accounts/999999/health/history')).status, 404);
});

test('the accounts list: band filter and sort by health through every page', async () => {
  // Accounts with no data but touches: a touch count sets each one's score.
  for (let i = 0; i < 7; i++) {
    const a = (await admin().post('/api/v1/accounts', { name: `Sorted ${i}` })).json;
    for (let t = 0; t < i; t++) {
      assertStatus(await admin().post(`/api/v1/accounts/${a.id}/timeline`,
        { type: 'call', summary: `call ${t}`, occurred_at: new Date().toISOString().slice(0, 19) + 'Z' }), 201);
    }
  }
  await recompute();
  const all = await srv.listAll(srv.admin, '/api/v1/accounts?sort=health&limit=3');
  const scores = all.items.map((a) => a.health ?? -1);
  assert.deepEqual(scores, [...scores].sort((x, y) => x - y), 'ascending, unscored first');
  assert.equal(new Set(all.items.map((a) => a.id)).size, all.items.length, 'no account twice');
  const desc = await srv.listAll(srv.admin, '/api/v1/accounts?sort=-health&limit=2');
  assert.deepEqual(desc.items.map((a) => a.id), all.items.map((a) => a.id).reverse());
  const red = (await admin().get('/api/v1/accounts?band=red&limit=500')).json.data;
  assert.ok(red.length > 0 && red.every((a) => a.band === 'red'));
  const green = (await admin().get('/api/v1/accounts?band=green&limit=500')).json.data;
  assert.ok(green.every((a) => a.band === 'green'));
  assert.equal(red.length + green.length + (await admin().get('/api/v1/accounts?band=yellow&limit=500')).json.data.length +
    (await admin().get('/api/v1/accounts?band=none&limit=500')).json.data.length, all.items.length);
  assertProblem(await admin().get('/api/v1/accounts?band=purple'), 400, 'band');
  assertProblem(await admin().get('/api/v1/accounts?sort=healthiness'), 400, 'sort');
});

test('health of a deleted account goes with it', async () => {
  const a = (await admin().post('/api/v1/accounts', { name: 'Short-lived' })).json;
  await recompute();
  assert.equal((await admin().get(`/api/v1/accounts/${a.id}/health/history`)).json.data.length, 1);
  assertStatus(await admin().del(`/api/v1/accounts/${a.id}`), 204);
  const b = (await admin().post('/api/v1/accounts', { name: 'Takes the id again' })).json;
  assert.equal(b.id, a.id, 'SQLite hands the highest id out again once it is deleted');
  const h = await admin().get(`/api/v1/accounts/${b.id}/health/history`);
  assert.equal(h.json.data.length, 0, 'a new account never inherits a deleted one\'s history');
});

test('the scheduler re-scores an account a moment after its data changes', async () => {
  const a = (await admin().post('/api/v1/accounts', { name: 'Touched' })).json;
  await recompute();
  assert.equal((await admin().get(`/api/v1/accounts/${a.id}`)).json.health, 0, 'no touches, nothing else: 0');
  // Sentiment 5 (weight 2) next to 0 touches (weight 1): engagement (2*100 + 0) / 3 = 66.7.
  assertStatus(await admin().put(`/api/v1/accounts/${a.id}/sentiment`, { score: 5, note: 'Great QBR' }), 200);
  await waitFor(async () => (await admin().get(`/api/v1/accounts/${a.id}`)).json.health === 67, 15000,
    'the scheduler to re-score the touched account');
  assert.equal((await admin().get(`/api/v1/accounts/${a.id}`)).json.band, 'yellow');
});
