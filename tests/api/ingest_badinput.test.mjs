// The tracking API under bad input: bodies that are not JSON, oversized messages and requests,
// gzip bombs, wrong types, missing ids, over-long messageIds, bad credentials. Each case checks
// the exact status and that nothing of what was refused was stored: every message carries
// context.groupId of one account, so a stored one would show in that account's events (and,
// when the sqlite3 CLI is installed, the events table is checked directly as well).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { after, test } from 'node:test';
import {
  assertProblem, assertStatus, basicAuth, msgId, sqliteQuery, startServer,
} from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const KB = 1024;
const wk = await srv.createWriteKey('bad input');
const GROUP = 'bad-input-co';
const USER = 'u-bad';

// The account every test message is attributed to (context.groupId), made by a group call.
assertStatus(await srv.ingest('/v1/group', { messageId: msgId('setup'), userId: USER, groupId: GROUP, traits: { name: 'Bad Input Co' } }, { key: wk.key }), 200);
const acct = await srv.accountByExternalId(GROUP);
assert.ok(acct, 'group created the account');

/** A valid track message (messageId first, so a truncated copy still shows it). */
const track = (extra = {}) => ({
  messageId: msgId('bad'), type: 'track', userId: USER, event: 'Bad Input Probe', context: { groupId: GROUP }, ...extra,
});
/** The same without "type" (for the single-message endpoints). */
const single = (extra = {}) => { const { type, ...m } = track(extra); return m; };

/** Every messageId stored for the account, and (when possible) in the whole events table. */
async function storedIds() {
  const ids = new Set((await srv.accountEvents(acct.id)).map((e) => e.message_id));
  const rows = sqliteQuery(srv.db, 'SELECT message_id FROM events');
  if (rows) for (const [id] of rows) ids.add(id);
  return ids;
}

/** Asserts none of ids was stored, and that the account's track count did not move. */
async function assertNoneStored(ids, what) {
  const stored = await storedIds();
  const found = ids.filter((id) => stored.has(id));
  assert.deepEqual(found, [], `${what}: refused messages were stored`);
}

const idsOf = (msgs) => msgs.filter((m) => m && typeof m === 'object' && typeof m.messageId === 'string').map((m) => m.messageId);

test('a body that is not JSON, not an object, or whose batch is not an array: 400, nothing stored', async () => {
  const m = track();
  const cases = [
    ['/v1/batch', `{"batch":[${JSON.stringify(m)}`],
    ['/v1/batch', `{"batch":[${JSON.stringify(m)}]} trailing`],
    ['/v1/batch', 'hello'],
    ['/v1/batch', ''],
    ['/v1/batch', JSON.stringify([m])],
    ['/v1/batch', JSON.stringify({ batch: m })],
    ['/v1/batch', JSON.stringify({ batch: 'x' })],
    ['/v1/batch', JSON.stringify({ notbatch: [m] })],
    ['/v1/track', `${JSON.stringify(single({ messageId: m.messageId })).slice(0, -1)}`],
    ['/v1/track', JSON.stringify([single({ messageId: m.messageId })])],
    ['/v1/identify', 'null'],
    ['/v1/page', '"text"'],
  ];
  for (const [p, body] of cases) {
    assertProblem(await srv.ingest(p, body, { key: wk.key }), 400, undefined, `${p} ${body.slice(0, 60)}`);
  }
  // Not JSON after decompression, and a corrupt gzip stream.
  assertProblem(await srv.ingest('/v1/batch', 'not json at all', { key: wk.key, gzip: true }), 400, undefined, 'gzip of non-JSON');
  const corrupt = zlib.gzipSync(JSON.stringify({ batch: [m] }));
  corrupt.fill(0x55, 12, 40);
  assertProblem(await srv.ingest('/v1/batch', corrupt, { key: wk.key, headers: { 'content-encoding': 'gzip' } }), 400, undefined, 'corrupt gzip');
  await assertNoneStored([m.messageId], 'not JSON');
});

