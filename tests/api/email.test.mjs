// Email and webhooks done properly (issue 6): SMTP settings whose password never leaves the
// server, email templates with checked placeholders and a preview, send_email from templates
// delivered to a real SMTP server (aiosmtpd on loopback) over STARTTLS with AUTH and over
// implicit TLS, one email and one task for an account turning red within the cooldown, the
// timeline entry of a delivered email, and signed webhooks with one Idempotency-Key across
// retries, verified by a local receiver.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { assertProblem, assertStatus, startServer, waitFor } from './lib.mjs';
import { makeCert, startHookServer, startSmtpSink, verifySignature } from './email_lib.mjs';

const cert = makeCert();
after(() => fs.rmSync(cert.dir, { recursive: true, force: true }));
const srv = await startServer({ env: { KIZUNA_CA_FILE: cert.cert } });
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');
const PASSWORD = 'sink-pass-\u79d8\u5bc6-123';

let seq = 0;
const mkAccount = async (fields = {}) => {
  const r = await admin().post('/api/v1/accounts', { name: `Mail account ${++seq}`, owner_id: csm.id, ...fields });
  assertStatus(r, 201);
  return r.json;
};
const mkTemplate = async (body) => {
  const r = await admin().post('/api/v1/email-templates', body);
  assertStatus(r, 201, JSON.stringify(body));
  return r.json;
};
const mkPlaybook = async (body) => {
  const r = await admin().post('/api/v1/playbooks', { enabled: true, ...body });
  assertStatus(r, 201, JSON.stringify(body));
  return r.json;
};
const evaluate = async () => assertStatus(await admin().post('/api/v1/playbooks/evaluate', {}), 200);
const runs = async (id) => (await admin().get(`/api/v1/playbooks/${id}/runs`)).json.data;
const outbound = async () => (await admin().get('/api/v1/outbound?limit=500')).json.data;
const disable = async (pb) => assertStatus(await admin().patch(`/api/v1/playbooks/${pb.id}`, { enabled: false }), 200);

describe('SMTP settings', () => {
  test('admin only; 400 naming the field; the password is never returned', async () => {
    assert.deepEqual((await admin().get('/api/v1/settings/smtp')).json,
      { host: null, port: null, tls: null, user: null, from: null, password_set: false });
    assertProblem(await srv.as(csm).get('/api/v1/settings/smtp'), 403);
    assertProblem(await srv.as(csm).put('/api/v1/settings/smtp', { host: 'h', port: 25, from: 'a@b.example' }), 403);
    const ok = { host: '127.0.0.1', port: 2525, tls: 'starttls', user: 'kizuna', password: PASSWORD, from: 'cs@example.com' };
    for (const [body, field] of [
      [{ ...ok, port: 70000 }, 'port'],
      [{ ...ok, port: '25' }, 'port'],
      [{ ...ok, from: 'nobody' }, 'from'],
      [{ ...ok, tls: 'ssl' }, 'tls'],
      [{ ...ok, host: 'smtp.example.com/x' }, 'host'],
      [{ ...ok, host: '' }, 'host'],
      [{ ...ok, password: 42 }, 'password'],
      [{ ...ok, password: '' }, 'password'],
      [{ ...ok, user: 'a\r\nb' }, 'user'],
      [{ ...ok, relay: true }, 'relay'],
      [{ port: 25, from: 'a@b.example' }, 'host'],
    ]) assertProblem(await admin().put('/api/v1/settings/smtp', body), 400, field, JSON.stringify(body));
    const seen = [];
    const put = await admin().put('/api/v1/settings/smtp', ok);
    assertStatus(put, 200);
    seen.push(put.text);
    assert.deepEqual(put.json, { host: '127.0.0.1', port: 2525, tls: 'starttls', user: 'kizuna', from: 'cs@example.com', password_set: true });
    // Without "password": the stored one is kept; null clears it.
    const { password, ...rest } = ok;
    const kept = await admin().put('/api/v1/settings/smtp', { ...rest, port: 2526 });
    seen.push(kept.text);
    assert.equal(kept.json.password_set, true);
    assert.equal(kept.json.port, 2526);
    const cleared = await admin().put('/api/v1/settings/smtp', { ...rest, password: null });
    seen.push(cleared.text);
    assert.equal(cleared.json.password_set, false);
    assertStatus(await admin().put('/api/v1/settings/smtp', ok), 200);
    seen.push((await admin().get('/api/v1/settings/smtp')).text);
    // No other read shows it either (nor a fragment of it).
    for (const p of ['/api/v1/outbound', '/api/v1/playbooks', '/api/v1/email-templates', '/api/v1/settings/currency'])
      seen.push((await admin().get(p)).text);
    for (const text of seen) {
      assert.ok(!text.includes(password), 'the password in a response');
      assert.ok(!text.includes('秘密'), 'a fragment of the password in a response');
    }
    assert.equal((await admin().get('/api/v1/settings/email')).status, 404, 'the old route is gone');
  });
});

