// Hostile and broken input: malformed JSON, wrong types, missing and unknown fields, bodies over
// the limit (refused before they are read), invalid UTF-8, SQL injection strings, bad ids.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  assertProblem, assertStatus, rawHttp, sleep, sockWrite, startServer,
} from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const acct = (await admin().post('/api/v1/accounts', { name: 'Bad input target' })).json;
const contact = (await admin().post(`/api/v1/accounts/${acct.id}/contacts`, { name: 'Target contact' })).json;
const entry = (await admin().post(`/api/v1/accounts/${acct.id}/timeline`, { type: 'note', summary: 'x', occurred_at: '2024-01-01T00:00:00Z' })).json;
const task = (await admin().post('/api/v1/tasks', { account_id: acct.id, title: 'Target task' })).json;
const user = (await admin().post('/api/v1/users', { email: 'target@example.com', name: 'Target', role: 'viewer', password: 'password-1' })).json;
const MiB = 1024 * 1024;

// Every route that takes a JSON body, with a valid body for it.
const JSON_ROUTES = [
  ['POST', '/api/v1/session', { email: 'a@b.c', password: 'x' }],
  ['POST', '/api/v1/users', { email: 'new@example.com', name: 'N', role: 'viewer', password: 'password-1' }],
  ['PATCH', `/api/v1/users/${user.id}`, { name: 'N' }],
  ['POST', '/api/v1/tokens', { name: 't' }],
  ['POST', '/api/v1/accounts', { name: 'n' }],
  ['PATCH', `/api/v1/accounts/${acct.id}`, { name: 'n' }],
  ['POST', `/api/v1/accounts/${acct.id}/contacts`, { name: 'n' }],
  ['PATCH', `/api/v1/accounts/${acct.id}/contacts/${contact.id}`, { name: 'n' }],
  ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', mrr: 1, currency: 'USD', start_date: '2024-01-01', status: 'active' }],
  ['POST', `/api/v1/accounts/${acct.id}/timeline`, { type: 'note', summary: 's' }],
  ['PATCH', `/api/v1/accounts/${acct.id}/timeline/${entry.id}`, { summary: 's' }],
  ['POST', '/api/v1/tasks', { account_id: acct.id, title: 't' }],
  ['PATCH', `/api/v1/tasks/${task.id}`, { title: 't' }],
  ['PUT', '/api/v1/settings/tiers', { thresholds: [{ currency: 'USD', high_min_arr: 10000000, low_min_arr: 1000000 }] }],
];

async function stillIntact() {
  assertStatus(await admin().get(`/api/v1/accounts/${acct.id}`), 200);
  assert.equal((await admin().get(`/api/v1/accounts/${acct.id}`)).json.name, 'Bad input target');
  assertStatus(await admin().get(`/api/v1/users/${user.id}`), 200);
}

test('malformed JSON, non-objects and empty bodies are 400 on every JSON route', async () => {
  const bodies = ['{', '{"name":', '{"name":"x",}', "{'name':'x'}", '{"name":"x"} trailing', 'nul', '[]', '"text"', '42', 'null', 'true', '', ' ', '{"name":"x"}{"name":"y"}', '{"name":NaN}', '{"name":"\\x41"}'];
  for (const [m, p] of JSON_ROUTES) {
    for (const b of bodies) {
      assertProblem(await admin().request(m, p, { body: b, contentType: 'application/json' }), 400, undefined, `${m} ${p} body ${JSON.stringify(b)}`);
    }
  }
  await stillIntact();
});

test('unknown fields are 400 naming the field on every JSON route', async () => {
  for (const [m, p, ok] of JSON_ROUTES) {
    assertProblem(await admin().request(m, p, { body: { ...ok, definitely_not_a_field: 1 } }), 400, 'definitely_not_a_field', `${m} ${p}`);
  }
  // Read-only fields are not writable either.
  for (const f of ['id', 'created_at', 'updated_at', 'arr', 'plan', 'tier']) {
    assertProblem(await admin().post('/api/v1/accounts', { name: 'x', [f]: f === 'id' ? 5 : 'x' }), 400, f, `account.${f}`);
  }
  await stillIntact();
});

