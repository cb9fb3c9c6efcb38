// Playbooks: the JSON form and its validation (400 naming the JSON path), the default
// playbooks, triggers firing for exactly the right accounts, cooldown and idempotence,
// preview firing nothing, runs, and each action's effect: tasks with their source, fields
// set, webhooks received by a local HTTP server (with retries on failure) and emails received
// by a local SMTP sink.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import { assertProblem, assertStatus, startServer, waitFor } from './lib.mjs';
import { startSmtpSink } from './email_lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
const ago = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 19) + 'Z';
let seq = 0;
const mkAccount = async (fields = {}) => {
  const r = await admin().post('/api/v1/accounts', { name: `PB account ${++seq}`, owner_id: csm.id, ...fields });
  assertStatus(r, 201);
  return r.json;
};
const mkPlaybook = async (body) => {
  const r = await admin().post('/api/v1/playbooks', { enabled: true, ...body });
  assertStatus(r, 201, JSON.stringify(body));
  return r.json;
};
const evaluate = async () => {
  const r = await admin().post('/api/v1/playbooks/evaluate', {});
  assertStatus(r, 200);
  return r.json.fired;
};
const runs = async (id) => (await admin().get(`/api/v1/playbooks/${id}/runs`)).json.data;
const tasksOf = async (accountId) => (await admin().get(`/api/v1/tasks?account_id=${accountId}`)).json.data;
const disable = async (pb) => assertStatus(await admin().patch(`/api/v1/playbooks/${pb.id}`, { enabled: false }), 200);
const TASK = { type: 'create_task', title: 'Follow up {{account.name}}: {{trigger}}', task_type: 'call', due_in_days: 3 };

