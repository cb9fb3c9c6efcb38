// The cockpit (GET /api/v1/cockpit), the activity feed across accounts (GET /api/v1/activity)
// and the team's names (GET /api/v1/team), on hand-built books of two CSMs: exact
// membership and order of my tasks (overdue first, undated last), my at-risk accounts (red;
// another CSM's excluded), my renewals within 90 days and my recent activity; who may see
// whose cockpit; bad parameters named in a 400. Falling-fast accounts need health snapshots
// from 7 days ago: tests/unit/store_cockpit.c builds those.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, startServer, waitFor } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const me = await srv.createUser('csm', { name: 'Sato Cockpit' });
const other = await srv.createUser('csm', { name: 'Tanaka Cockpit' });
const viewer = await srv.createUser('viewer');

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
const mk = async (name, owner) => {
  const r = await admin().post('/api/v1/accounts', { name, owner_id: owner.id });
  assertStatus(r, 201);
  return r.json;
};
const A = await mk('Cockpit A', me);
const B = await mk('Cockpit B', me);
const C = await mk('Cockpit C', me);
const D = await mk('Cockpit D (theirs)', other);

const cockpit = async (who, q = '') => {
  const r = await srv.as(who).get(`/api/v1/cockpit${q}`);
  assertStatus(r, 200);
  return r.json;
};

test('my open tasks: overdue first, then by due date, undated last, with account names', async () => {
  const task = async (account, title, due, extra = {}) => {
    const r = await admin().post('/api/v1/tasks', { account_id: account.id, title, due_date: due, assignee_id: me.id, ...extra });
    assertStatus(r, 201);
    return r.json;
  };
  const later = await task(A, 'later', day(5));
  const undated = await task(B, 'undated', null);
  const overdue = await task(C, 'overdue', day(-3));
  const today = await task(A, 'today', day(0));
  const onTheirs = await task(D, 'mine on their account', day(1));
  const veryOverdue = await task(B, 'very overdue', day(-20));
  await task(A, 'done already', day(-1), { status: 'done' });
  await task(D, 'theirs', day(-5), { assignee_id: other.id });

  const c = await cockpit(me);
  assert.deepEqual(c.tasks.map((t) => t.id), [veryOverdue.id, overdue.id, today.id, onTheirs.id, later.id, undated.id]);
  assert.deepEqual(c.tasks.map((t) => t.overdue), [true, true, false, false, false, false]);
  assert.deepEqual(c.tasks.map((t) => t.account_name), ['Cockpit B', 'Cockpit C', 'Cockpit A', 'Cockpit D (theirs)', 'Cockpit A', 'Cockpit B']);
  assert.equal(c.tasks[0].title, 'very overdue');
  assert.deepEqual([c.counts.tasks_open, c.counts.tasks_overdue, c.counts.tasks_due_today], [6, 2, 1]);
  assert.deepEqual(c.user, { id: me.id, name: 'Sato Cockpit', role: 'csm' });
  assert.equal(c.date, day(0));
  assert.equal(c.counts.accounts, 3);

  // Capped by limit; the counts stay the totals.
  const capped = await cockpit(me, '?limit=2');
  assert.deepEqual(capped.tasks.map((t) => t.id), [veryOverdue.id, overdue.id]);
  assert.equal(capped.counts.tasks_open, 6);

  // Completing one takes it off the list.
  assertStatus(await srv.as(me).patch(`/api/v1/tasks/${overdue.id}`, { status: 'done' }), 200);
  const after = await cockpit(me);
  assert.ok(!after.tasks.some((t) => t.id === overdue.id));
  assert.equal(after.counts.tasks_overdue, 1);
  // The other CSM sees only theirs.
  assert.deepEqual((await cockpit(other)).tasks.map((t) => t.title), ['theirs']);
});

test('renewals within 90 days on my accounts, soonest first, never churned or theirs', async () => {
  const sub = (renewal, status = 'active', mrr = 10000) => ({ plan: 'Pro', mrr, currency: 'JPY', seats: 10, start_date: '2025-01-01', renewal_date: renewal, status });
  assertStatus(await admin().put(`/api/v1/accounts/${A.id}/subscription`, sub(day(60), 'active', 20000)), 200);
  assertStatus(await admin().put(`/api/v1/accounts/${B.id}/subscription`, sub(day(12))), 200);
  assertStatus(await admin().put(`/api/v1/accounts/${C.id}/subscription`, sub(day(120))), 200);
  assertStatus(await admin().put(`/api/v1/accounts/${D.id}/subscription`, sub(day(10))), 200);
  const c = await cockpit(me);
  assert.deepEqual(c.renewals.map((r) => r.account_id), [B.id, A.id]);
  const a = c.renewals[1];
  assert.deepEqual([a.name, a.renewal_date, a.days_left, a.arr, a.mrr, a.currency, a.status, a.phase],
    ['Cockpit A', day(60), 60, 240000, 20000, 'JPY', 'active', 'onboarding']);
  assert.equal(c.counts.renewals, 2);
  // A churned subscription is no renewal.
  assertStatus(await admin().put(`/api/v1/accounts/${B.id}/subscription`, { ...sub(day(12)), status: 'churned' }), 200);
  assert.deepEqual((await cockpit(me)).renewals.map((r) => r.account_id), [A.id]);
});

