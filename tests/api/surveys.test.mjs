// Survey responses (NPS, CSAT, CES): create, read, list with filters, pagination and the
// summary by the standard definitions; delete; bad input; the CSV import with per-row
// errors and idempotent re-import.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const csm2 = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');
const acct = (await admin().post('/api/v1/accounts', { name: 'Survey account', owner_id: csm.id, external_id: 'SRV-1' })).json;
const other = (await admin().post('/api/v1/accounts', { name: 'Other', external_id: 'SRV-2', owner_id: csm2.id })).json;
const contact = (await admin().post(`/api/v1/accounts/${acct.id}/contacts`, { name: '山田 太郎', email: 'yamada@acme.example' })).json;
const stranger = (await admin().post(`/api/v1/accounts/${other.id}/contacts`, { name: 'Stranger', email: 'who@other.example' })).json;
const base = (id = acct.id) => `/api/v1/accounts/${id}/survey-responses`;
const KEYS = ['account_id', 'answered_at', 'comment', 'contact_id', 'created_at', 'id', 'score', 'type'];
const csv = (text) => admin().request('POST', '/api/v1/import/survey-responses', { body: text, contentType: 'text/csv' });

test('create with every field and the defaults; read back', async () => {
  const body = { type: 'nps', score: 9, contact_id: contact.id, comment: 'サポートが早い', answered_at: '2026-05-01T10:00:00+09:00' };
  const r = await srv.as(csm).post(base(), body);
  assertStatus(r, 201);
  assert.deepEqual(Object.keys(r.json).sort(), KEYS);
  assert.deepEqual([r.json.type, r.json.score, r.json.contact_id, r.json.comment, r.json.answered_at, r.json.account_id],
    ['nps', 9, contact.id, 'サポートが早い', '2026-05-01T01:00:00Z', acct.id]);
  assert.match(r.json.created_at, RFC3339);
  const g = await srv.as(viewer).get(`${base()}/${r.json.id}`);
  assertStatus(g, 200);
  assert.deepEqual(g.json, r.json);
  const m = await admin().post(base(), { type: 'ces', score: 1 });
  assertStatus(m, 201);
  assert.deepEqual([m.json.contact_id, m.json.comment], [null, null]);
  assert.ok(Math.abs(Date.parse(m.json.answered_at) - Date.now()) < 120000, 'answered_at defaults to now');
  assertStatus(await admin().del(`${base()}/${m.json.id}`), 204);
  assertStatus(await admin().del(`${base()}/${r.json.id}`), 204);
  assertProblem(await admin().get(`${base()}/${r.json.id}`), 404);
  assertProblem(await admin().del(`${base()}/${r.json.id}`), 404);
});

test('every out-of-range score per type is a 400 naming score; the edges are accepted', async () => {
  const ranges = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };
  const acc = (await admin().post('/api/v1/accounts', { name: 'Ranges' })).json;
  for (const [type, [lo, hi]] of Object.entries(ranges)) {
    for (const score of [lo - 1, hi + 1, -100, 1000]) {
      assertProblem(await admin().post(base(acc.id), { type, score }), 400, 'score', `${type} ${score}`);
    }
    for (const score of [1.5, '5', null, true]) {
      assertProblem(await admin().post(base(acc.id), { type, score }), 400, 'score', `${type} ${JSON.stringify(score)}`);
    }
    for (const score of [lo, hi]) assertStatus(await admin().post(base(acc.id), { type, score, answered_at: `2026-01-0${score % 9 + 1}T00:00:00Z` }), 201, `${type} ${score}`);
  }
  assertProblem(await admin().post(base(acc.id), { type: 'nps' }), 400, 'score');
  const all = (await admin().get(base(acc.id))).json.data;
  assert.equal(all.length, 6, 'only the edge scores were stored');
});

