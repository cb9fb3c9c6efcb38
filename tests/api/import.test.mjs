// CSV import (admin, text/csv) and the CSV export round-trip.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, csvObjects, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const importCsv = (csv, who = srv.admin) => srv.as(who).post('/api/v1/import/accounts', csv, { contentType: 'text/csv' });
const byExt = async (ext) => {
  const r = await admin().get(`/api/v1/accounts?external_id=${encodeURIComponent(ext)}`);
  assertStatus(r, 200);
  return r.json.data;
};
const HEADER = 'external_id,name,domain,industry,employees,owner_email,plan,mrr,currency,seats,start_date,renewal_date,region';

function firstCsv(ownerEmail) {
  return [
    HEADER,
    `EXT-1,Acme,acme.example,Manufacturing,120,${ownerEmail},Pro,150000,USD,10,2024-01-01,2025-01-01,APAC`,
    'EXT-2,"Beta, Inc.",beta.example,Retail,,,Basic,5000,JPY,3,2024-02-01,,EMEA',
    'EXT-3,"Quote ""Q"" Co",q.example,Retail,5,,,,,,,,',
    'EXT-4,Bad Mrr Co,bad.example,Retail,,,Pro,notanumber,USD,1,2024-01-01,,',
    'EXT-5,,nameless.example,Retail,,,,,,,,,',
    'EXT-6,Ghost Owner Co,ghost.example,Retail,,nobody@example.com,,,,,,,',
  ].join('\r\n') + '\r\n';
}

test('import creates accounts, subscriptions and custom fields; bad rows are reported and skipped', async () => {
  const r = await importCsv(firstCsv(csm.email));
  assertStatus(r, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['created', 'errors', 'failed', 'rows', 'updated']);
  const { errors, ...counts } = r.json;
  assert.deepEqual(counts, { rows: 6, created: 3, updated: 0, failed: 3 });
  assert.deepEqual(errors.map((e) => [e.line, e.column]), [[5, 'mrr'], [6, 'name'], [7, 'owner_email']]);
  for (const e of errors) assert.ok(typeof e.reason === 'string' && e.reason.length > 0);

  const [acme] = await byExt('EXT-1');
  assert.deepEqual(
    [acme.name, acme.domain, acme.industry, acme.employees, acme.owner_id, acme.plan, acme.mrr, acme.arr, acme.currency, acme.renewal_date, acme.subscription_status],
    ['Acme', 'acme.example', 'Manufacturing', 120, csm.id, 'Pro', 150000, 1800000, 'USD', '2025-01-01', 'active'],
  );
  assert.deepEqual(acme.custom, { region: 'APAC' });
  const sub = (await admin().get(`/api/v1/accounts/${acme.id}/subscription`)).json;
  assert.deepEqual([sub.seats, sub.start_date, sub.renewal_date], [10, '2024-01-01', '2025-01-01']);
  assert.equal(acme.tier, 'low', 'tier computed from the imported subscription (USD ARR 1,800,000)');

  const [beta] = await byExt('EXT-2');
  assert.deepEqual([beta.name, beta.employees, beta.owner_id, beta.plan, beta.mrr, beta.currency, beta.renewal_date],
    ['Beta, Inc.', null, null, 'Basic', 5000, 'JPY', null]);
  assert.deepEqual(beta.custom, { region: 'EMEA' });
  const [q] = await byExt('EXT-3');
  assert.equal(q.name, 'Quote "Q" Co');
  assert.equal(q.employees, 5);
  assert.equal(q.plan, null, 'no plan/mrr columns: no subscription');
  assertProblem(await admin().get(`/api/v1/accounts/${q.id}/subscription`), 404);
  for (const ext of ['EXT-4', 'EXT-5', 'EXT-6']) assert.deepEqual(await byExt(ext), [], `${ext} must not be created`);
});

