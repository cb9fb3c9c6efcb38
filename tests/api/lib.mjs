// The API test harness: runs the real kizuna binary (by default the ASan/UBSan build,
// build/test/kizuna; override with KIZUNA_BIN) on a free loopback port with a fresh database,
// and gives the tests small helpers to talk to it. Node 20 built-ins only.
//
// Every test file starts its own server (own port, own temp DB), so files may run in parallel.
// The usual shape of a test file:
//
//   const srv = await startServer();            // also logs in the admin and makes a token
//   after(() => srv.cleanup());                 // safety net: kills the server if still up
//   test('...', async () => { const r = await srv.as(srv.admin).get('/api/v1/accounts'); ... });
//   test('server stops cleanly', () => srv.stop());   // SIGTERM, exit 0, no sanitizer report

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(ROOT, process.env.KIZUNA_BIN || 'build/test/kizuna');
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct-horse-battery';
export const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|runtime error:/;
const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 20000;

const live = new Set();
process.on('exit', () => {
  for (const s of live) try { s.proc.kill('SIGKILL'); } catch { /* gone */ }
});

/** Environment for a child: sanitizer options on top of ours. */
export function childEnv(extra = {}) {
  return {
    ...process.env,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1',
    ...extra,
  };
}

/** A fresh temporary directory and a database path inside it. */
export function tmpDb(tag = 'api') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kizuna-${tag}-`));
  return { dir, db: path.join(dir, 'kizuna.db') };
}

/** A port nobody listens on right now (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs the binary synchronously (for subcommands like check, demo, version). */
export function runCli(args, { env = {}, timeout = 60000 } = {}) {
  // The admin credentials too: subcommands that open a DB create the first admin from them.
  const r = spawnSync(BIN, args, {
    env: childEnv({ KIZUNA_ADMIN_EMAIL: ADMIN_EMAIL, KIZUNA_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env }), encoding: 'utf8', timeout,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Fails when a sanitizer reported anything in text. */
export function assertNoSanitizerReport(text, what = 'stderr') {
  const m = SANITIZER_RE.exec(text);
  if (m) {
    const from = Math.max(0, m.index - 200);
    assert.fail(`sanitizer report in ${what}:\n${text.slice(from, from + 6000)}`);
  }
}

/** A parsed HTTP response: status, headers, raw text and JSON (when the body is JSON). */
async function toResponse(res) {
  const text = await res.text();
  const ct = res.headers.get('content-type') || '';
  let json;
  if (/json/.test(ct) && text.length) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  return { status: res.status, headers: res.headers, text, json, body: json };
}

export class Server {
  constructor({ db, dir, port, proc }) {
    this.db = db;
    this.dir = dir;
    this.port = port;
    this.proc = proc;
    this.base = `http://127.0.0.1:${port}`;
    this.origin = this.base;
    this.stderrText = '';
    this.stdoutText = '';
    this.exit = null; // { code, signal } once exited
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
    });
    proc.stderr.setEncoding('utf8');
    proc.stdout.setEncoding('utf8');
    proc.stderr.on('data', (d) => { this.stderrText += d; });
    proc.stdout.on('data', (d) => { this.stdoutText += d; });
    live.add(this);
  }

  /**
   * Starts `kizuna serve` on db (a fresh temp one by default) and waits for "listening on".
   * Unless admin is false, logs the bootstrap admin in and creates its API token (srv.admin).
   */
  static async start({ db, dir, env = {}, args = [], admin = true } = {}) {
    if (!fs.existsSync(BIN)) throw new Error(`kizuna binary not found: ${BIN} (make build/test/kizuna, or set KIZUNA_BIN)`);
    if (!db) ({ db, dir } = tmpDb());
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args], {
        env: childEnv({ KIZUNA_ADMIN_EMAIL: ADMIN_EMAIL, KIZUNA_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const srv = new Server({ db, dir, port, proc });
      try {
        await srv.waitListening();
      } catch (e) {
        lastErr = e;
        if (/in use/i.test(srv.stderrText)) continue; // lost the port race: try another
        throw e;
      }
      if (admin) {
        try {
          await srv.loginAdmin();
        } catch (e) {
          await srv.kill9();
          throw e;
        }
      }
      return srv;
    }
    throw lastErr;
  }

  waitListening() {
    const want = `listening on http://127.0.0.1:${this.port}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.proc.kill('SIGKILL');
        reject(new Error(`server did not print "${want}" within ${START_TIMEOUT_MS} ms; stderr:\n${this.stderrTail()}`));
      }, START_TIMEOUT_MS);
      const onData = () => {
        if (this.stderrText.includes(want)) { cleanup(); resolve(); }
      };
      const onExit = (code, signal) => {
        cleanup();
        reject(new Error(`server exited (code ${code}, signal ${signal}) before listening; stderr:\n${this.stderrTail()}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.proc.stderr.off('data', onData);
        this.proc.off('exit', onExit);
      };
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', onExit);
      onData();
    });
  }

  stderrTail(n = 4000) {
    return this.stderrText.length > n ? '...' + this.stderrText.slice(-n) : this.stderrText;
  }

  /** The admin's token, from a cookie login then POST /api/v1/tokens. */
  async loginAdmin() {
    const s = await this.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(s.status, 200, `admin login: ${s.res.text}`);
    const t = await this.createTokenWithCookie(s.cookie, 'test-admin');
    this.admin = { id: s.user.id, email: ADMIN_EMAIL, role: 'admin', token: t.token, tokenId: t.id, cookie: s.cookie };
    return this.admin;
  }

  /** POST /api/v1/session; returns { status, cookie (name=value), setCookie (raw), user, res }. */
  async login(email, password) {
    const res = await this.fetchRaw('POST', '/api/v1/session', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('kizuna_session=')) || null;
    const cookie = setCookie ? setCookie.split(';')[0] : null;
    return { status: res.status, cookie, setCookie, user: res.json?.user, res };
  }

  async createTokenWithCookie(cookie, name) {
    const r = await this.request('POST', '/api/v1/tokens', {
      cookie, body: { name }, headers: { origin: this.origin },
    });
    assert.equal(r.status, 201, `POST /api/v1/tokens: ${r.text}`);
    assert.match(r.json.token, /^kz_/);
    return r.json;
  }

  /** Creates a user with this role (as admin), logs it in and gives it a token. */
  async createUser(role, { email, name, password = 'user-password-1' } = {}) {
    const n = Server.seq = (Server.seq || 0) + 1;
    email ??= `${role}${n}.${process.pid}@example.com`;
    name ??= `Test ${role} ${n}`;
    const r = await this.as(this.admin).post('/api/v1/users', { email, name, role, password });
    assert.equal(r.status, 201, `POST /api/v1/users: ${r.text}`);
    const s = await this.login(email, password);
    assert.equal(s.status, 200, `login ${email}: ${s.res.text}`);
    const t = await this.createTokenWithCookie(s.cookie, `test-${role}`);
    return { id: r.json.id, email, name, role, password, token: t.token, tokenId: t.id, cookie: s.cookie };
  }

  /** fetch with a parsed response; errors carry the server's stderr when it has died. */
  async fetchRaw(method, p, { headers = {}, body } = {}) {
    let res;
    try {
      res = await fetch(this.base + p, { method, headers, body, redirect: 'manual' });
    } catch (e) {
      const state = this.exit ? `server exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'server running';
      throw new Error(`${method} ${p} failed: ${e.message} ${e.cause?.code || e.cause?.message || ''}; ${state}; stderr:\n${this.stderrTail()}`);
    }
    return toResponse(res);
  }

  /**
   * One request. Options: token (Bearer), cookie, body (an object is sent as JSON; a string or
   * Buffer is sent as is), contentType (default application/json when there is a body; null
   * sends no Content-Type at all: pass a Buffer body then, fetch labels strings text/plain),
   * headers.
   */
  request(method, p, { token, cookie, body, contentType, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (cookie) h.cookie = cookie;
    let payload;
    if (body !== undefined) {
      if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
        payload = body;
      } else {
        payload = JSON.stringify(body);
      }
      if (contentType !== null && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        h['content-type'] = contentType || 'application/json';
      }
    }
    return this.fetchRaw(method, p, { headers: h, body: payload });
  }

  /** Request helpers bound to a principal: a user object ({token}), a token string, or null. */
  as(who) {
    const token = typeof who === 'string' ? who : who?.token;
    const call = (m) => (p, body, opts = {}) => this.request(m, p, { ...opts, token, body });
    return {
      get: (p, opts = {}) => this.request('GET', p, { ...opts, token }),
      del: (p, opts = {}) => this.request('DELETE', p, { ...opts, token }),
      post: call('POST'),
      put: call('PUT'),
      patch: call('PATCH'),
      request: (m, p, opts = {}) => this.request(m, p, { ...opts, token }),
    };
  }

  /** Follows next_cursor from path until null; returns every item and the pages seen. */
  async listAll(who, p, { maxPages = 1000 } = {}) {
    const items = [];
    const pages = [];
    let cursor = null;
    for (let i = 0; i < maxPages; i++) {
      const sep = p.includes('?') ? '&' : '?';
      const url = cursor === null ? p : `${p}${sep}cursor=${encodeURIComponent(cursor)}`;
      const r = await this.as(who).get(url);
      assert.equal(r.status, 200, `GET ${url}: ${r.text}`);
      assert.ok(Array.isArray(r.json.data), `GET ${url}: data is not an array`);
      assert.ok('next_cursor' in r.json, `GET ${url}: no next_cursor`);
      pages.push(r.json.data.length);
      items.push(...r.json.data);
      cursor = r.json.next_cursor;
      if (cursor === null) return { items, pages };
      assert.equal(typeof cursor, 'string', `GET ${url}: next_cursor is neither string nor null`);
    }
    assert.fail(`GET ${p}: more than ${maxPages} pages`);
  }

  // --- Tracking API (Segment-compatible ingestion) ---------------------------------------

  /** POST /api/v1/write-keys as admin; asserts 201 and returns { id, name, key, ... }. */
  async createWriteKey(name = 'test key') {
    const r = await this.as(this.admin).post('/api/v1/write-keys', { name });
    assert.equal(r.status, 201, `POST /api/v1/write-keys: ${r.status} ${r.text}`);
    assert.match(r.json?.key ?? '', /^wk_/, `POST /api/v1/write-keys: ${r.text}`);
    return r.json;
  }

  /**
   * POST to a tracking endpoint (/v1/batch, /v1/track, ...). Options: key (write key, sent as
   * HTTP Basic user name with an empty password; omit for none), gzip (compress the body and
   * send Content-Encoding: gzip; 'magic' compresses without the header), contentType (default
   * application/json; null for none), headers. body: an object (sent as JSON), a string or a
   * Buffer (sent as is).
   */
  ingest(p, body, { key, gzip = false, contentType = 'application/json', headers = {} } = {}) {
    const h = { ...headers };
    if (key !== undefined && key !== null) h.authorization = basicAuth(key);
    let payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (gzip) {
      payload = zlib.gzipSync(payload);
      if (gzip !== 'magic') h['content-encoding'] = 'gzip';
    }
    if (contentType !== null) h['content-type'] = contentType;
    else if (typeof payload === 'string') payload = Buffer.from(payload);
    return this.fetchRaw('POST', p, { headers: h, body: payload });
  }

  /** The account whose external_id is extId (GET /api/v1/accounts?external_id=), or null. */
  async accountByExternalId(extId) {
    const r = await this.as(this.admin).get(`/api/v1/accounts?external_id=${encodeURIComponent(extId)}`);
    assert.equal(r.status, 200, `GET /api/v1/accounts?external_id=${extId}: ${r.text}`);
    assert.ok(r.json.data.length <= 1, `two accounts with external_id ${extId}`);
    return r.json.data[0] ?? null;
  }

  /** Every event of an account (GET /api/v1/accounts/{id}/events, all pages), newest first. */
  async accountEvents(accountId, query = '') {
    const q = query ? `&${query}` : '';
    return (await this.listAll(this.admin, `/api/v1/accounts/${accountId}/events?limit=500${q}`)).items;
  }

  /** GET /api/v1/accounts/{id}/usage?query; asserts 200 and returns the JSON. */
  async usage(accountId, query = '') {
    const p = `/api/v1/accounts/${accountId}/usage${query ? `?${query}` : ''}`;
    const r = await this.as(this.admin).get(p);
    assert.equal(r.status, 200, `GET ${p}: ${r.status} ${r.text}`);
    return r.json;
  }

  /** Every row of GET /api/v1/ingest/errors (newest first). */
  async ingestErrors() {
    return (await this.listAll(this.admin, '/api/v1/ingest/errors?limit=500')).items;
  }

  /** Whole-stderr sanitizer check. */
  assertClean() {
    assertNoSanitizerReport(this.stderrText, `server stderr (port ${this.port})`);
  }

  /**
   * SIGTERM (signal: null to send nothing, e.g. when the test already signalled), waits for
   * the exit, then asserts exit code 0 and no sanitizer report.
   */
  async stop({ timeout = STOP_TIMEOUT_MS, signal = 'SIGTERM' } = {}) {
    if (!this.exit) {
      if (signal) this.proc.kill(signal);
      const t = setTimeout(() => this.proc.kill('SIGKILL'), timeout);
      await this.exited;
      clearTimeout(t);
    }
    this.assertClean();
    assert.deepEqual(this.exit, { code: 0, signal: null },
      `server exit after SIGTERM: ${JSON.stringify(this.exit)}; stderr:\n${this.stderrTail()}`);
  }

  /** kill -9 and wait for it to be gone. */
  async kill9() {
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  /** after() safety net: never leaves a server behind; removes the temp dir. */
  async cleanup({ keepDir = false } = {}) {
    await this.kill9();
    if (!keepDir && this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const startServer = (opts) => Server.start(opts);

/**
 * Asserts a problem+json reply: exact status, the RFC 9457 members, and (when given) the
 * field it names.
 */
export function assertProblem(r, status, field, msg = '') {
  const ctx = `${msg ? msg + ': ' : ''}got ${r.status} ${r.text.slice(0, 500)}`;
  assert.equal(r.status, status, ctx);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/, ctx);
  assert.ok(r.json && typeof r.json === 'object', ctx);
  assert.equal(r.json.status, status, ctx);
  assert.equal(typeof r.json.type, 'string', ctx);
  assert.equal(typeof r.json.title, 'string', ctx);
  assert.equal(typeof r.json.detail, 'string', ctx);
  if (field !== undefined) assert.equal(r.json.field, field, ctx);
}

/** Asserts status with the body in the message. */
export function assertStatus(r, status, msg = '') {
  assert.equal(r.status, status, `${msg ? msg + ': ' : ''}expected ${status}, got ${r.status} ${r.text.slice(0, 500)}`);
}

/**
 * Raw HTTP over node:net, for what fetch cannot do (lying Content-Length, hand-made chunks,
 * invalid bytes). write(sock) sends the request and may keep writing; resolves with the
 * response { status, headers (lower-case keys), body, raw, closed, bytesWritten }.
 */
export function rawHttp(port, write, { timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    let parsed = null;
    const timer = setTimeout(() => finish(new Error(`raw HTTP: no complete response within ${timeout} ms (got ${JSON.stringify(buf.toString('latin1').slice(0, 300))})`)), timeout);
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) return reject(err);
      resolve(parsed);
    };
    const tryParse = (closed) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (closed) finish(new Error(`raw HTTP: connection closed without a response (got ${JSON.stringify(buf.toString('latin1').slice(0, 300))})`));
        return;
      }
      const head = buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
      if (!m) return finish(new Error(`raw HTTP: bad status line ${head[0]}`));
      const headers = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = buf.subarray(end + 4);
      let complete = closed;
      let text = body.toString('utf8');
      if (headers['content-length'] !== undefined) {
        complete = complete || body.length >= Number(headers['content-length']);
        text = body.subarray(0, Number(headers['content-length'])).toString('utf8');
      } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
        complete = complete || body.includes('\r\n0\r\n\r\n') || body.subarray(0, 5).toString() === '0\r\n\r\n';
        text = dechunk(body);
      }
      if (!complete) return;
      let json;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      parsed = { status: Number(m[1]), headers, body: text, json, raw: buf, closed, bytesWritten: sock.bytesWritten };
      finish();
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); tryParse(false); });
    sock.on('end', () => tryParse(true));
    sock.on('close', () => tryParse(true));
    sock.on('error', (e) => {
      // The server may reset the connection after answering while we are still writing.
      if (buf.length) tryParse(true); else finish(e);
    });
    sock.on('connect', () => {
      Promise.resolve(write(sock, () => done)).catch((e) => {
        if (!done && !['EPIPE', 'ECONNRESET'].includes(e.code)) finish(e);
      });
    });
  });
}

function dechunk(b) {
  const out = [];
  let i = 0;
  for (;;) {
    const e = b.indexOf('\r\n', i);
    if (e < 0) break;
    const n = parseInt(b.subarray(i, e).toString(), 16);
    if (!n) break;
    out.push(b.subarray(e + 2, e + 2 + n));
    i = e + 2 + n + 2;
  }
  return Buffer.concat(out).toString('utf8');
}

/** Writes data to sock, waiting for drain; rejects on error. */
export function sockWrite(sock, data) {
  return new Promise((resolve, reject) => {
    if (sock.destroyed) return reject(Object.assign(new Error('socket destroyed'), { code: 'EPIPE' }));
    const onErr = (e) => reject(e);
    sock.once('error', onErr);
    sock.write(data, (err) => {
      sock.off('error', onErr);
      if (err) reject(err); else resolve();
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Today's date in UTC, YYYY-MM-DD. */
export const todayUTC = () => new Date().toISOString().slice(0, 10);

/** An RFC 3339 UTC timestamp without fraction, as the server stores it. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * A tiny RFC 4180 CSV parser (quoted fields, "" escapes, CRLF or LF) for checking exports.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let q = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        q = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"') { q = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/** CSV rows as objects keyed by the header row. */
export function csvObjects(text) {
  const [header, ...rows] = parseCsv(text);
  return { header, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

/** The Authorization header of the tracking API: HTTP Basic, write key as user, no password. */
export const basicAuth = (key) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** A unique message id (Segment messageId) with a readable prefix. */
let msgSeq = 0;
export const msgId = (prefix = 'm') => `${prefix}-${process.pid}-${++msgSeq}-${Math.random().toString(36).slice(2, 10)}`;

/** Counts of the values of an array: { value: n }. */
export function countBy(items, key = (x) => x) {
  const out = {};
  for (const it of items) {
    const k = key(it);
    out[k] = (out[k] || 0) + 1;
  }
  return out;
}

/** Polls cond() every 10 ms until true, failing after ms. */
export async function waitFor(cond, ms, what) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Runs one SQL query with the sqlite3 CLI on a database file (read-only; fine while the
 * server runs: WAL mode) and returns its rows as arrays of strings, or null when the sqlite3
 * CLI is not installed. For checks the API cannot make (rows no API shows).
 */
/** True when the sqlite3 command-line shell is installed (tests that edit the database need it). */
export const HAVE_SQLITE = spawnSync('sqlite3', ['-version']).status === 0;

/** Runs SQL statements on a server's database file with the sqlite3 shell (waiting for locks). */
export function sqliteExec(db, sql) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', db, sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
}

export function sqliteQuery(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', '-separator', '\t', db, sql], { encoding: 'utf8', timeout: 30000 });
  if (r.error?.code === 'ENOENT') return null;
  assert.equal(r.status, 0, `sqlite3 ${sql}: ${r.stderr || r.error}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}