test('other bad input: contact of another account, unknown fields, wrong types, malformed dates', async () => {
  const ok = { type: 'csat', score: 4 };
  const future = new Date(Date.now() + 86400000).toISOString();
  const cases = [
    [{ ...ok, contact_id: stranger.id }, 'contact_id'],
    [{ ...ok, contact_id: 999999 }, 'contact_id'],
    [{ ...ok, contact_id: 'x' }, 'contact_id'],
    [{ ...ok, contact_id: 0 }, 'contact_id'],
    [{ score: 4 }, 'type'],
    [{ ...ok, type: 'NPS' }, 'type'],
    [{ ...ok, type: 3 }, 'type'],
    [{ ...ok, comment: 5 }, 'comment'],
    [{ ...ok, answered_at: '2026-02-30T00:00:00Z' }, 'answered_at'],
    [{ ...ok, answered_at: 'yesterday' }, 'answered_at'],
    [{ ...ok, answered_at: 1700000000 }, 'answered_at'],
    [{ ...ok, answered_at: future }, 'answered_at'],
    [{ ...ok, account_id: other.id }, 'account_id'],
    [{ ...ok, nps: 3 }, 'nps'],
    [{ ...ok, id: 1 }, 'id'],
  ];
  const before = (await admin().get(`${base()}?limit=500`)).json.data.length;
  for (const [body, field] of cases) assertProblem(await admin().post(base(), body), 400, field, JSON.stringify(body));
  assert.equal((await admin().get(`${base()}?limit=500`)).json.data.length, before);
  assertProblem(await admin().post(base(999999), ok), 404);
  assertProblem(await admin().get(base(999999)), 404);
});

test('list: newest first, type/from/to filters, keyset pagination, and the summary over the selection', async () => {
  const acc = (await admin().post('/api/v1/accounts', { name: 'Summary' })).json;
  const add = async (type, score, answered_at) => {
    const r = await admin().post(base(acc.id), { type, score, answered_at });
    assertStatus(r, 201);
    return r.json.id;
  };
  // NPS: 10, 9, 9 promoters; 8 passive; 6, 3 detractors -> (3 - 2) / 6 = 16.7
  const nps = [[10, '2026-01-10'], [9, '2026-02-10'], [9, '2026-03-10'], [8, '2026-04-10'], [6, '2026-05-10'], [3, '2026-06-10']];
  for (const [s, d] of nps) await add('nps', s, `${d}T00:00:00Z`);
  // CSAT: 5, 4, 2 -> satisfied 2 / 3 = 66.7%, mean 11 / 3 = 3.67
  for (const [s, d] of [[5, '2026-01-11'], [4, '2026-02-11'], [2, '2026-06-11']]) await add('csat', s, `${d}T00:00:00Z`);
  // CES: 7, 3 -> easy 50%, mean 5
  for (const [s, d] of [[7, '2026-03-12'], [3, '2026-04-12']]) await add('ces', s, `${d}T00:00:00Z`);
  const r = await admin().get(base(acc.id));
  assertStatus(r, 200);
  assert.equal(r.json.data.length, 11);
  const times = r.json.data.map((x) => x.answered_at);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  assert.deepEqual(r.json.summary, {
    nps: { responses: 6, promoters: 3, passives: 1, detractors: 2, score: 16.7 },
    csat: { responses: 3, satisfied: 2, satisfied_pct: 66.7, mean: 3.67 },
    ces: { responses: 2, easy: 1, easy_pct: 50, mean: 5 },
  });
  // type=: only that type, the others summarised as empty (unknown, not 0).
  const n = await admin().get(`${base(acc.id)}?type=nps`);
  assert.equal(n.json.data.length, 6);
  assert.ok(n.json.data.every((x) => x.type === 'nps'));
  assert.deepEqual(n.json.summary.csat, { responses: 0, satisfied: 0, satisfied_pct: null, mean: null });
  assert.equal(n.json.summary.nps.score, 16.7);
  // from/to: dates are whole days, inclusive at both ends; times are exact.
  const q = await admin().get(`${base(acc.id)}?type=nps&from=2026-02-10&to=2026-04-10`);
  assert.deepEqual(q.json.data.map((x) => x.score), [8, 9, 9]);
  // 9, 9, 8: 2 promoters, no detractor -> 66.7
  assert.deepEqual(q.json.summary.nps, { responses: 3, promoters: 2, passives: 1, detractors: 0, score: 66.7 });
  const t = await admin().get(`${base(acc.id)}?from=2026-02-10T00:00:01Z&to=2026-03-10T00:00:00Z`);
  assert.deepEqual(t.json.data.map((x) => [x.type, x.score]), [['nps', 9], ['csat', 4]]);
  // The summary covers every selected response, not only the page.
  const page = await admin().get(`${base(acc.id)}?limit=2`);
  assert.equal(page.json.data.length, 2);
  assert.equal(page.json.summary.nps.responses, 6);
  const all = await srv.listAll(srv.admin, `${base(acc.id)}?limit=4`);
  assert.deepEqual(all.pages, [4, 4, 3]);
  assert.deepEqual(all.items.map((x) => x.id), r.json.data.map((x) => x.id));
  // Same-second answers paginate by id without loss.
  const acc2 = (await admin().post('/api/v1/accounts', { name: 'Same second' })).json;
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await admin().post(base(acc2.id), { type: 'nps', score: i, answered_at: '2026-01-01T00:00:00Z' })).json.id);
  const same = await srv.listAll(srv.admin, `${base(acc2.id)}?limit=2`);
  assert.deepEqual(same.items.map((x) => x.id), [...ids].reverse());
  // Bad query parameters.
  for (const [qs, field] of [['type=promoter', 'type'], ['from=2026-13-01', 'from'], ['to=soon', 'to'], ['limit=501', 'limit'],
    ['cursor=%%%', 'cursor'], ['sort=score', 'sort'], ['score=9', 'score']]) {
    assertProblem(await admin().get(`${base(acc.id)}?${qs}`), 400, field, qs);
  }
  const empty = await admin().get(base(acc2.id) + '?type=csat');
  assert.deepEqual(empty.json, { data: [], next_cursor: null, summary: { ...empty.json.summary } });
  assert.equal(empty.json.summary.csat.responses, 0);
});

