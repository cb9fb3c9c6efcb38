// Playbooks on touched accounts: the scheduler re-scores an account a moment after its data
// changes and then evaluates the enabled playbooks for that account alone, so that "health
// turned red" fires within seconds of the change that turned it red, with no
// POST /playbooks/evaluate and no full pass; with the same cooldown and run record as the
// full evaluation, and for that account only.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertStatus, sqliteQuery, startServer, waitFor } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');

const mkAccount = async (name) => {
  const r = await admin().post('/api/v1/accounts', { name, owner_id: csm.id });
  assertStatus(r, 201);
  return r.json;
};
const band = async (a) => (await admin().get(`/api/v1/accounts/${a.id}`)).json.band;
const runs = async (pb) => (await admin().get(`/api/v1/playbooks/${pb.id}/runs`)).json.data;
const tasksOf = async (a) => (await admin().get(`/api/v1/tasks?account_id=${a.id}`)).json.data;
const sentiment = async (a, score) => assertStatus(await srv.as(csm).put(`/api/v1/accounts/${a.id}/sentiment`, { score }), 200);
// The band this playbook last saw for the account (no API shows it): its baseline. The
// sqlite3 CLI comes with the test dependencies (scripts/deps.sh).
const seen = (pb, a) => sqliteQuery(srv.db, `SELECT band FROM playbook_bands WHERE playbook_id = ${pb.id} AND account_id = ${a.id}`)?.[0]?.[0];

test('health_band_changed to red fires a second after the change, for the touched account only', async () => {
  const a = await mkAccount('Turns red');
  const b = await mkAccount('Stays yellow');
  const pb = await admin().post('/api/v1/playbooks', {
    name: 'Red on touch', enabled: true, trigger: { type: 'health_band_changed', to: 'red' },
    actions: [{ type: 'create_task', title: 'Risk: {{account.name}} ({{trigger}})', task_type: 'review', due_in_days: 2 }],
    cooldown_days: 14,
  });
  assertStatus(pb, 201);
  // A CSM sentiment of 5 makes a fresh account yellow; the touched pass scores it, and the
  // playbook's evaluation of that account records yellow as its baseline.
  await sentiment(a, 5);
  await sentiment(b, 5);
  await waitFor(async () => (await band(a)) === 'yellow' && (await band(b)) === 'yellow', 20000, 'both accounts scored yellow');
  await waitFor(async () => seen(pb.json, a) === 'yellow' && seen(pb.json, b) === 'yellow', 20000, 'the baseline band recorded by the touched pass');
  assert.deepEqual(await runs(pb.json), [], 'yellow is no firing');

  // A sentiment of 1 turns A red: no evaluate call, no settings change (no full pass).
  await sentiment(a, 1);
  await waitFor(async () => (await runs(pb.json)).length > 0, 20000, 'the playbook firing for the touched account');
  assert.equal(await band(a), 'red');
  const rs = await runs(pb.json);
  assert.deepEqual(rs.map((r) => r.account_id), [a.id]);
  assert.deepEqual([rs[0].trigger.from, rs[0].trigger.to], ['yellow', 'red']);
  const t = await tasksOf(a);
  assert.equal(t.length, 1);
  assert.deepEqual([t[0].source, t[0].type, t[0].assignee_id], [`playbook:${pb.json.id}`, 'review', csm.id]);
  assert.deepEqual(rs[0].actions, [{ type: 'create_task', status: 'done', task_id: t[0].id }]);
  assert.deepEqual(await tasksOf(b), []);

  // Within the cooldown: back to yellow and red again fires nothing more, touched or in a
  // full evaluation.
  await sentiment(a, 5);
  await waitFor(async () => (await band(a)) === 'yellow', 20000, 'yellow again');
  await waitFor(async () => seen(pb.json, a) === 'yellow', 20000, 'yellow seen');
  await sentiment(a, 1);
  await waitFor(async () => (await band(a)) === 'red', 20000, 'red again');
  await waitFor(async () => seen(pb.json, a) === 'red', 20000, 'red seen');
  assertStatus(await admin().post('/api/v1/playbooks/evaluate', {}), 200);
  assert.equal((await runs(pb.json)).length, 1);
  assert.equal((await tasksOf(a)).length, 1);
});

test('a renewal playbook fires for a touched account without waiting for the full pass', async () => {
  const a = await mkAccount('Renews soon');
  const pb = await admin().post('/api/v1/playbooks', {
    name: 'Renewal on touch', enabled: true, trigger: { type: 'renewal_within', days: 30 },
    actions: [{ type: 'create_task', title: 'Renewal: {{account.name}}', task_type: 'meeting', due_in_days: 7 }],
  });
  assertStatus(pb, 201);
  const renewal = new Date(Date.now() + 20 * 86400000).toISOString().slice(0, 10);
  assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`,
    { plan: 'Pro', mrr: 1000, currency: 'JPY', seats: 5, start_date: '2025-01-01', renewal_date: renewal, status: 'active' }), 200);
  // Any change the scheduler hears of (here a note) evaluates the account's playbooks.
  assertStatus(await srv.as(csm).post(`/api/v1/accounts/${a.id}/timeline`, { type: 'note', summary: 'renewal chat' }), 201);
  await waitFor(async () => (await runs(pb.json)).some((r) => r.account_id === a.id), 20000, 'the renewal playbook firing');
  const rs = (await runs(pb.json)).filter((r) => r.account_id === a.id);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].trigger.renewal_date, renewal);
  assertStatus(await admin().patch(`/api/v1/playbooks/${pb.json.id}`, { enabled: false }), 200);
});

test('server stops cleanly', () => srv.stop());
