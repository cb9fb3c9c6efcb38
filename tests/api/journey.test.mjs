// The success journey: lifecycle settings (defaults, round trip, every kind of bad setting is a
// 400 naming the field and keeps the old settings, removing a phase in use is a 409), milestones
// completed by criteria from events sent through the real tracking API (/v1/batch with a write
// key) and by hand, reopened milestones left alone by criteria, phases chained in one
// evaluation, manual moves with a reason, churn -> reactivation -> churn history with
// consistent durations, TTV, and the phase keys of accounts validated against the lifecycle.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RFC3339, assertProblem, assertStatus, msgId, runCli, startServer, tmpDb } from './lib.mjs';
import fs from 'node:fs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const DEFAULTS = (await admin().get('/api/v1/settings/lifecycle')).json;
const wk = (await srv.createWriteKey('journey')).key;

const SUB = { plan: 'Pro', mrr: 1000, currency: 'USD', seats: 5, start_date: '2026-01-01', status: 'active' };

async function account(body = {}) {
  const r = await admin().post('/api/v1/accounts', { name: 'Journey Co', ...body });
  assertStatus(r, 201, 'fixture account');
  return r.json;
}
async function journey(id, who = admin()) {
  const r = await who.get(`/api/v1/accounts/${id}/journey`);
  assertStatus(r, 200, 'journey');
  return r.json;
}
const milestone = (j, key) => j.phases.flatMap((p) => p.milestones).find((m) => m.key === key);
async function evaluate() {
  const r = await admin().post('/api/v1/journey/evaluate', {});
  assertStatus(r, 200, 'evaluate');
  return r.json;
}
async function putLifecycle(body, status = 200) {
  const r = await admin().put('/api/v1/settings/lifecycle', body);
  assertStatus(r, status, 'PUT lifecycle');
  return r.json;
}
async function batch(messages) {
  const r = await srv.ingest('/v1/batch', { batch: messages.map((m) => ({ messageId: msgId('j'), ...m })) }, { key: wk });
  assertStatus(r, 200, 'batch');
}
const secs = (t) => Date.parse(t) / 1000;

/** Every history row: contiguous with the next, durations from its own times, last one open
 * and equal to the current phase. */
function assertHistory(j) {
  const h = j.history;
  assert.ok(h.length >= 1);
  assert.equal(h[0].moved_by, 'initial');
  for (let i = 0; i < h.length; i++) {
    assert.match(h[i].entered_at, RFC3339);
    if (i + 1 < h.length) {
      assert.equal(h[i].left_at, h[i + 1].entered_at, `row ${i} left when row ${i + 1} entered`);
      const d = Math.floor((secs(h[i].left_at) - secs(h[i].entered_at)) / 86400);
      assert.equal(h[i].days_spent, d, `row ${i} days_spent`);
    } else {
      assert.equal(h[i].left_at, null, 'the last row is open');
      assert.equal(h[i].phase, j.phase.key);
      assert.equal(h[i].entered_at, j.entered_at);
      assert.equal(h[i].days_spent, j.days_in_phase);
    }
  }
}