test('wrong types are 400 naming the field', async () => {
  const cases = [
    ['POST', '/api/v1/accounts', { name: 5 }, 'name'],
    ['POST', '/api/v1/accounts', { name: ['x'] }, 'name'],
    ['POST', '/api/v1/accounts', { name: { x: 1 } }, 'name'],
    ['POST', '/api/v1/accounts', { name: true }, 'name'],
    ['POST', '/api/v1/accounts', { name: null }, 'name'],
    ['POST', '/api/v1/accounts', { name: '   ' }, 'name'],
    ['POST', '/api/v1/accounts', { name: 'x', employees: 'many' }, 'employees'],
    ['POST', '/api/v1/accounts', { name: 'x', employees: 1.5 }, 'employees'],
    ['POST', '/api/v1/accounts', { name: 'x', employees: -1 }, 'employees'],
    ['POST', '/api/v1/accounts', { name: 'x', employees: 1e300 }, 'employees'],
    ['POST', '/api/v1/accounts', { name: 'x', custom: [1, 2] }, 'custom'],
    ['POST', '/api/v1/accounts', { name: 'x', custom: 'str' }, 'custom'],
    ['POST', '/api/v1/accounts', { name: 'x', owner_id: '1' }, 'owner_id'],
    ['POST', '/api/v1/accounts', { name: 'x', owner_id: 1.5 }, 'owner_id'],
    ['POST', '/api/v1/accounts', { name: 'x', owner_id: 999999 }, 'owner_id'],
    ['POST', '/api/v1/accounts', { name: 'x', owner_id: 0 }, 'owner_id'],
    ['POST', '/api/v1/accounts', { name: 'x', domain: 7 }, 'domain'],
    ['POST', '/api/v1/accounts', { name: 'x', external_id: 7 }, 'external_id'],
    ['POST', '/api/v1/accounts', { name: 'x', tier_override: 'medium' }, 'tier_override'],
    ['POST', '/api/v1/accounts', { name: 'x', phase: 3 }, 'phase'],
    ['PATCH', `/api/v1/accounts/${acct.id}`, { employees: '10' }, 'employees'],
    ['PATCH', `/api/v1/accounts/${acct.id}`, { phase: null }, 'phase'],
    ['POST', `/api/v1/accounts/${acct.id}/contacts`, { name: 'x', role: 'ceo' }, 'role'],
    ['POST', `/api/v1/accounts/${acct.id}/contacts`, { name: 'x', phone: 123 }, 'phone'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', mrr: '1', currency: 'USD', start_date: '2024-01-01', status: 'active' }, 'mrr'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', mrr: 1, currency: 'USD', start_date: '2024-01-01', status: 'active', seats: 1.5 }, 'seats'],
    ['POST', '/api/v1/tasks', { account_id: acct.id, title: 'x', due_date: 20240101 }, 'due_date'],
    ['POST', '/api/v1/users', { email: 'ty@example.com', name: 'x', role: 'viewer', password: 12345678 }, 'password'],
    ['PATCH', `/api/v1/users/${user.id}`, { disabled: 'true' }, 'disabled'],
    ['POST', '/api/v1/tokens', { name: ['x'] }, 'name'],
  ];
  for (const [m, p, body, field] of cases) {
    assertProblem(await admin().request(m, p, { body }), 400, field, `${m} ${p} ${JSON.stringify(body)}`);
  }
  // Integers past int64: a 400 (the parser may refuse them before any field is looked at).
  for (const n of ['9223372036854775808', '-9223372036854775809', '1' + '0'.repeat(400)]) {
    assertProblem(await admin().post('/api/v1/accounts', `{"name":"x","employees":${n}}`), 400, undefined, n);
  }
  await stillIntact();
});

