// runs_count and last_fired_at on GET /api/v1/playbooks and /api/v1/playbooks/{id} (the web
// editor's list): 0 and null before a firing; after an evaluation they count the runs and
// give the newest run's time; a preview changes neither.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

test('runs_count and last_fired_at follow the runs', async () => {
  const ids = [];
  for (const n of [1, 2]) {
    const a = await admin().post('/api/v1/accounts', { name: `Stats account ${n}` });
    assertStatus(a, 201);
    assertStatus(await admin().put(`/api/v1/accounts/${a.json.id}/subscription`, {
      plan: 'Pro', mrr: 10000, currency: 'JPY', seats: 5, start_date: day(-300), renewal_date: day(10 * n), status: 'active',
    }), 200);
    ids.push(a.json.id);
  }
  const pb = await admin().post('/api/v1/playbooks', {
    name: 'stats', enabled: true, trigger: { type: 'renewal_within', days: 30 },
    actions: [{ type: 'create_task', title: 'Renewal {{account.name}}' }],
  });
  assertStatus(pb, 201);
  const get = async () => (await admin().get(`/api/v1/playbooks/${pb.json.id}`)).json;
  const listed = async () => (await admin().get('/api/v1/playbooks?limit=500')).json.data.find((p) => p.id === pb.json.id);
  assert.deepEqual([(await get()).runs_count, (await get()).last_fired_at], [0, null]);
  assert.deepEqual([(await listed()).runs_count, (await listed()).last_fired_at], [0, null]);

  assertStatus(await admin().post(`/api/v1/playbooks/${pb.json.id}/preview`, {}), 200);
  assert.equal((await get()).runs_count, 0);

  assertStatus(await admin().post('/api/v1/playbooks/evaluate', {}), 200);
  const runs = (await admin().get(`/api/v1/playbooks/${pb.json.id}/runs`)).json.data;
  assert.deepEqual(runs.map((r) => r.account_id).sort(), [...ids].sort());
  const g = await get();
  assert.equal(g.runs_count, 2);
  assert.equal(g.last_fired_at, runs.map((r) => r.fired_at).sort().at(-1));
  assert.deepEqual([(await listed()).runs_count, (await listed()).last_fired_at], [2, g.last_fired_at]);
});

test('server stops cleanly', () => srv.stop());
