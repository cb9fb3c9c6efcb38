// healthz, metrics, routing (404/405), and the command line: version, --help, check, demo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, test } from 'node:test';
import {
  assertNoSanitizerReport, assertProblem, runCli, startServer, tmpDb, waitFor,
} from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);

test('GET /healthz answers {"status":"ok"} without authentication', async () => {
  const r = await srv.as(null).get('/healthz');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.json.status, 'ok');
});

/** Prometheus text into { name{labels}: value } plus parsed samples. */
function parseProm(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)(\s+\d+)?$/.exec(line);
    assert.ok(m, `metrics: unparsable line ${JSON.stringify(line)}`);
    const labels = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[4]), line });
  }
  return samples;
}

const find = (samples, name, want) => samples.filter((s) => s.name === name
  && Object.entries(want).every(([k, v]) => s.labels[k] === v));

test('GET /metrics is Prometheus text with request counters, a duration histogram and the DB size', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await srv.as(null).get('/healthz')).status, 200);
  const r1 = await srv.as(null).get('/metrics');
  assert.equal(r1.status, 200);
  assert.match(r1.headers.get('content-type'), /^text\/plain; ?version=0\.0\.4/);
  const s1 = parseProm(r1.text);
  assert.match(r1.text, /^# TYPE kizuna_http_requests_total counter$/m);
  assert.match(r1.text, /^# TYPE kizuna_http_request_duration_seconds histogram$/m);
  const c1 = find(s1, 'kizuna_http_requests_total', { method: 'GET', route: '/healthz', status: '200' });
  assert.equal(c1.length, 1, `one healthz counter expected:\n${r1.text}`);
  assert.ok(c1[0].value >= 3);

  for (let i = 0; i < 2; i++) await srv.as(null).get('/healthz');
  const s2 = parseProm((await srv.as(null).get('/metrics')).text);
  const c2 = find(s2, 'kizuna_http_requests_total', { method: 'GET', route: '/healthz', status: '200' });
  assert.equal(c2[0].value - c1[0].value, 2, 'the healthz counter grows by exactly the requests made');

  // Histogram: for every label set, buckets cumulative, +Inf bucket == _count, _sum present.
  const buckets = s2.filter((s) => s.name === 'kizuna_http_request_duration_seconds_bucket');
  assert.ok(buckets.length > 0, 'no histogram buckets');
  const key = (l) => JSON.stringify(Object.entries(l).filter(([k]) => k !== 'le').sort());
  const groups = new Map();
  for (const b of buckets) {
    assert.ok('le' in b.labels, b.line);
    if (!groups.has(key(b.labels))) groups.set(key(b.labels), []);
    groups.get(key(b.labels)).push(b);
  }
  for (const [k, g] of groups) {
    const les = g.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    assert.ok(les.includes(Infinity), `no +Inf bucket for ${k}`);
    const sorted = g.map((b, i) => [les[i], b.value]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i][1] >= sorted[i - 1][1], `buckets not cumulative for ${k}`);
    const labels = Object.fromEntries(JSON.parse(k));
    const count = find(s2, 'kizuna_http_request_duration_seconds_count', labels).filter((s) => key(s.labels) === k);
    const sum = find(s2, 'kizuna_http_request_duration_seconds_sum', labels).filter((s) => key(s.labels) === k);
    assert.equal(count.length, 1, `no _count for ${k}`);
    assert.equal(sum.length, 1, `no _sum for ${k}`);
    assert.equal(sorted[sorted.length - 1][1], count[0].value, `+Inf bucket != _count for ${k}`);
    assert.ok(sum[0].value >= 0);
  }
  const size = s2.filter((s) => s.name === 'kizuna_db_size_bytes');
  assert.equal(size.length, 1);
  assert.ok(size[0].value > 0, 'kizuna_db_size_bytes should be > 0');
});