test('a 33 KB message inside a good batch: 200, only it rejected (with its index), logged for admins', async () => {
  const errorsBefore = await srv.ingestErrors();
  const big = track({ properties: { blob: 'x'.repeat(33 * KB) } });
  const ok30 = track({ properties: { blob: 'y'.repeat(30 * KB) } });
  const batch = [track(), big, track(), ok30];
  const t0 = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const r = await srv.ingest('/v1/batch', { batch }, { key: wk.key });
  assertStatus(r, 200);
  assert.equal(r.json.success, true);
  assert.equal(r.json.rejected?.length, 1, r.text);
  assert.equal(r.json.rejected[0].index, 1);
  assert.equal(typeof r.json.rejected[0].reason, 'string');
  assert.ok(r.json.rejected[0].reason.length > 0);
  const stored = await storedIds();
  assert.ok(!stored.has(big.messageId), 'the oversized message was stored');
  for (const i of [0, 2, 3]) assert.ok(stored.has(batch[i].messageId), `message ${i} not stored`);

  const errs = await srv.ingestErrors();
  assert.equal(errs.length, errorsBefore.length + 1);
  for (let i = 1; i < errs.length; i++) assert.ok(errs[i - 1].id > errs[i].id, 'ingest errors are newest first');
  const e = errs[0];
  assert.deepEqual(Object.keys(e).sort(), ['id', 'message', 'reason', 'received_at', 'write_key_id']);
  assert.equal(e.write_key_id, wk.id);
  assert.equal(e.reason, r.json.rejected[0].reason);
  assert.ok(e.received_at >= t0, `received_at ${e.received_at}`);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.includes(big.messageId), 'the copy shows the message');
  assert.ok(e.message.length < 8 * KB, `the copy is truncated (${e.message.length} chars)`);
  // Admin only.
  const csm = await srv.createUser('csm');
  assertProblem(await srv.as(csm).get('/api/v1/ingest/errors'), 403);
  assertProblem(await srv.as(null).get('/api/v1/ingest/errors'), 401);
});

test('a 600 KB batch is 413 (plain or gzipped), a 495 KB one is accepted', async () => {
  const mk = (n, size) => Array.from({ length: n }, () => track({ properties: { pad: 'p'.repeat(size) } }));
  const big = mk(600, 1000);
  const body = JSON.stringify({ batch: big });
  assert.ok(body.length > 600 * 1000 && body.length < 700 * 1000);
  assertProblem(await srv.ingest('/v1/batch', body, { key: wk.key }), 413, undefined, 'plain 600 KB');
  const big2 = mk(600, 1000);
  assertProblem(await srv.ingest('/v1/batch', { batch: big2 }, { key: wk.key, gzip: true }), 413, undefined, 'gzipped 600 KB');
  await assertNoneStored([...idsOf(big), ...idsOf(big2)], '600 KB batch');

  const ok = mk(100, 4800);
  const okBody = JSON.stringify({ batch: ok });
  assert.ok(okBody.length > 490 * 1000 && okBody.length < 500 * 1000, `${okBody.length}`);
  const r = await srv.ingest('/v1/batch', okBody, { key: wk.key, gzip: true });
  assertStatus(r, 200);
  assert.deepEqual(r.json, { success: true });
  const stored = await storedIds();
  assert.deepEqual(idsOf(ok).filter((id) => !stored.has(id)), [], 'every message of the 495 KB batch stored');
});

test('limits at the byte: a message of 32,768 bytes passes, 32,769 does not; a request of 512,000 bytes passes, 512,001 is 413', async () => {
  // A message serialized (compact JSON, as JSON.stringify writes it) to exactly n bytes.
  const sized = (n) => {
    const m = track({ properties: { pad: '' } });
    m.properties.pad = 'q'.repeat(n - JSON.stringify(m).length);
    assert.equal(JSON.stringify(m).length, n);
    return m;
  };
  const atLimit = sized(32768);
  const over = sized(32769);
  const r = await srv.ingest('/v1/batch', { batch: [atLimit, over] }, { key: wk.key });
  assertStatus(r, 200);
  assert.deepEqual(r.json.rejected?.map((x) => x.index), [1], r.text.slice(0, 500));
  const stored = await storedIds();
  assert.ok(stored.has(atLimit.messageId), 'a message of exactly 32,768 bytes was refused');
  assert.ok(!stored.has(over.messageId));

  // Whole requests, padded with JSON whitespace to an exact size (plain, then gzipped).
  for (const gzip of [false, true]) {
    const body = (n) => {
      const m = track();
      const j = JSON.stringify({ batch: [m] });
      return { m, text: j + ' '.repeat(n - j.length) };
    };
    const ok = body(512000);
    assertStatus(await srv.ingest('/v1/batch', ok.text, { key: wk.key, gzip }), 200, `512,000 bytes, gzip ${gzip}`);
    const big = body(512001);
    assertProblem(await srv.ingest('/v1/batch', big.text, { key: wk.key, gzip }), 413, undefined, `512,001 bytes, gzip ${gzip}`);
    const ids = await storedIds();
    assert.ok(ids.has(ok.m.messageId));
    assert.ok(!ids.has(big.m.messageId));
  }
});

