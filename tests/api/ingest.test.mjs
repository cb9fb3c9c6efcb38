// The Segment-compatible tracking API driven by real SDKs: @segment/analytics-node (JSON,
// Basic auth and writeKey in the body) and @rudderstack/rudder-sdk-node (gzip JSON labelled
// application/x-www-form-urlencoded). Several users across three accounts identify, group and
// track; then the accounts, contacts, usage and events APIs must show exactly what was sent.
// Also: write keys, retried batches (same messageIds) not double-counted, key events.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import {
  RFC3339, assertProblem, assertStatus, countBy, msgId, startServer, todayUTC,
} from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const today = todayUTC();
const DAY = `from=${today}&to=${today}&granularity=day`;

/** The usage entry for period p (a YYYY-MM-DD day), failing with the whole reply if absent. */
function period(u, p) {
  const e = u.data.find((x) => x.period === p);
  assert.ok(e, `no period ${p} in ${JSON.stringify(u.data)}`);
  return e;
}

/** events_by_name without zero counts (a server may or may not list them). */
const nonZero = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0));

let segKey;
let rudderKey;

test('write keys: create (201, wk_ key), list, admin only', async () => {
  const r = await admin().post('/api/v1/write-keys', { name: 'Segment source' });
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ['created_at', 'id', 'key', 'name', 'revoked_at']);
  assert.equal(r.json.name, 'Segment source');
  assert.match(r.json.key, /^wk_[A-Za-z0-9_-]{16,}$/);
  assert.match(r.json.created_at, RFC3339);
  assert.equal(r.json.revoked_at, null);
  segKey = r.json;
  rudderKey = await srv.createWriteKey('RudderStack source');
  assert.notEqual(rudderKey.key, segKey.key);

  const l = await admin().get('/api/v1/write-keys');
  assertStatus(l, 200);
  assert.equal(l.json.next_cursor, null);
  const byId = Object.fromEntries(l.json.data.map((k) => [k.id, k]));
  assert.deepEqual(byId[segKey.id], segKey, 'listed as created (the key is shown again to admins)');
  assert.deepEqual(byId[rudderKey.id], rudderKey);

  const csm = await srv.createUser('csm');
  assertProblem(await srv.as(csm).get('/api/v1/write-keys'), 403);
  assertProblem(await srv.as(csm).post('/api/v1/write-keys', { name: 'x' }), 403);
  assertProblem(await srv.as(null).get('/api/v1/write-keys'), 401);
  assertProblem(await admin().post('/api/v1/write-keys', {}), 400, 'name');
  assert.equal((await admin().get('/api/v1/write-keys')).json.data.length, 2, 'refused creations created nothing');
});

// What each SDK sent, message by message (from the SDK's own request events / our messageIds).
const sent = []; // { sdk, msg }

test('@segment/analytics-node: identify, group, track, page, screen for three users', async () => {
  const a = new SegmentAnalytics({
    writeKey: segKey.key, host: srv.base, flushAt: 5, flushInterval: 100, maxRetries: 0,
  });
  const errors = [];
  const statuses = [];
  a.on('error', (e) => errors.push(e));
  a.on('http_request', (req) => {
    for (const m of JSON.parse(req.body).batch) sent.push({ sdk: 'segment', msg: m });
  });
  a.on('http_response', (res) => statuses.push(res.status));

  // Identify before group (as apps do): the contact must appear once the group call arrives.
  a.identify({ userId: 'seg-a1', traits: { email: 'a1@acme.test', name: 'Aiko Tanaka', title: 'PM', plan_role: 'owner' } });
  a.identify({ userId: 'seg-a2', traits: { email: 'a2@acme.test', name: 'Ben Ito', title: 'Engineer' } });
  a.identify({ userId: 'seg-g1', traits: { email: 'g1@globex.test', name: 'Chie Sato' } });
  a.group({ userId: 'seg-a1', groupId: 'acme-seg', traits: { name: 'Acme Corp', industry: 'Manufacturing', employees: 250, plan_tier: 'gold' } });
  a.group({ userId: 'seg-a2', groupId: 'acme-seg' });
  a.group({ userId: 'seg-g1', groupId: 'globex-co', traits: { name: 'Globex', industry: 'Finance', employees: 40 } });
  for (let i = 0; i < 3; i++) a.track({ userId: 'seg-a1', event: 'Report Created', properties: { n: i, format: 'pdf' } });
  a.track({ userId: 'seg-a1', event: 'Dashboard Viewed' });
  a.page({ userId: 'seg-a1', name: 'Home', properties: { path: '/' } });
  a.track({ userId: 'seg-a2', event: 'Report Created', properties: { n: 9 } });
  a.screen({ userId: 'seg-a2', name: 'Settings' });
  a.track({ userId: 'seg-g1', event: 'Invite Sent', properties: { invitee: 'x@globex.test' } });
  a.track({ userId: 'seg-g1', event: 'Invite Sent' });
  a.page({ userId: 'seg-g1', name: 'Pricing' });
  await a.closeAndFlush({ timeout: 20000 });

  assert.deepEqual(errors.map((e) => e.reason?.message || e.message || String(e)), [], 'SDK delivery errors');
  assert.ok(statuses.length >= 3, `expected several batches, got ${statuses.length}`);
  assert.ok(statuses.every((s) => s === 200), `statuses ${statuses}`);
  assert.equal(sent.filter((s) => s.sdk === 'segment').length, 16);
});

