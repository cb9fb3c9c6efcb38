// Accounts: create, read, partial update, delete with cascade, filters, CSV export.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, csvObjects, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const csm2 = await srv.createUser('csm');

export const ACCOUNT_KEYS = ['address', 'arr', 'band', 'challenges', 'created_at', 'currency', 'custom', 'domain',
  'employees', 'external_id', 'health', 'id', 'industry', 'last_seen_at', 'mrr', 'name', 'owner_id', 'phase', 'plan',
  'purpose', 'renewal_date', 'sentiment', 'subscription_status', 'tier', 'tier_override', 'updated_at'];

test('POST /api/v1/accounts with every field; GET returns the same', async () => {
  const body = {
    name: '株式会社 絆テック', domain: 'kizuna-tech.example', external_id: 'CRM-0001', industry: 'SaaS',
    employees: 250, address: '東京都千代田区1-1', purpose: '解約率の改善', challenges: 'Onboarding takes too long',
    owner_id: csm.id, tier_override: 'high', phase: 'adoption',
    custom: { region: 'APAC', score: 4.5, tags: ['a', 'b'], nested: { ok: true }, nothing: null },
  };
  const r = await admin().post('/api/v1/accounts', body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ACCOUNT_KEYS);
  for (const [k, v] of Object.entries(body)) assert.deepEqual(r.json[k], v, k);
  assert.equal(r.json.tier, 'high', 'the override is the effective tier');
  for (const k of ['plan', 'mrr', 'arr', 'currency', 'renewal_date', 'subscription_status']) assert.equal(r.json[k], null, k);
  assert.match(r.json.created_at, RFC3339);
  assert.match(r.json.updated_at, RFC3339);
  assert.ok(Number.isInteger(r.json.id) && r.json.id > 0);
  const g = await admin().get(`/api/v1/accounts/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);
  // Readable by every role.
  const v = await srv.createUser('viewer');
  assert.deepEqual((await srv.as(v).get(`/api/v1/accounts/${r.json.id}`)).json, r.json);
});

test('POST /api/v1/accounts with only a name: the defaults', async () => {
  const r = await admin().post('/api/v1/accounts', { name: 'Minimal' });
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ACCOUNT_KEYS);
  const expect = {
    name: 'Minimal', domain: null, external_id: null, industry: null, employees: null, address: null,
    purpose: null, challenges: null, owner_id: null, tier: 'tech', tier_override: null, phase: 'onboarding',
    custom: {}, plan: null, mrr: null, arr: null, currency: null, renewal_date: null, subscription_status: null,
  };
  for (const [k, v] of Object.entries(expect)) assert.deepEqual(r.json[k], v, k);
  // A csm that names no owner becomes the owner; an explicit null leaves it unassigned.
  const mine = await srv.as(csm).post('/api/v1/accounts', { name: 'Minimal by csm' });
  assertStatus(mine, 201);
  assert.equal(mine.json.owner_id, csm.id);
  const unassigned = await srv.as(csm).post('/api/v1/accounts', { name: 'Unassigned by csm', owner_id: null });
  assertStatus(unassigned, 201);
  assert.equal(unassigned.json.owner_id, null);
});

test('PATCH is partial: only the given fields change; null clears; custom is replaced', async () => {
  const a = (await admin().post('/api/v1/accounts', {
    name: 'Patchable', domain: 'patch.example', industry: 'Retail', employees: 10, custom: { a: 1, b: 2 },
  })).json;
  const r = await admin().patch(`/api/v1/accounts/${a.id}`, { industry: 'Finance' });
  assertStatus(r, 200);
  const { industry, updated_at: u1, ...rest } = r.json;
  const { industry: i0, updated_at: u0, ...rest0 } = a;
  void i0;
  assert.equal(industry, 'Finance');
  assert.deepEqual(rest, rest0, 'nothing else changed');
  assert.ok(u1 >= u0);
  const r2 = await admin().patch(`/api/v1/accounts/${a.id}`, { domain: null, employees: null, custom: { c: 3 }, phase: 'expansion' });
  assertStatus(r2, 200);
  assert.equal(r2.json.domain, null);
  assert.equal(r2.json.employees, null);
  assert.deepEqual(r2.json.custom, { c: 3 });
  assert.equal(r2.json.phase, 'expansion');
  assert.equal(r2.json.name, 'Patchable');
  assert.deepEqual((await admin().get(`/api/v1/accounts/${a.id}`)).json, r2.json);
  // name may not be cleared
  assertProblem(await admin().patch(`/api/v1/accounts/${a.id}`, { name: null }), 400, 'name');
  assertProblem(await admin().patch(`/api/v1/accounts/${a.id}`, { name: '' }), 400, 'name');
  // custom: null resets it to the empty object.
  assert.deepEqual((await admin().patch(`/api/v1/accounts/${a.id}`, { custom: null })).json.custom, {});
  assertStatus(await admin().patch(`/api/v1/accounts/${a.id}`, { custom: { c: 3 } }), 200);
  // An empty patch changes nothing.
  const r3 = await admin().patch(`/api/v1/accounts/${a.id}`, {});
  assertStatus(r3, 200);
  assert.equal(r3.json.name, 'Patchable');
  // Owner set and cleared.
  assert.equal((await admin().patch(`/api/v1/accounts/${a.id}`, { owner_id: csm2.id })).json.owner_id, csm2.id);
  assert.equal((await admin().patch(`/api/v1/accounts/${a.id}`, { owner_id: null })).json.owner_id, null);
  assertProblem(await admin().patch(`/api/v1/accounts/${a.id}`, { owner_id: 999999 }), 400, 'owner_id');
});

test('external_id is unique: 409 on create and on update', async () => {
  const a = await admin().post('/api/v1/accounts', { name: 'Ext A', external_id: 'EXT-UNIQ' });
  assertStatus(a, 201);
  assertProblem(await admin().post('/api/v1/accounts', { name: 'Ext B', external_id: 'EXT-UNIQ' }), 409);
  const b = (await admin().post('/api/v1/accounts', { name: 'Ext B', external_id: 'EXT-OTHER' })).json;
  assertProblem(await admin().patch(`/api/v1/accounts/${b.id}`, { external_id: 'EXT-UNIQ' }), 409);
  assert.equal((await admin().get(`/api/v1/accounts/${b.id}`)).json.external_id, 'EXT-OTHER');
  // Many accounts may have no external_id.
  assertStatus(await admin().post('/api/v1/accounts', { name: 'No ext 1' }), 201);
  assertStatus(await admin().post('/api/v1/accounts', { name: 'No ext 2', external_id: null }), 201);
});

test('tier_override and phase accept only their values', async () => {
  for (const t of ['high', 'low', 'tech']) {
    const r = await admin().post('/api/v1/accounts', { name: `tier ${t}`, tier_override: t });
    assertStatus(r, 201);
    assert.equal(r.json.tier, t);
    assert.equal(r.json.tier_override, t);
  }
  for (const p of ['onboarding', 'adoption', 'expansion', 'churned']) {
    assert.equal((await admin().post('/api/v1/accounts', { name: `phase ${p}`, phase: p })).json.phase, p);
  }
  assertProblem(await admin().post('/api/v1/accounts', { name: 'x', tier_override: 'medium' }), 400, 'tier_override');
  assertProblem(await admin().post('/api/v1/accounts', { name: 'x', phase: 'renewal' }), 400, 'phase');
  assertProblem(await admin().post('/api/v1/accounts', { name: 'x', tier: 'high' }), 400, 'tier');
});

test('DELETE removes the account with its contacts, subscription, timeline and tasks', async () => {
  const a = (await admin().post('/api/v1/accounts', { name: 'Doomed' })).json;
  const c = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'Person' })).json;
  assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, {
    plan: 'Pro', mrr: 1000, currency: 'USD', start_date: '2024-01-01', status: 'active',
  }), 200);
  const e = (await admin().post(`/api/v1/accounts/${a.id}/timeline`, { type: 'note', summary: 's', occurred_at: '2024-01-01T00:00:00Z' })).json;
  const t = (await admin().post('/api/v1/tasks', { account_id: a.id, title: 'follow up' })).json;
  assert.ok(c.id && e.id && t.id);
  const d = await admin().del(`/api/v1/accounts/${a.id}`);
  assertStatus(d, 204);
  assert.equal(d.text, '');
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}`), 404);
  assertProblem(await admin().del(`/api/v1/accounts/${a.id}`), 404);
  assertProblem(await admin().patch(`/api/v1/accounts/${a.id}`, { name: 'x' }), 404);
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/contacts/${c.id}`), 404);
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/subscription`), 404);
  assertProblem(await admin().get(`/api/v1/accounts/${a.id}/timeline/${e.id}`), 404);
  assertProblem(await admin().get(`/api/v1/tasks/${t.id}`), 404);
  const tasks = await admin().get(`/api/v1/tasks?account_id=${a.id}`);
  assertStatus(tasks, 200);
  assert.deepEqual(tasks.json.data, []);
});