test('a gzip bomb (50 MB of zeros) is refused with 413, quickly, with or without Content-Encoding', async () => {
  const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * KB), { level: 9 });
  assert.ok(bomb.length < 100 * KB, `bomb is ${bomb.length} bytes`);
  const jsonBomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"batch":['), Buffer.alloc(50 * 1024 * KB, 0x20), Buffer.from(']}')]), { level: 9 });
  // Peak memory of the server (Linux): inflating the bomb into memory would raise it by 50 MB.
  const peakKb = () => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8'))[1]);
    } catch { return null; }
  };
  const peak0 = peakKb();
  for (const [body, opts, what] of [
    [bomb, { headers: { 'content-encoding': 'gzip' } }, 'zeros, Content-Encoding: gzip'],
    [bomb, {}, 'zeros, magic bytes only'],
    [jsonBomb, { headers: { 'content-encoding': 'gzip' } }, 'JSON of 50 MB of spaces'],
  ]) {
    const t0 = Date.now();
    const r = await srv.ingest('/v1/batch', body, { key: wk.key, contentType: 'application/json', ...opts });
    const ms = Date.now() - t0;
    assertProblem(r, 413, undefined, what);
    assert.ok(ms < 2000, `${what}: took ${ms} ms (inflating past the limit?)`);
  }
  const peak1 = peakKb();
  if (peak0 !== null) assert.ok(peak1 - peak0 < 20 * 1024, `peak RSS grew by ${peak1 - peak0} kB: the bomb was inflated in memory`);
  assertStatus(await srv.fetchRaw('GET', '/healthz'), 200);
});

test('invalid messages in a batch are rejected one by one with their index; the valid ones are stored', async () => {
  const errorsBefore = (await srv.ingestErrors()).length;
  const good = [];
  const bad = [];
  const batch = [];
  const add = (m, ok) => { (ok ? good : bad).push(batch.length); batch.push(m); };
  add(track(), true);
  add(track({ type: 'click' }), false);                                 // unknown type
  add((({ type, ...m }) => m)(track()), false);                         // no type
  add((({ userId, ...m }) => m)(track()), false);                       // neither userId nor anonymousId
  add(track({ userId: null }), false);                                  // null is not an id
  add(track({ event: 42 }), false);                                     // event not a string
  add(track({ event: '' }), false);                                     // empty event
  add((({ event, ...m }) => m)(track()), false);                        // track without event
  add(track({ userId: { id: 7 } }), false);                             // userId an object
  add(track({ userId: true }), false);                                  // userId a boolean
  add(track({ properties: [1, 2] }), false);                            // properties not an object
  add(track({ properties: 'x' }), false);
  add(track({ context: 'ctx' }), false);                                // context not an object
  add(track({ type: 'identify', traits: 'vip' }), false);               // traits not an object
  add(track({ timestamp: 'yesterday' }), false);                        // not ISO 8601
  add(track({ originalTimestamp: 'Mon, 01 Jan 2024 10:00:00 GMT' }), false);
  add(track({ sentAt: 1704103200000 }), false);                         // a number, not ISO 8601
  add(track({ type: 'group' }), false);                                 // group without groupId
  add(track({ type: 'alias' }), false);                                 // alias without previousId
  add(track({ messageId: msgId('L101').padEnd(101, 'z') }), false);  // 101 chars
  add('just a string', false);                                          // not an object
  add(track({ userId: 4242 }), true);                                   // numbers are accepted as ids
  add(track({ messageId: msgId('M100').padEnd(100, 'k') }), true);   // exactly 100 chars
  add((({ userId, ...m }) => ({ ...m, anonymousId: 'anon-only-1' }))(track()), true);
  add(track({ type: 'page', name: 'Pricing', properties: { path: '/pricing' } }), true);
  add(track({ type: 'screen', name: 'Home' }), true);
  add(track({ type: 'alias', previousId: 'anon-other-9' }), true);
  assert.equal(batch[19].messageId.length, 101);
  assert.equal(batch[22].messageId.length, 100);

  const r = await srv.ingest('/v1/batch', { batch }, { key: wk.key });
  assertStatus(r, 200);
  assert.equal(r.json.success, true);
  assert.ok(Array.isArray(r.json.rejected), r.text);
  assert.deepEqual(r.json.rejected.map((x) => x.index), bad, `rejected indexes: ${r.text.slice(0, 2000)}`);
  for (const x of r.json.rejected) assert.ok(typeof x.reason === 'string' && x.reason.length > 0, JSON.stringify(x));

  const stored = await storedIds();
  const missing = good.filter((i) => !stored.has(batch[i].messageId));
  assert.deepEqual(missing, [], 'valid messages not stored (by index)');
  await assertNoneStored(idsOf(bad.map((i) => batch[i])), 'invalid batch messages');
  const evs = await srv.accountEvents(acct.id);
  const byId = Object.fromEntries(evs.map((e) => [e.message_id, e]));
  assert.equal(byId[batch[21].messageId].user_id, '4242');
  assert.equal(byId[batch[23].messageId].user_id, null);
  assert.equal(byId[batch[23].messageId].anonymous_id, 'anon-only-1');
  assert.equal(byId[batch[24].messageId].type, 'page');
  assert.equal(byId[batch[24].messageId].name, 'Pricing');

  const errs = await srv.ingestErrors();
  assert.equal(errs.length, errorsBefore + bad.length, 'one ingest error per rejected message');
  const fresh = errs.slice(0, bad.length);
  assert.ok(fresh.every((e) => e.write_key_id === wk.id));
  for (const i of bad) {
    const id = batch[i]?.messageId;
    if (typeof id === 'string') assert.ok(fresh.some((e) => e.message.includes(id)), `no ingest error shows message ${i}`);
  }
  // The error log pages like every list.
  const paged = await srv.listAll(srv.admin, '/api/v1/ingest/errors?limit=4');
  assert.ok(paged.pages.length > 3);
  assert.deepEqual(paged.items.map((e) => e.id), errs.map((e) => e.id));
});

