// Login rate limit: 10 failed logins from one address within 15 minutes → 429 with Retry-After.
// Its own file (own server): every test runs from 127.0.0.1, so the limit would leak otherwise.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, assertProblem, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());

test('ten failed logins, then 429 with Retry-After even for the right password', async () => {
  for (let i = 1; i <= 10; i++) {
    const s = await srv.login(ADMIN_EMAIL, `wrong-${i}`);
    assertProblem(s.res, 401, undefined, `failed attempt ${i}`);
  }
  const limited = await srv.login(ADMIN_EMAIL, 'wrong-11');
  assertProblem(limited.res, 429, undefined, 'attempt 11');
  const ra = limited.res.headers.get('retry-after');
  assert.match(ra ?? '', /^\d+$/, `Retry-After: ${ra}`);
  assert.ok(Number(ra) > 0 && Number(ra) <= 15 * 60, `Retry-After ${ra} within 15 minutes`);
  const right = await srv.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  assertProblem(right.res, 429, undefined, 'right password while limited');
  assert.equal(right.setCookie, null);
  // Tokens and sessions already issued keep working.
  const r = await srv.as(srv.admin).get('/api/v1/session');
  assert.equal(r.status, 200);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