describe('the model', () => {
  test('default playbooks ship disabled, in Japanese and English', async () => {
    const r = await srv.as(viewer).get('/api/v1/playbooks');
    assertStatus(r, 200);
    const names = r.json.data.map((p) => p.name);
    assert.equal(r.json.data.length, 7);
    for (const p of r.json.data) assert.equal(p.enabled, false, p.name);
    for (const want of ['Onboarding stalled', 'Health turned red', 'Renewal in 90 days (high touch)',
      'Renewal in 90 days (tech touch)', 'Detractor follow-up', 'Inactive for 14 days', 'Expansion signal'])
      assert.ok(names.some((n) => n.includes(want)), want);
    assert.ok(names.some((n) => n.includes('ヘルススコアが赤に')));
    const red = r.json.data.find((p) => p.name.includes('Health turned red'));
    assert.deepEqual(red.trigger, { type: 'health_band_changed', to: 'red' });
    assert.equal(red.actions[0].due_in_days, 2);
    // Editable: a PATCH keeps the rest.
    const p = await admin().patch(`/api/v1/playbooks/${red.id}`, { cooldown_days: 7 });
    assertStatus(p, 200);
    assert.equal(p.json.cooldown_days, 7);
    assert.deepEqual(p.json.trigger, red.trigger);
    assert.equal(p.json.enabled, false);
  });

  test('create, read, update, delete; JSON as given', async () => {
    const body = {
      name: 'Renewal check', enabled: false, audience: { tier: 'high' },
      trigger: { type: 'renewal_within', days: 60 },
      actions: [TASK, { type: 'send_email', to: 'role:decision_maker', subject: 's {{account.name}}', body: 'b' }],
      cooldown_days: 45,
    };
    const c = await admin().post('/api/v1/playbooks', body);
    assertStatus(c, 201);
    for (const [k, v] of Object.entries(body)) assert.deepEqual(c.json[k], v, k);
    assert.deepEqual((await srv.as(viewer).get(`/api/v1/playbooks/${c.json.id}`)).json, c.json);
    const u = await admin().patch(`/api/v1/playbooks/${c.json.id}`, { audience: {}, trigger: { type: 'inactive_for', days: 14 } });
    assertStatus(u, 200);
    assert.deepEqual([u.json.audience, u.json.trigger, u.json.cooldown_days], [{}, { type: 'inactive_for', days: 14 }, 45]);
    assertStatus(await admin().del(`/api/v1/playbooks/${c.json.id}`), 204);
    assertProblem(await admin().get(`/api/v1/playbooks/${c.json.id}`), 404);
    // The default cooldown is 30 days; every trigger type is accepted with its parameters.
    for (const trigger of [
      { type: 'health_band_changed', from: 'green', to: 'yellow' }, { type: 'phase_entered', phase: 'adoption' },
      { type: 'renewal_within', days: 90 }, { type: 'inactive_for', days: 14 }, { type: 'nps_detractor', max_score: 4 },
      { type: 'event_seen', name: 'Export', count: 3, window_days: 14 }, { type: 'milestone_overdue', phase: 'onboarding' },
      { type: 'seats_used', min_percent: 90 },
    ]) {
      const r = await admin().post('/api/v1/playbooks', { name: trigger.type, trigger, actions: [TASK] });
      assertStatus(r, 201, trigger.type);
      assert.equal(r.json.cooldown_days, 30);
      assert.equal(r.json.enabled, false);
      assertStatus(await admin().del(`/api/v1/playbooks/${r.json.id}`), 204);
    }
  });

  test('bad playbooks get a 400 naming the JSON path', async () => {
    const ok = { name: 'x', trigger: { type: 'renewal_within', days: 30 }, actions: [TASK] };
    const cases = [
      [{ ...ok, colour: 'red' }, 'colour'],
      [{ ...ok, name: '' }, 'name'],
      [{ trigger: ok.trigger, actions: ok.actions }, 'name'],
      [{ ...ok, enabled: 'yes' }, 'enabled'],
      [{ ...ok, cooldown_days: 0 }, 'cooldown_days'],
      [{ ...ok, audience: { tier: 'gold' } }, 'audience.tier'],
      [{ ...ok, audience: { owner: 1 } }, 'audience.owner'],
      [{ ...ok, audience: { segment_id: 999999 } }, 'audience.segment_id'],
      [{ ...ok, trigger: undefined }, 'trigger'],
      [{ ...ok, trigger: { type: 'moon_phase' } }, 'trigger.type'],
      [{ ...ok, trigger: { type: 'renewal_within' } }, 'trigger.days'],
      [{ ...ok, trigger: { type: 'renewal_within', days: '90' } }, 'trigger.days'],
      [{ ...ok, trigger: { type: 'renewal_within', days: 90, name: 'x' } }, 'trigger.name'],
      [{ ...ok, trigger: { type: 'health_band_changed', to: 'purple' } }, 'trigger.to'],
      [{ ...ok, trigger: { type: 'phase_entered' } }, 'trigger.phase'],
      [{ ...ok, trigger: { type: 'nps_detractor', max_score: 9 } }, 'trigger.max_score'],
      [{ ...ok, trigger: { type: 'event_seen', name: 'x', window_days: 0 } }, 'trigger.window_days'],
      [{ ...ok, trigger: { type: 'seats_used' } }, 'trigger.min_percent'],
      [{ ...ok, actions: [] }, 'actions'],
      [{ ...ok, actions: [TASK, { ...TASK, due_in_days: -1 }] }, 'actions[1].due_in_days'],
      [{ ...ok, actions: [TASK, { ...TASK, due_in_days: 'soon' }] }, 'actions[1].due_in_days'],
      [{ ...ok, actions: [{ ...TASK, title: undefined }] }, 'actions[0].title'],
      [{ ...ok, actions: [{ ...TASK, title: 'Hi {{account.password}}' }] }, 'actions[0].title'],
      [{ ...ok, actions: [{ ...TASK, task_type: 'lunch' }] }, 'actions[0].task_type'],
      [{ ...ok, actions: [{ ...TASK, assignee: 999999 }] }, 'actions[0].assignee'],
      [{ ...ok, actions: [{ ...TASK, assignee: 'boss' }] }, 'actions[0].assignee'],
      [{ ...ok, actions: [{ ...TASK, url: 'http://x' }] }, 'actions[0].url'],
      [{ ...ok, actions: [{ type: 'dance' }] }, 'actions[0].type'],
      [{ ...ok, actions: ['create_task'] }, 'actions[0]'],
      [{ ...ok, actions: [TASK, { type: 'set_field', field: 'arr', value: 1 }] }, 'actions[1].field'],
      [{ ...ok, actions: [{ type: 'set_field', field: 'tier', value: 'gold' }] }, 'actions[0].value'],
      [{ ...ok, actions: [{ type: 'set_field', field: 'custom.x', value: [1] }] }, 'actions[0].value'],
      [{ ...ok, actions: [{ type: 'call_webhook', url: 'ftp://hooks.example/x', payload: {} }] }, 'actions[0].url'],
      [{ ...ok, actions: [{ type: 'call_webhook', url: 'http://127.0.0.1/x' }] }, 'actions[0].payload'],
      [{ ...ok, actions: [{ type: 'call_webhook', url: 'http://127.0.0.1/x', payload: { text: '{{nope}}' } }] }, 'actions[0].payload.text'],
      [{ ...ok, actions: [{ type: 'send_email', to: 'role:ceo', subject: 's', body: 'b' }] }, 'actions[0].to'],
      [{ ...ok, actions: [{ type: 'send_email', to: 'owner', body: 'b' }] }, 'actions[0].subject'],
      [{ ...ok, actions: [{ type: 'send_email', to: 'owner', subject: 's', body: 'b', template_id: 1 }] }, 'actions[0].subject'],
      [{ ...ok, actions: [{ type: 'send_email', to: 'owner', template_id: 0 }] }, 'actions[0].template_id'],
      [{ ...ok, actions: [{ type: 'send_email', to: 'owner', template_id: 999999 }] }, 'actions[0].template_id'],
      [{ ...ok, actions: [{ type: 'call_webhook', url: 'http://127.0.0.1/x', payload: {}, secret: 'short' }] }, 'actions[0].secret'],
    ];
    const before = (await admin().get('/api/v1/playbooks?limit=500')).json.data.length;
    for (const [body, field] of cases) {
      const r = await admin().post('/api/v1/playbooks', body);
      assertProblem(r, 400, field, JSON.stringify(body));
    }
    assert.match((await admin().post('/api/v1/playbooks', { ...ok, audience: { segment_id: 999999 } })).json.detail, /segment 999999 does not exist/);
    assert.equal((await admin().get('/api/v1/playbooks?limit=500')).json.data.length, before, 'nothing created');
    // PATCH validates the same way and keeps the old playbook.
    const pb = await mkPlaybook({ ...ok, enabled: false });
    assertProblem(await admin().patch(`/api/v1/playbooks/${pb.id}`, { actions: [TASK, { ...TASK, due_in_days: 400 }] }), 400, 'actions[1].due_in_days');
    assert.deepEqual((await admin().get(`/api/v1/playbooks/${pb.id}`)).json, pb);
    assertProblem(await admin().post('/api/v1/playbooks', '{"name":'), 400);
    assertStatus(await admin().del(`/api/v1/playbooks/${pb.id}`), 204);
  });
});

