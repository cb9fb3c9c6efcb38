// Contacts (stakeholders) and the timeline (conversation history) of an account.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const newAccount = async (extra = {}) => (await admin().post('/api/v1/accounts', { name: 'CT account', ...extra })).json;
const CONTACT_KEYS = ['account_id', 'created_at', 'email', 'external_user_id', 'id', 'name', 'notes', 'phone', 'role', 'title', 'updated_at'];
const ENTRY_KEYS = ['account_id', 'author_id', 'body', 'contact_ids', 'created_at', 'id', 'occurred_at', 'summary', 'type', 'updated_at'];
const sortNum = (v) => [...v].sort((a, b) => a - b);

// ------------------------------------------------------------------ contacts

test('contacts: create with every field, read, list, update, delete', async () => {
  const a = await newAccount();
  const body = {
    name: '佐藤 太郎', email: 'taro@customer.example', title: '情報システム部 部長', role: 'decision_maker',
    phone: '+81-3-1234-5678', external_user_id: 'u-42', notes: 'Prefers email.',
  };
  const r = await admin().post(`/api/v1/accounts/${a.id}/contacts`, body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), CONTACT_KEYS);
  for (const [k, v] of Object.entries(body)) assert.equal(r.json[k], v, k);
  assert.equal(r.json.account_id, a.id);
  assert.match(r.json.created_at, RFC3339);
  const g = await admin().get(`/api/v1/accounts/${a.id}/contacts/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);

  const min = await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'Minimal' });
  assertStatus(min, 201);
  for (const k of ['email', 'title', 'phone', 'external_user_id', 'notes']) assert.equal(min.json[k], null, k);
  assert.equal(min.json.role, 'user', 'role defaults to user');

  const l = await admin().get(`/api/v1/accounts/${a.id}/contacts`);
  assertStatus(l, 200);
  assert.deepEqual(l.json.data.map((c) => c.id), [r.json.id, min.json.id]);
  assert.equal(l.json.next_cursor, null);

  const p = await admin().patch(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`, { role: 'champion', email: 'min@c.example' });
  assertStatus(p, 200);
  assert.equal(p.json.role, 'champion');
  assert.equal(p.json.email, 'min@c.example');
  assert.equal(p.json.name, 'Minimal');
  const p2 = await admin().patch(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`, { email: null });
  assert.equal(p2.json.email, null);
  assert.equal(p2.json.role, 'champion');
  for (const role of ['decision_maker', 'champion', 'admin', 'user']) {
    assert.equal((await admin().patch(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`, { role })).json.role, role);
  }
  const d = await admin().del(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`);
  assertStatus(d, 204);
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`), 404);
  assertProblem(await admin().del(`/api/v1/accounts/${a.id}/contacts/${min.json.id}`), 404);
  assert.deepEqual((await admin().get(`/api/v1/accounts/${a.id}/contacts`)).json.data.map((c) => c.id), [r.json.id]);
});

test('contacts: a contact is reachable only under its own account', async () => {
  const a = await newAccount();
  const b = await newAccount();
  const c = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'Only in A' })).json;
  assertProblem(await admin().get(`/api/v1/accounts/${b.id}/contacts/${c.id}`), 404);
  assertProblem(await admin().patch(`/api/v1/accounts/${b.id}/contacts/${c.id}`, { name: 'hijack' }), 404);
  assertProblem(await admin().del(`/api/v1/accounts/${b.id}/contacts/${c.id}`), 404);
  assert.equal((await admin().get(`/api/v1/accounts/${a.id}/contacts/${c.id}`)).json.name, 'Only in A');
  assert.deepEqual((await admin().get(`/api/v1/accounts/${b.id}/contacts`)).json.data, []);
  assertProblem(await admin().get('/api/v1/accounts/999999/contacts'), 404);
  assertProblem(await admin().post('/api/v1/accounts/999999/contacts', { name: 'x' }), 404);
});

