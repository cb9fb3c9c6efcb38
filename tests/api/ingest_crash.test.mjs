// Tracking API durability: a 200 means the events are committed. Several clients stream
// batches with unique messageIds; the server is killed with SIGKILL mid-stream and restarted on
// the same database: every acknowledged messageId is there exactly once, nothing unknown is,
// the rollups agree with the events; and clients retrying everything afterwards (as SDKs do)
// leave each message stored and counted exactly once. Then SIGTERM during such a stream (the
// tracking API suspends a request until its group commit): complete replies and exit 0.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import zlib from 'node:zlib';
import {
  assertStatus, basicAuth, countBy, runCli, startServer, tmpDb, waitFor,
} from './lib.mjs';

const CLIENTS = 6;
const BATCH = 20;
const EVENT = 'Crash Event';
const { dir, db } = tmpDb('ingest-crash');
let srv = await startServer({ db, dir });
const servers = [srv];
after(async () => {
  for (const s of servers) await s.kill9();
  await srv.cleanup();
});
const wk = await srv.createWriteKey('crash');
assertStatus(await srv.ingest('/v1/group', { messageId: 'crash-setup', userId: 'crash-owner', groupId: 'crash-co' }, { key: wk.key }), 200);
const acct = await srv.accountByExternalId('crash-co');
assert.ok(acct);

/** Every request a client made: { path, body (Buffer), gzip, ids, acked }. */
const requests = [];

let round = 0;
function request(c, n) {
  const ids = [];
  const msg = (i) => {
    const messageId = `crash-r${round}-c${c}-n${n}-i${i}`;
    ids.push(messageId);
    return { messageId, userId: `crash-user-${c}`, event: EVENT, properties: { c, n, i }, context: { groupId: 'crash-co' } };
  };
  // Mostly batches (plain and gzipped), every fifth request a single /v1/track.
  const single = n % 5 === 4;
  const json = single ? JSON.stringify(msg(0)) : JSON.stringify({ batch: Array.from({ length: BATCH }, (_, i) => ({ type: 'track', ...msg(i) })) });
  const gzip = n % 2 === 1;
  return { path: single ? '/v1/track' : '/v1/batch', body: gzip ? zlib.gzipSync(json) : Buffer.from(json), gzip, ids, acked: false };
}

async function post(s, req) {
  const headers = { authorization: basicAuth(wk.key), 'content-type': 'application/json' };
  if (req.gzip) headers['content-encoding'] = 'gzip';
  const res = await fetch(s.base + req.path, { method: 'POST', headers, body: req.body });
  let text;
  try {
    text = await res.text();
  } catch (e) {
    throw Object.assign(new Error(`reply cut off: ${e.message}`), { torn: true });
  }
  return { status: res.status, text };
}

/** clients concurrent loops posting until stop() or a connection-level failure. */
function stream(s, clients = CLIENTS) {
  round++;
  const statuses = [];
  const torn = [];
  let stopping = false;
  let ackedRequests = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; !stopping; n++) {
      const req = request(c, n);
      requests.push(req);
      let r;
      try {
        r = await post(s, req);
      } catch (e) {
        if (e.torn) torn.push(req.ids[0]);
        return; // the server is gone: this request is not acknowledged
      }
      statuses.push(r.status);
      if (r.status !== 200) return;
      assert.deepEqual(JSON.parse(r.text), { success: true });
      req.acked = true;
      ackedRequests++;
    }
  });
  return { statuses, torn, acked: () => ackedRequests, stop: () => { stopping = true; }, done: Promise.all(loops) };
}

/** messageId → how many times it is stored for the account; and the rollup total. */
async function storedCounts(s) {
  const evs = await s.accountEvents(acct.id, 'type=track');
  const u = await s.usage(acct.id, `from=${new Date(Date.now() - 86400000).toISOString().slice(0, 10)}&to=${new Date(Date.now() + 86400000).toISOString().slice(0, 10)}&granularity=day`);
  const rolled = u.data.reduce((sum, d) => sum + (d.events_by_name[EVENT] ?? 0), 0);
  return { counts: countBy(evs, (e) => e.message_id), rolled, n: evs.length };
}