test('at risk: my red accounts with the reason, lowest score first; a yellow one and theirs are not', async () => {
  // An account with one touch and no other data scores low (red); a sentiment of 5 lifts C
  // to yellow. A new timeline entry has the scheduler score the account a moment later.
  assertStatus(await srv.as(me).put(`/api/v1/accounts/${C.id}/sentiment`, { score: 5 }), 200);
  for (const a of [A, B, C, D])
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/timeline`, { type: 'call', summary: 'touch' }), 201);
  const band = async (id) => (await admin().get(`/api/v1/accounts/${id}`)).json.band;
  await waitFor(async () => (await band(C.id)) === 'yellow' && (await band(A.id)) && (await band(B.id)) && (await band(D.id)), 20000, 'the scheduler scoring the accounts');
  const accounts = await Promise.all([A, B, C, D].map(async (a) => (await admin().get(`/api/v1/accounts/${a.id}`)).json));
  // B churned in the test above: lost already, so not at risk however red.
  const redMine = accounts.filter((a) => a.owner_id === me.id && a.band === 'red' && a.id !== B.id)
    .sort((x, y) => x.health - y.health || x.id - y.id);
  assert.ok(redMine.length >= 1, 'a fresh account is red');
  assert.equal(accounts[3].band, 'red', 'theirs is red too');

  const c = await cockpit(me);
  assert.deepEqual(c.at_risk.map((r) => r.account_id), redMine.map((a) => a.id));
  assert.ok(!c.at_risk.some((r) => r.account_id === C.id || r.account_id === D.id));
  assert.equal(accounts[1].band, 'red', 'B is red');
  assert.ok(!c.at_risk.some((r) => r.account_id === B.id), 'a churned account is not at risk');
  for (const r of c.at_risk) {
    assert.deepEqual(r.reasons, ['red']);
    assert.equal(r.falling, false);
    assert.equal(r.band, 'red');
    assert.equal(r.change_7d, null, 'no snapshot from 7 days ago in a new database');
    assert.ok(r.weakest_component === null || ['deployment', 'engagement', 'adoption', 'roi'].includes(r.weakest_component.component));
  }
  assert.deepEqual([c.counts.at_risk, c.counts.red, c.counts.falling], [redMine.length, redMine.length, 0]);
  assert.deepEqual((await cockpit(other)).at_risk.map((r) => r.account_id), [D.id]);
});

test('recent activity on my accounts (90 days), newest first, with account and author names', async () => {
  const entry = async (who, account, summary, at) => {
    const r = await srv.as(who).post(`/api/v1/accounts/${account.id}/timeline`, { type: 'note', summary, occurred_at: at });
    assertStatus(r, 201);
    return r.json;
  };
  const ago = (d) => new Date(Date.now() - d * 86400000).toISOString().slice(0, 19) + 'Z';
  const e1 = await entry(me, A, 'first', ago(20));
  const e2 = await entry(srv.admin, C, 'second', ago(10));
  const old = await entry(me, A, 'long ago', ago(95));
  await entry(other, D, 'theirs', ago(5));
  const c = await cockpit(me);
  const ids = c.activity.map((e) => e.id);
  assert.ok(ids.indexOf(e2.id) >= 0 && ids.indexOf(e2.id) < ids.indexOf(e1.id), 'newest first');
  assert.ok(!ids.includes(old.id), 'older than 90 days');
  const second = c.activity.find((e) => e.id === e2.id);
  const adminName = (await srv.as(viewer).get('/api/v1/team')).json.data.find((u) => u.id === srv.admin.id).name;
  assert.deepEqual([second.account_name, second.author_id, second.author_name, second.summary, second.type],
    ['Cockpit C', srv.admin.id, adminName, 'second', 'note']);
  assert.equal(c.activity.find((e) => e.id === e1.id).author_name, 'Sato Cockpit');
  assert.ok(!c.activity.some((e) => e.account_id === D.id));
  const times = c.activity.map((e) => e.occurred_at);
  assert.deepEqual(times, [...times].sort().reverse());
  // Every entry of mine in the window is there (the feed of the same owner, since 90 days).
  const since = new Date(Date.parse(c.date) - 90 * 86400000).toISOString().slice(0, 10);
  const feed = (await srv.listAll(me, `/api/v1/activity?owner=me&since=${since}`)).items
    .filter((e) => e.occurred_at >= ago(90));
  assert.deepEqual(ids, feed.map((e) => e.id));
});

test('who sees whose cockpit; bad parameters are named', async () => {
  const theirs = await cockpit(srv.admin, `?user_id=${other.id}`);
  assert.equal(theirs.user.id, other.id);
  assert.deepEqual(theirs, await cockpit(other));
  assert.equal((await cockpit(me, `?user_id=${me.id}`)).user.id, me.id);
  assertProblem(await srv.as(me).get(`/api/v1/cockpit?user_id=${other.id}`), 403);
  assertProblem(await srv.as(viewer).get(`/api/v1/cockpit?user_id=${me.id}`), 403);
  const v = await cockpit(viewer);
  assert.deepEqual([v.tasks, v.at_risk, v.renewals, v.activity, v.counts.accounts], [[], [], [], [], 0]);
  assertProblem(await admin().get('/api/v1/cockpit?user_id=999999'), 400, 'user_id');
  assertProblem(await admin().get('/api/v1/cockpit?user_id=abc'), 400, 'user_id');
  assertProblem(await admin().get('/api/v1/cockpit?limit=0'), 400, 'limit');
  assertProblem(await admin().get('/api/v1/cockpit?owner=me'), 400, 'owner');
  assertProblem(await srv.as(null).get('/api/v1/cockpit'), 401);
});

test('the activity feed: filters by owner, type, time and account; pages on a cursor', async () => {
  const at = (d) => `2025-06-${String(d).padStart(2, '0')}T10:00:00Z`;
  const mkEntry = async (account, type, d) => (await admin().post(`/api/v1/accounts/${account.id}/timeline`, { type, summary: `${type} ${d}`, occurred_at: at(d) })).json;
  const m1 = await mkEntry(A, 'call', 1);
  const m2 = await mkEntry(C, 'meeting', 3);
  const m3 = await mkEntry(A, 'call', 5);
  const t1 = await mkEntry(D, 'call', 4);
  const loose = (await admin().post('/api/v1/accounts', { name: 'Cockpit unowned' })).json;
  const u1 = await mkEntry(loose, 'email', 2);
  const june = (items) => items.filter((e) => e.occurred_at.startsWith('2025-06')).map((e) => e.id);

  const mine = (await srv.listAll(me, '/api/v1/activity?owner=me&limit=2')).items;
  assert.deepEqual(june(mine), [m3.id, m2.id, m1.id]);
  assert.ok(mine.every((e) => e.account_id !== D.id && e.account_id !== loose.id));
  assert.deepEqual(june((await srv.listAll(viewer, `/api/v1/activity?owner=${other.id}`)).items), [t1.id]);
  assert.deepEqual(june((await srv.listAll(viewer, '/api/v1/activity?owner=none')).items), [u1.id]);
  const all = (await srv.listAll(viewer, '/api/v1/activity?since=2025-06-01&limit=3')).items;
  assert.deepEqual(june(all), [m3.id, t1.id, m2.id, u1.id, m1.id]);
  assert.deepEqual(june((await srv.listAll(viewer, '/api/v1/activity?type=call&since=2025-06-02T00:00:00Z')).items), [m3.id, t1.id]);
  assert.deepEqual(june((await srv.listAll(viewer, `/api/v1/activity?account_id=${A.id}&type=call`)).items), [m3.id, m1.id]);
  const one = (await srv.as(viewer).get(`/api/v1/activity?account_id=${C.id}&type=meeting`)).json.data[0];
  assert.deepEqual(Object.keys(one).sort(), ['account_id', 'account_name', 'author_id', 'author_name', 'created_at', 'id', 'occurred_at', 'summary', 'type']);
  assert.equal(one.account_name, 'Cockpit C');
  assert.equal(one.author_id, srv.admin.id);
  assert.equal(typeof one.author_name, 'string');

  for (const [q, field] of [['owner=someone', 'owner'], ['owner=0', 'owner'], ['type=lunch', 'type'], ['since=yesterday', 'since'],
    ['account_id=-1', 'account_id'], ['limit=501', 'limit'], ['cursor=zzz', 'cursor'], ['colour=red', 'colour']]) {
    assertProblem(await srv.as(viewer).get(`/api/v1/activity?${q}`), 400, field, q);
  }
});

test('the team: every role reads names and roles, never e-mails', async () => {
  for (const who of [viewer, me, srv.admin]) {
    const { items } = await srv.listAll(who, '/api/v1/team?limit=2');
    const byId = new Map(items.map((u) => [u.id, u]));
    assert.deepEqual(byId.get(me.id), { id: me.id, name: 'Sato Cockpit', role: 'csm', disabled: false });
    assert.deepEqual(byId.get(viewer.id).role, 'viewer');
    assert.equal(byId.get(srv.admin.id).role, 'admin');
    for (const u of items) assert.deepEqual(Object.keys(u).sort(), ['disabled', 'id', 'name', 'role']);
    assert.ok(!JSON.stringify(items).includes('@example.com'));
    assert.deepEqual(items.map((u) => u.id), [...items.map((u) => u.id)].sort((x, y) => x - y));
  }
  assertProblem(await srv.as(viewer).get('/api/v1/team?role=admin'), 400, 'role');
  assertProblem(await srv.as(null).get('/api/v1/team'), 401);
});

test('server stops cleanly', () => srv.stop());
