// Tracking API time handling and batch-level fields: clock skew corrected from sentAt
// (timestamp = receivedAt - (sentAt - originalTimestamp)), the fallbacks (message timestamp,
// then receivedAt), offsets normalised to UTC, rollups on the UTC day of the corrected time;
// and a batch's context / integrations merged into each message (message keys win).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertStatus, msgId, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const wk = await srv.createWriteKey('time');
const GROUP = 'time-co';
assertStatus(await srv.ingest('/v1/group', { messageId: msgId('setup'), userId: 'u-time', groupId: GROUP }, { key: wk.key }), 200);
const acct = await srv.accountByExternalId(GROUP);
assert.ok(acct);

const iso = (ms) => new Date(ms).toISOString();
const H = 3600 * 1000;
const ctx = { groupId: GROUP };

/** The stored event for messageId (from the account's events). */
async function stored(messageId) {
  const e = (await srv.accountEvents(acct.id)).find((x) => x.message_id === messageId);
  assert.ok(e, `message ${messageId} not stored`);
  assert.match(e.timestamp, RFC3339);
  assert.match(e.received_at, RFC3339);
  return e;
}

/** Asserts |a - b| <= tol ms, with both shown. */
function near(a, b, tol, what) {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${iso(a)} vs ${iso(b)} (${a - b} ms apart, tolerance ${tol})`);
}

test('a client clock 1 h ahead: the stored time is receivedAt minus the delay it reported', async () => {
  const t0 = Date.now();
  const clock = t0 + H; // the client's clock
  const m = {
    messageId: msgId('skew'), userId: 'u-time', event: 'Skewed', context: ctx,
    originalTimestamp: iso(clock - 2000), sentAt: iso(clock),
  };
  const r = await srv.ingest('/v1/track', m, { key: wk.key });
  assertStatus(r, 200);
  const t1 = Date.now();
  const e = await stored(m.messageId);
  near(Date.parse(e.received_at), (t0 + t1) / 2, 2000 + (t1 - t0), 'received_at is the server time');
  near(Date.parse(e.timestamp), Date.parse(e.received_at) - 2000, 1000, 'timestamp = receivedAt - 2 s');
  near(Date.parse(e.original_timestamp), clock - 2000, 1000, 'original_timestamp kept as sent');
  near(Date.parse(e.sent_at), clock, 1000, 'sent_at kept as sent');
});

test('the event happened 1 h before it was sent (offline client): the stored time is 1 h ago', async () => {
  const now = Date.now();
  const m = {
    messageId: msgId('offline'), userId: 'u-time', event: 'Offline', context: ctx,
    timestamp: iso(now - H), sentAt: iso(now),
  };
  assertStatus(await srv.ingest('/v1/track', m, { key: wk.key }), 200);
  const e = await stored(m.messageId);
  near(Date.parse(e.timestamp), Date.parse(e.received_at) - H, 1000, 'timestamp = receivedAt - 1 h');
});

test('batch-level sentAt (Segment SDK style: message timestamp, batch sentAt) and originalTimestamp over timestamp', async () => {
  const clock = Date.now() + H;
  const a = { type: 'track', messageId: msgId('bsent'), userId: 'u-time', event: 'BatchSent', context: ctx, timestamp: iso(clock - 5000) };
  // originalTimestamp wins over timestamp when both are given.
  const b = {
    type: 'track', messageId: msgId('bsent'), userId: 'u-time', event: 'BatchSent', context: ctx,
    timestamp: '2020-01-01T00:00:00Z', originalTimestamp: iso(clock - 3000),
  };
  const r = await srv.ingest('/v1/batch', { batch: [a, b], sentAt: iso(clock) }, { key: wk.key });
  assertStatus(r, 200);
  assert.deepEqual(r.json, { success: true });
  const ea = await stored(a.messageId);
  near(Date.parse(ea.timestamp), Date.parse(ea.received_at) - 5000, 1000, 'batch sentAt: receivedAt - 5 s');
  const eb = await stored(b.messageId);
  near(Date.parse(eb.timestamp), Date.parse(eb.received_at) - 3000, 1000, 'originalTimestamp over timestamp');
});

test('without sentAt the message timestamp is kept (normalised to UTC); without any, receivedAt', async () => {
  const ms = [
    { messageId: msgId('abs'), userId: 'u-time', event: 'Historic', context: ctx, timestamp: '2024-03-01T10:00:00Z' },
    { messageId: msgId('abs'), userId: 'u-time', event: 'Historic', context: ctx, timestamp: '2024-03-02T08:30:00+09:00' },
    { messageId: msgId('abs'), userId: 'u-time', event: 'Historic', context: ctx, timestamp: '2024-03-01T12:00:00.789Z' },
    { messageId: msgId('abs'), userId: 'u-time', event: 'Historic', context: ctx, originalTimestamp: '2024-03-02T00:00:01Z' },
  ];
  for (const m of ms) assertStatus(await srv.ingest('/v1/track', m, { key: wk.key }), 200);
  assert.equal((await stored(ms[0].messageId)).timestamp, '2024-03-01T10:00:00Z');
  assert.equal((await stored(ms[1].messageId)).timestamp, '2024-03-01T23:30:00Z');
  assert.match((await stored(ms[2].messageId)).timestamp, /^2024-03-01T12:00:0[01]Z$/);
  assert.equal((await stored(ms[3].messageId)).timestamp, '2024-03-02T00:00:01Z');
  // Rollups: day = the UTC date of the corrected timestamp.
  const u = await srv.usage(acct.id, 'from=2024-02-29&to=2024-03-02&granularity=day');
  const day = (d) => u.data.find((x) => x.period === d) ?? { events: 0, events_by_name: {} };
  assert.equal(day('2024-03-01').events_by_name.Historic, 3, JSON.stringify(u.data));
  assert.equal(day('2024-03-01').events, 3);
  assert.equal(day('2024-03-01').active_users, 1);
  assert.equal(day('2024-03-02').events_by_name.Historic, 1);
  assert.equal(day('2024-02-29').events, 0);
  // Weeks are labelled by their Monday (2024-03-01 is a Friday), months by YYYY-MM.
  const w = await srv.usage(acct.id, 'from=2024-02-20&to=2024-03-10&granularity=week');
  assert.deepEqual(w.data.map((x) => [x.period, x.events_by_name.Historic ?? 0]),
    [['2024-02-19', 0], ['2024-02-26', 4], ['2024-03-04', 0]]);
  const mo = await srv.usage(acct.id, 'from=2024-02-01&to=2024-03-31&granularity=month');
  assert.deepEqual(mo.data.map((x) => [x.period, x.events_by_name.Historic ?? 0, x.active_users]),
    [['2024-02', 0, 0], ['2024-03', 4, 1]]);

  // Neither timestamp nor originalTimestamp (a sentAt alone says nothing): receivedAt.
  const none = [
    { messageId: msgId('none'), userId: 'u-time', event: 'NoTime', context: ctx },
    { messageId: msgId('none'), userId: 'u-time', event: 'NoTime', context: ctx, sentAt: iso(Date.now() + 5 * H) },
  ];
  for (const m of none) assertStatus(await srv.ingest('/v1/track', m, { key: wk.key }), 200);
  for (const m of none) {
    const e = await stored(m.messageId);
    assert.equal(e.timestamp, e.received_at, `${m.messageId}: timestamp should be receivedAt`);
  }
});

test('a client a whole day ahead: the rollup goes to the corrected day, not the client\'s', async () => {
  const clock = Date.now() + 24 * H;
  const m = { messageId: msgId('day'), userId: 'u-time', event: 'DayAhead', context: ctx, originalTimestamp: iso(clock - 1000), sentAt: iso(clock) };
  assertStatus(await srv.ingest('/v1/track', m, { key: wk.key }), 200);
  const e = await stored(m.messageId);
  const day = e.timestamp.slice(0, 10);
  const clientDay = iso(clock - 1000).slice(0, 10);
  assert.notEqual(day, clientDay);
  const u = await srv.usage(acct.id, `from=${day}&to=${clientDay}&granularity=day`);
  const get = (d) => u.data.find((x) => x.period === d)?.events_by_name?.DayAhead ?? 0;
  assert.equal(get(day), 1, JSON.stringify(u.data));
  assert.equal(get(clientDay), 0);
});

test('extreme times never store a malformed timestamp nor break paging; valid old times are kept', async () => {
  // A client clock set to 1970 or to 9999 (they exist: dead RTC batteries, bad emulators).
  // The correction would land outside 0000..9999; whatever the server does (clamp, fall back
  // to the message time or receivedAt, or reject the message), what it stores is RFC 3339
  // and the events still page.
  const batch = [
    { type: 'track', messageId: msgId('x'), userId: 'u-time', event: 'Extreme', context: ctx, originalTimestamp: '9999-12-31T23:59:59Z', sentAt: '1970-01-01T00:00:01Z' },
    { type: 'track', messageId: msgId('x'), userId: 'u-time', event: 'Extreme', context: ctx, originalTimestamp: '1970-01-01T00:00:01Z', sentAt: '9999-12-31T23:59:59Z' },
    { type: 'track', messageId: msgId('x'), userId: 'u-time', event: 'Extreme', context: ctx, timestamp: '1969-07-20T20:17:40Z' },
  ];
  const r = await srv.ingest('/v1/batch', { batch }, { key: wk.key });
  assertStatus(r, 200);
  const rejected = new Set((r.json.rejected ?? []).map((x) => x.index));
  const all = await srv.accountEvents(acct.id);
  const problems = [];
  batch.forEach((m, i) => {
    const e = all.find((x) => x.message_id === m.messageId);
    if (!e && !rejected.has(i)) problems.push(`message ${i}: neither stored nor rejected`);
    if (e && !RFC3339.test(e.timestamp)) problems.push(`message ${i}: stored timestamp ${JSON.stringify(e.timestamp)}`);
    if (e && i === 2 && e.timestamp !== '1969-07-20T20:17:40Z') problems.push(`message 2: timestamp ${e.timestamp}, not the one sent (1969-07-20T20:17:40Z)`);
  });
  // Page through everything one event at a time: every cursor must be accepted.
  let cursor = null;
  let seen = 0;
  for (let i = 0; i <= all.length; i++) {
    const q = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const p = await srv.as(srv.admin).get(`/api/v1/accounts/${acct.id}/events?limit=1${q}`);
    if (p.status !== 200) { problems.push(`paging at event ${seen}: ${p.status} ${p.text.slice(0, 200)}`); break; }
    seen += p.json.data.length;
    cursor = p.json.next_cursor;
    if (cursor === null) break;
  }
  if (seen !== all.length) problems.push(`paging one by one saw ${seen} of ${all.length} events`);
  assert.deepEqual(problems, []);
});

test('a batch\'s context and integrations merge into each message; message keys win', async () => {
  const bctx = { app: { name: 'KizunaTest', version: '1.2.0' }, locale: 'ja-JP', groupId: GROUP };
  const m1 = { type: 'track', messageId: msgId('merge'), userId: 'u-time', event: 'Merged' };
  const m2 = { type: 'track', messageId: msgId('merge'), userId: 'u-time', event: 'Merged', context: { locale: 'en-US', page: { path: '/x' } } };
  const m3 = { type: 'page', messageId: msgId('merge'), userId: 'u-time', name: 'Docs', context: { app: { name: 'Other' } }, integrations: { Slack: true } };
  const r = await srv.ingest('/v1/batch', { batch: [m1, m2, m3], context: bctx, integrations: { All: false } }, { key: wk.key });
  assertStatus(r, 200);
  assert.deepEqual(r.json, { success: true });
  // All three are in the account: the batch context's groupId attributed them.
  const e1 = await stored(m1.messageId);
  const e2 = await stored(m2.messageId);
  const e3 = await stored(m3.messageId);
  assert.deepEqual(e1.context, bctx);
  assert.deepEqual(e2.context, { ...bctx, locale: 'en-US', page: { path: '/x' } });
  assert.deepEqual(e3.context, { ...bctx, app: { name: 'Other' } });
});

test('server stops cleanly', () => srv.stop());