test('@rudderstack/rudder-sdk-node (gzip, form-urlencoded label): two more users and one joining globex', async () => {
  const c = new RudderAnalytics(rudderKey.key, {
    dataPlaneUrl: srv.base, flushAt: 4, flushInterval: 100000, retryCount: 0, logLevel: 'error', gzip: true,
  });
  const statuses = [];
  const reqHeaders = [];
  c.axiosInstance.interceptors.request.use((cfg) => { reqHeaders.push({ ...cfg.headers }); return cfg; });
  c.axiosInstance.interceptors.response.use((res) => { statuses.push(res.status); return res; });
  const cbErrors = [];
  const send = (type, msg) => {
    const m = { messageId: msgId(`rs-${type}`), ...msg };
    sent.push({ sdk: 'rudder', msg: { type, ...m } });
    c[type](m, (err) => { if (err) cbErrors.push(err.message); });
  };
  send('identify', { userId: 'rs-i1', traits: { email: 'i1@initech.test', name: 'Dai Mori', title: 'CTO' } });
  send('group', { userId: 'rs-i1', groupId: 'initech-rs', traits: { name: 'Initech', industry: 'Software', employees: 12 } });
  send('identify', { userId: 'rs-i2', traits: { email: 'i2@initech.test', name: 'Emi Kato' } });
  send('group', { userId: 'rs-i2', groupId: 'initech-rs' });
  send('identify', { userId: 'rs-g2', traits: { email: 'g2@globex.test', name: 'Fumi Abe' } });
  send('group', { userId: 'rs-g2', groupId: 'globex-co' });
  send('track', { userId: 'rs-i1', event: 'Report Created', properties: { n: 1 } });
  send('track', { userId: 'rs-i1', event: 'Report Created', properties: { n: 2 } });
  send('track', { userId: 'rs-i2', event: 'Export Done', properties: { rows: 120 } });
  send('screen', { userId: 'rs-i2', name: 'Main' });
  send('track', { userId: 'rs-g2', event: 'Invite Sent' });
  send('track', { userId: 'rs-g2', event: 'Report Created', properties: { n: 3 } });
  // flush() sends at most flushAt messages a call; it throws when the server refuses.
  for (let i = 0; c.queue.length && i < 20; i++) await c.flush();
  await c.pendingFlush;
  assert.equal(c.queue.length, 0);
  assert.deepEqual(cbErrors, []);
  assert.ok(statuses.length >= 3 && statuses.every((s) => s === 200), `statuses ${statuses}`);
  // It really did send gzip labelled as a form (the case the server must cope with).
  const h = reqHeaders.find((x) => x['Content-Encoding'] === 'gzip');
  assert.ok(h, `no gzip request seen: ${JSON.stringify(reqHeaders)}`);
});

// The three accounts group created, by external id.
const accts = {};