test('properties, traits and context must be objects whatever the message type', async () => {
  // The contract: "properties/traits/context must be objects when present" (for every type).
  const batch = [
    track({ traits: 'not an object' }),
    track({ type: 'identify', properties: 5 }),
    track({ type: 'group', groupId: GROUP, properties: ['x'] }),
    track({ type: 'page', traits: true }),
  ];
  const r = await srv.ingest('/v1/batch', { batch }, { key: wk.key });
  assertStatus(r, 200);
  assert.deepEqual(r.json.rejected?.map((x) => x.index) ?? [], [0, 1, 2, 3], r.text.slice(0, 500));
  await assertNoneStored(idsOf(batch), 'non-object properties/traits');
});

test('valid JSON with unusual values in one message does not cost the batch its other messages', async () => {
  // RFC 8259 JSON that JSON.parse reads and real clients send: an integer past 64 bits (a
  // uint64 id), an escaped NUL (binary junk in a user agent), a lone surrogate (JS's
  // JSON.stringify writes "\ud83d" for an emoji cut in half by a UTF-16 slice). Whatever the
  // server makes of the odd message (stores it or rejects it alone), the batch is not a 400.
  const odd = {
    'uint64 property': '{"id":12345678901234567890}',
    'escaped NUL': '{"ua":"Mozilla\\u0000junk"}',
    'lone surrogate': JSON.stringify({ title: 'Launch 🚀'.slice(0, 8) }),
  };
  const failures = [];
  for (const [what, props] of Object.entries(odd)) {
    JSON.parse(props); // valid JSON indeed
    const good = track();
    const m = track();
    const text = `{"batch":[${JSON.stringify(good)},${JSON.stringify(m).replace(/}$/, `,"properties":${props}}`)}]}`;
    JSON.parse(text);
    const r = await srv.ingest('/v1/batch', text, { key: wk.key });
    const stored = await storedIds();
    const rejected = (r.json?.rejected ?? []).map((x) => x.index);
    if (r.status !== 200) failures.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
    else if (!stored.has(good.messageId)) failures.push(`${what}: the good message was not stored`);
    else if (stored.has(m.messageId) === rejected.includes(1)) failures.push(`${what}: the odd message is neither stored nor rejected (or both)`);
  }
  assert.deepEqual(failures, []);
});

