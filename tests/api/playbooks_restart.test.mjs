// The outbound queue is durable: a webhook queued while its endpoint is down survives a
// restart of the server and is delivered (once) by the new process when the endpoint is up.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { Server, assertStatus, freePort, startServer, waitFor } from './lib.mjs';

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
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { got.push(JSON.parse(body)); res.end('ok'); });
  });
  await new Promise((r) => hook.listen(port, '127.0.0.1', r));
  after(() => hook.close());

  const again = await Server.start({ db: srv.db, dir: srv.dir });
  after(() => again.cleanup());
  await waitFor(async () => (await entry(again)).status === 'sent', 30000, 'delivery after the restart');
  assert.deepEqual(got, [{ text: a.name }]);
  // Evaluating again fires nothing new (cooldown), so nothing more is queued.
  assertStatus(await again.as(again.admin).post('/api/v1/playbooks/evaluate', {}), 200);
  assert.equal((await again.as(again.admin).get('/api/v1/outbound')).json.data.length, 1);
  await again.stop();
});