test('kill -9 mid-stream: every acknowledged messageId survives exactly once; rollups agree', async () => {
  const st = stream(srv);
  await waitFor(() => st.acked() >= 60, 40000, '60 acknowledged requests');
  await srv.kill9(); // the clients are still sending
  await st.done;
  assert.ok(st.statuses.every((x) => x === 200), `non-200 replies: ${[...new Set(st.statuses)]}`);
  const check = runCli(['check', '--db', db]);
  assert.equal(check.stdout.trim(), 'ok', `check after kill -9: ${check.stdout} ${check.stderr}`);

  srv = await startServer({ db, dir });
  servers.push(srv);
  const { counts, rolled, n } = await storedCounts(srv);
  const attempted = new Set(requests.flatMap((r) => r.ids));
  const ackedIds = requests.filter((r) => r.acked).flatMap((r) => r.ids);
  assert.ok(ackedIds.length >= 60 * 4, `only ${ackedIds.length} acknowledged messages`);
  const lost = ackedIds.filter((id) => counts[id] !== 1);
  assert.deepEqual(lost.slice(0, 20), [], `${lost.length} of ${ackedIds.length} acknowledged messages not stored exactly once`);
  const dup = Object.entries(counts).filter(([, k]) => k !== 1);
  assert.deepEqual(dup, [], 'stored more than once');
  const phantom = Object.keys(counts).filter((id) => !attempted.has(id));
  assert.deepEqual(phantom, [], 'stored but never sent');
  // A request is all or nothing: a batch is either wholly stored or not at all.
  const partial = requests.filter((r) => { const k = r.ids.filter((id) => counts[id]).length; return k && k !== r.ids.length; });
  assert.deepEqual(partial.map((r) => r.ids[0]), [], 'requests stored in part');
  assert.equal(rolled, n, 'usage rollup total differs from the stored events');
});

test('after the restart, clients retry everything they sent: each message once, counted once', async () => {
  const all = new Set(requests.flatMap((r) => r.ids));
  // Retry every request, acknowledged or not, concurrently in CLIENTS lanes.
  const queue = [...requests];
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let req = queue.shift(); req; req = queue.shift()) {
      const r = await post(srv, req);
      assert.equal(r.status, 200, `retry of ${req.ids[0]}: ${r.status} ${r.text}`);
      assert.deepEqual(JSON.parse(r.text), { success: true });
    }
  }));
  const { counts, rolled, n } = await storedCounts(srv);
  assert.equal(n, all.size, 'stored track events');
  assert.deepEqual([...all].filter((id) => counts[id] !== 1).slice(0, 20), [], 'not stored exactly once');
  assert.equal(rolled, all.size, 'rollup total');
  srv.assertClean();
});

test('SIGTERM during a stream (keep-alive clients still sending): complete replies, exit 0, acknowledged messages kept', async () => {
  // A few rounds: the window in which a request arrives during the shutdown is short.
  for (let r = 1; r <= 4; r++) {
    const before = requests.length;
    const st = stream(srv, 16);
    await waitFor(() => st.acked() >= 10 * r, 30000, `${10 * r} acknowledged requests`);
    const s = srv;
    s.proc.kill('SIGTERM');
    await st.done;
    await s.exited;
    srv = await startServer({ db, dir });
    servers.push(srv);
    const tail = s.stderrText.split('\n').filter((l) => !/ info POST \/v1\/(batch|track) /.test(l)).slice(-15).join('\n');
    assert.deepEqual(s.exit, { code: 0, signal: null }, `round ${r}: exit after SIGTERM; stderr (requests left out):\n${tail}`);
    s.assertClean();
    assert.ok(st.statuses.every((x) => x === 200 || x === 503), `round ${r}: replies during shutdown: ${[...new Set(st.statuses)]}`);
    assert.deepEqual(st.torn, [], `round ${r}: replies cut off during shutdown`);
    assert.equal(runCli(['check', '--db', db]).stdout.trim(), 'ok');
    const { counts, rolled, n } = await storedCounts(srv);
    const ackedIds = requests.slice(before).filter((q) => q.acked).flatMap((q) => q.ids);
    assert.deepEqual(ackedIds.filter((id) => counts[id] !== 1).slice(0, 20), [], `round ${r}: acknowledged before SIGTERM, not stored once`);
    assert.equal(rolled, n, `round ${r}: rollup total`);
  }
});

test('the server stops cleanly and the database checks ok', async () => {
  await srv.stop();
  const c = runCli(['check', '--db', db]);
  assert.equal(c.code, 0);
  assert.equal(c.stdout.trim(), 'ok');
});