test('group created the accounts with name/industry/employees and custom traits', async () => {
  const acme = await srv.accountByExternalId('acme-seg');
  const globex = await srv.accountByExternalId('globex-co');
  const initech = await srv.accountByExternalId('initech-rs');
  assert.ok(acme && globex && initech, `accounts: ${JSON.stringify({ acme, globex, initech })}`);
  Object.assign(accts, { acme, globex, initech });
  assert.equal(acme.name, 'Acme Corp');
  assert.equal(acme.industry, 'Manufacturing');
  assert.equal(acme.employees, 250);
  assert.equal(acme.custom.plan_tier, 'gold');
  assert.equal(acme.custom.name, undefined, 'known traits are columns, not custom fields');
  assert.equal(globex.name, 'Globex');
  assert.equal(globex.industry, 'Finance');
  assert.equal(globex.employees, 40);
  assert.equal(initech.name, 'Initech');
  assert.equal(initech.employees, 12);
  // Exactly three accounts exist: a second group call for the same groupId made no duplicate.
  const all = (await srv.listAll(srv.admin, '/api/v1/accounts')).items;
  assert.deepEqual(all.map((x) => x.external_id).sort(), ['acme-seg', 'globex-co', 'initech-rs']);
});

test('identify created one contact per user, in the user\'s account, with email/name/title', async () => {
  const expect = {
    acme: [['seg-a1', 'a1@acme.test', 'Aiko Tanaka', 'PM'], ['seg-a2', 'a2@acme.test', 'Ben Ito', 'Engineer']],
    globex: [['rs-g2', 'g2@globex.test', 'Fumi Abe', null], ['seg-g1', 'g1@globex.test', 'Chie Sato', null]],
    initech: [['rs-i1', 'i1@initech.test', 'Dai Mori', 'CTO'], ['rs-i2', 'i2@initech.test', 'Emi Kato', null]],
  };
  for (const [k, want] of Object.entries(expect)) {
    const cs = (await srv.listAll(srv.admin, `/api/v1/accounts/${accts[k].id}/contacts`)).items;
    const got = cs.map((c) => [c.external_user_id, c.email, c.name, c.title])
      .sort((x, y) => x[0].localeCompare(y[0]));
    assert.deepEqual(got, want, `contacts of ${k}`);
  }
});

/** The messages an SDK sent for users of an account. */
const sentFor = (users) => sent.filter((s) => users.includes(s.msg.userId)).map((s) => s.msg);
const USERS = { acme: ['seg-a1', 'seg-a2'], globex: ['seg-g1', 'rs-g2'], initech: ['rs-i1', 'rs-i2'] };

test('events API: exactly the messages sent, attributed to the right account, newest first', async () => {
  for (const [k, users] of Object.entries(USERS)) {
    const want = sentFor(users);
    const got = await srv.accountEvents(accts[k].id);
    assert.deepEqual(got.map((e) => e.message_id).sort(), want.map((m) => m.messageId).sort(), `message ids of ${k}`);
    assert.deepEqual(countBy(got, (e) => e.type), countBy(want, (m) => m.type), `types of ${k}`);
    for (let i = 1; i < got.length; i++) {
      assert.ok(got[i - 1].timestamp >= got[i].timestamp, `${k}: not newest first at ${i}`);
    }
    for (const e of got) {
      assert.deepEqual(Object.keys(e).sort(), ['anonymous_id', 'context', 'id', 'message_id', 'name', 'original_timestamp',
        'properties', 'received_at', 'sent_at', 'timestamp', 'type', 'user_id']);
      assert.match(e.timestamp, RFC3339);
      assert.match(e.received_at, RFC3339);
      const m = want.find((x) => x.messageId === e.message_id);
      assert.equal(e.user_id, m.userId);
      assert.equal(e.anonymous_id, null);
      if (m.type === 'track') assert.equal(e.name, m.event);
      if (m.type === 'page' || m.type === 'screen') assert.equal(e.name, m.name);
      if (m.type === 'track' || m.type === 'page' || m.type === 'screen') {
        assert.deepEqual(e.properties, m.properties ?? {}, `properties of ${e.message_id}`);
      }
      if (m.type === 'identify' || m.type === 'group') {
        assert.deepEqual(e.properties, m.traits ?? {}, `traits of ${e.message_id}`);
      }
      assert.equal(typeof e.context, 'object');
      assert.equal(e.context.library?.name, m.context?.library?.name ?? (e.message_id.startsWith('rs-') ? 'analytics-node' : '@segment/analytics-node'));
      // Sent just now by a client with a correct clock: the corrected time is about now.
      assert.ok(Math.abs(Date.parse(e.timestamp) - Date.now()) < 120000, `timestamp ${e.timestamp}`);
    }
  }
  // ?type= filters.
  const tracks = await srv.accountEvents(accts.acme.id, 'type=track');
  assert.deepEqual(tracks.map((e) => e.name).sort(), ['Dashboard Viewed', 'Report Created', 'Report Created', 'Report Created', 'Report Created']);
  const pages = await srv.accountEvents(accts.acme.id, 'type=page');
  assert.deepEqual(pages.map((e) => [e.type, e.name]), [['page', 'Home']]);
  // Pagination keeps every event once.
  const paged = (await srv.listAll(srv.admin, `/api/v1/accounts/${accts.globex.id}/events?limit=3`));
  assert.ok(paged.pages.length >= 3, `pages ${paged.pages}`);
  assert.equal(new Set(paged.items.map((e) => e.id)).size, sentFor(USERS.globex).length);
  assertProblem(await admin().get(`/api/v1/accounts/${accts.globex.id}/events?type=click`), 400, 'type');
  assertProblem(await admin().get('/api/v1/accounts/999999/events'), 404);
});

