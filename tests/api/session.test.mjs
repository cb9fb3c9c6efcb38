// Session login/logout with the cookie, the CSRF rules for cookie requests, and API tokens.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, RFC3339, assertProblem, assertStatus, startServer,
} from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');

const USER_KEYS = ['created_at', 'disabled', 'email', 'id', 'name', 'role', 'updated_at'];

test('login: wrong password and unknown email are 401 problems without a cookie', async () => {
  for (const [email, password] of [[ADMIN_EMAIL, 'wrong-password'], ['nobody@example.com', ADMIN_PASSWORD], [ADMIN_EMAIL.toUpperCase(), 'wrong']]) {
    const s = await srv.login(email, password);
    assertProblem(s.res, 401, undefined, `login ${email}`);
    assert.equal(s.setCookie, null, 'no session cookie on a failed login');
  }
});

test('login: malformed bodies are 400', async () => {
  const post = (body, ct = 'application/json') => srv.request('POST', '/api/v1/session', { body, contentType: ct });
  assertProblem(await post('{"email":'), 400);
  assertProblem(await post({ email: 5, password: 'x' }), 400, 'email');
  assertProblem(await post({ email: ADMIN_EMAIL }), 400, 'password');
  assertProblem(await post({ password: 'x' }), 400, 'email');
  assertProblem(await post({ email: ADMIN_EMAIL, password: '' }), 400, 'password');
});

test('login sets an HttpOnly SameSite=Strict cookie and returns the user', async () => {
  const s = await srv.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.equal(s.status, 200, s.res.text);
  assert.deepEqual(Object.keys(s.user).sort(), USER_KEYS);
  assert.equal(s.user.email, ADMIN_EMAIL);
  assert.equal(s.user.role, 'admin');
  assert.equal(s.user.disabled, false);
  assert.equal(s.user.id, srv.admin.id);
  assert.ok(!('password' in s.user) && !('password_hash' in s.user));
  const attrs = s.setCookie.split(';').map((x) => x.trim());
  assert.match(attrs[0], /^kizuna_session=[^;\s]{20,}$/, 'a long random secret');
  const lower = attrs.map((a) => a.toLowerCase());
  assert.ok(lower.includes('httponly'), s.setCookie);
  assert.ok(lower.includes('samesite=strict'), s.setCookie);
  assert.ok(lower.includes('path=/'), s.setCookie);
  const maxAge = lower.find((a) => a.startsWith('max-age='));
  assert.ok(maxAge && Number(maxAge.slice(8)) > 0, `Max-Age: ${s.setCookie}`);
  // Two logins give two different sessions.
  const s2 = await srv.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.notEqual(s2.cookie, s.cookie);
});

test('GET /api/v1/session with the cookie, with a token, and without either', async () => {
  const s = await srv.login(csm.email, csm.password);
  const byCookie = await srv.request('GET', '/api/v1/session', { cookie: s.cookie });
  assertStatus(byCookie, 200);
  assert.deepEqual(Object.keys(byCookie.json.user).sort(), USER_KEYS);
  assert.equal(byCookie.json.user.id, csm.id);
  assert.equal(byCookie.json.user.role, 'csm');
  const byToken = await srv.as(viewer).get('/api/v1/session');
  assertStatus(byToken, 200);
  assert.equal(byToken.json.user.id, viewer.id);
  assert.equal(byToken.json.user.role, 'viewer');
  assertProblem(await srv.as(null).get('/api/v1/session'), 401);
  assertProblem(await srv.request('GET', '/api/v1/session', { cookie: 'kizuna_session=not-a-session' }), 401);
  assertProblem(await srv.request('GET', '/api/v1/session', { headers: { authorization: 'Bearer kz_not-a-token' } }), 401);
  assertProblem(await srv.request('GET', '/api/v1/session', { headers: { authorization: 'Bearer ' } }), 401);
  assertProblem(await srv.request('GET', '/api/v1/session', { headers: { authorization: `Basic ${Buffer.from(`${ADMIN_EMAIL}:${ADMIN_PASSWORD}`).toString('base64')}` } }), 401);
});

