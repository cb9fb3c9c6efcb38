// The ingest writer's fold: rollups, last-seen times and the accounts' event streams are
// written after the events (in memory until a flush), so this server runs with flushes
// held back (KIZUNA_INGEST_FLUSH_IDLE_MS and KIZUNA_INGEST_FLUSH_MS 10 minutes) to exercise
// what that could break: the usage report and the event listing must still show every
// acknowledged event (they ask the writer to flush first), a kill -9 with a fold not yet
// written must lose nothing and count nothing twice once the events are folded again at
// start-up, and retries across the restart must be recognised from the rebuilt messageId
// set. Also: last seen is capped at the time received (a client clock in the far future),
// and an alias that arrives after the user's group call attributes the visitor's earlier
// anonymous events to the account.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertStatus, msgId, sqliteQuery, startServer, tmpDb, todayUTC } from './lib.mjs';

const env = { KIZUNA_INGEST_FLUSH_IDLE_MS: '600000', KIZUNA_INGEST_FLUSH_MS: '600000' };
const { dir, db } = tmpDb('ingest-fold');
let srv = await startServer({ db, dir, env });
const servers = [srv];
after(async () => {
  for (const s of servers) await s.kill9();
  await srv.cleanup();
});
const wk = await srv.createWriteKey('fold');
const today = todayUTC();
const send = async (p, body) => {
  const r = await srv.ingest(p, body, { key: wk.key });
  assertStatus(r, 200, `${p} ${JSON.stringify(body).slice(0, 200)}`);
  assert.deepEqual(r.json, { success: true });
};
const track = (event, userId, extra = {}) => ({ type: 'track', messageId: msgId('fold'), userId, event, ...extra });
const usageToday = async (id) => {
  const u = await srv.usage(id, `from=${today}&to=${today}&granularity=day`);
  return { day: u.data.find((x) => x.period === today), report: u };
};
/** Rows of usage_daily for the account, read straight from the database file. */
const storedRollups = (id) => sqliteQuery(db, `SELECT coalesce(sum(count), 0) FROM usage_daily WHERE account_id = ${id}`);

let acct;
const batchA = [];
const batchB = [];
test('acknowledged events are in the report and the listing even before the writer flushes', async () => {
  await send('/v1/group', { messageId: msgId('g'), userId: 'f-1', groupId: 'fold-co', traits: { name: 'Fold Co' } });
  acct = await srv.accountByExternalId('fold-co');
  assert.ok(acct);
  for (let i = 0; i < 30; i++) batchA.push(track(i % 3 ? 'Fold A' : 'Fold B', `f-${i % 4}`, { context: { groupId: 'fold-co' } }));
  await send('/v1/batch', { batch: batchA });
  const rows = storedRollups(acct.id);
  if (rows) assert.equal(rows[0][0], '0', 'the rollups are not written yet (the fold is held back)');
  const { day, report } = await usageToday(acct.id);
  assert.equal(day.events, 30);
  assert.deepEqual(day.events_by_name, { 'Fold A': 20, 'Fold B': 10 });
  assert.equal(day.active_users, 4);
  assert.equal(report.users.length, 4);
  const evs = await srv.accountEvents(acct.id, 'type=track');
  assert.equal(evs.length, 30);
});

test('kill -9 with a fold not yet written: folded again at start-up, counted once', async () => {
  // no groupId: attributed through the users' accounts, which batch A's context set (in the fold)
  for (let i = 0; i < 25; i++) batchB.push(track('Fold A', `f-${i % 4}`));
  await send('/v1/batch', { batch: batchB });
  const rows = storedRollups(acct.id);
  if (rows) assert.equal(rows[0][0], '30', 'batch B is acknowledged but not in the rollups yet');
  await srv.kill9();
  srv = await startServer({ db, dir, env });
  servers.push(srv);
  const again = storedRollups(acct.id);
  if (again) assert.equal(again[0][0], '55', 'the restart folded batch B from the stored events');
  const { day } = await usageToday(acct.id);
  assert.equal(day.events, 55);
  assert.deepEqual(day.events_by_name, { 'Fold A': 45, 'Fold B': 10 });
  assert.equal(day.active_users, 4);
  assert.equal((await srv.accountEvents(acct.id, 'type=track')).length, 55);
});

test('retries after the restart are recognised: nothing stored or counted twice', async () => {
  await send('/v1/batch', { batch: batchA });
  await send('/v1/batch', { batch: batchB });
  await send('/v1/batch', { batch: [...batchB.slice(0, 5), ...batchA.slice(0, 5)] });
  const { day } = await usageToday(acct.id);
  assert.equal(day.events, 55);
  assert.equal((await srv.accountEvents(acct.id, 'type=track')).length, 55);
  await srv.kill9();
  srv = await startServer({ db, dir, env });
  servers.push(srv);
  await send('/v1/batch', { batch: batchA });
  assert.equal((await usageToday(acct.id)).day.events, 55);
});

