// Static serving of the web app (src/http/static.c), against a small hand-made web root
// given with --web: content types, SPA fallback, cache headers, HEAD, the JSON 404 kept for
// /api/ and /v1/, path traversal in every spelling (.., %2e%2e, %2f, NUL, a symbolic link),
// and the 503 when the app is not built.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, test } from 'node:test';
import { assertProblem, rawHttp, Server, sockWrite, tmpDb } from './lib.mjs';

const { dir } = tmpDb('static');
const web = path.join(dir, 'web');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-WEB-ROOT';
fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>Kizuna</title><div id="app"></div>');
fs.writeFileSync(path.join(web, 'assets', 'index-AbC123.js'), 'console.log("kizuna")\n');
fs.writeFileSync(path.join(web, 'assets', 'index-AbC123.css'), 'body{color:#000}\n');
const BIG = `export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word${i}`))};\n`;
fs.writeFileSync(path.join(web, 'assets', 'big-Zz9.js'), BIG);
fs.writeFileSync(path.join(web, 'assets', 'big-Zz9.js.gz'), zlib.gzipSync(BIG));
fs.writeFileSync(path.join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
fs.writeFileSync(path.join(dir, 'secret.txt'), SECRET);
fs.mkdirSync(path.join(dir, 'outside'));
fs.writeFileSync(path.join(dir, 'outside', 'secret.txt'), SECRET);
fs.symlinkSync(path.join(dir, 'outside'), path.join(web, 'link'));
fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(web, 'assets', 'leak.js'));

const srv = await Server.start({ args: ['--web', web], admin: false });
const empty = path.join(dir, 'empty');
fs.mkdirSync(empty);
const unbuilt = await Server.start({ args: ['--web', empty], admin: false });
after(async () => { await srv.cleanup(); await unbuilt.cleanup(); fs.rmSync(dir, { recursive: true, force: true }); });

/** A raw GET/HEAD with the path sent exactly as given (fetch would normalise it). */
function raw(p, method = 'GET', extra = '') {
  return rawHttp(srv.port, (sock) => sockWrite(sock, `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n${extra}Connection: close\r\n\r\n`));
}
const rawBody = (r) => r.raw.subarray(r.raw.indexOf('\r\n\r\n') + 4);

test('/ is index.html, revalidated every time, with a CSP', async () => {
  const r = await srv.fetchRaw('GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.match(r.text, /<div id="app">/);
});

test('app routes get index.html (SPA routing)', async () => {
  for (const p of ['/accounts', '/accounts/12', '/settings?tab=users', '/login?next=%2Faccounts', '/no/such/page']) {
    const r = await srv.fetchRaw('GET', p);
    assert.equal(r.status, 200, p);
    assert.match(r.text, /<div id="app">/, p);
    assert.equal(r.headers.get('cache-control'), 'no-cache', p);
  }
});

test('hashed assets: right type, cached for a year', async () => {
  const js = await srv.fetchRaw('GET', '/assets/index-AbC123.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.match(js.headers.get('cache-control'), /max-age=31536000/);
  assert.match(js.headers.get('cache-control'), /immutable/);
  assert.equal(js.text, 'console.log("kizuna")\n');
  const css = await srv.fetchRaw('GET', '/assets/index-AbC123.css');
  assert.match(css.headers.get('content-type'), /^text\/css/);
  const svg = await srv.fetchRaw('GET', '/favicon.svg');
  assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  assert.equal(svg.headers.get('cache-control'), 'no-cache', 'unhashed files are revalidated');
});

test('a missing file with an extension is a 404, never index.html', async () => {
  for (const p of ['/assets/index-Old999.js', '/missing.css', '/robots.txt']) {
    const r = await srv.fetchRaw('GET', p);
    assert.equal(r.status, 404, p);
    assert.doesNotMatch(r.text, /<div id="app">/, p);
  }
});

test('HEAD gives the headers and no body', async () => {
  const r = await raw('/assets/index-AbC123.js', 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String('console.log("kizuna")\n'.length));
  assert.match(r.headers['content-type'], /^text\/javascript/);
  assert.equal(r.body, '');
  const i = await raw('/accounts/3', 'HEAD');
  assert.equal(i.status, 200);
  assert.match(i.headers['content-type'], /^text\/html/);
});

test('a gzip copy is sent to clients that accept gzip, the file itself to the others', async () => {
  const gz = await raw('/assets/big-Zz9.js', 'GET', 'Accept-Encoding: deflate, gzip;q=0.8, br\r\n');
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.match(gz.headers['content-type'], /^text\/javascript/);
  assert.match(gz.headers['cache-control'], /immutable/);
  assert.equal(zlib.gunzipSync(rawBody(gz)).toString(), BIG);
  assert.ok(Number(gz.headers['content-length']) < BIG.length / 2);
  for (const ae of [null, 'gzip;q=0', 'identity', 'br, deflate', 'gzip; q=0.000']) {
    const r = await raw('/assets/big-Zz9.js', 'GET', ae === null ? '' : `Accept-Encoding: ${ae}\r\n`);
    assert.equal(r.headers['content-encoding'], undefined, String(ae));
    assert.equal(r.headers.vary, 'Accept-Encoding', String(ae));
    assert.equal(rawBody(r).toString(), BIG, String(ae));
  }
  const star = await raw('/assets/big-Zz9.js', 'GET', 'Accept-Encoding: br, *;q=0.5\r\n');
  assert.equal(star.headers['content-encoding'], 'gzip');
  const head = await raw('/assets/big-Zz9.js', 'HEAD', 'Accept-Encoding: gzip\r\n');
  assert.equal(head.headers['content-length'], String(fs.statSync(path.join(web, 'assets', 'big-Zz9.js.gz')).size));
  // fetch decompresses transparently.
  const f = await srv.fetchRaw('GET', '/assets/big-Zz9.js');
  assert.equal(f.text, BIG);
});

test('unknown /api/ and /v1/ paths stay JSON 404s', async () => {
  for (const p of ['/api/v1/nope', '/api/nope', '/api', '/v1/nope', '/v1']) {
    assertProblem(await srv.fetchRaw('GET', p), 404, undefined, p);
  }
  // A known API path with another method is still a 405, not a page.
  const r = await srv.fetchRaw('PUT', '/api/v1/accounts');
  assert.equal(r.status, 405);
  // Other methods on page paths are not served files.
  const post = await srv.fetchRaw('POST', '/accounts', { headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(post.status, 404);
});

test('path traversal is refused in every spelling', async () => {
  const attempts = [
    '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt', '/.%2e/secret.txt', '/assets/%2e%2e%5c%2e%2e%5csecret.txt',
    '/..\\secret.txt', '/secret.txt%00.js', '/a%00b', '/%00', '/assets/index-AbC123.js%00',
    '/link/secret.txt', '/assets/leak.js', '/./index.html', '//etc/passwd', '/%2fetc%2fpasswd',
  ];
  for (const p of attempts) {
    const r = await raw(p);
    assert.ok(!r.body.includes(SECRET), `${p} leaked the file outside the web root`);
    assert.ok(!/root:.*:0:0:/.test(r.body), `${p} leaked /etc/passwd`);
    assert.ok(r.status === 404 || r.status === 400 || (r.status === 200 && r.body.includes('<div id="app">')),
      `${p}: ${r.status} ${r.body.slice(0, 200)}`);
    assert.notEqual(r.status, 500, p);
  }
});

test('without a built web app: a 503 that says how to build it; the API still works', async () => {
  const r = await unbuilt.fetchRaw('GET', '/');
  assert.equal(r.status, 503);
  assert.match(r.text, /make web/);
  const deep = await unbuilt.fetchRaw('GET', '/accounts/1');
  assert.equal(deep.status, 503);
  const api = await unbuilt.fetchRaw('GET', '/api/v1/accounts');
  assert.equal(api.status, 401);
  const h = await unbuilt.fetchRaw('GET', '/healthz');
  assert.equal(h.status, 200);
});

test('servers stop cleanly', async () => {
  await srv.stop();
  await unbuilt.stop();
});