test('CSRF: a cookie request that mutates needs Origin = http://<Host> and a JSON content type', async () => {
  const { cookie } = await srv.login(csm.email, csm.password);
  const origin = srv.origin;
  const post = (headers, body = JSON.stringify({ name: 'csrf probe' }), contentType) =>
    srv.request('POST', '/api/v1/accounts', { cookie, body, headers, contentType });
  const before = (await admin().get('/api/v1/accounts?q=csrf%20probe')).json.data.length;

  assertProblem(await post({ 'content-type': 'application/json' }), 403, undefined, 'no Origin');
  assertProblem(await post({ 'content-type': 'application/json', origin: 'http://evil.example' }), 403, undefined, 'foreign Origin');
  assertProblem(await post({ 'content-type': 'application/json', origin: 'null' }), 403, undefined, 'Origin null');
  assertProblem(await post({ 'content-type': 'application/json', origin: `https://evil.example` }), 403, undefined, 'https foreign Origin');
  assertProblem(await post({ 'content-type': 'application/json', origin: `http://127.0.0.1:${srv.port}.evil.example` }), 403, undefined, 'Host as a prefix');
  assertProblem(await post({ 'content-type': 'application/json', origin: `http://127.0.0.1` }), 403, undefined, 'no port');
  assertProblem(await post({ 'content-type': 'application/json', origin: `${origin}/` }), 403, undefined, 'trailing slash');
  assertProblem(await post({ 'content-type': 'application/json', origin: `http://127.0.0.1:${srv.port + 1}` }), 403, undefined, 'other port');
  assertProblem(await post({ 'content-type': 'text/plain', origin }), 403, undefined, 'text/plain');
  assertProblem(await post({ 'content-type': 'application/x-www-form-urlencoded', origin }, 'name=csrf+probe'), 403, undefined, 'form');
  assertProblem(await post({ 'content-type': 'multipart/form-data; boundary=x', origin }, '--x--'), 403, undefined, 'multipart');
  assertProblem(await post({ origin }, Buffer.from(JSON.stringify({ name: 'csrf probe' })), null), 403, undefined, 'no content type');
  assert.equal((await admin().get('/api/v1/accounts?q=csrf%20probe')).json.data.length, before, 'a refused request created nothing');

  const ok = await post({ 'content-type': 'application/json', origin });
  assertStatus(ok, 201, 'cookie + Origin + JSON');
  const ok2 = await post({ 'content-type': 'application/json; charset=utf-8', origin });
  assertStatus(ok2, 201, 'JSON with a charset parameter');
  const id = ok.json.id;
  // https://<Host> is accepted too (the server may sit behind a TLS-terminating proxy).
  assertStatus(await post({ 'content-type': 'application/json', origin: `https://127.0.0.1:${srv.port}` }), 201, 'https Origin, same host');

  // PATCH and DELETE follow the same rule; a refused request changes nothing.
  const patch = (headers) => srv.request('PATCH', `/api/v1/accounts/${id}`, { cookie, body: JSON.stringify({ industry: 'Changed' }), headers });
  assertProblem(await patch({ 'content-type': 'application/json' }), 403);
  assertProblem(await srv.request('DELETE', `/api/v1/accounts/${id}`, { cookie, headers: { 'content-type': 'application/json' } }), 403);
  assertProblem(await srv.request('DELETE', `/api/v1/accounts/${id}`, { cookie, headers: { origin: 'http://evil.example', 'content-type': 'application/json' } }), 403);
  const still = await admin().get(`/api/v1/accounts/${id}`);
  assertStatus(still, 200);
  assert.equal(still.json.industry, null);
  assertStatus(await patch({ 'content-type': 'application/json', origin }), 200);
  assertStatus(await srv.request('DELETE', `/api/v1/accounts/${id}`, { cookie, headers: { origin, 'content-type': 'application/json' } }), 204);

  // Reads with the cookie need no Origin.
  assertStatus(await srv.request('GET', '/api/v1/accounts', { cookie }), 200);
});

test('Bearer requests need no Origin, but a body must still be JSON (415)', async () => {
  const r = await srv.as(csm).post('/api/v1/accounts', { name: 'bearer no origin' });
  assertStatus(r, 201);
  assertProblem(await srv.as(csm).post('/api/v1/accounts', 'name=x', { contentType: 'text/plain' }), 415);
  assertProblem(await srv.as(csm).post('/api/v1/accounts', Buffer.from('{"name":"x"}'), { contentType: null }), 415, undefined, 'no Content-Type');
  assertProblem(await srv.as(csm).post('/api/v1/accounts', '{"name":"x"}', { contentType: 'application/x-www-form-urlencoded' }), 415);
  assertProblem(await srv.as(srv.admin).post('/api/v1/import/accounts', JSON.stringify({ a: 1 }), { contentType: 'application/json' }), 415);
});

test('logout: DELETE /api/v1/session clears the cookie and ends the session', async () => {
  const { cookie } = await srv.login(viewer.email, viewer.password);
  assertStatus(await srv.request('GET', '/api/v1/session', { cookie }), 200);
  // Without Origin it is refused and the session lives on.
  assertProblem(await srv.request('DELETE', '/api/v1/session', { cookie, headers: { 'content-type': 'application/json' } }), 403);
  assertStatus(await srv.request('GET', '/api/v1/session', { cookie }), 200);

  const r = await srv.request('DELETE', '/api/v1/session', { cookie, headers: { origin: srv.origin, 'content-type': 'application/json' } });
  assertStatus(r, 204);
  assert.equal(r.text, '');
  const sc = r.headers.getSetCookie().find((c) => c.startsWith('kizuna_session='));
  assert.ok(sc, 'logout sends a Set-Cookie clearing the session');
  assert.match(sc, /^kizuna_session=;|^kizuna_session=""?;/i);
  assert.match(sc, /max-age=0|expires=thu, 01 jan 1970/i);
  assertProblem(await srv.request('GET', '/api/v1/session', { cookie }), 401);
  assertProblem(await srv.request('POST', '/api/v1/accounts', { cookie, body: { name: 'after logout' }, headers: { origin: srv.origin } }), 401);
  // The viewer's token is unaffected by the logout.
  assertStatus(await srv.as(viewer).get('/api/v1/session'), 200);
});