test('list filters: owner, tier, phase, industry, external_id, q, renewal_before', async () => {
  const mk = async (body, sub) => {
    const r = await admin().post('/api/v1/accounts', body);
    assertStatus(r, 201);
    if (sub) assertStatus(await admin().put(`/api/v1/accounts/${r.json.id}/subscription`, sub), 200);
    return r.json.id;
  };
  const sub = (mrr, renewal) => ({ plan: 'P', mrr, currency: 'USD', start_date: '2024-01-01', renewal_date: renewal, status: 'active' });
  const f1 = await mk({ name: 'Filt Alpha', domain: 'alpha.flt', industry: 'FltRetail', owner_id: csm.id, phase: 'adoption', external_id: 'FLT-1' }, sub(1000000, '2025-03-01'));
  const f2 = await mk({ name: 'Filt Beta', domain: 'beta.flt', industry: 'FltRetail', owner_id: csm2.id, phase: 'onboarding' }, sub(100000, '2025-06-01'));
  const f3 = await mk({ name: 'Filt Gamma', domain: 'gamma-beta.flt', industry: 'FltBank', phase: 'adoption' }, sub(1000, '2025-01-15'));
  const f4 = await mk({ name: 'Filt Delta', domain: 'delta.flt', industry: 'FltBank' }, null);
  const ids = async (who, qs) => {
    const r = await srv.listAll(who, `/api/v1/accounts?${qs}`);
    return r.items.map((a) => a.id).filter((id) => [f1, f2, f3, f4].includes(id)).sort((a, b) => a - b);
  };
  const sorted = (...x) => x.sort((a, b) => a - b);
  assert.deepEqual(await ids(srv.admin, 'q=Filt'), sorted(f1, f2, f3, f4));
  assert.deepEqual(await ids(srv.admin, 'q=beta'), sorted(f2, f3), 'q matches the name or the domain');
  assert.deepEqual(await ids(srv.admin, 'q=Filt&industry=FltRetail'), sorted(f1, f2));
  assert.deepEqual(await ids(srv.admin, `q=Filt&owner=${csm.id}`), [f1]);
  assert.deepEqual(await ids(csm, 'q=Filt&owner=me'), [f1]);
  assert.deepEqual(await ids(csm2, 'q=Filt&owner=me'), [f2]);
  assert.deepEqual(await ids(srv.admin, 'q=Filt&owner=none'), sorted(f3, f4));
  assert.deepEqual(await ids(srv.admin, 'q=Filt&phase=adoption'), sorted(f1, f3));
  assert.deepEqual(await ids(srv.admin, 'q=Filt&tier=high'), [f1]);
  assert.deepEqual(await ids(srv.admin, 'q=Filt&tier=low'), [f2]);
  assert.deepEqual(await ids(srv.admin, 'q=Filt&tier=tech'), sorted(f3, f4));
  assert.deepEqual(await ids(srv.admin, 'external_id=FLT-1'), [f1]);
  assert.deepEqual(await ids(srv.admin, 'q=Filt&renewal_before=2025-03-01'), [f3], 'strictly before');
  assert.deepEqual(await ids(srv.admin, 'q=Filt&renewal_before=2025-03-02'), sorted(f1, f3));
  assert.deepEqual(await ids(srv.admin, 'q=Filt&industry=FltBank&owner=none&phase=adoption'), [f3]);
  assert.deepEqual(await ids(srv.admin, 'q=no-such-account-anywhere'), []);
  assert.deepEqual(await ids(srv.admin, 'domain=beta.flt'), [f2], 'domain is an exact match');
  // An unknown parameter is refused, not ignored (a typo must not list everything).
  assertProblem(await admin().get('/api/v1/accounts?ownr=me'), 400, 'ownr');
  // The account itself reflects its subscription.
  const a1 = (await admin().get(`/api/v1/accounts/${f1}`)).json;
  assert.deepEqual([a1.plan, a1.mrr, a1.arr, a1.currency, a1.renewal_date, a1.subscription_status],
    ['P', 1000000, 12000000, 'USD', '2025-03-01', 'active']);
});

