// Real components for the email and webhook tests: an SMTP sink (tests/api/smtp_sink.py, on
// Debian's python3-aiosmtpd) on loopback, optionally with STARTTLS or implicit TLS and AUTH,
// its certificate made with the openssl CLI; and a webhook receiver (Node's http) that
// verifies X-Kizuna-Signature the way docs/playbooks.md tells receivers to.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Debian's interpreter: python3-aiosmtpd is installed for it (another python3 may come first).
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/* A self-signed certificate for 127.0.0.1 and localhost: {cert, key, dir} (cert doubles as the
 * CA file the server is told to trust with KIZUNA_CA_FILE). */
export function makeCert() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kizuna-cert-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key, dir };
}

/* Starts the SMTP sink (on port, else a free one); resolves to {port, dir, mails(), stop()}. */
export async function startSmtpSink({ tls = 'none', cert, key, user, password, port = null } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kizuna-mail-'));
  port = port ?? await freePort();
  const args = [path.join(HERE, 'smtp_sink.py'), '--port', String(port), '--dir', dir, '--tls', tls];
  if (tls !== 'none') args.push('--cert', cert, '--key', key);
  if (user) args.push('--user', user, '--password', password);
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('exit', r));
  await waitFor(async () => out.includes('ready') || child.exitCode !== null, 20000, 'the SMTP sink');
  assert.ok(out.includes('ready'), `SMTP sink did not start: ${err}`);
  return {
    port,
    dir,
    mails: () => fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    stop: async () => {
      if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/* Verifies a Kizuna webhook as docs/playbooks.md says: HMAC-SHA256 under the secret of
 * "<X-Kizuna-Timestamp>.<raw body>", hex, compared in constant time. */
export function verifySignature(secret, headers, raw) {
  const ts = headers['x-kizuna-timestamp'];
  const sig = headers['x-kizuna-signature'] || '';
  if (!/^\d+$/.test(ts || '') || !sig.startsWith('sha256=')) return false;
  const want = crypto.createHmac('sha256', secret).update(`${ts}.`).update(raw).digest('hex');
  const got = sig.slice(7);
  return got.length === want.length && crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

/* A webhook receiver: answers `fail` times 500 (to the bodies failIf accepts) before 200. Each
 * request is recorded as {headers, raw, body, valid, answered} (valid: the signature checked
 * against secretOf()). */
export async function startHookServer({ fail = 0, failIf = () => true, secretOf = () => null } = {}) {
  const got = [];
  let failures = fail;
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const secret = secretOf();
      const body = JSON.parse(raw.toString('utf8'));
      const failing = failures > 0 && failIf(body);
      got.push({ url: req.url, headers: req.headers, raw: raw.toString('utf8'), body,
        valid: secret ? verifySignature(secret, req.headers, raw) : null, answered: failing ? 500 : 200 });
      if (failing) { failures--; res.writeHead(500); res.end('down'); return; }
      res.writeHead(200); res.end('ok');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { got, port: srv.address().port, close: () => new Promise((r) => srv.close(r)) };
}
