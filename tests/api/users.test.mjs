// Users (admin only): create, read, update, disable, delete, and the last-admin rule.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ADMIN_EMAIL, RFC3339, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const USER_KEYS = ['created_at', 'disabled', 'email', 'id', 'name', 'role', 'updated_at'];

test('POST /api/v1/users creates a user; GET returns the same; no password in replies', async () => {
  const body = { email: 'hanako@example.com', name: '山田 花子', role: 'csm', password: 'hanako-secret' };
  const r = await admin().post('/api/v1/users', body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), USER_KEYS);
  assert.equal(r.json.email, body.email);
  assert.equal(r.json.name, body.name);
  assert.equal(r.json.role, 'csm');
  assert.equal(r.json.disabled, false);
  assert.match(r.json.created_at, RFC3339);
  assert.match(r.json.updated_at, RFC3339);
  assert.ok(!r.text.includes('hanako-secret'));
  const g = await admin().get(`/api/v1/users/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);
  const all = await srv.listAll(srv.admin, '/api/v1/users');
  assert.ok(all.items.some((u) => u.id === r.json.id));
  assert.ok(all.items.some((u) => u.email === ADMIN_EMAIL && u.role === 'admin'));
  assert.ok(!JSON.stringify(all.items).includes('password'));
  // The new user can log in.
  const s = await srv.login(body.email, body.password);
  assert.equal(s.status, 200);
  assert.equal(s.user.id, r.json.id);
});

test('users: duplicate email is 409; bad fields are 400 naming the field', async () => {
  const base = { email: 'dup@example.com', name: 'Dup', role: 'viewer', password: 'password-1' };
  assertStatus(await admin().post('/api/v1/users', base), 201);
  assertProblem(await admin().post('/api/v1/users', { ...base, name: 'Dup 2' }), 409);
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x1@example.com', role: 'superuser' }), 400, 'role');
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x2@example.com', password: 'short' }), 400, 'password');
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x3@example.com', password: 'p'.repeat(1025) }), 400, 'password');
  assertStatus(await admin().post('/api/v1/users', { ...base, email: 'x4@example.com', password: 'p'.repeat(1024) }), 201);
  assertStatus(await admin().post('/api/v1/users', { ...base, email: 'x5@example.com', password: '12345678' }), 201);
  const { email, ...noEmail } = base;
  void email;
  assertProblem(await admin().post('/api/v1/users', noEmail), 400, 'email');
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x6@example.com', name: undefined }), 400, 'name');
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x7@example.com', disabled: 'no' }), 400, 'disabled');
  assertProblem(await admin().post('/api/v1/users', { ...base, email: 'x8@example.com', password_hash: 'x' }), 400, 'password_hash');
});

test('PATCH /api/v1/users/{id}: name, email, role, password', async () => {
  const u = await srv.createUser('viewer');
  const r = await admin().patch(`/api/v1/users/${u.id}`, { name: 'Renamed' });
  assertStatus(r, 200);
  assert.equal(r.json.name, 'Renamed');
  assert.equal(r.json.email, u.email);
  assert.equal(r.json.role, 'viewer');
  const r2 = await admin().patch(`/api/v1/users/${u.id}`, { role: 'csm', email: `renamed.${u.id}@example.com` });
  assertStatus(r2, 200);
  assert.equal(r2.json.role, 'csm');
  assert.equal(r2.json.email, `renamed.${u.id}@example.com`);
  // The token now acts with the new role.
  assertStatus(await srv.as(u).post('/api/v1/accounts', { name: 'made after promotion' }), 201);
  // Password change: the new one works, the old one no longer.
  assertStatus(await admin().patch(`/api/v1/users/${u.id}`, { password: 'brand-new-password' }), 200);
  assert.equal((await srv.login(`renamed.${u.id}@example.com`, 'brand-new-password')).status, 200);
  assert.equal((await srv.login(`renamed.${u.id}@example.com`, u.password)).status, 401);
  // Taking another user's email is 409.
  assertProblem(await admin().patch(`/api/v1/users/${u.id}`, { email: ADMIN_EMAIL }), 409);
  assertProblem(await admin().patch(`/api/v1/users/${u.id}`, { role: 'owner' }), 400, 'role');
  assertProblem(await admin().patch(`/api/v1/users/${u.id}`, { bogus: 1 }), 400, 'bogus');
  assertProblem(await admin().patch('/api/v1/users/999999', { name: 'x' }), 404);
});

test('a disabled user can neither use its token nor log in; enabling restores access', async () => {
  const u = await srv.createUser('csm');
  const r = await admin().patch(`/api/v1/users/${u.id}`, { disabled: true });
  assertStatus(r, 200);
  assert.equal(r.json.disabled, true);
  assertProblem(await srv.as(u).get('/api/v1/accounts'), 401);
  assertProblem((await srv.login(u.email, u.password)).res, 401);
  assertProblem(await srv.request('GET', '/api/v1/session', { cookie: u.cookie }), 401);
  // A disabled user cannot own accounts.
  assertProblem(await admin().post('/api/v1/accounts', { name: 'x', owner_id: u.id }), 400, 'owner_id');
  assertStatus(await admin().patch(`/api/v1/users/${u.id}`, { disabled: false }), 200);
  assertStatus(await srv.as(u).get('/api/v1/accounts'), 200);
});

test('the last enabled admin can be neither deleted, disabled nor demoted (409)', async () => {
  const id = srv.admin.id;
  assertProblem(await admin().del(`/api/v1/users/${id}`), 409);
  assertProblem(await admin().patch(`/api/v1/users/${id}`, { role: 'csm' }), 409);
  assertProblem(await admin().patch(`/api/v1/users/${id}`, { disabled: true }), 409);
  const me = await admin().get(`/api/v1/users/${id}`);
  assert.equal(me.json.role, 'admin');
  assert.equal(me.json.disabled, false);

  // With a second admin, that one may be disabled and deleted; the first stays protected.
  const a2 = await srv.createUser('admin');
  assertStatus(await admin().patch(`/api/v1/users/${a2.id}`, { disabled: true }), 200);
  // a2 disabled: the bootstrap admin is again the last enabled one.
  assertProblem(await admin().patch(`/api/v1/users/${id}`, { role: 'viewer' }), 409);
  assertStatus(await admin().patch(`/api/v1/users/${a2.id}`, { disabled: false }), 200);
  assertStatus(await admin().patch(`/api/v1/users/${a2.id}`, { role: 'csm' }), 200);
  assertStatus(await admin().patch(`/api/v1/users/${a2.id}`, { role: 'admin' }), 200);
  const d = await admin().del(`/api/v1/users/${a2.id}`);
  assertStatus(d, 204);
  assert.equal(d.text, '');
  assertProblem(await admin().get(`/api/v1/users/${a2.id}`), 404);
  assertProblem(await admin().del(`/api/v1/users/${a2.id}`), 404);
  assertProblem(await srv.as(a2).get('/api/v1/session'), 401, undefined, 'a deleted user\'s token');
});

test('deleting a user unassigns its accounts and tasks', async () => {
  const u = await srv.createUser('csm');
  const acct = (await admin().post('/api/v1/accounts', { name: 'owned by leaver', owner_id: u.id })).json;
  assert.equal(acct.owner_id, u.id);
  const task = (await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'call', assignee_id: u.id })).json;
  assert.equal(task.assignee_id, u.id);
  assertStatus(await admin().del(`/api/v1/users/${u.id}`), 204);
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.owner_id, null);
  assert.equal((await admin().get(`/api/v1/tasks/${task.id}`)).json.assignee_id, null);
});

test('users are admin only', async () => {
  const c = await srv.createUser('csm');
  const v = await srv.createUser('viewer');
  for (const who of [c, v]) {
    assertProblem(await srv.as(who).get('/api/v1/users'), 403);
    assertProblem(await srv.as(who).get(`/api/v1/users/${who.id}`), 403);
    assertProblem(await srv.as(who).patch(`/api/v1/users/${who.id}`, { role: 'admin' }), 403);
  }
  assertProblem(await srv.as(null).get('/api/v1/users'), 401);
  assert.equal((await admin().get(`/api/v1/users/${c.id}`)).json.role, 'csm');
});

test('users list pages through every user exactly once', async () => {
  for (let i = 0; i < 5; i++) {
    assertStatus(await admin().post('/api/v1/users', { email: `page${i}@example.com`, name: `P${i}`, role: 'viewer', password: 'password-1' }), 201);
  }
  const full = await srv.listAll(srv.admin, '/api/v1/users?limit=500');
  const paged = await srv.listAll(srv.admin, '/api/v1/users?limit=2');
  assert.equal(full.pages.length, 1);
  assert.deepEqual(paged.items.map((u) => u.id), full.items.map((u) => u.id));
  assert.equal(new Set(paged.items.map((u) => u.id)).size, paged.items.length);
  assert.ok(paged.pages.slice(0, -1).every((n) => n === 2));
  const ids = full.items.map((u) => u.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'users are listed by id');
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
