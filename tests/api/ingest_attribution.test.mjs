// Tracking API identity and attribution: events a user sends before its group call are
// attributed to the account once the group call arrives (events and rollups alike, on the
// days they happened); identify before group makes the contact then; context.groupId beats
// the user's account; group links to an existing account with that external_id.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertStatus, countBy, msgId, startServer, todayUTC } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const wk = await srv.createWriteKey('attribution');
const today = todayUTC();
const send = async (p, body) => {
  const r = await srv.ingest(p, body, { key: wk.key });
  assertStatus(r, 200, `${p} ${JSON.stringify(body).slice(0, 200)}`);
  assert.equal(r.json.success, true);
  assert.equal(r.json.rejected, undefined, r.text);
  return r;
};
const usageOn = async (id, day) => {
  const u = await srv.usage(id, `from=${day}&to=${day}&granularity=day`);
  return u.data.find((x) => x.period === day) ?? { events: 0, active_users: 0, events_by_name: {} };
};

const early = [];
test('events before the group call: stored but attributed to no account yet', async () => {
  const t = (event, extra = {}) => ({ type: 'track', messageId: msgId('early'), userId: 'late-1', event, ...extra });
  early.push(
    { type: 'identify', messageId: msgId('early'), userId: 'late-1', traits: { email: 'late1@late.test', name: 'Late One', title: 'Ops' } },
    t('Early Thing'), t('Early Thing'), t('Early Thing', { properties: { k: 1 } }),
    { type: 'page', messageId: msgId('early'), userId: 'late-1', name: 'Landing' },
    t('Historic Thing', { timestamp: '2024-05-10T10:00:00Z' }),
  );
  await send('/v1/batch', { batch: early });
  assert.equal(await srv.accountByExternalId('late-co'), null, 'no account before the group call');
  const all = (await srv.listAll(srv.admin, '/api/v1/accounts')).items;
  assert.equal(all.length, 0, 'no account at all yet');
});

let late;
test('the group call attributes the earlier events and fixes the rollups; identify\'s contact appears', async () => {
  const g = { messageId: msgId('grp'), userId: 'late-1', groupId: 'late-co', traits: { name: 'Late Co', employees: 8, region: 'APAC' } };
  await send('/v1/group', g);
  late = await srv.accountByExternalId('late-co');
  assert.ok(late, 'group created the account');
  assert.equal(late.name, 'Late Co');
  assert.equal(late.employees, 8);
  assert.equal(late.custom.region, 'APAC');

  const evs = await srv.accountEvents(late.id);
  assert.deepEqual(evs.map((e) => e.message_id).sort(), [...early.map((m) => m.messageId), g.messageId].sort());

  const d = await usageOn(late.id, today);
  assert.deepEqual(Object.fromEntries(Object.entries(d.events_by_name).filter(([, v]) => v)), { 'Early Thing': 3, $page: 1 });
  assert.equal(d.events, 4);
  assert.equal(d.active_users, 1);
  const hist = await usageOn(late.id, '2024-05-10');
  assert.equal(hist.events_by_name['Historic Thing'], 1, 'the historic event rolled up on its own day');
  assert.equal(hist.active_users, 1);

  const cs = (await srv.listAll(srv.admin, `/api/v1/accounts/${late.id}/contacts`)).items;
  assert.deepEqual(cs.map((c) => [c.external_user_id, c.email, c.name, c.title]), [['late-1', 'late1@late.test', 'Late One', 'Ops']]);
  const u = await srv.usage(late.id, `from=${today}&to=${today}`);
  assert.deepEqual(u.users.map((x) => [x.user_id, x.contact_id, x.email]), [['late-1', cs[0].id, 'late1@late.test']]);
});

test('later events of the user go to its account directly; identify updates the contact', async () => {
  await send('/v1/track', { messageId: msgId('after'), userId: 'late-1', event: 'Early Thing' });
  await send('/v1/track', { messageId: msgId('after'), userId: 'late-1', event: 'Late Thing' });
  await send('/v1/identify', { messageId: msgId('after'), userId: 'late-1', traits: { name: 'Late One-san', title: 'Head of Ops' } });
  const d = await usageOn(late.id, today);
  assert.equal(d.events_by_name['Early Thing'], 4);
  assert.equal(d.events_by_name['Late Thing'], 1);
  assert.equal(d.events, 6);
  const cs = (await srv.listAll(srv.admin, `/api/v1/accounts/${late.id}/contacts`)).items;
  assert.equal(cs.length, 1, 'identify again updates, does not duplicate');
  assert.equal(cs[0].name, 'Late One-san');
  assert.equal(cs[0].title, 'Head of Ops');
  assert.equal(cs[0].email, 'late1@late.test', 'a trait not sent is left as it was');
});