describe('triggers and runs', () => {
  test('a segment audience: the playbook fires only for the segment\'s members', async () => {
    const inside = await mkAccount({ industry: 'pb-segment-in' });
    const outside = await mkAccount({ industry: 'pb-segment-out' });
    const sub = { plan: 'Pro', mrr: 10000, currency: 'JPY', seats: 10, start_date: '2025-01-01', renewal_date: day(20), status: 'active' };
    for (const a of [inside, outside]) assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, sub), 200);
    const seg = await admin().post('/api/v1/segments', { name: 'pb audience', filter: { field: 'industry', op: 'eq', value: 'pb-segment-in' } });
    assertStatus(seg, 201);
    const pb = await mkPlaybook({ name: 'segment renewals', audience: { segment_id: seg.json.id }, trigger: { type: 'renewal_within', days: 30 }, actions: [TASK], cooldown_days: 30 });
    const previewed = (await admin().post(`/api/v1/playbooks/${pb.id}/preview`, {})).json.data.map((h) => h.account_id);
    assert.ok(previewed.includes(inside.id), 'a member whose renewal is due');
    assert.ok(!previewed.includes(outside.id), 'not a member');
    // Leave nothing that other playbooks of this file could fire for.
    assertStatus(await admin().del(`/api/v1/playbooks/${pb.id}`), 204);
    for (const a of [inside, outside]) assertStatus(await admin().del(`/api/v1/accounts/${a.id}`), 204);
  });

  test('renewal_within fires for the right accounts only, once per cooldown; runs record it', async () => {
    const soon = await mkAccount();
    const later = await mkAccount();
    const none = await mkAccount();
    const past = await mkAccount();
    const sub = (renewal) => ({ plan: 'Pro', mrr: 10000, currency: 'JPY', seats: 10, start_date: '2025-01-01', renewal_date: renewal, status: 'active' });
    assertStatus(await admin().put(`/api/v1/accounts/${soon.id}/subscription`, sub(day(30))), 200);
    assertStatus(await admin().put(`/api/v1/accounts/${later.id}/subscription`, sub(day(200))), 200);
    assertStatus(await admin().put(`/api/v1/accounts/${past.id}/subscription`, sub(day(-3))), 200);
    const pb = await mkPlaybook({ name: 'Renewal 90', trigger: { type: 'renewal_within', days: 90 }, actions: [TASK], cooldown_days: 30 });

    // Preview lists it and fires nothing.
    const pv = await srv.as(csm).post(`/api/v1/playbooks/${pb.id}/preview`, {});
    assertStatus(pv, 200);
    const previewed = pv.json.data.map((h) => h.account_id);
    assert.ok(previewed.includes(soon.id));
    for (const a of [later, none, past]) assert.ok(!previewed.includes(a.id), a.name);
    assert.equal(pv.json.data.find((h) => h.account_id === soon.id).detail.days_left, 30);
    assert.deepEqual(await runs(pb.id), []);
    assert.deepEqual(await tasksOf(soon.id), []);

    assert.ok(await evaluate() >= 1);
    const t = await tasksOf(soon.id);
    assert.equal(t.length, 1);
    assert.deepEqual([t[0].source, t[0].type, t[0].assignee_id, t[0].due_date, t[0].status],
      [`playbook:${pb.id}`, 'call', csm.id, day(3), 'open']);
    assert.equal(t[0].title, `Follow up ${soon.name}: renewal on ${day(30)}, in 30 days`);
    for (const a of [later, none, past]) assert.deepEqual(await tasksOf(a.id), [], a.name);

    const rs = await runs(pb.id);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].account_id, soon.id);
    assert.equal(rs[0].trigger.renewal_date, day(30));
    assert.deepEqual(rs[0].actions, [{ type: 'create_task', status: 'done', task_id: t[0].id }]);

    // Idempotent: evaluating again fires nothing new (cooldown), and the preview is empty too.
    await evaluate();
    assert.equal((await runs(pb.id)).length, 1);
    assert.equal((await tasksOf(soon.id)).length, 1);
    assert.ok(!(await admin().post(`/api/v1/playbooks/${pb.id}/preview`, {})).json.data.some((h) => h.account_id === soon.id));
    // A disabled playbook is not evaluated; a viewer may read runs but not preview.
    await disable(pb);
    assertProblem(await srv.as(viewer).post(`/api/v1/playbooks/${pb.id}/preview`, {}), 403);
    assertStatus(await srv.as(viewer).get(`/api/v1/playbooks/${pb.id}/runs`), 200);
  });

  test('audience by tier', async () => {
    const hi = await mkAccount({ tier_override: 'high' });
    const lo = await mkAccount({ tier_override: 'low' });
    const pb = await mkPlaybook({ name: 'High only', audience: { tier: 'high' }, trigger: { type: 'inactive_for', days: 0 }, actions: [TASK] });
    const ids = (await admin().post(`/api/v1/playbooks/${pb.id}/preview`, {})).json.data.map((h) => h.account_id);
    assert.ok(ids.includes(hi.id));
    assert.ok(!ids.includes(lo.id));
    await evaluate();
    assert.equal((await tasksOf(hi.id)).length, 1);
    assert.equal((await tasksOf(lo.id)).length, 0);
    await disable(pb);
  });

  test('nps_detractor fires for an answer of 0-6 only, once per answer', async () => {
    const det = await mkAccount();
    const pro = await mkAccount();
    const pb = await mkPlaybook({ name: 'Detractors', trigger: { type: 'nps_detractor' }, actions: [TASK] });
    assertStatus(await admin().post(`/api/v1/accounts/${det.id}/survey-responses`, { type: 'nps', score: 3 }), 201);
    assertStatus(await admin().post(`/api/v1/accounts/${pro.id}/survey-responses`, { type: 'nps', score: 9 }), 201);
    assertStatus(await admin().post(`/api/v1/accounts/${pro.id}/survey-responses`, { type: 'csat', score: 1 }), 201);
    await evaluate();
    const rs = await runs(pb.id);
    assert.deepEqual(rs.map((r) => r.account_id), [det.id]);
    assert.equal(rs[0].trigger.score, 3);
    await evaluate();
    assert.equal((await runs(pb.id)).length, 1);
    await disable(pb);
  });

  test('phase_entered fires once when an account enters the phase', async () => {
    const a = await mkAccount();
    const b = await mkAccount();
    const pb = await mkPlaybook({ name: 'Adoption', trigger: { type: 'phase_entered', phase: 'adoption' }, actions: [TASK], cooldown_days: 1 });
    await evaluate();
    assert.deepEqual(await runs(pb.id), []);
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: 'kick-off done' }), 200);
    await evaluate();
    const rs = await runs(pb.id);
    assert.deepEqual(rs.map((r) => r.account_id), [a.id]);
    assert.equal(rs[0].trigger.phase, 'adoption');
    await evaluate();
    assert.equal((await runs(pb.id)).length, 1);
    assert.equal((await tasksOf(b.id)).length, 0);
    await disable(pb);
  });

  test('event_seen counts the events in the window; inactive_for uses last seen', async () => {
    const key = (await srv.createWriteKey('playbooks')).key;
    const busy = await mkAccount({ external_id: 'PB-BUSY' });
    const quiet = await mkAccount({ external_id: 'PB-QUIET' });
    const old = await mkAccount({ external_id: 'PB-OLD' });
    let n = 0;
    const id = () => `pb-msg-${++n}`;
    const batch = [
      { type: 'group', userId: 'busy-1', groupId: 'PB-BUSY', messageId: id() },
      { type: 'group', userId: 'quiet-1', groupId: 'PB-QUIET', messageId: id() },
      { type: 'group', userId: 'old-1', groupId: 'PB-OLD', messageId: id(), timestamp: ago(20) },
      { type: 'track', userId: 'old-1', event: 'Export', messageId: id(), timestamp: ago(20) },
      { type: 'track', userId: 'quiet-1', event: 'Export', messageId: id() },
    ];
    for (let i = 0; i < 3; i++) batch.push({ type: 'track', userId: 'busy-1', event: 'Export', messageId: id() });
    assertStatus(await srv.ingest('/v1/batch', { batch }, { key }), 200);
    await waitFor(async () => (await admin().get(`/api/v1/accounts/${busy.id}`)).json.last_seen_at, 10000, 'ingest');
    const seen = await mkPlaybook({ name: 'Exporters', trigger: { type: 'event_seen', name: 'Export', count: 3, window_days: 7 }, actions: [TASK] });
    const idle = await mkPlaybook({ name: 'Idle', trigger: { type: 'inactive_for', days: 14 }, actions: [TASK] });
    await evaluate();
    assert.deepEqual((await runs(seen.id)).map((r) => r.account_id), [busy.id]);
    assert.equal((await runs(seen.id))[0].trigger.count, 3);
    const idleIds = (await runs(idle.id)).map((r) => r.account_id);
    assert.ok(idleIds.includes(old.id), 'seen 20 days ago');
    assert.ok(!idleIds.includes(busy.id) && !idleIds.includes(quiet.id), 'seen today');
    await disable(seen);
    await disable(idle);
  });

  test('seats_used: active users over seats from the health pass\'s windows', async () => {
    const key = (await srv.createWriteKey('seats')).key;
    const full = await mkAccount({ external_id: 'PB-FULL' });
    const roomy = await mkAccount({ external_id: 'PB-ROOMY' });
    const sub = (seats) => ({ plan: 'Pro', mrr: 1000, currency: 'JPY', seats, start_date: '2026-01-01', status: 'active' });
    assertStatus(await admin().put(`/api/v1/accounts/${full.id}/subscription`, sub(2)), 200);
    assertStatus(await admin().put(`/api/v1/accounts/${roomy.id}/subscription`, sub(10)), 200);
    let n = 0;
    const batch = [];
    for (const [u, g] of [['f1', 'PB-FULL'], ['f2', 'PB-FULL'], ['r1', 'PB-ROOMY'], ['r2', 'PB-ROOMY']]) {
      batch.push({ type: 'group', userId: u, groupId: g, messageId: `seat-${++n}` });
      batch.push({ type: 'track', userId: u, event: 'Login', messageId: `seat-${++n}` });
    }
    assertStatus(await srv.ingest('/v1/batch', { batch }, { key }), 200);
    await waitFor(async () => (await srv.usage(roomy.id)).data.some((d) => d.active_users === 2), 10000, 'rollups');
    assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
    const pb = await mkPlaybook({ name: 'Seats', trigger: { type: 'seats_used', min_percent: 90 }, actions: [TASK] });
    const hits = (await admin().post(`/api/v1/playbooks/${pb.id}/preview`, {})).json.data;
    assert.deepEqual(hits.map((h) => h.account_id), [full.id]);
    assert.deepEqual([hits[0].detail.active_users, hits[0].detail.seats, hits[0].detail.percent], [2, 2, 100]);
    await disable(pb);
  });

  test('set_field sets a custom field and the tier override', async () => {
    const a = await mkAccount({ custom: { keep: 1 } });
    const pb = await mkPlaybook({
      name: 'Flag', trigger: { type: 'inactive_for', days: 0 }, audience: {},
      actions: [{ type: 'set_field', field: 'custom.flag', value: 'at risk: {{account.name}}' }, { type: 'set_field', field: 'tier', value: 'high' }],
    });
    await evaluate();
    const g = (await admin().get(`/api/v1/accounts/${a.id}`)).json;
    assert.deepEqual(g.custom, { keep: 1, flag: `at risk: ${a.name}` });
    assert.equal(g.tier, 'high');
    const run = (await runs(pb.id)).find((r) => r.account_id === a.id);
    assert.deepEqual(run.actions.map((x) => x.status), ['done', 'done']);
    // Runs page newest first on a keyset cursor.
    const all = (await srv.listAll(srv.admin, `/api/v1/playbooks/${pb.id}/runs?limit=2`)).items.map((r) => r.id);
    assert.ok(all.length > 2);
    assert.deepEqual(all, [...all].sort((x, y) => y - x));
    assert.deepEqual(all, (await runs(pb.id)).map((r) => r.id));
    await disable(pb);
  });

  test('health_band_changed: fires once when the account turns red, after the scheduler\'s health pass', async () => {
    const a = await mkAccount();
    assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`,
      { plan: 'Pro', mrr: 1000, currency: 'JPY', seats: 10, start_date: '2026-01-01', status: 'active' }), 200);
    const pb = await mkPlaybook({ name: 'Red', trigger: { type: 'health_band_changed', to: 'red' }, actions: [TASK] });
    const band = async () => (await admin().get(`/api/v1/accounts/${a.id}`)).json.band;
    const mine = async () => (await runs(pb.id)).filter((r) => r.account_id === a.id);
    // Bands low enough that the account is green: the playbook's first look is its baseline.
    assertStatus(await admin().put('/api/v1/settings/health-model', { bands: { green: 5, red: 1 } }), 200);
    assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
    assert.equal(await band(), 'green');
    await evaluate();
    assert.deepEqual(await mine(), []);
    // The default bands make it red; the settings change asks the scheduler for a full pass,
    // which recomputes health and then evaluates the playbooks: no manual evaluation here.
    assertStatus(await admin().put('/api/v1/settings/health-model', {}), 200);
    await waitFor(async () => (await mine()).length > 0, 20000, 'the scheduler firing the playbook');
    assert.equal(await band(), 'red');
    const rs = await mine();
    assert.deepEqual([rs.length, rs[0].trigger.from, rs[0].trigger.to], [1, 'green', 'red']);
    await evaluate();
    // Green and red again within the cooldown: no second firing.
    assertStatus(await admin().put('/api/v1/settings/health-model', { bands: { green: 5, red: 1 } }), 200);
    assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
    await evaluate();
    assertStatus(await admin().put('/api/v1/settings/health-model', {}), 200);
    assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
    await evaluate();
    assert.equal((await mine()).length, 1);
    assert.equal((await tasksOf(a.id)).length, 1);
    await disable(pb);
  });
});

describe('the outbound queue', () => {
  test('webhooks: delivered with the rendered payload; a failing endpoint is retried with last_error', async () => {
    const got = [];
    let failures = 2; // for the account below only
    let target = null;
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        if (target && body.includes(target) && failures > 0) { failures--; res.writeHead(500); res.end('down'); return; }
        got.push({ url: req.url, type: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(200); res.end('ok');
      });
    });
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
    after(() => hook.close());
    const a = await mkAccount();
    target = a.name;
    const pb = await mkPlaybook({
      name: 'Slack', trigger: { type: 'inactive_for', days: 0 },
      actions: [{ type: 'call_webhook', url: `http://127.0.0.1:${hook.address().port}/hook?x=1`, payload: { text: ':warning: {{account.name}} ({{playbook.name}})', n: 1 } }],
    });
    await evaluate();
    const run = (await runs(pb.id)).find((r) => r.account_id === a.id);
    assert.equal(run.actions[0].status, 'queued');
    const oid = run.actions[0].outbound_id;
    const entry = async () => (await admin().get('/api/v1/outbound?limit=500')).json.data.find((m) => m.id === oid);
    await waitFor(async () => (await entry())?.attempts >= 1, 20000, 'first attempt');
    const failed = await entry();
    assert.equal(failed.last_error, 'HTTP 500');
    assert.equal(failed.kind, 'webhook');
    await waitFor(async () => (await entry()).status === 'sent', 30000, 'delivery after retries');
    const sent = await entry();
    assert.equal(sent.attempts, 3);
    const mine = got.filter((g) => g.body.text.includes(a.name));
    assert.equal(mine.length, 1, 'delivered once');
    assert.deepEqual(mine[0].body, { text: `:warning: ${a.name} (Slack)`, n: 1 });
    assert.equal(mine[0].url, '/hook?x=1');
    assert.equal(mine[0].type, 'application/json');
    assert.ok((await admin().get('/api/v1/outbound?status=sent')).json.data.some((m) => m.id === oid));
    assertProblem(await admin().get('/api/v1/outbound?status=lost'), 400, 'status');
    assertProblem(await srv.as(csm).get('/api/v1/outbound'), 403);
    await disable(pb);
  });

  test('emails: to the contacts of a role via the SMTP server of the settings', async () => {
    const sink = await startSmtpSink();
    after(() => sink.stop());
    const a = await mkAccount({ name: '株式会社テスト' });
    const b = await mkAccount();
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: '決裁 花子', email: 'hanako@test.example', role: 'decision_maker' }), 201);
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'User', email: 'user@test.example', role: 'user' }), 201);
    const pb = await mkPlaybook({
      name: 'Mail DM', trigger: { type: 'inactive_for', days: 0 },
      actions: [{ type: 'send_email', to: 'role:decision_maker', subject: '{{account.name}} 様: ご案内', body: 'Hello {{contact.name}} of {{account.name}}\n.dot line\nbye' }],
    });
    await evaluate();
    const runA = (await runs(pb.id)).find((r) => r.account_id === a.id);
    assert.equal(runA.actions[0].status, 'queued');
    assert.deepEqual(runA.actions[0].to, ['hanako@test.example']);
    const runB = (await runs(pb.id)).find((r) => r.account_id === b.id);
    assert.equal(runB.actions[0].status, 'skipped', 'no decision maker: nothing queued');
    // No SMTP settings yet: the email waits in the queue, spending no attempts.
    const oid = runA.actions[0].outbound_id;
    const entry = async () => (await admin().get('/api/v1/outbound?limit=500')).json.data.find((x) => x.id === oid);
    await waitFor(async () => (await entry())?.last_error, 20000, 'a look at the missing settings');
    assert.match((await entry()).last_error, /SMTP settings are missing/);
    assert.equal((await entry()).attempts, 0);
    assertStatus(await admin().put('/api/v1/settings/smtp', { host: '127.0.0.1', port: sink.port, from: 'cs@example.com' }), 200);
    // The settings release it at once (not after the minute's wait).
    await waitFor(async () => sink.mails().some((m) => m.text.includes('株式会社テスト')), 20000, 'the email');
    const m = sink.mails().find((x) => x.text.includes('株式会社テスト'));
    assert.deepEqual(m.rcpt_tos, ['hanako@test.example']);
    assert.equal(m.to, 'hanako@test.example');
    assert.equal(m.from, 'cs@example.com');
    assert.equal(m.subject, '株式会社テスト 様: ご案内');
    assert.equal(m.content_type, 'text/plain', 'no HTML body: a single text part');
    assert.equal(m.text.replace(/\r\n/g, '\n'), 'Hello 決裁 花子 of 株式会社テスト\n.dot line\nbye');
    await waitFor(async () => (await entry()).status === 'sent' && (await entry()).attempts === 1, 10000, 'sent status');
    assert.equal(m.message_id, `<${(await entry()).idempotency_key}@example.com>`);
    await disable(pb);
  });
});

test('server stops cleanly', () => srv.stop());