test('re-import updates by external_id, else by domain', async () => {
  const acmeBefore = (await byExt('EXT-1'))[0];
  const csv = [
    HEADER,
    `EXT-1,Acme Corp,acme.example,Manufacturing,130,${csm.email},Pro,200000,USD,12,2024-01-01,2026-01-01,APAC`,
    ',Q Renamed,q.example,Retail,6,,,,,,,,',
    'EXT-7,New Co,new.example,Retail,1,,,,,,,,',
  ].join('\n') + '\n';
  const r = await importCsv(csv);
  assertStatus(r, 200);
  assert.deepEqual(r.json, { rows: 3, created: 1, updated: 2, failed: 0, errors: [] });
  const acme = (await admin().get(`/api/v1/accounts/${acmeBefore.id}`)).json;
  assert.deepEqual([acme.name, acme.employees, acme.mrr, acme.renewal_date], ['Acme Corp', 130, 200000, '2026-01-01']);
  const [q] = await byExt('EXT-3');
  assert.equal(q.name, 'Q Renamed', 'matched by domain');
  assert.equal(q.employees, 6);
  assert.equal((await byExt('EXT-7')).length, 1);
  const hist = (await admin().get(`/api/v1/accounts/${acme.id}/subscription/history`)).json.data;
  assert.ok(hist.length >= 2, 'the subscription change is in the history');
  assert.equal(hist[hist.length - 1].mrr, 200000);
});

test('export then re-import the export: nothing created, nothing failed, nothing changed', async () => {
  const ex = await admin().get('/api/v1/accounts.csv');
  assertStatus(ex, 200);
  assert.match(ex.headers.get('content-type'), /^text\/csv/);
  const { header, rows } = csvObjects(ex.text);
  const listed = (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items;
  assert.equal(rows.length, listed.length, 'one CSV row per account');
  const acme = rows.find((x) => x.external_id === 'EXT-1');
  assert.deepEqual(
    [acme.name, acme.domain, acme.industry, acme.employees, acme.owner_email, acme.plan, acme.mrr, acme.currency, acme.seats, acme.start_date, acme.renewal_date],
    ['Acme Corp', 'acme.example', 'Manufacturing', '130', csm.email, 'Pro', '200000', 'USD', '12', '2024-01-01', '2026-01-01'],
  );
  assert.equal(rows.find((x) => x.external_id === 'EXT-2').name, 'Beta, Inc.');
  assert.ok(header.includes('name'));

  const core = (a) => [a.id, a.name, a.domain, a.external_id, a.industry, a.employees, a.owner_id, a.plan, a.mrr, a.currency, a.renewal_date];
  const r = await importCsv(ex.text);
  assertStatus(r, 200);
  assert.equal(r.json.created, 0, JSON.stringify(r.json));
  assert.equal(r.json.failed, 0, JSON.stringify(r.json.errors));
  assert.equal(r.json.updated, rows.length);
  assert.equal(r.json.rows, rows.length);
  const after2 = (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items;
  assert.deepEqual(after2.map(core), listed.map(core));
});

test('a CSV larger than the 1 MiB JSON limit is accepted by the import', async () => {
  const pad = 'x'.repeat(1000);
  const lines = ['external_id,name,notes'];
  for (let i = 0; i < 1500; i++) lines.push(`BIG-${i},Big ${i},${pad}`);
  const csv = lines.join('\n') + '\n';
  assert.ok(csv.length > 1.4 * 1024 * 1024);
  const r = await importCsv(csv);
  assertStatus(r, 200);
  assert.deepEqual(r.json, { rows: 1500, created: 1500, updated: 0, failed: 0, errors: [] });
  const [b] = await byExt('BIG-1499');
  assert.equal(b.custom.notes, pad);
});

test('import: admin only, text/csv only', async () => {
  const csv = 'external_id,name\nROLE-1,Role Co\n';
  assertProblem(await importCsv(csv, csm), 403);
  assertProblem(await importCsv(csv, await srv.createUser('viewer')), 403);
  assertProblem(await importCsv(csv, null), 401);
  assertProblem(await admin().post('/api/v1/import/accounts', { csv }), 415);
  assert.deepEqual(await byExt('ROLE-1'), []);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
