// The demo's product usage through the API: `kizuna demo` (today = the clock's) gives its
// accounts tracked users and daily rollups that the usage report shows (active users, DAU/WAU/
// MAU, seat utilisation, key-feature breadth against the key events setting it saves, users
// linked to contacts), raw events for a few accounts under the "Demo product" write key, and
// after a health recompute an Adoption component with data; churned accounts are silent.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fs from 'node:fs';
import { assertNoSanitizerReport, assertStatus, runCli, startServer, tmpDb } from './lib.mjs';

const { dir, db } = tmpDb('demo-usage');
const gen = runCli(['demo', '--db', db], { timeout: 180000 });
assert.equal(gen.code, 0, gen.stderr);
assertNoSanitizerReport(gen.stderr, 'demo');
assert.match(gen.stdout + gen.stderr, /\d+ product users active on \d+ user-days/);
const srv = await startServer({ db, dir });
after(async () => {
  await srv.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});
const admin = () => srv.as(srv.admin);

const accounts = [];
for (let cursor = null; ;) {
  const r = await admin().get(`/api/v1/accounts?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
  assertStatus(r, 200);
  accounts.push(...r.json.data);
  if (!(cursor = r.json.next_cursor)) break;
}
accounts.sort((a, b) => a.id - b.id);
const live = accounts.filter((a) => a.phase === 'expansion' && a.last_seen_at);

test('the key events setting names five features in Japanese and English', async () => {
  const r = await admin().get('/api/v1/settings/key-events');
  assertStatus(r, 200);
  assert.equal(r.json.events.length, 5);
  const report = r.json.events.find((e) => e.name === 'Report Created');
  assert.deepEqual(report, { name: 'Report Created', label_ja: 'レポート作成', label_en: 'Report created' });
  for (const e of r.json.events) assert.ok(e.label_ja && e.label_en, JSON.stringify(e));
});

test('most live demo accounts were seen recently; usage shows active users and feature breadth', async () => {
  assert.ok(live.length > 100, `${live.length} expansion accounts with usage`);
  let linked = 0;
  for (const a of live.slice(0, 10)) {
    const seen = Date.parse(a.last_seen_at);
    assert.ok(seen < Date.now() && Date.now() - seen < 8 * 86400e3, `account ${a.id} last seen ${a.last_seen_at}`);
    const r = await admin().get(`/api/v1/accounts/${a.id}/usage`);
    assertStatus(r, 200);
    const u = r.json;
    assert.equal(u.data.length, 30);
    assert.ok(u.data.some((d) => d.active_users > 0), `account ${a.id}: nobody active in 30 days`);
    assert.ok(u.mau > 0 && u.wau <= u.mau && u.dau <= u.wau, JSON.stringify([u.dau, u.wau, u.mau]));
    assert.ok(u.seats > 0 && u.seat_utilisation > 0 && u.seat_utilisation <= 1, `${u.seat_utilisation}`);
    assert.equal(u.key_features.total, 5);
    assert.ok(u.key_features.used >= 1, `account ${a.id}: no key feature used`);
    assert.ok(u.data.some((d) => (d.events_by_name.$page || 0) > 0));
    assert.equal(u.last_seen_at, a.last_seen_at);
    assert.ok(u.users.length > 0);
    for (const x of u.users) assert.ok(x.name && /@/.test(x.email), JSON.stringify(x));
    linked += u.users.filter((x) => x.contact_id !== null).length;
    // A month view over the 120 days: the weeks and months add up to the same events.
    const m = await admin().get(`/api/v1/accounts/${a.id}/usage?granularity=month&from=${day(-120)}&to=${day(-1)}`);
    assertStatus(m, 200);
    const days = await admin().get(`/api/v1/accounts/${a.id}/usage?from=${day(-120)}&to=${day(-1)}`);
    const sum = (x) => x.json.data.reduce((s, d) => s + d.events, 0);
    assert.equal(sum(m), sum(days));
    assert.ok(sum(days) > 0);
  }
  assert.ok(linked > 0, 'some product users are the accounts\' contacts');
  // Key-feature breadth: mature accounts use most of the five.
  let broad = 0;
  for (const a of live.slice(0, 20)) {
    const u = (await admin().get(`/api/v1/accounts/${a.id}/usage`)).json;
    if (u.key_features.used >= 3) broad++;
  }
  assert.ok(broad >= 10, `${broad} of 20 expansion accounts use 3 or more key features`);
});

function day(offset) {
  return new Date(Date.now() + offset * 86400e3).toISOString().slice(0, 10);
}

test('churned accounts are silent since their churn', async () => {
  const churned = accounts.filter((a) => a.phase === 'churned');
  assert.ok(churned.length > 0);
  for (const a of churned.slice(0, 10)) {
    const r = await admin().get(`/api/v1/accounts/${a.id}/subscription`);
    const since = r.json.effective_date;
    const u = (await admin().get(`/api/v1/accounts/${a.id}/usage?from=${since > day(-120) ? since : day(-120)}&to=${day(0)}`)).json;
    assert.equal(u.data.reduce((s, d) => s + d.active_users, 0), 0, `churned account ${a.id} active after ${since}`);
  }
});

test('a few accounts have raw events under the "Demo product" write key', async () => {
  const keys = await admin().get('/api/v1/write-keys');
  assertStatus(keys, 200);
  assert.ok(keys.json.data.some((k) => k.name === 'Demo product'));
  let with_events = 0;
  for (const a of live.slice(0, 40)) {
    const r = await admin().get(`/api/v1/accounts/${a.id}/events?limit=20`);
    assertStatus(r, 200);
    if (!r.json.data.length) continue;
    with_events++;
    for (const e of r.json.data) {
      assert.ok(['track', 'page'].includes(e.type), e.type);
      assert.ok(e.name && e.user_id && e.message_id, JSON.stringify(e));
      assert.equal(e.context.groupId, a.external_id);
      assert.ok(e.timestamp.slice(0, 10) <= a.last_seen_at.slice(0, 10));
    }
  }
  assert.ok(with_events >= 1 && with_events <= 6, `${with_events} accounts with raw events`);
});

test('after a recompute, demo accounts have Adoption data', async () => {
  const r = await admin().post('/api/v1/health/recompute', {});
  assertStatus(r, 200);
  assert.equal(r.json.accounts, 300);
  for (const a of live.slice(0, 10)) {
    const h = await admin().get(`/api/v1/accounts/${a.id}/health`);
    assertStatus(h, 200);
    const adoption = h.json.components.find((c) => c.key === 'adoption');
    assert.equal(adoption.has_data, true, `account ${a.id}: ${JSON.stringify(adoption)}`);
    assert.ok(adoption.score > 0);
    const share = adoption.measures.find((m) => m.key === 'active_user_share');
    const breadth = adoption.measures.find((m) => m.key === 'feature_breadth');
    assert.equal(share.has_data, true);
    assert.equal(breadth.has_data, true);
    assert.ok(breadth.value > 0);
  }
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