test('context.groupId attributes an event to that account rather than the user\'s', async () => {
  await send('/v1/group', { messageId: msgId('o'), userId: 'other-1', groupId: 'other-co', traits: { name: 'Other Co' } });
  const other = await srv.accountByExternalId('other-co');
  assert.ok(other);
  const m = { messageId: msgId('cross'), userId: 'late-1', event: 'Cross Thing', context: { groupId: 'other-co' } };
  await send('/v1/track', m);
  assert.equal((await usageOn(other.id, today)).events_by_name['Cross Thing'], 1);
  assert.ok((await srv.accountEvents(other.id)).some((e) => e.message_id === m.messageId));
  assert.equal((await usageOn(late.id, today)).events_by_name['Cross Thing'] ?? 0, 0);
  assert.ok(!(await srv.accountEvents(late.id)).some((e) => e.message_id === m.messageId));
});

test('group links to an account that already has the external_id (no duplicate) and updates it', async () => {
  const pre = await admin().post('/api/v1/accounts', { name: 'Pre-existing KK', external_id: 'crm-123', industry: 'Retail' });
  assertStatus(pre, 201);
  await send('/v1/group', { messageId: msgId('pre'), userId: 'pre-1', groupId: 'crm-123', traits: { name: 'Pre-existing Holdings', industry: 'Wholesale' } });
  await send('/v1/track', { messageId: msgId('pre'), userId: 'pre-1', event: 'Pre Thing' });
  const a = await srv.accountByExternalId('crm-123');
  assert.equal(a.id, pre.json.id);
  assert.equal(a.name, 'Pre-existing Holdings');
  assert.equal(a.industry, 'Wholesale');
  assert.equal((await usageOn(a.id, today)).events_by_name['Pre Thing'], 1);
  const all = (await srv.listAll(srv.admin, '/api/v1/accounts')).items;
  assert.deepEqual(all.map((x) => x.external_id).sort(), ['crm-123', 'late-co', 'other-co']);
});

test('a numeric userId is accepted, as the same user as its string form', async () => {
  await send('/v1/batch', {
    batch: [
      { type: 'track', messageId: msgId('num'), userId: 777, event: 'Numeric Early' },
      { type: 'group', messageId: msgId('num'), userId: 777, groupId: '9001' },
      { type: 'track', messageId: msgId('num'), userId: '777', event: 'Numeric Late' },
    ],
  });
  const a = await srv.accountByExternalId('9001');
  assert.ok(a, 'groupId 9001 made an account with external_id "9001"');
  const evs = await srv.accountEvents(a.id);
  assert.deepEqual(countBy(evs, (e) => `${e.type}:${e.user_id}`), { 'track:777': 2, 'group:777': 1 });
  const d = await usageOn(a.id, today);
  assert.equal(d.events, 2);
  assert.equal(d.active_users, 1, 'userId 777 and "777" are the same user');
});

test('what the tracking API wrote can still be edited through the API', async () => {
  // Traits are free-form: an "email" that is not an address, custom traits piling up over
  // many group calls. The contact and the account they made must stay editable: a PATCH of
  // some other field must not be refused because of them.
  await send('/v1/batch', {
    batch: [
      { type: 'identify', messageId: msgId('ed'), userId: 'edit-1', traits: { email: 'n/a', name: 'Edit One' } },
      ...[0, 1, 2].map((k) => ({
        type: 'group', messageId: msgId('ed'), userId: 'edit-1', groupId: 'edit-co',
        traits: { name: 'Edit Co', [`blob_${k}`]: 'b'.repeat(30000) },
      })),
    ],
  });
  const a = await srv.accountByExternalId('edit-co');
  assert.ok(a);
  assert.equal(a.custom.blob_1.length, 30000);
  assert.equal(a.custom.blob_2, undefined, 'custom fields stop at the 64 KiB the API allows');
  const c = (await srv.listAll(srv.admin, `/api/v1/accounts/${a.id}/contacts`)).items[0];
  assert.equal(c.external_user_id, 'edit-1');
  const pc = await admin().patch(`/api/v1/accounts/${a.id}/contacts/${c.id}`, { role: 'champion' });
  const pa = await admin().patch(`/api/v1/accounts/${a.id}`, { phase: 'adoption' });
  const refused = [];
  if (pc.status !== 200) refused.push(`PATCH role of the contact made by identify: ${pc.status} ${pc.text}`);
  if (pa.status !== 200) refused.push(`PATCH phase of the account made by group: ${pa.status} ${pa.text}`);
  assert.deepEqual(refused, []);
});

test('server stops cleanly', () => srv.stop());