const EXPECT_USAGE = {
  acme: { 'Report Created': 4, 'Dashboard Viewed': 1, $page: 1, $screen: 1 },
  globex: { 'Invite Sent': 3, 'Report Created': 1, $page: 1 },
  initech: { 'Report Created': 2, 'Export Done': 1, $screen: 1 },
};

test('usage API: rollups by name, active users, DAU/WAU/MAU, last seen, users with their contacts', async () => {
  for (const [k, byName] of Object.entries(EXPECT_USAGE)) {
    const u = await srv.usage(accts[k].id, DAY);
    assert.equal(u.account_id, accts[k].id);
    assert.equal(u.from, today);
    assert.equal(u.to, today);
    assert.equal(u.granularity, 'day');
    const d = period(u, today);
    const total = Object.values(byName).reduce((x, y) => x + y, 0);
    assert.deepEqual(nonZero(d.events_by_name), byName, `events_by_name of ${k}`);
    assert.equal(d.events, total, `events of ${k}`);
    assert.equal(d.active_users, 2, `active users of ${k}`);
    assert.equal(u.dau, 2, `dau of ${k}`);
    assert.equal(u.wau, 2, `wau of ${k}`);
    assert.equal(u.mau, 2, `mau of ${k}`);
    assert.match(u.last_seen_at, RFC3339);
    assert.ok(Math.abs(Date.parse(u.last_seen_at) - Date.now()) < 120000, `last_seen_at ${u.last_seen_at}`);
    const contacts = (await srv.listAll(srv.admin, `/api/v1/accounts/${accts[k].id}/contacts`)).items;
    const users = [...u.users].sort((x, y) => x.user_id.localeCompare(y.user_id));
    assert.deepEqual(users.map((x) => x.user_id), [...USERS[k]].sort());
    for (const x of users) {
      const c = contacts.find((cc) => cc.external_user_id === x.user_id);
      assert.equal(x.contact_id, c.id);
      assert.equal(x.name, c.name);
      assert.equal(x.email, c.email);
      assert.match(x.last_seen, RFC3339);
    }
  }
});

test('usage API: week and month granularity hold the same totals; bad parameters are 400', async () => {
  for (const g of ['week', 'month']) {
    const u = await srv.usage(accts.acme.id, `granularity=${g}&from=${today}&to=${today}`);
    assert.equal(u.granularity, g);
    const withEvents = u.data.filter((x) => x.events > 0);
    assert.equal(withEvents.length, 1, `${g}: ${JSON.stringify(u.data)}`);
    assert.deepEqual(nonZero(withEvents[0].events_by_name), EXPECT_USAGE.acme);
    assert.equal(withEvents[0].active_users, 2);
  }
  // A range with no events: zero everywhere.
  const old = await srv.usage(accts.acme.id, 'from=2020-01-01&to=2020-01-03&granularity=day');
  assert.equal(old.data.reduce((s, x) => s + x.events, 0), 0);
  assert.equal(old.data.reduce((s, x) => s + x.active_users, 0), 0);
  for (const [q, field] of [['granularity=hour', 'granularity'], ['from=yesterday', 'from'], ['to=2024-13-01', 'to'],
    ['from=2024-02-01&to=2024-01-31', 'from'], ['from=2021-12-31&to=2024-01-01', 'from']]) {
    assertProblem(await admin().get(`/api/v1/accounts/${accts.acme.id}/usage?${q}`), 400, field, q);
  }
  assertProblem(await admin().get('/api/v1/accounts/999999/usage'), 404);
  const viewer = await srv.createUser('viewer');
  assertStatus(await srv.as(viewer).get(`/api/v1/accounts/${accts.acme.id}/usage?${DAY}`), 200);
  assertStatus(await srv.as(viewer).get(`/api/v1/accounts/${accts.acme.id}/events`), 200);
});