// ------------------------------------------------------------------ tokens

test('POST /api/v1/tokens shows the secret once; lists never show it', async () => {
  const r = await srv.as(csm).post('/api/v1/tokens', { name: 'ci deploy' });
  assertStatus(r, 201);
  for (const k of ['created_at', 'id', 'name', 'prefix', 'token']) assert.ok(k in r.json, `token reply lacks ${k}`);
  assert.ok(!('token_hash' in r.json));
  assert.equal(r.json.name, 'ci deploy');
  assert.match(r.json.token, /^kz_[A-Za-z0-9_-]{20,}$/);
  assert.ok(r.json.prefix.length >= 4 && r.json.token.startsWith(r.json.prefix), `prefix ${r.json.prefix} of ${r.json.token}`);
  assert.match(r.json.created_at, RFC3339);

  // The new token works.
  const me = await srv.as(r.json.token).get('/api/v1/session');
  assertStatus(me, 200);
  assert.equal(me.json.user.id, csm.id);

  const list = await srv.as(csm).get('/api/v1/tokens');
  assertStatus(list, 200);
  assert.ok(Array.isArray(list.json.data));
  const mine = list.json.data.find((t) => t.id === r.json.id);
  assert.ok(mine, 'the new token is listed');
  assert.deepEqual(Object.keys(mine).sort(), ['created_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'user_id']);
  assert.equal(mine.user_id, csm.id);
  assert.equal(mine.name, 'ci deploy');
  assert.equal(mine.prefix, r.json.prefix);
  assert.equal(mine.revoked_at, null);
  assert.match(mine.last_used_at, RFC3339, 'using a token records last_used_at');
  assert.ok(!list.text.includes(r.json.token), 'the secret must never be listed');
});

test('GET /api/v1/tokens: own tokens only; an admin sees every user\'s', async () => {
  const v = await srv.as(viewer).get('/api/v1/tokens');
  assertStatus(v, 200);
  assert.ok(v.json.data.length >= 1);
  assert.ok(v.json.data.every((t) => t.user_id === viewer.id), 'a viewer sees only its own tokens');
  const a = await admin().get('/api/v1/tokens');
  assertStatus(a, 200);
  const owners = new Set(a.json.data.map((t) => t.user_id));
  for (const u of [srv.admin.id, csm.id, viewer.id]) assert.ok(owners.has(u), `admin list lacks user ${u}'s tokens`);
  assertProblem(await srv.as(null).get('/api/v1/tokens'), 401);
});

test('tokens: name is required; unknown fields are refused', async () => {
  assertProblem(await srv.as(csm).post('/api/v1/tokens', {}), 400, 'name');
  assertProblem(await srv.as(csm).post('/api/v1/tokens', { name: 5 }), 400, 'name');
  assertProblem(await srv.as(csm).post('/api/v1/tokens', { name: '' }), 400, 'name');
  assertProblem(await srv.as(csm).post('/api/v1/tokens', { name: 'x', user_id: srv.admin.id }), 400, 'user_id');
});

test('DELETE /api/v1/tokens/{id} revokes: the token then gets 401 and is listed as revoked', async () => {
  const t = (await srv.as(csm).post('/api/v1/tokens', { name: 'short-lived' })).json;
  assertStatus(await srv.as(t.token).get('/api/v1/accounts'), 200);
  const d = await srv.as(csm).del(`/api/v1/tokens/${t.id}`);
  assertStatus(d, 204);
  assert.equal(d.text, '');
  assertProblem(await srv.as(t.token).get('/api/v1/accounts'), 401);
  assertProblem(await srv.as(t.token).post('/api/v1/accounts', { name: 'revoked' }), 401);
  const listed = (await srv.as(csm).get('/api/v1/tokens')).json.data.find((x) => x.id === t.id);
  assert.ok(listed, 'a revoked token stays listed, with revoked_at');
  assert.match(listed.revoked_at, RFC3339);
  // Revoking again, or an unknown id: 404.
  assertProblem(await srv.as(csm).del('/api/v1/tokens/999999'), 404);
  assertProblem(await srv.as(csm).del('/api/v1/tokens/abc'), 404);
});

test('tokens: a non-admin may not revoke another user\'s token (it does not exist for them: 404); an admin may', async () => {
  const t = (await srv.as(viewer).post('/api/v1/tokens', { name: 'viewer second' })).json;
  assertProblem(await srv.as(csm).del(`/api/v1/tokens/${t.id}`), 404);
  assertProblem(await srv.as(csm).del(`/api/v1/tokens/${srv.admin.tokenId}`), 404);
  assertStatus(await srv.as(t.token).get('/api/v1/session'), 200, 'still live after the refused revoke');
  assertStatus(await admin().del(`/api/v1/tokens/${t.id}`), 204);
  assertProblem(await srv.as(t.token).get('/api/v1/session'), 401);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