test('missing required fields are 400 naming the field', async () => {
  const cases = [
    ['POST', '/api/v1/accounts', {}, 'name'],
    ['POST', '/api/v1/accounts', { domain: 'x.example' }, 'name'],
    ['POST', `/api/v1/accounts/${acct.id}/contacts`, { email: 'a@b.c' }, 'name'],
    ['POST', `/api/v1/accounts/${acct.id}/timeline`, { summary: 's' }, 'type'],
    ['POST', `/api/v1/accounts/${acct.id}/timeline`, { type: 'note' }, 'summary'],
    ['POST', '/api/v1/tasks', { title: 't' }, 'account_id'],
    ['POST', '/api/v1/tasks', { account_id: acct.id }, 'title'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { mrr: 1, currency: 'USD', start_date: '2024-01-01', status: 'active' }, 'plan'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', currency: 'USD', start_date: '2024-01-01', status: 'active' }, 'mrr'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', mrr: 1, start_date: '2024-01-01', status: 'active' }, 'currency'],
    ['PUT', `/api/v1/accounts/${acct.id}/subscription`, { plan: 'P', mrr: 1, currency: 'USD', status: 'active' }, 'start_date'],
    ['POST', '/api/v1/users', { name: 'x', role: 'viewer', password: 'password-1' }, 'email'],
    ['POST', '/api/v1/users', { email: 'm1@example.com', role: 'viewer', password: 'password-1' }, 'name'],
    ['POST', '/api/v1/users', { email: 'm2@example.com', name: 'x', password: 'password-1' }, 'role'],
    ['POST', '/api/v1/tokens', {}, 'name'],
    ['PUT', '/api/v1/settings/tiers', {}, 'thresholds'],
  ];
  for (const [m, p, body, field] of cases) {
    assertProblem(await admin().request(m, p, { body }), 400, field, `${m} ${p} ${JSON.stringify(body)}`);
  }
});

