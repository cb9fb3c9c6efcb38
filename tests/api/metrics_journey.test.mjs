// The journey metric follows the lifecycle in force: with a customised lifecycle (phases
// renamed, reordered, one removed, another terminal phase) the phase distribution and the
// funnel list its phases in its order with its names, a phase removed from it is not listed
// (history rows in it are not counted), and its terminal phase is the churn row. Phase
// history fixtures are written with the sqlite3 CLI into the server's database (WAL: safe
// while it runs); skipped when the CLI is not installed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, parseCsv, startServer, HAVE_SQLITE, sqliteExec } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const viewer = await srv.createUser('viewer');
const sql = (text) => sqliteExec(srv.db, text);

const get = async (p) => {
  const r = await srv.as(viewer).get(p);
  assertStatus(r, 200, p);
  return r.json;
};

const phase = (key, ja, en, extra = {}) => ({ key, label_ja: ja, label_en: en, milestones: [], ...extra });

test('journey: phases and funnel follow a customised lifecycle', { skip: !HAVE_SQLITE }, async () => {
  // No account exists yet, so the default phases can all go: expansion is removed, onboarding
  // becomes "kickoff", and the terminal phase is "lost".
  const lc = await admin().put('/api/v1/settings/lifecycle', {
    phases: [
      phase('kickoff', 'キックオフ', 'Kickoff'),
      phase('rollout', '展開', 'Rollout'),
      phase('adoption', '定着', 'Adoption'),
      phase('lost', '失注', 'Lost', { terminal: true }),
    ],
  });
  assertStatus(lc, 200);
  const ind = 'fx-custom-journey';
  const mk = async (name) => {
    const a = await admin().post('/api/v1/accounts', { name, industry: ind });
    assertStatus(a, 201);
    assert.equal(a.json.phase, 'kickoff', 'new accounts start in the first phase');
    return a.json;
  };
  const [P, Q, R, S, T, U] = [await mk('P'), await mk('Q'), await mk('R'), await mk('S'), await mk('T'), await mk('U')];
  const ids = [P, Q, R, S, T, U].map((a) => a.id).join(',');
  const ph = (a, p, at, left = null) => `(${a.id}, '${p}', '${at}', ${left ? `'${left}'` : 'NULL'}, 'manual')`;
  sql(`DELETE FROM phase_history WHERE account_id IN (${ids});
    INSERT INTO phase_history (account_id, phase, entered_at, left_at, moved_by) VALUES
    ${ph(P, 'kickoff', '2024-01-10T00:00:00Z', '2024-01-20T00:00:00Z')},
    ${ph(P, 'rollout', '2024-01-20T00:00:00Z', '2024-03-01T00:00:00Z')},
    ${ph(P, 'adoption', '2024-03-01T00:00:00Z')},
    ${ph(Q, 'kickoff', '2024-01-15T00:00:00Z', '2024-02-01T00:00:00Z')},
    ${ph(Q, 'lost', '2024-02-01T00:00:00Z')},
    ${ph(R, 'kickoff', '2024-02-01T00:00:00Z', '2024-02-11T00:00:00Z')},
    ${ph(R, 'expansion', '2024-02-11T00:00:00Z', '2024-03-02T00:00:00Z')},
    ${ph(R, 'adoption', '2024-03-02T00:00:00Z')},
    ${ph(S, 'kickoff', '2024-02-20T00:00:00Z')},
    ${ph(T, 'onboarding', '2023-11-01T00:00:00Z', '2023-12-01T00:00:00Z')},
    ${ph(T, 'rollout', '2023-12-01T00:00:00Z')},
    ${ph(U, 'kickoff', '2023-10-01T00:00:00Z', '2023-10-05T00:00:00Z')},
    ${ph(U, 'expansion', '2023-10-05T00:00:00Z')};
    UPDATE accounts SET phase = 'adoption' WHERE id IN (${P.id}, ${R.id});
    UPDATE accounts SET phase = 'lost' WHERE id = ${Q.id};
    UPDATE accounts SET phase = 'rollout' WHERE id = ${T.id};
    UPDATE accounts SET phase = 'expansion' WHERE id = ${U.id};
    UPDATE accounts SET tier = 'high' WHERE id IN (${P.id}, ${Q.id});`);

  const j = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03`);
  // U sits in "expansion", which the lifecycle no longer has: not listed.
  assert.deepEqual(j.phases, [
    { phase: 'kickoff', accounts: 1, label_ja: 'キックオフ', label_en: 'Kickoff' },
    { phase: 'rollout', accounts: 1, label_ja: '展開', label_en: 'Rollout' },
    { phase: 'adoption', accounts: 2, label_ja: '定着', label_en: 'Adoption' },
    { phase: 'lost', accounts: 1, label_ja: '失注', label_en: 'Lost' },
  ]);
  // Onboarding is the first phase: P (10 days to rollout) and Q (lost: not completed) in
  // January; R (the removed "expansion" is skipped: completed on reaching adoption, 30 days
  // in a leap February) and S in February. T never entered kickoff, U did before the window.
  assert.deepEqual(j.data.map((m) => [m.month, m.onboarding_started, m.onboarding_completed, m.completion_rate, m.avg_onboarding_days]), [
    ['2024-01', 2, 1, 0.5, 10],
    ['2024-02', 2, 1, 0.5, 30],
    ['2024-03', 0, 0, null, null],
  ]);
  assert.deepEqual(j.onboarding, { started: 4, completed: 2, completion_rate: 0.5, avg_days: 20, phase: 'kickoff' });
  assert.deepEqual(j.funnel, [
    { phase: 'kickoff', accounts: 4, share: 1, label_ja: 'キックオフ', label_en: 'Kickoff', terminal: false },
    { phase: 'rollout', accounts: 1, share: 0.25, label_ja: '展開', label_en: 'Rollout', terminal: false },
    { phase: 'adoption', accounts: 2, share: 0.5, label_ja: '定着', label_en: 'Adoption', terminal: false },
    { phase: 'lost', accounts: 1, share: 0.25, label_ja: '失注', label_en: 'Lost', terminal: true },
  ]);
  const csv = parseCsv((await srv.as(viewer).get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03&format=csv&table=funnel`)).text);
  assert.deepEqual(csv.map((r) => r.slice(0, 3)), [['phase', 'accounts', 'share'], ['kickoff', '4', '1'], ['rollout', '1', '0.25'], ['adoption', '2', '0.5'], ['lost', '1', '0.25']]);

  // Filters select the accounts, the lifecycle still shapes the rows.
  const high = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03&tier=high`);
  assert.deepEqual(high.funnel.map((f) => [f.phase, f.accounts]), [['kickoff', 2], ['rollout', 1], ['adoption', 1], ['lost', 1]]);
  assert.deepEqual(high.phases.map((p) => [p.phase, p.accounts]), [['kickoff', 0], ['rollout', 0], ['adoption', 1], ['lost', 1]]);
  const lost = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03&phase=lost`);
  assert.deepEqual([lost.onboarding.started, lost.funnel[3].accounts], [1, 1]);
  // "expansion" and "churned" are not phases of this lifecycle.
  for (const p of ['expansion', 'churned']) {
    const r = await srv.as(viewer).get(`/api/v1/metrics/journey?phase=${p}`);
    assertProblem(r, 400, 'phase');
    assert.equal(r.json.field, 'phase');
  }

  // A reorder and a rename show at once (the accounts' phases are all still there).
  const again = await admin().put('/api/v1/settings/lifecycle', {
    phases: [
      phase('kickoff', 'キックオフ', 'Kick-off'),
      phase('adoption', '定着', 'Adoption'),
      phase('rollout', '展開', 'Rollout'),
      phase('expansion', '拡大', 'Expansion'),
      phase('lost', '失注', 'Lost', { terminal: true }),
    ],
  });
  assertStatus(again, 200);
  const k = await get(`/api/v1/metrics/journey?industry=${ind}&from=2024-01&to=2024-03`);
  assert.deepEqual(k.funnel.map((f) => [f.phase, f.accounts, f.label_en]), [
    ['kickoff', 4, 'Kick-off'], ['adoption', 2, 'Adoption'], ['rollout', 1, 'Rollout'], ['expansion', 1, 'Expansion'], ['lost', 1, 'Lost'],
  ]);
  // Back in the lifecycle, "expansion" counts again: U is listed, R's move counts as reached.
  assert.deepEqual(k.phases.map((p) => [p.phase, p.accounts]), [['kickoff', 1], ['adoption', 2], ['rollout', 1], ['expansion', 1], ['lost', 1]]);
  // R now completes onboarding on entering expansion (10 days): January 10, February 10.
  assert.deepEqual(k.data.map((m) => m.avg_onboarding_days), [10, 10, null]);
});

test('server stops cleanly', () => srv.stop());