test('CSV import: good rows stored, bad rows reported with line and column, re-import does not duplicate', async () => {
  const acc = (await admin().post('/api/v1/accounts', { name: 'Imported', external_id: 'IMP-S1' })).json;
  await admin().post(`/api/v1/accounts/${acc.id}/contacts`, { name: 'Sato', email: 'Sato@Imported.example' });
  const file = [
    'account_external_id,contact_email,type,score,comment,answered_at',
    'IMP-S1,sato@imported.example,nps,10,"Great, really",2026-03-01T09:00:00Z', // line 2: ok (email case-insensitive)
    'IMP-S1,,csat,4,,2026-03-02',                                               // line 3: ok, anonymous, date
    'IMP-S1,,ces,8,,2026-03-03',                                                // line 4: score out of range
    'NOPE,,nps,5,,2026-03-04',                                                  // line 5: unknown account
    'IMP-S1,nobody@x.example,nps,5,,2026-03-05',                                // line 6: unknown contact
    'IMP-S1,,nss,5,,2026-03-06',                                                // line 7: bad type
    'IMP-S1,,nps,7,,03/07/2026',                                                // line 8: bad date
    '',
    'IMP-S1,,NPS,0,"multi',                                                     // line 10: ok, a two-line comment
    'line comment",2026-03-08T00:00:00+09:00',
    'IMP-S1,,nps,seven,,2027-99-01',                                            // line 12: two errors
  ].join('\n') + '\n';
  const r = await csv(file);
  assertStatus(r, 200);
  assert.deepEqual([r.json.rows, r.json.created, r.json.updated, r.json.failed], [9, 3, 0, 6]);
  const errs = r.json.errors.map((e) => [e.line, e.column]);
  assert.deepEqual(errs, [[4, 'score'], [5, 'account_external_id'], [6, 'contact_email'], [7, 'type'], [8, 'answered_at'], [12, 'score'], [12, 'answered_at']]);
  assert.ok(r.json.errors.every((e) => typeof e.reason === 'string' && e.reason.length > 0));
  const list = (await admin().get(base(acc.id))).json;
  assert.deepEqual(list.data.map((x) => [x.type, x.score, x.answered_at]),
    [['nps', 0, '2026-03-07T15:00:00Z'], ['csat', 4, '2026-03-02T00:00:00Z'], ['nps', 10, '2026-03-01T09:00:00Z']]);
  assert.equal(list.data[2].comment, 'Great, really');
  assert.equal(list.data[0].comment, 'multi\nline comment');
  assert.notEqual(list.data[2].contact_id, null);
  // The same file again: nothing new, the matched rows count as updated.
  const again = await csv(file);
  assert.deepEqual([again.json.rows, again.json.created, again.json.updated, again.json.failed], [9, 0, 3, 6]);
  assert.equal((await admin().get(base(acc.id))).json.data.length, 3);
  // A corrected score for the same answer (same key) replaces it rather than adding one.
  const fix = await csv('account_id,email,type,score,answered_at\n' + `${acc.id},sato@imported.example,nps,9,2026-03-01T09:00:00Z\n`);
  assert.deepEqual([fix.json.created, fix.json.updated], [0, 1]);
  const after = (await admin().get(`${base(acc.id)}?type=nps`)).json.data;
  assert.deepEqual(after.map((x) => x.score), [0, 9]);
  // account_id and account_external_id that disagree; an account_id that does not exist.
  const bad = await csv(`account_external_id,account_id,type,score,answered_at\nIMP-S1,${other.id},nps,5,2026-01-01\n,999999,nps,5,2026-01-01\n,,nps,5,2026-01-01\n`);
  assert.deepEqual(bad.json.errors.map((e) => [e.line, e.column]), [[2, 'account_id'], [3, 'account_id'], [4, 'account_external_id']]);
});