test('last seen never runs ahead of the time received', async () => {
  const before = Date.now();
  await send('/v1/batch', { batch: [track('Fold A', 'f-future', { context: { groupId: 'fold-co' }, timestamp: '2099-01-01T00:00:00Z' })] });
  const { report } = await srv.usage(acct.id, `from=${today}&to=${today}`).then((r) => ({ report: r }));
  const seen = Date.parse(report.last_seen_at);
  assert.ok(seen <= Date.now() + 1000 && seen >= before - 2000, `account last_seen_at ${report.last_seen_at}`);
  const u = report.users.find((x) => x.user_id === 'f-future');
  assert.ok(u, 'the user is listed');
  assert.ok(Date.parse(u.last_seen) <= Date.now() + 1000, `user last_seen ${u.last_seen}`);
});

test('an alias after the group call attributes the visitor\'s earlier anonymous events', async () => {
  await send('/v1/group', { messageId: msgId('g'), userId: 'alias-user', groupId: 'fold-co' });
  const anon = Array.from({ length: 3 }, () => ({ type: 'page', messageId: msgId('anon'), anonymousId: 'visitor-9', name: 'Pricing' }));
  await send('/v1/batch', { batch: anon });
  const before = (await usageToday(acct.id)).day;
  await send('/v1/alias', { messageId: msgId('alias'), previousId: 'visitor-9', userId: 'alias-user' });
  const { day } = await usageToday(acct.id);
  assert.equal(day.events_by_name.$page ?? 0, (before.events_by_name.$page ?? 0) + 3, 'the anonymous pages count for the account');
  assert.equal(day.active_users, before.active_users + 1, 'as activity of the aliased user');
  const evs = await srv.accountEvents(acct.id, 'type=page');
  assert.deepEqual(evs.map((e) => [e.user_id, e.anonymous_id]), anon.map(() => ['alias-user', 'visitor-9']));
  // and again: an alias repeated (a retry) changes nothing
  await send('/v1/alias', { messageId: msgId('alias'), previousId: 'visitor-9', userId: 'alias-user' });
  assert.deepEqual((await usageToday(acct.id)).day, day);
});

test('an account deleted while its events are in the fold: its events go with it, ingestion goes on', async () => {
  await send('/v1/group', { messageId: msgId('g'), userId: 'del-1', groupId: 'doomed-co' });
  const doomed = await srv.accountByExternalId('doomed-co');
  assert.ok(doomed);
  await send('/v1/batch', { batch: Array.from({ length: 10 }, () => track('Doomed', 'del-1', { context: { groupId: 'doomed-co' } })) });
  const del = await srv.as(srv.admin).del(`/api/v1/accounts/${doomed.id}`);
  assert.ok(del.status === 204 || del.status === 200, `DELETE account: ${del.status} ${del.text}`);
  // the writer's caches named the account: the next events must neither fail nor land on it
  await send('/v1/batch', { batch: Array.from({ length: 5 }, () => track('Doomed', 'del-1', { context: { groupId: 'doomed-co' } })) });
  await send('/v1/group', { messageId: msgId('g'), userId: 'del-1', groupId: 'doomed-co' });
  const reborn = await srv.accountByExternalId('doomed-co');
  assert.ok(reborn, 'the group call made the account again (SQLite may give it the same id)');
  const { day } = await usageToday(reborn.id);
  assert.equal(day.events_by_name.Doomed ?? 0, 5, 'the 5 events sent after the deletion, attributed at the group call');
  await srv.kill9();
  srv = await startServer({ db, dir, env });
  servers.push(srv);
  assert.equal((await usageToday(reborn.id)).day.events_by_name.Doomed ?? 0, 5, 'after a restart too');
  // nothing of the 10 events sent before the deletion is left, whatever id the account has now
  const left = sqliteQuery(db, "SELECT (SELECT count(*) FROM events WHERE name = 'Doomed'), "
    + "(SELECT COALESCE(sum(count), 0) FROM usage_daily WHERE event = 'Doomed'), "
    + `(SELECT COALESCE(sum(json_array_length(entries)), 0) FROM event_runs WHERE account_id = ${reborn.id})`);
  if (left) assert.deepEqual(left, [['5', '5', '6']], 'events, rollup count, run entries (5 tracks and the group call)');
});

test('SIGTERM writes the fold out: the rollups are complete in the database', async () => {
  await send('/v1/batch', { batch: [track('Fold C', 'f-1', { context: { groupId: 'fold-co' } })] });
  await srv.stop();
  const rows = sqliteQuery(db, `SELECT count FROM usage_daily WHERE account_id = ${acct.id} AND event = 'Fold C'`);
  if (rows) assert.deepEqual(rows, [['1']]);
});