test('seats and seat utilisation come from the subscription', async () => {
  let u = await srv.usage(accts.initech.id, DAY);
  assert.equal(u.seats, null, 'no subscription: no seats');
  assert.equal(u.seat_utilisation, null);
  const r = await admin().put(`/api/v1/accounts/${accts.initech.id}/subscription`, {
    plan: 'Pro', mrr: 50000, currency: 'USD', seats: 4, start_date: '2024-01-01', status: 'active',
  });
  assertStatus(r, 200);
  u = await srv.usage(accts.initech.id, DAY);
  assert.equal(u.seats, 4);
  assert.ok(Math.abs(u.seat_utilisation - u.mau / 4) < 1e-9, `seat_utilisation ${u.seat_utilisation} with mau ${u.mau}`);
});

test('key events: settings round-trip (admin only) and key feature adoption in usage', async () => {
  const get0 = await admin().get('/api/v1/settings/key-events');
  assertStatus(get0, 200);
  assert.ok(Array.isArray(get0.json.events));
  const body = {
    events: [
      { name: 'Report Created', label_ja: 'レポート作成', label_en: 'Report created' },
      { name: 'Invite Sent', label_ja: '招待送信', label_en: 'Invite sent' },
      { name: 'Never Used', label_ja: '未使用機能', label_en: 'Never used' },
    ],
  };
  const put = await admin().put('/api/v1/settings/key-events', body);
  assertStatus(put, 200);
  assert.deepEqual(put.json, body);
  assert.deepEqual((await admin().get('/api/v1/settings/key-events')).json, body);
  const csm = await srv.createUser('csm');
  assertProblem(await srv.as(csm).put('/api/v1/settings/key-events', { events: [] }), 403);
  assertProblem(await admin().put('/api/v1/settings/key-events', { events: 'Report Created' }), 400, 'events');
  assertProblem(await admin().put('/api/v1/settings/key-events', { events: [{ name: 42, label_ja: 'x', label_en: 'x' }] }), 400);
  assert.deepEqual((await admin().get('/api/v1/settings/key-events')).json, body, 'refused PUTs changed nothing');

  const counts = { acme: [4, 0, 0], globex: [1, 3, 0], initech: [2, 0, 0] };
  for (const [k, c] of Object.entries(counts)) {
    const u = await srv.usage(accts[k].id, DAY);
    assert.equal(u.key_features.total, 3);
    assert.equal(u.key_features.used, c.filter((n) => n > 0).length, `key features used by ${k}`);
    assert.deepEqual(u.key_features.events, body.events.map((e, i) => ({ ...e, count_30d: c[i] })), `key features of ${k}`);
  }
});