test('contacts: validation names the field', async () => {
  const a = await newAccount();
  const url = `/api/v1/accounts/${a.id}/contacts`;
  assertProblem(await admin().post(url, {}), 400, 'name');
  assertProblem(await admin().post(url, { name: '' }), 400, 'name');
  assertProblem(await admin().post(url, { name: 'x', role: 'ceo' }), 400, 'role');
  assertProblem(await admin().post(url, { name: 'x', email: 5 }), 400, 'email');
  assertProblem(await admin().post(url, { name: 'x', account_id: a.id }), 400, 'account_id');
  assertProblem(await admin().post(url, { name: 'x', linkedin: 'y' }), 400, 'linkedin');
  const c = (await admin().post(url, { name: 'ok' })).json;
  assertProblem(await admin().patch(`${url}/${c.id}`, { name: null }), 400, 'name');
  assertProblem(await admin().patch(`${url}/${c.id}`, { role: null }), 400, 'role');
});

test('contacts: pagination by id', async () => {
  const a = await newAccount();
  const made = [];
  for (let i = 0; i < 7; i++) made.push((await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: `C${i}` })).json.id);
  const { items, pages } = await srv.listAll(srv.admin, `/api/v1/accounts/${a.id}/contacts?limit=3`);
  assert.deepEqual(pages, [3, 3, 1]);
  assert.deepEqual(items.map((c) => c.id), made);
});

// ------------------------------------------------------------------ timeline

test('timeline: create with participants; the author is the caller; times normalised to UTC', async () => {
  const a = await newAccount({ owner_id: csm.id });
  const c1 = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'P1' })).json.id;
  const c2 = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'P2' })).json.id;
  const body = { type: 'meeting', occurred_at: '2024-03-01T10:00:00+09:00', summary: 'Kick-off', body: '議事録: ...', contact_ids: [c2, c1] };
  const r = await srv.as(csm).post(`/api/v1/accounts/${a.id}/timeline`, body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ENTRY_KEYS);
  assert.equal(r.json.account_id, a.id);
  assert.equal(r.json.type, 'meeting');
  assert.equal(r.json.author_id, csm.id);
  assert.equal(r.json.occurred_at, '2024-03-01T01:00:00Z');
  assert.equal(r.json.summary, 'Kick-off');
  assert.equal(r.json.body, '議事録: ...');
  assert.deepEqual(sortNum(r.json.contact_ids), sortNum([c1, c2]));
  assert.match(r.json.created_at, RFC3339);
  const g = await admin().get(`/api/v1/accounts/${a.id}/timeline/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual({ ...g.json, contact_ids: sortNum(g.json.contact_ids) }, { ...r.json, contact_ids: sortNum(r.json.contact_ids) });

  // Minimal: body defaults to "", no participants; fractions and offsets accepted.
  const m = await admin().post(`/api/v1/accounts/${a.id}/timeline`, { type: 'note', summary: 'n', occurred_at: '2024-03-02T23:30:00.250-02:00' });
  assertStatus(m, 201);
  assert.equal(m.json.body, '');
  assert.deepEqual(m.json.contact_ids, []);
  assert.equal(m.json.author_id, srv.admin.id);
  assert.equal(m.json.occurred_at, '2024-03-03T01:30:00Z');
  // occurred_at defaults to now.
  const now = await admin().post(`/api/v1/accounts/${a.id}/timeline`, { type: 'call', summary: 'no time given' });
  assertStatus(now, 201);
  assert.match(now.json.occurred_at, RFC3339);
  assert.ok(Math.abs(Date.parse(now.json.occurred_at) - Date.now()) < 120000, 'occurred_at defaults to now');
});

test('timeline: newest first by occurred_at; ?type= filters; pages keep the order', async () => {
  const a = await newAccount();
  const times = ['2024-01-05T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-09T00:00:00Z', '2024-01-03T00:00:00Z',
    '2024-01-07T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-08T00:00:00Z'];
  const types = ['note', 'call', 'email', 'call', 'ticket', 'handoff', 'call'];
  const made = [];
  for (let i = 0; i < times.length; i++) {
    const r = await admin().post(`/api/v1/accounts/${a.id}/timeline`, { type: types[i], occurred_at: times[i], summary: `e${i}` });
    assertStatus(r, 201);
    made.push(r.json);
  }
  const expected = [...made].sort((x, y) => y.occurred_at.localeCompare(x.occurred_at)).map((e) => e.id);
  const all = await admin().get(`/api/v1/accounts/${a.id}/timeline`);
  assertStatus(all, 200);
  assert.deepEqual(all.json.data.map((e) => e.id), expected);
  assert.equal(all.json.next_cursor, null);
  const paged = await srv.listAll(srv.admin, `/api/v1/accounts/${a.id}/timeline?limit=3`);
  assert.deepEqual(paged.pages, [3, 3, 1]);
  assert.deepEqual(paged.items.map((e) => e.id), expected);
  const calls = await srv.listAll(srv.admin, `/api/v1/accounts/${a.id}/timeline?type=call&limit=2`);
  assert.deepEqual(calls.items.map((e) => e.summary), ['e6', 'e3', 'e1']);
  assert.deepEqual((await admin().get(`/api/v1/accounts/${a.id}/timeline?type=meeting`)).json.data, []);
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/timeline?type=sms`), 400, 'type');
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/timeline?limit=0`), 400, 'limit');
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/timeline?cursor=zzz`), 400, 'cursor');
  assertProblem(await admin().get('/api/v1/accounts/999999/timeline'), 404);
});