test('metrics label routes by their pattern, not the raw URL (bounded cardinality)', async () => {
  assert.equal((await admin().get('/api/v1/accounts/777777')).status, 404);
  // A request is counted when libmicrohttpd reports it complete, which may come a moment
  // after the client has read the reply: wait for the count rather than race it.
  const series = (text) => parseProm(text).filter((x) => x.name === 'kizuna_http_requests_total'
    && x.labels.method === 'GET' && x.labels.status === '404' && /accounts/.test(x.labels.route));
  let r;
  await waitFor(async () => series((r = await srv.as(null).get('/metrics')).text).length > 0, 5000, 'the 404 counted');
  assert.ok(!r.text.includes('777777'), 'a raw id leaked into a metric label');
  assert.equal(series(r.text).length, 1, 'the 404 on an account should be counted under its route pattern');
});

test('an unknown path is a 404 problem', async () => {
  assertProblem(await admin().get('/api/v1/nope'), 404);
  assertProblem(await admin().get('/api/v2/accounts'), 404);
  assertProblem(await admin().get('/api/v1/accounts/1/nope'), 404);
});

// Regression: a request answered on its first callback (404, 405, 503 while stopping) still
// has its body delivered by libmicrohttpd; that must not reach the (absent) route's handler.
test('a body sent to an unknown path or with a wrong method is 404/405, and the server lives on', async () => {
  const body = JSON.stringify({ name: 'x'.repeat(5000) });
  assertProblem(await admin().request('POST', '/api/v1/nope', { body }), 404);
  assertProblem(await admin().request('PUT', '/api/v1/accounts', { body }), 405);
  assert.equal((await admin().get('/healthz')).status, 200);
});

test('a wrong method on a known path is 405 with an Allow header', async () => {
  const allow = (r) => new Set((r.headers.get('allow') || '').split(',').map((s) => s.trim()).filter(Boolean));
  const cases = [
    ['PUT', '/api/v1/accounts', ['GET', 'POST'], ['PUT', 'DELETE', 'PATCH']],
    ['PUT', '/api/v1/accounts/1', ['GET', 'PATCH', 'DELETE'], ['PUT', 'POST']],
    ['POST', '/healthz', ['GET'], ['POST']],
    ['DELETE', '/api/v1/settings/tiers', ['GET', 'PUT'], ['DELETE', 'POST']],
    ['GET', '/api/v1/import/accounts', ['POST'], ['GET']],
  ];
  for (const [m, p, must, mustNot] of cases) {
    const r = await admin().request(m, p, m === 'GET' ? {} : { body: {} });
    assertProblem(r, 405, undefined, `${m} ${p}`);
    const a = allow(r);
    for (const x of must) assert.ok(a.has(x), `${m} ${p}: Allow "${r.headers.get('allow')}" lacks ${x}`);
    for (const x of mustNot) assert.ok(!a.has(x), `${m} ${p}: Allow "${r.headers.get('allow')}" has ${x}`);
  }
});