describe('lifecycle settings', () => {
  test('defaults from the seeds', () => {
    const keys = DEFAULTS.phases.map((p) => p.key);
    assert.deepEqual(keys, ['onboarding', 'adoption', 'expansion', 'churned']);
    assert.deepEqual(DEFAULTS.phases.map((p) => p.label_ja), ['導入期', '定着期', '拡大・更新期', '解約']);
    assert.deepEqual(DEFAULTS.phases.map((p) => p.milestones.map((m) => m.label_ja)), [
      ['初期設定', '基礎理解', '操作習得'], ['運用習慣化', '活用習熟', '利用者浸透'], ['成果実感', '契約更新', '利用拡大'], []]);
    assert.deepEqual(DEFAULTS.phases.map((p) => p.terminal), [false, false, false, true]);
    const values = DEFAULTS.phases.flatMap((p) => p.milestones).filter((m) => m.value).map((m) => m.key);
    assert.deepEqual(values, ['value_realised']);
    assert.equal(DEFAULTS.phases[0].expected_days, 90);
  });

  test('a saved lifecycle round-trips and new accounts start in its first phase', async () => {
    const custom = structuredClone(DEFAULTS);
    custom.phases.unshift({ key: 'kickoff', label_ja: 'キックオフ', label_en: 'Kick-off', expected_days: 14,
      milestones: [{ key: 'kickoff_held', label_ja: 'キックオフ実施', label_en: 'Kick-off held', required: true }] });
    const saved = await putLifecycle(custom);
    assert.deepEqual(saved, (await admin().get('/api/v1/settings/lifecycle')).json);
    assert.equal(saved.phases[0].key, 'kickoff');
    assert.equal(saved.phases[0].terminal, false);
    assert.equal(saved.phases[0].milestones[0].value, false);
    assert.equal(saved.phases[0].milestones[0].criterion, null);
    const a = await account();
    assert.equal(a.phase, 'kickoff');
    // kickoff now has an account: it cannot be removed (409, old settings kept).
    const r = await admin().put('/api/v1/settings/lifecycle', DEFAULTS);
    assertProblem(r, 409, 'phases');
    assert.match(r.json.detail, /kickoff/);
    assert.equal((await admin().get('/api/v1/settings/lifecycle')).json.phases[0].key, 'kickoff');
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/phase`, { phase: 'onboarding', reason: 'test' }), 200);
    await putLifecycle(DEFAULTS);
    assert.deepEqual((await admin().get('/api/v1/settings/lifecycle')).json, DEFAULTS);
  });

  const bad = (mutate) => { const b = structuredClone(DEFAULTS); mutate(b); return b; };
  const CASES = [
    ['an unknown top-level field', bad((b) => { b.colour = 'red'; }), 'colour'],
    ['no phases', {}, 'phases'],
    ['phases not an array', { phases: 3 }, 'phases'],
    ['a phase that is not an object', bad((b) => { b.phases[1] = 'adoption'; }), 'phases[1]'],
    ['an unknown phase field', bad((b) => { b.phases[1].colour = 'red'; }), 'phases[1].colour'],
    ['a missing Japanese label', bad((b) => { delete b.phases[1].label_ja; }), 'phases[1].label_ja'],
    ['an empty English label', bad((b) => { b.phases[2].label_en = '  '; }), 'phases[2].label_en'],
    ['a label too long', bad((b) => { b.phases[0].label_en = 'x'.repeat(201); }), 'phases[0].label_en'],
    ['a duplicate phase key', bad((b) => { b.phases[1].key = 'onboarding'; }), 'phases[1].key'],
    ['a malformed key', bad((b) => { b.phases[0].key = 'On Boarding'; }), 'phases[0].key'],
    ['a negative expected duration', bad((b) => { b.phases[0].expected_days = -1; }), 'phases[0].expected_days'],
    ['a fractional expected duration', bad((b) => { b.phases[0].expected_days = 1.5; }), 'phases[0].expected_days'],
    ['no terminal phase', bad((b) => { b.phases.pop(); }), 'phases'],
    ['a terminal phase that is not last', bad((b) => { b.phases[0].terminal = true; }), 'phases[0].terminal'],
    ['a terminal phase with milestones', bad((b) => { b.phases[3].milestones = [{ key: 'x', label_ja: 'x', label_en: 'x' }]; }), 'phases[3].milestones'],
    ['only the terminal phase', { phases: [DEFAULTS.phases[3]] }, 'phases'],
    ['too many phases', bad((b) => { b.phases = [...Array.from({ length: 20 }, (_, i) => ({ key: `p${i}`, label_ja: 'p', label_en: 'p' })), b.phases[3]]; }), 'phases'],
    ['a duplicate milestone key', bad((b) => { b.phases[1].milestones[0].key = 'initial_setup'; }), 'phases[1].milestones[0].key'],
    ['a milestone without a label', bad((b) => { delete b.phases[0].milestones[2].label_en; }), 'phases[0].milestones[2].label_en'],
    ['an unknown milestone field', bad((b) => { b.phases[0].milestones[0].weight = 2; }), 'phases[0].milestones[0].weight'],
    ['required not a boolean', bad((b) => { b.phases[0].milestones[0].required = 'yes'; }), 'phases[0].milestones[0].required'],
    ['two value milestones', bad((b) => { b.phases[2].milestones[1].value = true; }), 'phases[2].milestones[1].value'],
    ['an unknown criterion type', bad((b) => { b.phases[0].milestones[0].criterion = { type: 'telepathy' }; }), 'phases[0].milestones[0].criterion.type'],
    ['a criterion without a type', bad((b) => { b.phases[0].milestones[0].criterion = { event: 'x' }; }), 'phases[0].milestones[0].criterion.type'],
    ['an event criterion without the event', bad((b) => { b.phases[0].milestones[0].criterion = { type: 'event_count', count: 2 }; }), 'phases[0].milestones[0].criterion.event'],
    ['an event count of zero', bad((b) => { b.phases[0].milestones[0].criterion.count = 0; }), 'phases[0].milestones[0].criterion.count'],
    ['a negative window', bad((b) => { b.phases[0].milestones[0].criterion.within_days = -3; }), 'phases[0].milestones[0].criterion.within_days'],
    ['an unknown criterion field', bad((b) => { b.phases[0].milestones[0].criterion.extra = 1; }), 'phases[0].milestones[0].criterion.extra'],
    ['a seat share above 1', bad((b) => { b.phases[0].milestones[2].criterion.seat_share = 1.5; }), 'phases[0].milestones[2].criterion.seat_share'],
    ['both count and seat share', bad((b) => { b.phases[0].milestones[2].criterion.count = 3; }), 'phases[0].milestones[2].criterion.seat_share'],
    ['an unknown survey', bad((b) => { b.phases[1].milestones[1].criterion = { type: 'survey_answered', survey: 'poll' }; }), 'phases[1].milestones[1].criterion.survey'],
    ['an unknown subscription condition', bad((b) => { b.phases[2].milestones[1].criterion.condition = 'shrank'; }), 'phases[2].milestones[1].criterion.condition'],
    ['too many milestones in a phase', bad((b) => { b.phases[0].milestones = Array.from({ length: 31 }, (_, i) => ({ key: `m${i}`, label_ja: 'm', label_en: 'm' })); }), 'phases[0].milestones'],
  ];
  for (const [what, body, field] of CASES) {
    test(`${what}: 400 naming ${field}, old settings kept`, async () => {
      const before = (await admin().get('/api/v1/settings/lifecycle')).json;
      assertProblem(await admin().put('/api/v1/settings/lifecycle', body), 400, field, what);
      assert.deepEqual((await admin().get('/api/v1/settings/lifecycle')).json, before);
    });
  }
  test('unknown query parameters are refused', async () => {
    assertProblem(await admin().get('/api/v1/settings/lifecycle?x=1'), 400, 'x');
  });
});

describe('milestones and phases', () => {
  test('criteria complete milestones from tracked events; a manual step then finishes onboarding', async () => {
    const ext = `JRN-${Date.now()}`;
    await batch([
      { type: 'group', userId: 'j-u1', groupId: ext, traits: { name: 'Tracked Journey' } },
      { type: 'group', userId: 'j-u2', groupId: ext },
    ]);
    const a = await srv.accountByExternalId(ext);
    assert.ok(a, 'the group call created the account');
    assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, SUB), 200);
    let j = await journey(a.id);
    assert.equal(j.phase.key, 'onboarding');
    assert.equal(milestone(j, 'initial_setup').state, 'open');

    // Not yet: no "Setup Completed", one active user of 5 seats (30% needs 2).
    await batch([{ type: 'track', userId: 'j-u1', event: 'Dashboard Viewed' }]);
    await evaluate();
    j = await journey(a.id);
    assert.equal(milestone(j, 'initial_setup').state, 'open');
    assert.equal(milestone(j, 'hands_on_mastery').state, 'open');

    await batch([
      { type: 'track', userId: 'j-u1', event: 'Setup Completed' },
      { type: 'track', userId: 'j-u2', event: 'Dashboard Viewed' },
    ]);
    const e = await evaluate();
    assert.ok(e.accounts >= 1 && e.milestones_completed >= 2, JSON.stringify(e));
    j = await journey(a.id);
    const setup = milestone(j, 'initial_setup');
    assert.equal(setup.state, 'complete');
    assert.equal(setup.completed_by, 'criterion');
    assert.equal(setup.user, null);
    assert.match(setup.completed_at, RFC3339);
    assert.equal(setup.detail, 'Setup Completed seen 1 time (at least 1)');
    const hands = milestone(j, 'hands_on_mastery');
    assert.equal(hands.state, 'complete');
    assert.match(hands.detail, /^2 active users in 30 days \(at least 2: 30% of 5 seats\)$/);
    assert.equal(j.phase.key, 'onboarding', 'basic_understanding (manual) is still open');
    assert.deepEqual([j.phases[0].required_total, j.phases[0].required_complete], [3, 2]);

    // A reopened milestone is not completed again by its criterion.
    let r = await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/reopen`, { note: 'wrong tenant' });
    assertStatus(r, 200);
    assert.equal(milestone(r.json, 'initial_setup').state, 'reopened');
    assert.equal(milestone(r.json, 'initial_setup').detail, 'wrong tenant');
    await batch([{ type: 'track', userId: 'j-u1', event: 'Setup Completed' }]);
    await evaluate();
    assert.equal(milestone(await journey(a.id), 'initial_setup').state, 'reopened');
    r = await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/complete`);
    assertStatus(r, 200, 'complete with no body');
    assert.equal(milestone(r.json, 'initial_setup').completed_by, 'manual');
    assert.equal(milestone(r.json, 'initial_setup').user.id, srv.admin.id);

    // The last required step, by hand: the account enters adoption at once.
    r = await admin().post(`/api/v1/accounts/${a.id}/milestones/basic_understanding/complete`, { note: 'training done' });
    assertStatus(r, 200);
    j = r.json;
    assert.equal(j.phase.key, 'adoption');
    assert.equal(j.phase.label_ja, '定着期');
    assert.deepEqual(j.history.map((h) => [h.phase, h.moved_by]), [['onboarding', 'initial'], ['adoption', 'milestones']]);
    assertHistory(j);
    assert.equal((await admin().get(`/api/v1/accounts/${a.id}`)).json.phase, 'adoption');
  });

  test('an evaluation chains through every phase whose milestones are complete', async () => {
    const lc = {
      phases: [
        { key: 'p1', label_ja: '一', label_en: 'One', expected_days: 10, milestones: [
          { key: 'm1', label_ja: 'A', label_en: 'A', criterion: { type: 'event_count', event: 'Chain A', count: 2, within_days: 7 } },
          { key: 'm1b', label_ja: 'A2', label_en: 'A2', required: false } ] },
        { key: 'p2', label_ja: '二', label_en: 'Two', milestones: [
          { key: 'm2', label_ja: 'B', label_en: 'B', value: true, criterion: { type: 'active_users', count: 1 } }] },
        { key: 'p3', label_ja: '三', label_en: 'Three', milestones: [
          { key: 'm3', label_ja: 'C', label_en: 'C' }] },
        { key: 'onboarding', label_ja: '導入期', label_en: 'Onboarding' },
        { key: 'adoption', label_ja: '定着期', label_en: 'Adoption' },
        { key: 'churned', label_ja: '解約', label_en: 'Churned', terminal: true },
      ],
    };
    await putLifecycle(lc);
    try {
      const ext = `CHAIN-${Date.now()}`;
      await batch([{ type: 'group', userId: 'c-u1', groupId: ext, traits: { name: 'Chain' } }]);
      const a = await srv.accountByExternalId(ext);
      assert.equal(a.phase, 'p1');
      assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, { ...SUB, start_date: '2026-01-01' }), 200);
      await batch([{ type: 'track', userId: 'c-u1', event: 'Chain A' }]);
      await evaluate();
      let j = await journey(a.id);
      assert.equal(j.phase.key, 'p1', 'one Chain A of the two needed');
      // Milestones of later phases complete as soon as their criterion is met: m2 (p2) is.
      assert.equal(milestone(j, 'm2').state, 'complete');
      assert.equal(milestone(j, 'm1').state, 'open');
      await batch([{ type: 'track', userId: 'c-u1', event: 'Chain A' }]);
      const e = await evaluate();
      assert.ok(e.phase_changes >= 2, JSON.stringify(e));
      j = await journey(a.id);
      assert.equal(j.phase.key, 'p3');
      assert.deepEqual(j.history.map((h) => [h.phase, h.moved_by]), [['p1', 'initial'], ['p2', 'milestones'], ['p3', 'milestones']]);
      assert.equal(j.history[1].entered_at, j.history[1].left_at, 'passed through p2 in the same evaluation');
      assertHistory(j);
      assert.equal(milestone(j, 'm1b').state, 'open', 'optional milestones do not hold a phase');
      assert.match(milestone(j, 'm1').detail, /^Chain A seen 2 times in the last 7 days \(at least 2\)$/);
      // TTV: subscription start -> the value milestone.
      assert.equal(j.ttv.milestone, 'm2');
      assert.equal(j.ttv.start_date, '2026-01-01');
      assert.equal(j.ttv.value_reached_at, milestone(j, 'm2').completed_at);
      assert.equal(j.ttv.days, Math.floor((secs(j.ttv.value_reached_at) - secs('2026-01-01T00:00:00Z')) / 86400));
      assert.equal(j.ttv.reason, null);
      // A phase with no required milestones is only left by hand: p3 stays.
      assert.equal((await evaluate()).phase_changes, 0);
      // Reopening the value milestone takes TTV back.
      const r = await admin().post(`/api/v1/accounts/${a.id}/milestones/m2/reopen`, {});
      assertStatus(r, 200);
      assert.equal(r.json.ttv.days, null);
      assert.equal(r.json.phase.key, 'p3', 'reopening never moves an account back');
      assertStatus(await admin().post(`/api/v1/accounts/${a.id}/phase`, { phase: 'onboarding', reason: 'back to defaults' }), 200);
    } finally {
      // Whatever happened, no account stays in p1..p3, so the defaults can come back.
      for (const ph of ['p1', 'p2', 'p3']) {
        for (const x of (await admin().get(`/api/v1/accounts?phase=${ph}&limit=500`)).json.data) {
          await admin().post(`/api/v1/accounts/${x.id}/phase`, { phase: 'onboarding', reason: 'cleanup' });
        }
      }
      await putLifecycle(DEFAULTS);
    }
  });

  test('milestone steps: unknown key 404, twice 409, bad body 400', async () => {
    const a = await account();
    assertProblem(await admin().post(`/api/v1/accounts/${a.id}/milestones/nope/complete`, {}), 404);
    assertProblem(await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/reopen`, {}), 409, 'key');
    assertProblem(await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/complete`, { colour: 1 }), 400, 'colour');
    assertProblem(await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/complete`, { note: 5 }), 400, 'note');
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/complete`, { note: 'ok' }), 200);
    assertProblem(await admin().post(`/api/v1/accounts/${a.id}/milestones/initial_setup/complete`, {}), 409, 'key');
    assertProblem(await admin().post('/api/v1/accounts/999999/milestones/initial_setup/complete', {}), 404);
    assertProblem(await admin().get('/api/v1/accounts/999999/journey'), 404);
    assertProblem(await admin().get(`/api/v1/accounts/${a.id}/journey?verbose=1`), 400, 'verbose');
  });

  test('manual moves need a reason and a known phase; they record the user', async () => {
    const csm = await srv.createUser('csm');
    const a = await account({ owner_id: csm.id });
    const as = srv.as(csm);
    assertProblem(await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption' }), 400, 'reason');
    assertProblem(await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: '' }), 400, 'reason');
    assertProblem(await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'nirvana', reason: 'x' }), 400, 'phase');
    assertProblem(await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: 'x', at: 'now' }), 400, 'at');
    assertProblem(await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'onboarding', reason: 'x' }), 409, 'phase');
    const r = await as.post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: 'キックオフ前に導入済み' });
    assertStatus(r, 200);
    const last = r.json.history.at(-1);
    assert.deepEqual([last.phase, last.moved_by, last.reason, last.user.id, last.user.name], ['adoption', 'manual', 'キックオフ前に導入済み', csm.id, csm.name]);
    assertHistory(r.json);
    assert.equal(r.json.expected_days, 180);
    assert.equal(r.json.overdue, false);
    assert.equal(r.json.overdue_2x, false);
  });

  test('PATCH phase goes through the same transition and is checked against the lifecycle', async () => {
    const a = await account();
    assertProblem(await admin().patch(`/api/v1/accounts/${a.id}`, { phase: 'nirvana' }), 400, 'phase');
    assertProblem(await admin().post('/api/v1/accounts', { name: 'x', phase: 'nirvana' }), 400, 'phase');
    const r = await admin().patch(`/api/v1/accounts/${a.id}`, { phase: 'expansion', industry: 'Retail' });
    assertStatus(r, 200);
    assert.equal(r.json.phase, 'expansion');
    assert.equal(r.json.industry, 'Retail');
    const j = await journey(a.id);
    assert.deepEqual(j.history.map((h) => [h.phase, h.moved_by]), [['onboarding', 'initial'], ['expansion', 'manual']]);
    assert.equal(j.history[1].user.id, srv.admin.id);
    assertHistory(j);
    // The same phase again: no new row.
    assertStatus(await admin().patch(`/api/v1/accounts/${a.id}`, { phase: 'expansion' }), 200);
    assert.equal((await journey(a.id)).history.length, 2);
    // Created directly in a phase: that is its initial row.
    const b = await account({ phase: 'adoption' });
    assert.deepEqual((await journey(b.id)).history.map((h) => [h.phase, h.moved_by]), [['adoption', 'initial']]);
    // List filter by phase: lifecycle keys only.
    assertProblem(await admin().get('/api/v1/accounts?phase=nirvana'), 400, 'phase');
    const l = await admin().get('/api/v1/accounts?phase=expansion&limit=500');
    assertStatus(l, 200);
    assert.ok(l.json.data.some((x) => x.id === a.id));
    assert.ok(l.json.data.every((x) => x.phase === 'expansion'));
  });

  test('churn -> reactivation -> churn: every transition in the history, back to the phase before', async () => {
    const a = await account();
    assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, SUB), 200);
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: 'live' }), 200);
    const put = (status) => admin().put(`/api/v1/accounts/${a.id}/subscription`, { ...SUB, status, mrr: status === 'churned' ? 0 : 1000 });
    assertStatus(await put('churned'), 200);
    let j = await journey(a.id);
    assert.equal(j.phase.key, 'churned');
    assert.equal(j.phase.terminal, true);
    assert.equal(j.expected_days, null);
    assert.equal(j.overdue, false);
    // A plan change that stays churned moves nothing.
    assertStatus(await admin().put(`/api/v1/accounts/${a.id}/subscription`, { ...SUB, status: 'churned', mrr: 0, plan: 'Free' }), 200);
    assert.equal((await journey(a.id)).history.length, 3);
    assertStatus(await put('active'), 200);
    j = await journey(a.id);
    assert.equal(j.phase.key, 'adoption', 'back to the phase it was in before churning');
    assertStatus(await put('churned'), 200);
    j = await journey(a.id);
    assert.deepEqual(j.history.map((h) => [h.phase, h.moved_by]), [
      ['onboarding', 'initial'], ['adoption', 'manual'], ['churned', 'churn'], ['adoption', 'reactivation'], ['churned', 'churn']]);
    assert.match(j.history[2].reason, /^subscription churned \(effective \d{4}-\d{2}-\d{2}\)$/);
    assert.match(j.history[3].reason, /^subscription reactivated/);
    assert.equal(j.history[2].user.id, srv.admin.id);
    assertHistory(j);
    assert.equal((await admin().get(`/api/v1/accounts/${a.id}`)).json.phase, 'churned');
    // Churned accounts are not evaluated: milestones stay as they are.
    await evaluate();
    assert.equal((await journey(a.id)).phase.key, 'churned');
  });

  test('the CSV importer: new accounts start in the first or the terminal phase; a churn moves the phase', async () => {
    const ext = `IMPJ-${Date.now()}`;
    const csv = (status) => `external_id,name,plan,mrr,currency,seats,start_date,status\n${ext},Imported Journey,Pro,1000,USD,5,2026-01-01,${status}\n${ext}-gone,Gone Co,Pro,0,USD,5,2025-01-01,churned\n`;
    const imp = async (status) => {
      const r = await admin().request('POST', '/api/v1/import/accounts', { body: csv(status), contentType: 'text/csv' });
      assertStatus(r, 200, 'import');
    };
    await imp('active');
    const a = await srv.accountByExternalId(ext);
    assert.equal(a.phase, 'onboarding');
    const gone = await srv.accountByExternalId(`${ext}-gone`);
    assert.equal(gone.phase, 'churned');
    assert.deepEqual((await journey(gone.id)).history.map((h) => [h.phase, h.moved_by]), [['churned', 'initial']]);
    await imp('churned');
    let j = await journey(a.id);
    assert.deepEqual(j.history.map((h) => [h.phase, h.moved_by]), [['onboarding', 'initial'], ['churned', 'churn']]);
    assert.equal(j.history[1].user, null, 'an import has no user');
    await imp('active');
    j = await journey(a.id);
    assert.deepEqual(j.history.map((h) => h.moved_by), ['initial', 'churn', 'reactivation']);
    assert.equal(j.phase.key, 'onboarding');
    assertHistory(j);
  });

  test('a viewer reads a journey but cannot change it', async () => {
    const viewer = await srv.createUser('viewer');
    const a = await account();
    const j = await journey(a.id, srv.as(viewer));
    assert.equal(j.phase.key, 'onboarding');
    assertProblem(await srv.as(viewer).post(`/api/v1/accounts/${a.id}/phase`, { phase: 'adoption', reason: 'x' }), 403);
    assertProblem(await srv.as(viewer).post('/api/v1/journey/evaluate', {}), 403);
    assertProblem(await srv.as(viewer).put('/api/v1/settings/lifecycle', DEFAULTS), 403);
    assertProblem(await srv.as(null).get(`/api/v1/accounts/${a.id}/journey`), 401);
  });

  test('TTV without a subscription says why', async () => {
    const a = await account();
    const before = (await journey(a.id)).ttv;
    assert.deepEqual([before.days, before.reason, before.milestone], [null, 'the value milestone is not complete yet', 'value_realised']);
    assertStatus(await admin().post(`/api/v1/accounts/${a.id}/milestones/value_realised/complete`, {}), 200);
    const j = await journey(a.id);
    assert.equal(j.ttv.days, null);
    assert.equal(j.ttv.reason, 'the account has no subscription start date');
    assert.match(j.ttv.value_reached_at, RFC3339);
  });
});

test('demo data: believable, consistent journeys that an evaluation leaves as they are', async () => {
  const { dir, db } = tmpDb('journey-demo');
  const g = runCli(['demo', '--db', db]);
  assert.equal(g.code, 0, g.stderr);
  const demo = await startServer({ db, dir });
  try {
    const as = demo.as(demo.admin);
    const ids = [];
    for (let cursor = null; ;) {
      const r = await as.get(`/api/v1/accounts?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...r.json.data.map((x) => x.id));
      if (!(cursor = r.json.next_cursor)) break;
    }
    assert.equal(ids.length, 300);
    const seen = { overdue: 0, overdue2x: 0, reactivated: 0, ttv: 0, manual: 0, criterion: 0 };
    const phases = new Set();
    for (const id of ids) {
      const r = await as.get(`/api/v1/accounts/${id}/journey`);
      assertStatus(r, 200);
      const j = r.json;
      assertHistory(j);
      phases.add(j.phase.key);
      assert.equal(j.overdue, j.expected_days !== null && j.days_in_phase > j.expected_days);
      assert.equal(j.overdue_2x, j.overdue && j.days_in_phase >= 2 * j.expected_days);
      if (j.phase.key === 'onboarding' && j.overdue) seen.overdue++;
      if (j.phase.key === 'onboarding' && j.overdue_2x) seen.overdue2x++;
      if (j.history.some((h) => h.moved_by === 'reactivation')) seen.reactivated++;
      if (j.ttv.days !== null) seen.ttv++;
      for (const m of j.phases.flatMap((p) => p.milestones)) {
        if (m.completed_by === 'manual') { seen.manual++; assert.ok(m.user, 'manual steps name the user'); }
        if (m.completed_by === 'criterion') { seen.criterion++; assert.ok(m.detail); }
      }
      // The current phase (unless the last before churned) never has all its required milestones.
      const cur = j.phases.find((p) => p.current);
      if (cur && !cur.terminal && j.phases.indexOf(cur) < j.phases.length - 2 && cur.required_total > 0) {
        assert.ok(cur.required_complete < cur.required_total, `account ${id} should have moved on`);
      }
    }
    assert.deepEqual([...phases].sort(), ['adoption', 'churned', 'expansion', 'onboarding']);
    for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no demo account with ${k}`);
    const e = await as.post('/api/v1/journey/evaluate', {});
    assertStatus(e, 200);
    assert.equal(e.json.accounts, 300);
    assert.equal(e.json.phase_changes, 0, 'the demo journeys agree with the engine');
    await demo.stop();
  } finally {
    await demo.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