test('timeline: update, participants of another account refused, delete', async () => {
  const a = await newAccount();
  const b = await newAccount();
  const ca = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'A person' })).json.id;
  const cb = (await admin().post(`/api/v1/accounts/${b.id}/contacts`, { name: 'B person' })).json.id;
  const url = `/api/v1/accounts/${a.id}/timeline`;
  assertProblem(await admin().post(url, { type: 'call', summary: 'x', contact_ids: [cb] }), 400, 'contact_ids');
  assertProblem(await admin().post(url, { type: 'call', summary: 'x', contact_ids: [999999] }), 400, 'contact_ids');
  const e = (await admin().post(url, { type: 'call', summary: 'first', occurred_at: '2024-02-01T09:00:00Z', contact_ids: [ca] })).json;
  const p = await admin().patch(`${url}/${e.id}`, { summary: 'edited', type: 'email' });
  assertStatus(p, 200);
  assert.equal(p.json.summary, 'edited');
  assert.equal(p.json.type, 'email');
  assert.equal(p.json.occurred_at, '2024-02-01T09:00:00Z');
  assert.deepEqual(p.json.contact_ids, [ca]);
  assertProblem(await admin().patch(`${url}/${e.id}`, { contact_ids: [cb] }), 400, 'contact_ids');
  assert.deepEqual((await admin().get(`${url}/${e.id}`)).json.contact_ids, [ca], 'refused update left participants alone');
  assert.deepEqual((await admin().patch(`${url}/${e.id}`, { contact_ids: [] })).json.contact_ids, []);
  assertStatus(await admin().patch(`${url}/${e.id}`, { contact_ids: [ca] }), 200);
  // Deleting the contact removes it from the entry.
  assertStatus(await admin().del(`/api/v1/accounts/${a.id}/contacts/${ca}`), 204);
  assert.deepEqual((await admin().get(`${url}/${e.id}`)).json.contact_ids, []);
  // Entry only under its own account.
  assertProblem(await admin().get(`/api/v1/accounts/${b.id}/timeline/${e.id}`), 404);
  assertProblem(await admin().patch(`/api/v1/accounts/${b.id}/timeline/${e.id}`, { summary: 'x' }), 404);
  assertProblem(await admin().del(`/api/v1/accounts/${b.id}/timeline/${e.id}`), 404);
  assertStatus(await admin().del(`${url}/${e.id}`), 204);
  assertProblem(await admin().get(`${url}/${e.id}`), 404);
  assertProblem(await admin().del(`${url}/${e.id}`), 404);
});

test('timeline: validation names the field', async () => {
  const a = await newAccount();
  const url = `/api/v1/accounts/${a.id}/timeline`;
  assertProblem(await admin().post(url, { summary: 'x' }), 400, 'type');
  assertProblem(await admin().post(url, { type: 'note' }), 400, 'summary');
  assertProblem(await admin().post(url, { type: 'sms', summary: 'x' }), 400, 'type');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', occurred_at: 'yesterday' }), 400, 'occurred_at');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', occurred_at: '2024-02-30T00:00:00Z' }), 400, 'occurred_at');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', occurred_at: 1700000000 }), 400, 'occurred_at');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', contact_ids: '1' }), 400, 'contact_ids');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', contact_ids: ['1'] }), 400, 'contact_ids');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', author_id: 1 }), 400, 'author_id');
  assertProblem(await admin().post(url, { type: 'note', summary: 'x', body: 5 }), 400, 'body');
  assert.deepEqual((await admin().get(url)).json.data, [], 'nothing stored');
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