test('single-message endpoints: an invalid message is 400 and stores nothing; valid ones are 200', async () => {
  const errorsBefore = (await srv.ingestErrors()).length;
  const cases = [
    ['/v1/track', single({ event: 42 })],
    ['/v1/track', (({ event, ...m }) => m)(single())],
    ['/v1/track', (({ userId, ...m }) => m)(single())],
    ['/v1/track', single({ properties: { blob: 'z'.repeat(33 * KB) } })],
    ['/v1/track', single({ timestamp: '12/01/2024' })],
    ['/v1/identify', single({ traits: 'x' })],
    ['/v1/group', single()],
    ['/v1/alias', single()],
    ['/v1/page', single({ properties: [] })],
    ['/v1/screen', single({ messageId: 'q'.repeat(101) })],
  ];
  for (const [p, m] of cases) {
    assertProblem(await srv.ingest(p, m, { key: wk.key }), 400, undefined, `${p} ${JSON.stringify(m).slice(0, 120)}`);
  }
  await assertNoneStored(idsOf(cases.map(([, m]) => m)), 'single invalid');
  assert.equal((await srv.ingestErrors()).length, errorsBefore + cases.length, 'each refused message is logged');

  const oks = [
    ['/v1/track', single(), 'track'],
    ['/v1/identify', single({ traits: { email: 'bad@x.test' } }), 'identify'],
    ['/v1/group', single({ groupId: GROUP }), 'group'],
    ['/v1/page', single({ name: 'Docs' }), 'page'],
    ['/v1/screen', single({ name: 'Main' }), 'screen'],
    ['/v1/alias', single({ previousId: 'anon-x' }), 'alias'],
  ];
  for (const [p, m] of oks) {
    const r = await srv.ingest(p, m, { key: wk.key });
    assertStatus(r, 200, p);
    assert.deepEqual(r.json, { success: true });
  }
  const evs = await srv.accountEvents(acct.id);
  for (const [p, m, type] of oks) {
    const e = evs.find((x) => x.message_id === m.messageId);
    assert.ok(e, `${p} not stored`);
    assert.equal(e.type, type, `${p}: the endpoint sets the type`);
  }
  assertProblem(await srv.fetchRaw('GET', '/v1/batch'), 405);
});

test('credentials: missing, unknown, revoked, malformed or a user token are 401 and store nothing', async () => {
  const revoked = await srv.createWriteKey('revoked');
  assertStatus(await admin().del(`/api/v1/write-keys/${revoked.id}`), 204);
  const all = [];
  const m = () => { const x = track(); all.push(x.messageId); return x; };
  const s = () => { const x = single(); all.push(x.messageId); return x; };
  const cases = [
    ['no auth at all', '/v1/batch', { batch: [m()] }, {}],
    ['no auth, single', '/v1/track', s(), {}],
    ['unknown key (Basic)', '/v1/batch', { batch: [m()] }, { key: 'wk_doesnotexist000000000000' }],
    ['unknown key (body)', '/v1/batch', { batch: [m()], writeKey: 'wk_doesnotexist000000000000' }, {}],
    ['unknown key, single', '/v1/identify', s(), { key: 'wk_nope' }],
    ['revoked key (Basic)', '/v1/batch', { batch: [m()] }, { key: revoked.key }],
    ['revoked key (body)', '/v1/batch', { batch: [m()], writeKey: revoked.key }, {}],
    ['revoked key, single', '/v1/track', s(), { key: revoked.key }],
    ['empty key', '/v1/batch', { batch: [m()] }, { key: '' }],
    ['a user token', '/v1/batch', { batch: [m()] }, { headers: { authorization: `Bearer ${srv.admin.token}` } }],
    ['malformed Basic', '/v1/batch', { batch: [m()] }, { headers: { authorization: 'Basic %%%not-base64' } }],
    ['key with a trailing space', '/v1/batch', { batch: [m()] }, { headers: { authorization: basicAuth(`${wk.key} `) } }],
  ];
  for (const [what, p, body, opts] of cases) {
    assertProblem(await srv.ingest(p, body, opts), 401, undefined, what);
  }
  await assertNoneStored(all, 'bad credentials');
  // The key in the body alone is enough (what Segment's SDK also sends).
  const ok = track();
  assertStatus(await srv.ingest('/v1/batch', { batch: [ok], writeKey: wk.key }), 200);
  assert.ok((await storedIds()).has(ok.messageId));
});

test('the body is JSON whatever the Content-Type says; gzip is recognised by header or magic bytes', async () => {
  const cases = [
    [{ contentType: 'application/x-www-form-urlencoded' }, 'form label'],
    [{ contentType: 'text/plain' }, 'text/plain'],
    [{ contentType: null }, 'no content type'],
    [{ contentType: 'application/x-www-form-urlencoded', gzip: true }, 'gzip, form label (RudderStack)'],
    [{ contentType: 'application/json', gzip: 'magic' }, 'gzip without Content-Encoding'],
  ];
  const ids = [];
  for (const [opts, what] of cases) {
    const m = track();
    ids.push(m.messageId);
    const r = await srv.ingest('/v1/batch', { batch: [m] }, { key: wk.key, ...opts });
    assertStatus(r, 200, what);
    assert.deepEqual(r.json, { success: true }, what);
  }
  const stored = await storedIds();
  assert.deepEqual(ids.filter((id) => !stored.has(id)), []);
});

test('server stops cleanly', () => srv.stop());