test('a retried batch (same messageIds) is accepted but neither stored nor counted twice', async () => {
  const before = await srv.usage(accts.acme.id, DAY);
  const eventsBefore = (await srv.accountEvents(accts.acme.id)).length;
  const batch = Array.from({ length: 3 }, (_, i) => ({
    type: 'track', messageId: msgId('retry'), userId: 'seg-a1', event: 'Retried Event', properties: { i },
  }));
  const first = await srv.ingest('/v1/batch', { batch }, { key: segKey.key });
  assertStatus(first, 200);
  assert.deepEqual(first.json, { success: true });
  // The same batch again (as an SDK retries after a timeout), once as is, once gzipped with the
  // key in the body, and once with one new message added.
  const again = await srv.ingest('/v1/batch', { batch }, { key: segKey.key });
  assertStatus(again, 200);
  assert.deepEqual(again.json, { success: true });
  const again2 = await srv.ingest('/v1/batch', { batch, writeKey: segKey.key }, { gzip: true });
  assertStatus(again2, 200);
  const extra = { type: 'track', messageId: msgId('retry'), userId: 'seg-a1', event: 'Retried Event', properties: { i: 3 } };
  assertStatus(await srv.ingest('/v1/batch', { batch: [...batch, extra] }, { key: segKey.key }), 200);
  // And a single-message retry.
  assertStatus(await srv.ingest('/v1/track', batch[0], { key: segKey.key }), 200);

  const after = await srv.usage(accts.acme.id, DAY);
  assert.equal(period(after, today).events_by_name['Retried Event'], 4);
  assert.equal(period(after, today).events, period(before, today).events + 4);
  const evs = await srv.accountEvents(accts.acme.id);
  assert.equal(evs.length, eventsBefore + 4);
  const ids = evs.filter((e) => e.name === 'Retried Event').map((e) => e.message_id).sort();
  assert.deepEqual(ids, [...batch.map((m) => m.messageId), extra.messageId].sort());

  // The dedup is per write key: another source may reuse a messageId.
  assertStatus(await srv.ingest('/v1/batch', { batch: [batch[0]] }, { key: rudderKey.key }), 200);
  const evs2 = await srv.accountEvents(accts.acme.id);
  assert.equal(evs2.filter((e) => e.message_id === batch[0].messageId).length, 2);
});

test('revoking a write key: 204, then its requests get 401 and store nothing', async () => {
  const k = await srv.createWriteKey('to revoke');
  const m = { messageId: msgId('rev'), userId: 'seg-a1', event: 'Before Revoke' };
  assertStatus(await srv.ingest('/v1/track', m, { key: k.key }), 200);
  const d = await admin().del(`/api/v1/write-keys/${k.id}`);
  assertStatus(d, 204);
  const listed = (await admin().get('/api/v1/write-keys')).json.data.find((x) => x.id === k.id);
  assert.ok(listed, 'a revoked key stays listed');
  assert.match(listed.revoked_at, RFC3339);
  const m2 = { messageId: msgId('rev'), userId: 'seg-a1', event: 'After Revoke' };
  assertProblem(await srv.ingest('/v1/track', m2, { key: k.key }), 401);
  assertProblem(await srv.ingest('/v1/batch', { batch: [{ type: 'track', ...m2 }], writeKey: k.key }), 401);
  const names = (await srv.accountEvents(accts.acme.id, 'type=track')).map((e) => e.name);
  assert.ok(names.includes('Before Revoke'));
  assert.ok(!names.includes('After Revoke'));
  assertProblem(await admin().del('/api/v1/write-keys/999999'), 404);
  const csm = await srv.createUser('csm');
  assertProblem(await srv.as(csm).del(`/api/v1/write-keys/${segKey.id}`), 403);
  assertStatus(await srv.ingest('/v1/track', { messageId: msgId('rev'), userId: 'seg-a1', event: 'Still Fine' }, { key: segKey.key }), 200);
});

test('settings/ingest: raw-event retention in days, 400 by default, validated, set by admins', async () => {
  const g = await admin().get('/api/v1/settings/ingest');
  assertStatus(g, 200);
  assert.deepEqual(g.json, { retention_days: 400 });
  const p = await admin().put('/api/v1/settings/ingest', { retention_days: 90 });
  assertStatus(p, 200);
  assert.deepEqual(p.json, { retention_days: 90 });
  assert.deepEqual((await admin().get('/api/v1/settings/ingest')).json, { retention_days: 90 });
  assertProblem(await admin().put('/api/v1/settings/ingest', { retention_days: -1 }), 400, 'retention_days');
  assertProblem(await admin().put('/api/v1/settings/ingest', { retention_days: 3651 }), 400, 'retention_days');
  assertProblem(await admin().put('/api/v1/settings/ingest', { retention_days: '90' }), 400, 'retention_days');
  assertProblem(await admin().put('/api/v1/settings/ingest', {}), 400, 'retention_days');
  assertProblem(await admin().put('/api/v1/settings/ingest', { retention_days: 9, keep: true }), 400, 'keep');
  const viewer = await srv.createUser('viewer');
  assertStatus(await srv.as(viewer).get('/api/v1/settings/ingest'), 200);
  assertProblem(await srv.as(viewer).put('/api/v1/settings/ingest', { retention_days: 1 }), 403);
  assert.deepEqual((await admin().get('/api/v1/settings/ingest')).json, { retention_days: 90 });
});

test('server stops cleanly', () => srv.stop());
