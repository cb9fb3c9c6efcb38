// Tasks (CTAs): create, read, update (completion), delete; the "my open tasks" list order.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const csm2 = await srv.createUser('csm');
const TASK_KEYS = ['account_id', 'assignee_id', 'completed_at', 'created_at', 'created_by', 'due_date', 'id', 'notes',
  'source', 'status', 'title', 'type', 'updated_at'];
const acct = (await admin().post('/api/v1/accounts', { name: 'Task account', owner_id: csm.id })).json;
const acct2 = (await admin().post('/api/v1/accounts', { name: 'Task account 2', owner_id: csm.id })).json;

test('create with every field, the defaults, read back', async () => {
  const body = { account_id: acct.id, title: 'Renewal review', assignee_id: csm.id, due_date: '2024-07-01', type: 'review', status: 'open', notes: 'Bring the ROI deck' };
  const r = await srv.as(csm).post('/api/v1/tasks', body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), TASK_KEYS);
  for (const [k, v] of Object.entries(body)) assert.equal(r.json[k], v, k);
  assert.equal(r.json.completed_at, null);
  assert.equal(r.json.source, 'manual');
  assert.equal(r.json.created_by, csm.id);
  assert.match(r.json.created_at, RFC3339);
  const g = await admin().get(`/api/v1/tasks/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);

  // No assignee given: the account's owner; on an unassigned account, the creator.
  const m = await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'Minimal' });
  assertStatus(m, 201);
  assert.deepEqual([m.json.assignee_id, m.json.due_date, m.json.type, m.json.status, m.json.completed_at, m.json.notes, m.json.source, m.json.created_by],
    [csm.id, null, 'other', 'open', null, null, 'manual', srv.admin.id]);
  const loose = (await admin().post('/api/v1/accounts', { name: 'Unowned' })).json;
  assert.equal((await admin().post('/api/v1/tasks', { account_id: loose.id, title: 'x' })).json.assignee_id, srv.admin.id);
  // An explicit null leaves it unassigned.
  assert.equal((await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'x', assignee_id: null })).json.assignee_id, null);
  // source may be given (integrations); it defaults to manual.
  assert.equal((await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'x', source: 'crm-sync' })).json.source, 'crm-sync');
});

test('status done records completed_at; other fields patch partially; delete', async () => {
  const t = (await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'Call champion', type: 'call', due_date: '2024-08-01' })).json;
  const p = await srv.as(csm).patch(`/api/v1/tasks/${t.id}`, { status: 'done' });
  assertStatus(p, 200);
  assert.equal(p.json.status, 'done');
  assert.match(p.json.completed_at ?? '', RFC3339);
  assert.ok(Math.abs(Date.parse(p.json.completed_at) - Date.now()) < 120000);
  assert.equal(p.json.title, 'Call champion');
  assert.equal(p.json.due_date, '2024-08-01');
  const p2 = await admin().patch(`/api/v1/tasks/${t.id}`, { due_date: null, assignee_id: csm2.id, title: 'Call the champion', notes: 'n' });
  assertStatus(p2, 200);
  assert.deepEqual([p2.json.due_date, p2.json.assignee_id, p2.json.title, p2.json.notes, p2.json.status, p2.json.completed_at],
    [null, csm2.id, 'Call the champion', 'n', 'done', p.json.completed_at]);
  const created = await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'Born done', status: 'done' });
  assert.match(created.json.completed_at ?? '', RFC3339, 'created done: completed_at set');
  const cancelled = await admin().patch(`/api/v1/tasks/${created.json.id}`, { status: 'cancelled' });
  assert.equal(cancelled.json.status, 'cancelled');
  assertStatus(await admin().del(`/api/v1/tasks/${t.id}`), 204);
  assertProblem(await admin().get(`/api/v1/tasks/${t.id}`), 404);
  assertProblem(await admin().del(`/api/v1/tasks/${t.id}`), 404);
  assertProblem(await admin().patch(`/api/v1/tasks/${t.id}`, { title: 'x' }), 404);
});

test('?assignee=me&status=open: by due date, tasks without a due date last', async () => {
  const mk = async (title, extra) => {
    const r = await srv.as(csm).post('/api/v1/tasks', { account_id: acct2.id, title, ...extra });
    assertStatus(r, 201);
    return r.json.id;
  };
  const t1 = await mk('t1', { due_date: '2030-05-03', assignee_id: csm.id, type: 'call' });
  const t2 = await mk('t2', { due_date: '2030-05-01', assignee_id: csm.id, type: 'email' });
  const t3 = await mk('t3', { assignee_id: csm.id, type: 'call' });
  const t4 = await mk('t4', { due_date: '2030-04-01', assignee_id: csm.id, status: 'done' });
  const t5 = await mk('t5', { due_date: '2030-04-15', assignee_id: csm2.id });
  const t6 = await mk('t6', { due_date: '2030-05-02', assignee_id: csm.id, type: 'meeting' });
  const t7 = await mk('t7', { assignee_id: null });
  const t8 = await mk('t8', { assignee_id: csm.id });
  const t9 = await mk('t9', { due_date: '2030-05-01', assignee_id: csm.id });
  const ids = async (who, qs) => (await srv.listAll(who, `/api/v1/tasks?account_id=${acct2.id}&${qs}`)).items.map((t) => t.id);

  assert.deepEqual(await ids(csm, 'assignee=me&status=open'), [t2, t9, t6, t1, t3, t8]);
  assert.deepEqual(await ids(csm, 'assignee=me&status=open&limit=2'), [t2, t9, t6, t1, t3, t8], 'same order across pages');
  assert.deepEqual(await ids(csm2, 'assignee=me'), [t5]);
  assert.deepEqual(await ids(srv.admin, `assignee=${csm2.id}`), [t5]);
  assert.deepEqual(await ids(srv.admin, 'assignee=none'), [t7]);
  assert.deepEqual(await ids(srv.admin, 'status=done'), [t4]);
  assert.deepEqual(await ids(srv.admin, 'type=call'), [t1, t3]);
  assert.deepEqual(await ids(srv.admin, 'due_before=2030-05-02'), [t4, t5, t2, t9], 'strictly before, by due date');
  assert.deepEqual(await ids(srv.admin, ''), [t4, t5, t2, t9, t6, t1, t3, t7, t8]);
  const v = await srv.createUser('viewer');
  assert.deepEqual(await ids(v, 'assignee=me'), []);
});

test('validation names the field; list parameters are checked', async () => {
  const ok = { account_id: acct.id, title: 'x' };
  const bad = [
    [{ account_id: undefined }, 'account_id'], [{ title: undefined }, 'title'], [{ title: '' }, 'title'],
    [{ account_id: String(acct.id) }, 'account_id'], [{ due_date: '2024-02-30' }, 'due_date'],
    [{ due_date: '01/02/2024' }, 'due_date'], [{ status: 'closed' }, 'status'], [{ type: 'sms' }, 'type'],
    [{ assignee_id: 999999 }, 'assignee_id'], [{ assignee_id: 'me' }, 'assignee_id'],
    [{ source: '' }, 'source'], [{ completed_at: '2024-01-01T00:00:00Z' }, 'completed_at'],
    [{ created_by: 1 }, 'created_by'], [{ notes: 5 }, 'notes'],
  ];
  for (const [patch, field] of bad) assertProblem(await admin().post('/api/v1/tasks', { ...ok, ...patch }), 400, field, JSON.stringify(patch));
  assertProblem(await admin().post('/api/v1/tasks', { account_id: 999999, title: 'x' }), 400, 'account_id', 'task on an unknown account');
  const t = (await admin().post('/api/v1/tasks', ok)).json;
  assertProblem(await admin().patch(`/api/v1/tasks/${t.id}`, { title: null }), 400, 'title');
  assertProblem(await admin().patch(`/api/v1/tasks/${t.id}`, { status: null }), 400, 'status');
  for (const [qs, field] of [['assignee=abc', 'assignee'], ['assignee=0', 'assignee'], ['status=closed', 'status'], ['type=sms', 'type'],
    ['due_before=2024-02-30', 'due_before'], ['account_id=abc', 'account_id'], ['limit=501', 'limit'], ['cursor=zzz', 'cursor']]) {
    assertProblem(await admin().get(`/api/v1/tasks?${qs}`), 400, field, qs);
  }
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