describe('email templates', () => {
  test('CRUD, list shape, placeholders checked at save (400 naming the field)', async () => {
    const list = (await srv.as(viewer).get('/api/v1/email-templates')).json;
    assert.deepEqual(Object.keys(list).sort(), ['data', 'next_cursor']);
    const defaults = list.data.map((t) => t.name);
    for (const want of ['Getting started help', 'Re-engagement', 'Renewal notice'])
      assert.ok(defaults.some((n) => n.includes(want)), want);
    for (const t of list.data) {
      assert.deepEqual(Object.keys(t).sort(), ['body_html', 'body_text', 'created_at', 'id', 'name', 'subject', 'updated_at']);
      assert.match(t.body_text, /[\u3040-\u30ff]/, 'Japanese text');
      assert.match(t.body_text, /Dear/, 'English text');
    }
    // The default playbooks that email send these templates.
    const pbs = (await admin().get('/api/v1/playbooks?limit=500')).json.data;
    const ids = new Set(list.data.map((t) => t.id));
    const emailing = pbs.flatMap((p) => p.actions.filter((a) => a.type === 'send_email'));
    assert.equal(emailing.length, 3);
    for (const a of emailing) assert.ok(ids.has(a.template_id), JSON.stringify(a));

    const ok = { name: 'Welcome', subject: 'Welcome {{account.name}}', body_text: 'Hi {{contact.name}}', body_html: '<p>Hi {{contact.name}}</p>' };
    for (const [body, field] of [
      [{ ...ok, subject: 'Hi {{account.password}}' }, 'subject'],
      [{ ...ok, body_text: '{{ nope }}' }, 'body_text'],
      [{ ...ok, body_html: '<p>{{contact.name}</p>' }, 'body_html'],
      [{ ...ok, subject: 'two\nlines' }, 'subject'],
      [{ ...ok, name: '' }, 'name'],
      [{ ...ok, body_text: 5 }, 'body_text'],
      [{ ...ok, from: 'x@y.example' }, 'from'],
      [{ name: 'n', subject: 's' }, 'body_text'],
    ]) assertProblem(await admin().post('/api/v1/email-templates', body), 400, field, JSON.stringify(body));
    assertProblem(await srv.as(csm).post('/api/v1/email-templates', ok), 403);

    const t = await mkTemplate(ok);
    assert.equal((await srv.as(viewer).get(`/api/v1/email-templates/${t.id}`)).json.subject, ok.subject);
    const p = await admin().patch(`/api/v1/email-templates/${t.id}`, { body_html: null });
    assertStatus(p, 200);
    assert.equal(p.json.body_html, null);
    assert.equal(p.json.body_text, ok.body_text);
    assertProblem(await admin().patch(`/api/v1/email-templates/${t.id}`, { body_text: '{{owner.password}}' }), 400, 'body_text');
    // Paging: limit=1 walks every template once.
    const all = [];
    let cursor = null;
    do {
      const r = await admin().get(`/api/v1/email-templates?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...r.json.data.map((x) => x.id));
      cursor = r.json.next_cursor;
    } while (cursor);
    assert.deepEqual(all, [...list.data.map((x) => x.id), t.id]);
    assertProblem(await admin().get('/api/v1/email-templates?sort=name'), 400, 'sort');
    assertStatus(await admin().del(`/api/v1/email-templates/${t.id}`), 204);
    assertProblem(await admin().get(`/api/v1/email-templates/${t.id}`), 404);
  });

  test('preview renders for a real account; values HTML-escaped in HTML only', async () => {
    const a = await mkAccount({ name: 'Tom & Jerry <Inc>' });
    const c = await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: '"Quoted" O\'Neil', email: 'q@test.example', role: 'admin' });
    const t = await mkTemplate({ name: 'Preview', subject: '{{account.name}} 様', body_text: 'Dear {{contact.name}} ({{account.name}}), owner {{owner.name}}, health {{health.band}}', body_html: '<p>{{account.name}}</p><p>{{contact.name}}</p>' });
    const r = await srv.as(csm).post(`/api/v1/email-templates/${t.id}/preview`, { account_id: a.id, contact_id: c.json.id });
    assertStatus(r, 200);
    assert.equal(r.json.subject, 'Tom & Jerry <Inc> 様');
    assert.equal(r.json.body_text, `Dear "Quoted" O'Neil (Tom & Jerry <Inc>), owner ${csm.name}, health `);
    assert.equal(r.json.body_html, '<p>Tom &amp; Jerry &lt;Inc&gt;</p><p>&quot;Quoted&quot; O&#39;Neil</p>');
    assert.equal(r.json.to, 'q@test.example');
    const noContact = await admin().post(`/api/v1/email-templates/${t.id}/preview`, { account_id: a.id });
    assert.equal(noContact.json.body_text, `Dear  (Tom & Jerry <Inc>), owner ${csm.name}, health `);
    assertProblem(await admin().post(`/api/v1/email-templates/${t.id}/preview`, {}), 400, 'account_id');
    assertProblem(await admin().post(`/api/v1/email-templates/${t.id}/preview`, { account_id: 99999999 }), 400, 'account_id');
    assertProblem(await admin().post(`/api/v1/email-templates/${t.id}/preview`, { account_id: a.id, contact_id: 99999999 }), 400, 'contact_id');
    assertProblem(await admin().post(`/api/v1/email-templates/${t.id}/preview`, { account_id: a.id, extra: 1 }), 400, 'extra');
    assertProblem(await admin().post('/api/v1/email-templates/99999999/preview', { account_id: a.id }), 404);
    assertProblem(await srv.as(viewer).post(`/api/v1/email-templates/${t.id}/preview`, { account_id: a.id }), 403);
  });

  test('deleting a template a playbook uses is a 409 naming the playbook', async () => {
    const t = await mkTemplate({ name: 'Used', subject: 's', body_text: 'b' });
    const pb = await mkPlaybook({ name: 'Uses the template', enabled: false, trigger: { type: 'inactive_for', days: 30 }, actions: [{ type: 'send_email', to: 'owner', template_id: t.id }] });
    const r = await admin().del(`/api/v1/email-templates/${t.id}`);
    assertProblem(r, 409);
    assert.match(r.json.detail, /Uses the template/);
    assert.match(r.json.detail, new RegExp(`playbook ${pb.id}\\b`));
    assertStatus(await admin().del(`/api/v1/playbooks/${pb.id}`), 204);
    assertStatus(await admin().del(`/api/v1/email-templates/${t.id}`), 204);
  });
});

describe('delivery', () => {
  test('an account turning red: one task and one email (STARTTLS + AUTH) within the cooldown, logged on the timeline', async () => {
    const sink = await startSmtpSink({ tls: 'starttls', cert: cert.cert, key: cert.key, user: 'kizuna', password: PASSWORD });
    after(() => sink.stop());
    assertStatus(await admin().put('/api/v1/settings/smtp', { host: '127.0.0.1', port: sink.port, tls: 'starttls', user: 'kizuna', password: PASSWORD, from: 'cs@example.com' }), 200);
    const a = await mkAccount({ name: '赤信号 <Red> & Co' });
    assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`,
      { plan: 'Pro', mrr: 1000, currency: 'JPY', seats: 10, start_date: '2026-01-01', renewal_date: '2027-03-31', status: 'active' }), 200);
    const dm = (await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: '山田 <太郎>', email: 'taro@test.example', role: 'decision_maker' })).json;
    const t = await mkTemplate({
      name: 'Risk', subject: '【重要】{{account.name}} 様: ヘルススコアについて',
      body_text: '{{contact.name}} 様\n{{account.name}} のスコアは {{health.band}} です。更新日 {{renewal_date}}',
      body_html: '<p>{{contact.name}} 様</p><p><b>{{account.name}}</b>: {{health.band}}</p>',
    });
    const pb = await mkPlaybook({
      name: 'Red mail', cooldown_days: 14, trigger: { type: 'health_band_changed', to: 'red' },
      actions: [
        { type: 'create_task', title: 'Risk {{account.name}}', task_type: 'review', due_in_days: 2 },
        { type: 'send_email', to: 'role:decision_maker', template_id: t.id },
      ],
    });
    const band = async () => (await admin().get(`/api/v1/accounts/${a.id}`)).json.band;
    const mine = async () => (await runs(pb.id)).filter((r) => r.account_id === a.id);
    const flip = async (bands) => {
      assertStatus(await admin().put('/api/v1/settings/health-model', bands), 200);
      assertStatus(await admin().post('/api/v1/health/recompute', {}), 200);
      await evaluate();
    };
    await flip({ bands: { green: 5, red: 1 } });
    assert.equal(await band(), 'green');
    await flip({});
    assert.equal(await band(), 'red');
    await flip({ bands: { green: 5, red: 1 } });
    await flip({});
    assert.equal((await mine()).length, 1, 'one firing within the cooldown');
    const tasks = (await admin().get(`/api/v1/tasks?account_id=${a.id}`)).json.data;
    assert.equal(tasks.length, 1);
    const mails = () => sink.mails().filter((m) => m.rcpt_tos.includes('taro@test.example'));
    await waitFor(async () => mails().length > 0, 20000, 'the email at the sink');
    const run = (await mine())[0];
    const oid = run.actions[1].outbound_id;
    await waitFor(async () => (await outbound()).find((x) => x.id === oid).status === 'sent', 10000, 'sent');
    assert.equal(mails().length, 1, 'exactly one email');
    const m = mails()[0];
    assert.equal(m.tls, true, 'STARTTLS');
    assert.equal(m.auth, 'kizuna', 'AUTH');
    assert.equal(m.subject, '【重要】赤信号 <Red> & Co 様: ヘルススコアについて');
    assert.match(m.raw_subject, /^Subject: =\?UTF-8\?B\?/, 'RFC 2047');
    assert.equal(m.content_type, 'multipart/alternative');
    assert.equal(m.text.replace(/\r\n/g, '\n'), '山田 <太郎> 様\n赤信号 <Red> & Co のスコアは red です。更新日 2027-03-31');
    assert.equal(m.html.replace(/\r\n/g, '\n'), '<p>山田 &lt;太郎&gt; 様</p><p><b>赤信号 &lt;Red&gt; &amp; Co</b>: red</p>');
    const entry = (await outbound()).find((x) => x.id === oid);
    assert.equal(m.message_id, `<${entry.idempotency_key}@example.com>`);
    assert.match(entry.idempotency_key, new RegExp(`^pb${pb.id}\\.a${a.id}\\.t\\d+\\.x1\\.c${dm.id}$`));
    // Logged on the timeline once, on delivery.
    const tl = (await admin().get(`/api/v1/accounts/${a.id}/timeline?type=email`)).json.data;
    assert.equal(tl.length, 1);
    assert.equal(tl[0].summary, m.subject);
    assert.match(tl[0].body, /taro@test\.example/);
    assert.deepEqual(tl[0].contact_ids, [dm.id]);
    await disable(pb);
  });

  test('implicit TLS (smtps); a wrong password is an attempt that fails with the reason', async () => {
    const sink = await startSmtpSink({ tls: 'tls', cert: cert.cert, key: cert.key, user: 'u', password: 'right-password' });
    after(() => sink.stop());
    const a = await mkAccount();
    await admin().post(`/api/v1/accounts/${a.id}/contacts`, { name: 'Champ', email: 'champ@test.example', role: 'champion' });
    assertStatus(await admin().put('/api/v1/settings/smtp', { host: '127.0.0.1', port: sink.port, tls: 'tls', user: 'u', password: 'wrong-password', from: 'cs@example.com' }), 200);
    const pb = await mkPlaybook({ name: 'TLS', trigger: { type: 'inactive_for', days: 0 }, audience: {}, actions: [{ type: 'send_email', to: 'role:champion', subject: 'TLS {{account.name}}', body: 'b' }] });
    await evaluate();
    const oid = (await runs(pb.id)).find((r) => r.account_id === a.id).actions[0].outbound_id;
    const entry = async () => (await outbound()).find((x) => x.id === oid);
    await waitFor(async () => (await entry()).attempts >= 1, 20000, 'a failed attempt');
    assert.equal((await entry()).status, 'pending');
    assert.match((await entry()).last_error, /login|auth|denied|535/i);
    assertStatus(await admin().put('/api/v1/settings/smtp', { host: '127.0.0.1', port: sink.port, tls: 'tls', user: 'u', password: 'right-password', from: 'cs@example.com' }), 200);
    await waitFor(async () => (await entry()).status === 'sent', 30000, 'sent after the fix');
    const m = sink.mails().filter((x) => x.rcpt_tos.includes('champ@test.example'));
    assert.equal(m.length, 1);
    assert.equal(m[0].tls, true);
    await disable(pb);
  });

  test('webhooks: signed, one Idempotency-Key across retries, delivered once after two failures', async () => {
    let secret = null;
    const hook = await startHookServer({ fail: 2, failIf: (body) => body.text?.startsWith('Hooked KK'), secretOf: () => secret });
    after(() => hook.close());
    const a = await mkAccount({ name: 'Hooked KK' });
    const pb = await mkPlaybook({
      name: 'Signed hook', trigger: { type: 'inactive_for', days: 0 },
      actions: [{ type: 'call_webhook', url: `http://127.0.0.1:${hook.port}/in`, payload: { text: '{{account.name}} は {{health.band}}' } }],
    });
    // The server made a secret; admins see it, others only that it is set.
    secret = pb.actions[0].secret;
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    const asViewer = (await srv.as(viewer).get(`/api/v1/playbooks/${pb.id}`)).json.actions[0];
    assert.equal(asViewer.secret, undefined);
    assert.equal(asViewer.secret_set, true);
    // A PATCH that leaves the action's secret out keeps it.
    const { secret: _s, ...action } = pb.actions[0];
    const patched = await admin().patch(`/api/v1/playbooks/${pb.id}`, { actions: [action], enabled: false });
    assert.equal(patched.json.actions[0].secret, secret);
    assertStatus(await admin().patch(`/api/v1/playbooks/${pb.id}`, { enabled: true }), 200);
    await evaluate();
    const oid = (await runs(pb.id)).find((r) => r.account_id === a.id).actions[0].outbound_id;
    const entry = async () => (await outbound()).find((x) => x.id === oid);
    await waitFor(async () => (await entry()).status === 'sent', 30000, 'delivery after two failures');
    const mine = hook.got.filter((g) => g.body.text.startsWith('Hooked KK'));
    assert.deepEqual(mine.map((g) => g.answered), [500, 500, 200], 'received once successfully');
    const e = await entry();
    assert.equal(e.attempts, 3);
    for (const g of mine) {
      assert.equal(g.valid, true, 'a valid signature on every attempt');
      assert.equal(g.headers['idempotency-key'], e.idempotency_key, 'the same key on every attempt');
      assert.equal(g.headers['content-type'], 'application/json');
    }
    assert.match(e.idempotency_key, new RegExp(`^pb${pb.id}\\.a${a.id}\\.t\\d+\\.x0$`));
    assert.equal(JSON.stringify(e).includes(secret), false, 'the queue never shows the secret');
    // A tampered body or another secret fails verification.
    const g = mine[2];
    assert.equal(verifySignature(secret, g.headers, Buffer.from(g.raw.replace('Hooked', 'Hacked'))), false);
    assert.equal(verifySignature('whsec_another_secret_000000000000', g.headers, Buffer.from(g.raw)), false);
    await disable(pb);
  });

  test('https webhooks verify the certificate (KIZUNA_CA_FILE)', async () => {
    const https = await import('node:https');
    const fs = await import('node:fs');
    const got = [];
    const s = https.createServer({ cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) }, (req, res) => {
      let b = ''; req.on('data', (d) => { b += d; }); req.on('end', () => { got.push(b); res.end('ok'); });
    });
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    after(() => s.close());
    const a = await mkAccount({ name: 'TLS hook KK' });
    const pb = await mkPlaybook({ name: 'https hook', trigger: { type: 'inactive_for', days: 0 },
      actions: [{ type: 'call_webhook', url: `https://127.0.0.1:${s.address().port}/x`, payload: { text: '{{account.name}}' }, secret: 'whsec_given_by_the_admin_0001' }] });
    assert.equal(pb.actions[0].secret, 'whsec_given_by_the_admin_0001');
    await evaluate();
    const oid = (await runs(pb.id)).find((r) => r.account_id === a.id).actions[0].outbound_id;
    await waitFor(async () => (await outbound()).find((x) => x.id === oid).status === 'sent', 20000, 'https delivery');
    assert.ok(got.some((b) => b.includes('TLS hook KK')));
    await disable(pb);
  });

  test('requeueing the same message is a no-op', async () => {
    // Two evaluations in a row fire once (cooldown); the run's messages are not queued twice.
    const before = (await outbound()).length;
    await evaluate();
    await evaluate();
    const keys = (await outbound()).map((x) => x.idempotency_key);
    assert.equal(new Set(keys).size, keys.length, 'keys are unique');
    assert.ok(keys.length >= before);
  });
});

test('server stops cleanly', () => srv.stop());
