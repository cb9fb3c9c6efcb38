// The outbound queue is durable: a webhook or an email queued while its endpoint is down
// survives a restart of the server and is delivered (once) by the new process when the
// endpoint is up.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { Server, assertStatus, freePort, startServer, waitFor } from './lib.mjs';
import { startSmtpSink, verifySignature } from './email_lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);

test('a queued webhook is delivered after a restart', async () => {
  const port = await freePort(); // nobody listens here yet: connection refused
  const a = (await admin().post('/api/v1/accounts', { name: 'Restart Co' })).json;
  const pb = await admin().post('/api/v1/playbooks', {
    name: 'Hook', enabled: true, trigger: { type: 'inactive_for', days: 0 },
    actions: [{ type: 'call_webhook', url: `http://127.0.0.1:${port}/in`, payload: { text: '{{account.name}}' } }],
  });
  assertStatus(pb, 201);
  assertStatus(await admin().post('/api/v1/playbooks/evaluate', {}), 200);
  const entry = async (s) => (await s.as(s.admin).get('/api/v1/outbound')).json.data[0];
  await waitFor(async () => (await entry(srv))?.attempts >= 1, 20000, 'a failed attempt');
  const failed = await entry(srv);
  assert.equal(failed.status, 'pending');
  assert.match(failed.last_error, /connect/);
  await srv.stop();

  const got = [];
  const seen = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push(JSON.parse(body));
      seen.push({ key: req.headers['idempotency-key'], valid: verifySignature(pb.json.actions[0].secret, req.headers, Buffer.from(body)) });
      res.end('ok');
    });
  });
  await new Promise((r) => hook.listen(port, '127.0.0.1', r));
  after(() => hook.close());

  const again = await Server.start({ db: srv.db, dir: srv.dir });
  after(() => again.cleanup());
  await waitFor(async () => (await entry(again)).status === 'sent', 30000, 'delivery after the restart');
  assert.deepEqual(got, [{ text: a.name }]);
  // Signed with the playbook's secret, under the key the queue showed before the restart.
  assert.deepEqual(seen, [{ key: failed.idempotency_key, valid: true }]);
  // Evaluating again fires nothing new (cooldown), so nothing more is queued.
  assertStatus(await again.as(again.admin).post('/api/v1/playbooks/evaluate', {}), 200);
  assert.equal((await again.as(again.admin).get('/api/v1/outbound')).json.data.length, 1);
  await again.stop();
});

test('a queued email is delivered after a restart, and logged on the timeline once', async () => {
  const s1 = await startServer();
  after(() => s1.cleanup());
  const port = await freePort(); // the SMTP server is down
  const adm = s1.as(s1.admin);
  const a = (await adm.post('/api/v1/accounts', { name: 'メール再起動 KK' })).json;
  assertStatus(await adm.post(`/api/v1/accounts/${a.id}/contacts`, { name: 'Admin', email: 'admin@restart.example', role: 'admin' }), 201);
  assertStatus(await adm.put('/api/v1/settings/smtp', { host: '127.0.0.1', port, from: 'cs@example.com' }), 200);
  assertStatus(await adm.post('/api/v1/playbooks', {
    name: 'Mail', enabled: true, trigger: { type: 'inactive_for', days: 0 },
    actions: [{ type: 'send_email', to: 'role:admin', subject: '{{account.name}} 様', body: 'こんにちは {{contact.name}}' }],
  }), 201);
  assertStatus(await adm.post('/api/v1/playbooks/evaluate', {}), 200);
  const entry = async (s) => (await s.as(s.admin).get('/api/v1/outbound')).json.data.find((m) => m.kind === 'email');
  await waitFor(async () => (await entry(s1))?.attempts >= 1, 20000, 'a failed attempt');
  const key = (await entry(s1)).idempotency_key;
  await s1.stop();

  const sink = await startSmtpSink({ port });
  after(() => sink.stop());
  const s2 = await Server.start({ db: s1.db, dir: s1.dir });
  after(() => s2.cleanup());
  await waitFor(async () => (await entry(s2)).status === 'sent', 30000, 'delivery after the restart');
  const mails = sink.mails();
  assert.equal(mails.length, 1);
  assert.equal(mails[0].subject, 'メール再起動 KK 様');
  assert.equal(mails[0].message_id, `<${key}@example.com>`);
  const tl = (await s2.as(s2.admin).get(`/api/v1/accounts/${a.id}/timeline?type=email`)).json.data;
  assert.equal(tl.length, 1);
  assert.equal(tl[0].summary, 'メール再起動 KK 様');
  await s2.stop();
});