test('CSV import: file-level problems are a 422 and store nothing; a csm imports only its accounts', async () => {
  for (const [text, what] of [
    ['', 'empty'],
    ['account_external_id,type,score\nIMP-S1,nps,5\n', 'no answered_at column'],
    ['type,score,answered_at\nnps,5,2026-01-01\n', 'no account column'],
    ['account_external_id,type,score,answered_at,colour\nSRV-1,nps,5,2026-01-01,red\n', 'unknown column'],
    ['account_external_id,type,type,score,answered_at\n', 'duplicate column'],
    ['account_external_id,type,score,answered_at\nSRV-1,nps,5,"2026-01-01\n', 'unterminated quote'],
  ]) {
    const r = await csv(text);
    assertProblem(r, 422, undefined, what);
  }
  assert.equal((await admin().get(base())).json.data.length, 0, 'nothing stored on SRV-1');
  const text = 'account_external_id,type,score,answered_at\nSRV-1,nps,9,2026-02-01\nSRV-2,nps,3,2026-02-01\n';
  const r = await srv.as(csm).request('POST', '/api/v1/import/survey-responses', { body: text, contentType: 'text/csv' });
  assertStatus(r, 200);
  assert.deepEqual([r.json.created, r.json.failed], [1, 1]);
  assert.deepEqual([r.json.errors[0].line, r.json.errors[0].column], [3, 'account_external_id']);
  assert.equal((await admin().get(base(other.id))).json.data.length, 0);
  assert.equal((await admin().get(base())).json.data.length, 1);
  assertProblem(await srv.as(viewer).request('POST', '/api/v1/import/survey-responses', { body: text, contentType: 'text/csv' }), 403);
  assertProblem(await admin().post('/api/v1/import/survey-responses', { a: 1 }), 415);
});

test('the server stops cleanly', () => srv.stop());