test('every request is logged, one line each', async () => {
  const before = srv.stderrText.split('\n').length;
  for (let i = 0; i < 5; i++) await srv.as(null).get('/healthz?n=' + i);
  await new Promise((r) => setTimeout(r, 100));
  const lines = srv.stderrText.split('\n').slice(before - 1).filter((l) => l.includes('/healthz'));
  assert.equal(lines.length, 5, `expected 5 log lines for /healthz, got:\n${lines.join('\n')}`);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());

test('kizuna check says ok on a healthy database', () => {
  const r = runCli(['check', '--db', srv.db]);
  assertNoSanitizerReport(r.stderr, 'check');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('kizuna check reports a corrupted database and exits 1', () => {
  const { dir, db } = tmpDb('corrupt');
  try {
    fs.copyFileSync(srv.db, db);
    const size = fs.statSync(db).size;
    assert.ok(size >= 3 * 4096, `db unexpectedly small: ${size}`);
    // Garble every page after the first (the schema page stays readable).
    const fd = fs.openSync(db, 'r+');
    const junk = Buffer.alloc(size - 4096, 0xa5);
    for (let i = 0; i < junk.length; i += 97) junk[i] = i & 0xff;
    fs.writeSync(fd, junk, 0, junk.length, 4096);
    fs.closeSync(fd);
    const r = runCli(['check', '--db', db]);
    assertNoSanitizerReport(r.stderr, 'check');
    assert.equal(r.code, 1, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.notEqual(r.stdout.trim(), 'ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kizuna version and --help', () => {
  const v = runCli(['version']);
  assertNoSanitizerReport(v.stderr, 'version');
  assert.equal(v.code, 0);
  assert.ok(v.stdout.trim().length > 0, 'version prints something');
  const h = runCli(['--help']);
  assertNoSanitizerReport(h.stderr, '--help');
  assert.equal(h.code, 0);
  const text = h.stdout + h.stderr;
  for (const sub of ['serve', 'demo', 'check', 'version']) assert.ok(text.includes(sub), `--help does not mention ${sub}`);
  const bad = runCli(['no-such-command']);
  assertNoSanitizerReport(bad.stderr, 'unknown subcommand');
  assert.notEqual(bad.code, 0);
});

test('kizuna demo writes demo data the server serves; demo users log in with kizuna-demo', async () => {
  const { dir, db } = tmpDb('demo');
  const d = runCli(['demo', '--db', db, '--seed', '7', '--today', '2025-01-15'], { timeout: 120000 });
  assertNoSanitizerReport(d.stderr, 'demo');
  assert.equal(d.code, 0, d.stderr);
  const s = await startServer({ db, dir });
  try {
    const users = (await s.listAll(s.admin, '/api/v1/users')).items;
    const csms = users.filter((u) => u.role === 'csm');
    const viewers = users.filter((u) => u.role === 'viewer');
    assert.equal(csms.length, 3, JSON.stringify(users));
    assert.equal(viewers.length, 1, JSON.stringify(users));
    const login = await s.login(csms[0].email, 'kizuna-demo');
    assert.equal(login.status, 200, login.res.text);
    const vlogin = await s.login(viewers[0].email, 'kizuna-demo');
    assert.equal(vlogin.status, 200, vlogin.res.text);
    const accounts = await s.as(s.admin).get('/api/v1/accounts?limit=5');
    assert.equal(accounts.status, 200);
    assert.equal(accounts.json.data.length, 5, 'demo should create accounts');
    const owned = await s.listAll(s.admin, `/api/v1/accounts?owner=${csms[0].id}&limit=500`);
    assert.ok(owned.items.length > 0, 'a demo CSM owns accounts');
    await s.stop();
    const c = runCli(['check', '--db', db]);
    assert.equal(c.stdout.trim(), 'ok');
  } finally {
    await s.cleanup();
  }
});

test('two demo runs with the same seed and day produce the same accounts', (t) => {
  const a = tmpDb('demoA');
  const b = tmpDb('demoB');
  try {
    for (const x of [a, b]) {
      const r = runCli(['demo', '--db', x.db, '--seed', '42', '--today', '2025-01-15'], { timeout: 120000 });
      assertNoSanitizerReport(r.stderr, 'demo');
      assert.equal(r.code, 0, r.stderr);
    }
    const sql = 'SELECT name, domain, industry, employees, owner_id, tier, phase FROM accounts ORDER BY id;';
    const dump = (db) => spawnSync('sqlite3', ['-readonly', db, sql], { encoding: 'utf8' });
    const ra = dump(a.db);
    if (ra.error) return t.skip('sqlite3 CLI not installed');
    assert.equal(ra.status, 0, ra.stderr);
    assert.ok(ra.stdout.length > 0, 'demo wrote no accounts');
    assert.equal(dump(b.db).stdout, ra.stdout, 'same seed and day, different demo accounts');
  } finally {
    fs.rmSync(a.dir, { recursive: true, force: true });
    fs.rmSync(b.dir, { recursive: true, force: true });
  }
});