test('invalid UTF-8 inside a JSON string is 400 and nothing is stored', async () => {
  const bad = [
    Buffer.from([0xff, 0xfe]), // never valid
    Buffer.from([0xc0, 0xaf]), // overlong "/"
    Buffer.from([0xe2, 0x82]), // truncated sequence
    Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate encoded in UTF-8
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    Buffer.from([0x80]), // lone continuation byte
  ];
  const before = (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items.length;
  for (const b of bad) {
    const body = Buffer.concat([Buffer.from('{"name":"bad '), b, Buffer.from(' utf8"}')]);
    assertProblem(await admin().post('/api/v1/accounts', body), 400, undefined, `bytes ${b.toString('hex')}`);
    const inKey = Buffer.concat([Buffer.from('{"name":"ok","'), b, Buffer.from('":1}')]);
    assertProblem(await admin().post('/api/v1/accounts', inKey), 400, undefined, `key bytes ${b.toString('hex')}`);
  }
  // Escapes that would decode to a lone surrogate or to NUL (a C string would cut there).
  for (const esc of ['\\ud800', '\\udc00x', 'a\\u0000b']) {
    assertProblem(await admin().post('/api/v1/accounts', `{"name":"${esc}"}`), 400, undefined, esc);
  }
  assert.equal((await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items.length, before, 'nothing stored');
  // Valid multi-byte UTF-8 and escaped surrogate pairs are fine.
  const r = await admin().post('/api/v1/accounts', '{"name":"絆 \\ud83d\\ude00 😀 é"}');
  assertStatus(r, 201);
  assert.equal(r.json.name, '絆 😀 😀 é');
});

test('a JSON body just over 1 MiB is 413; the limit holds for every JSON route', async () => {
  const big = JSON.stringify({ name: 'x', notes: 'y'.repeat(MiB) });
  for (const [m, p] of JSON_ROUTES) {
    assertProblem(await admin().request(m, p, { body: big }), 413, undefined, `${m} ${p}`);
  }
  // Anonymous login too: no auth needed to be refused early.
  assertProblem(await srv.request('POST', '/api/v1/session', { body: big }), 413);
});

test('Content-Length: 10485760 is refused with 413 before the body is read', async () => {
  const t0 = Date.now();
  const res = await rawHttp(srv.port, async (sock) => {
    await sockWrite(sock, [
      'POST /api/v1/accounts HTTP/1.1', `Host: 127.0.0.1:${srv.port}`, `Authorization: Bearer ${srv.admin.token}`,
      'Content-Type: application/json', `Content-Length: ${10 * MiB}`, '', '',
    ].join('\r\n'));
    await sockWrite(sock, '{"name":"' + 'z'.repeat(1000));
    // ...and then nothing more: a server waiting for the 10 MB would never answer.
  }, { timeout: 10000 });
  assert.equal(res.status, 413, res.raw.toString('latin1').slice(0, 500));
  assert.match(res.headers['content-type'] || '', /^application\/problem\+json/);
  assert.equal(res.json?.status, 413);
  assert.ok(res.bytesWritten < 4096, `wrote ${res.bytesWritten} bytes`);
  assert.ok(Date.now() - t0 < 10000);
  await stillIntact();
});

test('Content-Length over the limit is refused even for an anonymous request', async () => {
  const res = await rawHttp(srv.port, async (sock) => {
    await sockWrite(sock, [
      'POST /api/v1/session HTTP/1.1', `Host: 127.0.0.1:${srv.port}`, 'Content-Type: application/json',
      `Content-Length: ${10 * MiB}`, '', '{"email":',
    ].join('\r\n'));
  });
  assert.equal(res.status, 413);
});

test('a chunked 10 MB body is refused with 413 while it is being read', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const head = `${chunk.length.toString(16)}\r\n`;
  let sent = 0;
  const res = await rawHttp(srv.port, async (sock, isDone) => {
    await sockWrite(sock, [
      'POST /api/v1/accounts HTTP/1.1', `Host: 127.0.0.1:${srv.port}`, `Authorization: Bearer ${srv.admin.token}`,
      'Content-Type: application/json', 'Transfer-Encoding: chunked', '', '',
    ].join('\r\n'));
    await sockWrite(sock, '9\r\n{"name":"\r\n');
    while (sent < 10 * MiB && !isDone()) {
      await sockWrite(sock, Buffer.concat([Buffer.from(head), chunk, Buffer.from('\r\n')]));
      sent += chunk.length;
    }
    if (!isDone()) await sockWrite(sock, '2\r\n"}\r\n0\r\n\r\n');
  }, { timeout: 30000 });
  assert.equal(res.status, 413, res.raw.toString('latin1').slice(0, 500));
  assert.equal(res.json?.status, 413);
  await stillIntact();
});

test('an import body announced over the 32 MiB import limit is refused with 413 before it is read', async () => {
  // 40 MiB announced: over the 32 MiB import limit, refused without reading it.
  const res = await rawHttp(srv.port, async (sock) => {
    await sockWrite(sock, [
      'POST /api/v1/import/accounts HTTP/1.1', `Host: 127.0.0.1:${srv.port}`, `Authorization: Bearer ${srv.admin.token}`,
      'Content-Type: text/csv', `Content-Length: ${40 * MiB}`, '', 'external_id,name\n',
    ].join('\r\n'));
  }, { timeout: 10000 });
  assert.equal(res.status, 413);
});

const INJECTIONS = [
  "'; DROP TABLE accounts; --",
  "Robert'); DELETE FROM users;--",
  '" OR ""="',
  "1' OR '1'='1",
  "x'); UPDATE users SET role='admin' WHERE ('1'='1",
  '%_\\\'"`;--/* */',
];

test('SQL injection strings are stored and returned verbatim; tables stay intact', async () => {
  const before = (await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items.length;
  const usersBefore = (await srv.listAll(srv.admin, '/api/v1/users?limit=500')).items;
  const ids = [];
  for (const [i, s] of INJECTIONS.entries()) {
    const r = await admin().post('/api/v1/accounts', {
      name: s, domain: s, industry: s, external_id: `${s}#${i}`, address: s, purpose: s, challenges: s, custom: { [s]: s },
    });
    assertStatus(r, 201, s);
    for (const k of ['name', 'domain', 'industry', 'address', 'purpose', 'challenges']) assert.equal(r.json[k], s, k);
    assert.equal(r.json.external_id, `${s}#${i}`);
    assert.deepEqual(r.json.custom, { [s]: s });
    ids.push(r.json.id);
    const g = (await admin().get(`/api/v1/accounts/${r.json.id}`)).json;
    assert.equal(g.name, s);
    // Filters with the same strings find exactly this account.
    const byExt = await admin().get(`/api/v1/accounts?external_id=${encodeURIComponent(`${s}#${i}`)}`);
    assert.deepEqual(byExt.json.data.map((a) => a.id), [r.json.id], `external_id filter ${s}`);
    const byQ = (await srv.listAll(srv.admin, `/api/v1/accounts?q=${encodeURIComponent(s)}&limit=500`)).items.map((a) => a.id);
    assert.ok(byQ.includes(r.json.id), `q=${s} finds it`);
    assert.ok(byQ.every((id) => ids.includes(id)), `q=${s} matched unrelated accounts: ${byQ}`);
    // Sub-resources too.
    const c = await admin().post(`/api/v1/accounts/${r.json.id}/contacts`, { name: s, notes: s, title: s });
    assertStatus(c, 201);
    assert.equal(c.json.notes, s);
    const e = await admin().post(`/api/v1/accounts/${r.json.id}/timeline`, { type: 'note', summary: s, body: s });
    assertStatus(e, 201);
    assert.equal(e.json.body, s);
    const t = await admin().post('/api/v1/tasks', { account_id: r.json.id, title: s, notes: s });
    assertStatus(t, 201);
    assert.equal(t.json.title, s);
    const tok = await admin().post('/api/v1/tokens', { name: s });
    assertStatus(tok, 201);
    assert.equal(tok.json.name, s);
  }
  const u = await admin().post('/api/v1/users', { email: `inj${Date.now()}@example.com`, name: INJECTIONS[1], role: 'viewer', password: INJECTIONS[0] });
  assertStatus(u, 201);
  assert.equal(u.json.name, INJECTIONS[1]);
  assert.equal((await srv.login(u.json.email, INJECTIONS[0])).status, 200, 'a password full of quotes works');
  // Injection in query parameters used as filters.
  for (const s of INJECTIONS) {
    for (const k of ['industry', 'external_id', 'q']) {
      const r = await admin().get(`/api/v1/accounts?${k}=${encodeURIComponent(`${s} zz-no-match`)}`);
      assertStatus(r, 200, `${k}=${s}`);
      assert.deepEqual(r.json.data, []);
    }
    assertProblem(await admin().get(`/api/v1/accounts?sort=${encodeURIComponent(s)}`), 400, 'sort');
    assertProblem(await admin().get(`/api/v1/accounts?owner=${encodeURIComponent(s)}`), 400, 'owner');
    assertProblem(await admin().get(`/api/v1/tasks?assignee=${encodeURIComponent(s)}`), 400, 'assignee');
  }
  // Intact: every account, every user, roles unchanged.
  assert.equal((await srv.listAll(srv.admin, '/api/v1/accounts?limit=500')).items.length, before + INJECTIONS.length);
  const usersAfter = (await srv.listAll(srv.admin, '/api/v1/users?limit=500')).items;
  assert.equal(usersAfter.length, usersBefore.length + 1);
  for (const x of usersBefore) assert.equal(usersAfter.find((y) => y.id === x.id)?.role, x.role);
  await stillIntact();
});

test('unknown ids are 404 on every route with an id', async () => {
  const N = 987654;
  const cases = [
    ['GET', `/api/v1/users/${N}`], ['PATCH', `/api/v1/users/${N}`, { name: 'x' }], ['DELETE', `/api/v1/users/${N}`],
    ['DELETE', `/api/v1/tokens/${N}`],
    ['GET', `/api/v1/accounts/${N}`], ['PATCH', `/api/v1/accounts/${N}`, { name: 'x' }], ['DELETE', `/api/v1/accounts/${N}`],
    ['GET', `/api/v1/accounts/${N}/contacts`], ['POST', `/api/v1/accounts/${N}/contacts`, { name: 'x' }],
    ['GET', `/api/v1/accounts/${acct.id}/contacts/${N}`], ['PATCH', `/api/v1/accounts/${acct.id}/contacts/${N}`, { name: 'x' }],
    ['DELETE', `/api/v1/accounts/${acct.id}/contacts/${N}`], ['GET', `/api/v1/accounts/${N}/contacts/${contact.id}`],
    ['GET', `/api/v1/accounts/${N}/subscription`],
    ['PUT', `/api/v1/accounts/${N}/subscription`, { plan: 'P', mrr: 1, currency: 'USD', start_date: '2024-01-01', status: 'active' }],
    ['GET', `/api/v1/accounts/${N}/subscription/history`],
    ['GET', `/api/v1/accounts/${N}/timeline`], ['POST', `/api/v1/accounts/${N}/timeline`, { type: 'note', summary: 's' }],
    ['GET', `/api/v1/accounts/${acct.id}/timeline/${N}`], ['PATCH', `/api/v1/accounts/${acct.id}/timeline/${N}`, { summary: 's' }],
    ['DELETE', `/api/v1/accounts/${acct.id}/timeline/${N}`], ['GET', `/api/v1/accounts/${N}/timeline/${entry.id}`],
    ['GET', `/api/v1/tasks/${N}`], ['PATCH', `/api/v1/tasks/${N}`, { title: 'x' }], ['DELETE', `/api/v1/tasks/${N}`],
  ];
  for (const [m, p, body] of cases) assertProblem(await admin().request(m, p, body ? { body } : {}), 404, undefined, `${m} ${p}`);
  await stillIntact();
});

test('ids that are not positive integers are 404, never 400 or 500', async () => {
  const bad = ['abc', '0', '-1', '1.5', '1e3', '0x10', '+1', '%201', '1%20', '99999999999999999999999', '9223372036854775808',
    '%00', '1%00', "1'", '1;DROP', 'null', '%F0%9F%98%80'];
  for (const b of bad) {
    const cases = [
      ['GET', `/api/v1/accounts/${b}`], ['PATCH', `/api/v1/accounts/${b}`, { name: 'x' }], ['DELETE', `/api/v1/accounts/${b}`],
      ['GET', `/api/v1/accounts/${b}/contacts`], ['GET', `/api/v1/accounts/${acct.id}/contacts/${b}`],
      ['GET', `/api/v1/accounts/${acct.id}/timeline/${b}`], ['GET', `/api/v1/accounts/${b}/subscription`],
      ['GET', `/api/v1/tasks/${b}`], ['DELETE', `/api/v1/tasks/${b}`], ['GET', `/api/v1/users/${b}`], ['DELETE', `/api/v1/tokens/${b}`],
    ];
    for (const [m, p, body] of cases) assertProblem(await admin().request(m, p, body ? { body } : {}), 404, undefined, `${m} ${p}`);
  }
  await stillIntact();
});

test('a slow client does not block others', async () => {
  // A request that sends its headers and then stalls must not hold up the server.
  const stalled = rawHttp(srv.port, async (sock) => {
    await sockWrite(sock, `POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.admin.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`);
    await sleep(1500);
    await sockWrite(sock, `me":"slow"${' '.repeat(100 - 15)}}`);
  }, { timeout: 10000 });
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) assertStatus(await srv.as(null).get('/healthz'), 200);
  assert.ok(Date.now() - t0 < 1000, 'healthz answered while another request stalls');
  const r = await stalled;
  assert.equal(r.status, 201, r.body);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