test('q is a literal substring: % and _ are not wildcards', async () => {
  const pct = (await admin().post('/api/v1/accounts', { name: '100% Juice Ltd' })).json.id;
  const und = (await admin().post('/api/v1/accounts', { name: 'snake_case Inc' })).json.id;
  const all = (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items.length;
  const pr = (await srv.listAll(srv.admin, `/api/v1/accounts?q=${encodeURIComponent('%')}&limit=500`)).items;
  assert.deepEqual(pr.map((a) => a.id), [pct], `q=% matched ${pr.length} of ${all} accounts`);
  const ur = (await srv.listAll(srv.admin, `/api/v1/accounts?q=${encodeURIComponent('e_c')}&limit=500`)).items;
  assert.deepEqual(ur.map((a) => a.id), [und], `q=e_c matched ${ur.map((a) => a.name).join(', ')}`);
});

test('list filter values that are not valid are 400 naming the parameter', async () => {
  const bad = [
    ['owner=abc', 'owner'], ['owner=0', 'owner'], ['owner=-3', 'owner'], ['tier=medium', 'tier'],
    ['phase=renewal', 'phase'], ['renewal_before=2025-02-30', 'renewal_before'],
    ['renewal_before=tomorrow', 'renewal_before'], ['sort=size', 'sort'], ['sort=-', 'sort'],
    ['sort=name;DROP TABLE accounts', 'sort'], ['limit=0', 'limit'], ['limit=501', 'limit'],
    ['limit=abc', 'limit'], ['limit=-1', 'limit'], ['limit=', 'limit'], ['limit=1e2', 'limit'],
    ['cursor=garbage', 'cursor'], ['cursor=', 'cursor'],
  ];
  for (const [qs, field] of bad) assertProblem(await admin().get(`/api/v1/accounts?${qs}`), 400, field, qs);
  for (const [qs, field] of bad.filter(([q]) => !q.startsWith('limit') && !q.startsWith('cursor'))) {
    assertProblem(await admin().get(`/api/v1/accounts.csv?${qs}`), 400, field, `csv ${qs}`);
  }
  for (const qs of ['limit=1', 'limit=500', 'sort=-arr', 'owner=none', 'owner=me']) assertStatus(await admin().get(`/api/v1/accounts?${qs}`), 200, qs);
});

test('GET /api/v1/accounts.csv exports the filtered accounts as CSV', async () => {
  await admin().post('/api/v1/accounts', { name: 'Csv "Quoted", Co', domain: 'csv1.example', industry: 'CsvInd', employees: 7, external_id: 'CSV-1', owner_id: csm.id });
  await admin().post('/api/v1/accounts', { name: 'Csv Plain', domain: 'csv2.example', industry: 'CsvInd', external_id: 'CSV-2' });
  await admin().put(`/api/v1/accounts/${(await admin().get('/api/v1/accounts?external_id=CSV-2')).json.data[0].id}/subscription`,
    { plan: 'Team', mrr: 4200, currency: 'EUR', seats: 5, start_date: '2024-02-01', renewal_date: '2025-02-01', status: 'active' });
  await admin().post('/api/v1/accounts', { name: 'Csv Other', industry: 'CsvOther' });
  const r = await admin().get('/api/v1/accounts.csv?industry=CsvInd');
  assertStatus(r, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const { header, rows } = csvObjects(r.text);
  for (const col of ['external_id', 'name', 'domain', 'industry', 'employees', 'owner_email', 'plan', 'mrr', 'currency', 'seats', 'start_date', 'renewal_date']) {
    assert.ok(header.includes(col), `CSV header lacks ${col}: ${header.join(',')}`);
  }
  assert.deepEqual(rows.map((x) => x.name), ['Csv "Quoted", Co', 'Csv Plain'], 'sorted by name, quotes round-trip');
  assert.equal(rows[0].owner_email, csm.email);
  assert.equal(rows[0].employees, '7');
  assert.equal(rows[0].plan, '');
  assert.deepEqual([rows[1].plan, rows[1].mrr, rows[1].currency, rows[1].seats, rows[1].start_date, rows[1].renewal_date],
    ['Team', '4200', 'EUR', '5', '2024-02-01', '2025-02-01']);
  const desc = csvObjects((await admin().get('/api/v1/accounts.csv?industry=CsvInd&sort=-name')).text).rows;
  assert.deepEqual(desc.map((x) => x.name), ['Csv Plain', 'Csv "Quoted", Co']);
  const none = csvObjects((await admin().get('/api/v1/accounts.csv?industry=NoSuchIndustry')).text);
  assert.deepEqual(none.rows, []);
  assert.ok(none.header.includes('name'), 'an empty export still has its header');
  assertProblem(await srv.as(null).get('/api/v1/accounts.csv'), 401);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
