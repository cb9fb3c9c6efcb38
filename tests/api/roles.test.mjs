// The role matrix: every mutating route in src/http/routes.c × every kind of caller.
//
// Callers: anonymous; viewer; a csm on an account it owns; the same csm on another CSM's
// account; the csm on an unassigned account; an admin (on another CSM's account).
// Expected: anonymous 401; viewer 403; csm 2xx on own and unassigned, 403 on another's;
// admin 2xx. Admin-only routes: 403 for viewer and csm. Every case gets fresh fixtures (made by
// the admin), and a refused request must leave them unchanged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const csm = await srv.createUser('csm');
const csm2 = await srv.createUser('csm');
const viewer = await srv.createUser('viewer');
const ownToken = async (role) => {
  const owner = role === 'viewer' ? viewer : role === 'csm' ? csm : srv.admin;
  const t = await srv.as(owner).post('/api/v1/tokens', { name: 'matrix extra' });
  assertStatus(t, 201);
  return t.json;
};

const SUB = { plan: 'Pro', mrr: 1000, currency: 'USD', start_date: '2024-01-01', status: 'active' };
const PLAYBOOK = { name: 'matrix', trigger: { type: 'renewal_within', days: 30 }, actions: [{ type: 'create_task', title: 'x' }] };
const DEFAULT_TIERS = [
  { currency: 'EUR', high_min_arr: 10000000, low_min_arr: 1000000 },
  { currency: 'JPY', high_min_arr: 12000000, low_min_arr: 1200000 },
  { currency: 'USD', high_min_arr: 10000000, low_min_arr: 1000000 },
];

async function mkAccount(ownerId) {
  const r = await admin().post('/api/v1/accounts', { name: 'matrix', owner_id: ownerId });
  assertStatus(r, 201, 'fixture account');
  return r.json.id;
}
async function mk(p, body) {
  const r = await admin().post(p, body);
  assertStatus(r, 201, `fixture ${p}`);
  return r.json.id;
}

// Each account-scoped route: setup(accountId) → { method, path, body, check? }.
// check(status) verifies the effect (or its absence) through the admin.
const ACCOUNT_ROUTES = [
  {
    route: 'POST /api/v1/accounts', expect: 201,
    // Creating an account for an owner: a csm may create its own or unassigned ones only.
    setup: async (owner) => ({ method: 'POST', path: '/api/v1/accounts', body: { name: `created for ${owner}`, owner_id: owner } }),
  },
  {
    route: 'PATCH /api/v1/accounts/{id}', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'PATCH', path: `/api/v1/accounts/${id}`, body: { industry: 'Changed' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}`)).json.industry, ok ? 'Changed' : null),
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/contacts', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/contacts`, body: { name: 'New contact' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/contacts`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PATCH /api/v1/accounts/{id}/contacts/{cid}', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const cid = await mk(`/api/v1/accounts/${id}/contacts`, { name: 'Before' });
      return {
        method: 'PATCH', path: `/api/v1/accounts/${id}/contacts/${cid}`, body: { name: 'After' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/contacts/${cid}`)).json.name, ok ? 'After' : 'Before'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}/contacts/{cid}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const cid = await mk(`/api/v1/accounts/${id}/contacts`, { name: 'Doomed' });
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}/contacts/${cid}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/contacts/${cid}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'PUT /api/v1/accounts/{id}/subscription', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'PUT', path: `/api/v1/accounts/${id}/subscription`, body: SUB,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/subscription`)).status, ok ? 200 : 404),
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/timeline', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/timeline`, body: { type: 'note', summary: 'hello', occurred_at: '2024-01-01T00:00:00Z' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/timeline`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PATCH /api/v1/accounts/{id}/timeline/{eid}', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const eid = await mk(`/api/v1/accounts/${id}/timeline`, { type: 'note', summary: 'Before', occurred_at: '2024-01-01T00:00:00Z' });
      return {
        method: 'PATCH', path: `/api/v1/accounts/${id}/timeline/${eid}`, body: { summary: 'After' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/timeline/${eid}`)).json.summary, ok ? 'After' : 'Before'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}/timeline/{eid}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const eid = await mk(`/api/v1/accounts/${id}/timeline`, { type: 'note', summary: 'x', occurred_at: '2024-01-01T00:00:00Z' });
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}/timeline/${eid}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/timeline/${eid}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'POST /api/v1/tasks', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: '/api/v1/tasks', body: { account_id: id, title: 'New task' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/tasks?account_id=${id}`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PATCH /api/v1/tasks/{id}', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const tid = await mk('/api/v1/tasks', { account_id: id, title: 'Before' });
      return {
        method: 'PATCH', path: `/api/v1/tasks/${tid}`, body: { title: 'After' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/tasks/${tid}`)).json.title, ok ? 'After' : 'Before'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/tasks/{id}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const tid = await mk('/api/v1/tasks', { account_id: id, title: 'x' });
      return {
        method: 'DELETE', path: `/api/v1/tasks/${tid}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/tasks/${tid}`)).status, ok ? 404 : 200),
      };
    },
  },
  // Success plans, survey responses and the CSM sentiment (goals.test.mjs, surveys.test.mjs).
  {
    route: 'POST /api/v1/accounts/{id}/goals', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/goals`, body: { title: 'g', metric: 'm', target: 10 },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/goals`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PATCH /api/v1/accounts/{id}/goals/{gid}', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const gid = await mk(`/api/v1/accounts/${id}/goals`, { title: 'Before', metric: 'm', target: 10 });
      return {
        method: 'PATCH', path: `/api/v1/accounts/${id}/goals/${gid}`, body: { title: 'After', current: 5 },
        check: async (ok) => {
          assert.equal((await admin().get(`/api/v1/accounts/${id}/goals/${gid}`)).json.title, ok ? 'After' : 'Before');
          assert.equal((await admin().get(`/api/v1/accounts/${id}/goals/${gid}/values`)).json.data.length, ok ? 1 : 0);
        },
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}/goals/{gid}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const gid = await mk(`/api/v1/accounts/${id}/goals`, { title: 'Doomed', metric: 'm', target: 10 });
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}/goals/${gid}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/goals/${gid}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/goals/{gid}/values', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const gid = await mk(`/api/v1/accounts/${id}/goals`, { title: 'g', metric: 'm', target: 10 });
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/goals/${gid}/values`, body: { value: 3 },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/goals/${gid}`)).json.current, ok ? 3 : null),
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/survey-responses', expect: 201,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/survey-responses`, body: { type: 'nps', score: 9 },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/survey-responses`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}/survey-responses/{rid}', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      const rid = await mk(`/api/v1/accounts/${id}/survey-responses`, { type: 'csat', score: 2 });
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}/survey-responses/${rid}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/survey-responses/${rid}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'PUT /api/v1/accounts/{id}/sentiment', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'PUT', path: `/api/v1/accounts/${id}/sentiment`, body: { score: 2, note: 'x' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}`)).json.sentiment?.score ?? null, ok ? 2 : null),
      };
    },
  },
  {
    route: 'DELETE /api/v1/accounts/{id}/sentiment', expect: 204,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      assertStatus(await admin().put(`/api/v1/accounts/${id}/sentiment`, { score: 4 }), 200);
      return {
        method: 'DELETE', path: `/api/v1/accounts/${id}/sentiment`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}`)).json.sentiment?.score ?? null, ok ? null : 4),
      };
    },
  },
  {
    // The import checks the role rule per row: the caller's CSV names the account.
    route: 'POST /api/v1/import/survey-responses', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: '/api/v1/import/survey-responses', contentType: 'text/csv',
        body: `account_id,type,score,answered_at\n${id},nps,7,2026-01-01T00:00:00Z\n`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}/survey-responses`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  // The success journey: manual phase moves and milestone steps.
  {
    route: 'POST /api/v1/accounts/{id}/phase', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/phase`, body: { phase: 'adoption', reason: 'matrix' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts/${id}`)).json.phase, ok ? 'adoption' : 'onboarding'),
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/milestones/{key}/complete', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/milestones/basic_understanding/complete`, body: { note: 'matrix' },
        check: async (ok) => {
          const j = (await admin().get(`/api/v1/accounts/${id}/journey`)).json;
          assert.equal(j.phases[0].milestones.find((m) => m.key === 'basic_understanding').state, ok ? 'complete' : 'open');
        },
      };
    },
  },
  {
    route: 'POST /api/v1/accounts/{id}/milestones/{key}/reopen', expect: 200,
    setup: async (owner) => {
      const id = await mkAccount(owner);
      assertStatus(await admin().post(`/api/v1/accounts/${id}/milestones/basic_understanding/complete`, {}), 200, 'fixture milestone');
      return {
        method: 'POST', path: `/api/v1/accounts/${id}/milestones/basic_understanding/reopen`, body: { note: 'matrix' },
        check: async (ok) => {
          const j = (await admin().get(`/api/v1/accounts/${id}/journey`)).json;
          assert.equal(j.phases[0].milestones.find((m) => m.key === 'basic_understanding').state, ok ? 'reopened' : 'complete');
        },
      };
    },
  },
];

// Callers of account-scoped routes: who calls, whose account, and the expected outcome.
const CALLERS = [
  { name: 'anonymous', who: () => null, owner: () => csm.id, outcome: 401 },
  { name: 'viewer', who: () => viewer, owner: () => csm.id, outcome: 403 },
  { name: 'csm on own account', who: () => csm, owner: () => csm.id, outcome: 'ok' },
  { name: 'csm on another CSM\'s account', who: () => csm, owner: () => csm2.id, outcome: 403 },
  { name: 'csm on unassigned account', who: () => csm, owner: () => null, outcome: 'ok' },
  { name: 'admin', who: () => srv.admin, owner: () => csm2.id, outcome: 'ok' },
];

async function runCase(def, caller) {
  const c = await def.setup(caller.owner());
  const opts = c.body === undefined ? {} : { body: c.body };
  if (c.contentType) opts.contentType = c.contentType;
  const r = await srv.as(caller.who()).request(c.method, c.path, opts);
  const want = caller.outcome === 'ok' ? def.expect : caller.outcome;
  // The survey import answers 200 with the row refused when the csm may not write the account.
  if (def.route === 'POST /api/v1/import/survey-responses' && want === 403 && caller.name !== 'viewer') {
    assertStatus(r, 200, `${def.route} as ${caller.name}`);
    assert.deepEqual([r.json.created, r.json.failed], [0, 1]);
    if (c.check) await c.check(false);
    return;
  }
  if (want >= 400) assertProblem(r, want, undefined, `${def.route} as ${caller.name}`);
  else assertStatus(r, want, `${def.route} as ${caller.name}`);
  if (c.check) await c.check(caller.outcome === 'ok');
}

describe('account-scoped writes', () => {
  for (const def of ACCOUNT_ROUTES) {
    for (const caller of CALLERS) {
      test(`${def.route} as ${caller.name} → ${caller.outcome === 'ok' ? def.expect : caller.outcome}`, () => runCase(def, caller));
    }
  }
});

describe('tasks assigned to the csm on another CSM\'s account', () => {
  const assigned = async () => {
    const id = await mkAccount(csm2.id);
    return mk('/api/v1/tasks', { account_id: id, title: 'Before', assignee_id: csm.id });
  };
  test('PATCH /api/v1/tasks/{id} → 200', async () => {
    const tid = await assigned();
    assertStatus(await srv.as(csm).patch(`/api/v1/tasks/${tid}`, { status: 'done' }), 200);
    assert.equal((await admin().get(`/api/v1/tasks/${tid}`)).json.status, 'done');
  });
  test('DELETE /api/v1/tasks/{id} → 204', async () => {
    const tid = await assigned();
    assertStatus(await srv.as(csm).del(`/api/v1/tasks/${tid}`), 204);
  });
  test('but not the other CSM\'s tasks on that account (403)', async () => {
    const id = await mkAccount(csm2.id);
    const tid = await mk('/api/v1/tasks', { account_id: id, title: 'theirs', assignee_id: csm2.id });
    assertProblem(await srv.as(csm).patch(`/api/v1/tasks/${tid}`, { status: 'done' }), 403);
    assertProblem(await srv.as(csm).del(`/api/v1/tasks/${tid}`), 403);
  });
});

describe('moving an account to another owner', () => {
  test('a csm may not take over another CSM\'s account', async () => {
    const id = await mkAccount(csm2.id);
    assertProblem(await srv.as(csm).patch(`/api/v1/accounts/${id}`, { owner_id: csm.id }), 403);
    assert.equal((await admin().get(`/api/v1/accounts/${id}`)).json.owner_id, csm2.id);
  });
  test('a csm may claim an unassigned account', async () => {
    const id = await mkAccount(null);
    const r = await srv.as(csm).patch(`/api/v1/accounts/${id}`, { owner_id: csm.id });
    assertStatus(r, 200);
    assert.equal(r.json.owner_id, csm.id);
  });
});

// Admin-only routes and routes every authenticated user may call.
const ROLES = [
  ['anonymous', () => null],
  ['viewer', () => viewer],
  ['csm', () => csm],
  ['admin', () => srv.admin],
];
const GLOBAL_ROUTES = [
  {
    route: 'POST /api/v1/users', allowed: ['admin'], expect: 201,
    setup: async () => ({ method: 'POST', path: '/api/v1/users', body: { email: `m${Math.random().toString(36).slice(2)}@example.com`, name: 'M', role: 'viewer', password: 'password-1' } }),
  },
  {
    route: 'PATCH /api/v1/users/{id}', allowed: ['admin'], expect: 200,
    setup: async () => {
      const u = await srv.createUser('viewer');
      return {
        method: 'PATCH', path: `/api/v1/users/${u.id}`, body: { role: 'admin' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/users/${u.id}`)).json.role, ok ? 'admin' : 'viewer'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/users/{id}', allowed: ['admin'], expect: 204,
    setup: async () => {
      const r = await admin().post('/api/v1/users', { email: `d${Math.random().toString(36).slice(2)}@example.com`, name: 'D', role: 'viewer', password: 'password-1' });
      return {
        method: 'DELETE', path: `/api/v1/users/${r.json.id}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/users/${r.json.id}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'PUT /api/v1/settings/tiers', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'PUT', path: '/api/v1/settings/tiers', body: { thresholds: DEFAULT_TIERS } }),
  },
  {
    route: 'POST /api/v1/write-keys', allowed: ['admin'], expect: 201,
    setup: async () => ({ method: 'POST', path: '/api/v1/write-keys', body: { name: 'matrix key' } }),
  },
  {
    route: 'DELETE /api/v1/write-keys/{id}', allowed: ['admin'], expect: 204,
    setup: async () => {
      const id = await mk('/api/v1/write-keys', { name: 'matrix revoke' });
      return {
        method: 'DELETE', path: `/api/v1/write-keys/${id}`,
        check: async (ok) => {
          const key = (await admin().get('/api/v1/write-keys')).json.data.find((k) => k.id === id);
          assert.equal(key.revoked_at !== null, ok);
        },
      };
    },
  },
  {
    route: 'PUT /api/v1/settings/key-events', allowed: ['admin'], expect: 200,
    setup: async () => ({
      method: 'PUT', path: '/api/v1/settings/key-events',
      body: { events: [{ name: 'Report Created', label_ja: 'レポート作成', label_en: 'Report created' }] },
    }),
  },
  {
    route: 'PUT /api/v1/settings/ingest', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'PUT', path: '/api/v1/settings/ingest', body: { retention_days: 400 } }),
  },
  {
    route: 'PUT /api/v1/settings/currency', allowed: ['admin'], expect: 200,
    setup: (() => {
      let seq = 0; // a new margin each time: the check sees whether this PUT took effect
      return async () => {
        const gross_margin = 0.5 + ++seq / 1000;
        return {
          method: 'PUT', path: '/api/v1/settings/currency', body: { reporting_currency: 'JPY', rates: { USD: 150, EUR: 160 }, gross_margin },
          check: async (ok) => assert.equal((await admin().get('/api/v1/settings/currency')).json.gross_margin === gross_margin, ok),
        };
      };
    })(),
  },
  {
    route: 'PUT /api/v1/settings/health-model', allowed: ['admin'], expect: 200,
    setup: async () => ({
      method: 'PUT', path: '/api/v1/settings/health-model', body: { bands: { green: 75, red: 40 } },
      check: async (ok) => {
        assert.equal((await admin().get('/api/v1/settings/health-model')).json.bands.green, ok ? 75 : 70);
        assertStatus(await admin().put('/api/v1/settings/health-model', {}), 200); // back to the defaults
      },
    }),
  },
  {
    route: 'POST /api/v1/settings/health-model/preview', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: '/api/v1/settings/health-model/preview', body: { bands: { green: 60, red: 30 } } }),
  },
  {
    route: 'POST /api/v1/health/recompute', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: '/api/v1/health/recompute', body: {} }),
  },
  {
    route: 'POST /api/v1/import/accounts', allowed: ['admin'], expect: 200,
    setup: async () => {
      const ext = `IMP-${Math.random().toString(36).slice(2)}`;
      return {
        method: 'POST', path: '/api/v1/import/accounts', body: `external_id,name\n${ext},Imported\n`, contentType: 'text/csv',
        check: async (ok) => assert.equal((await admin().get(`/api/v1/accounts?external_id=${ext}`)).json.data.length, ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PUT /api/v1/settings/lifecycle', allowed: ['admin'], expect: 200,
    setup: async () => {
      const lc = (await admin().get('/api/v1/settings/lifecycle')).json;
      const body = structuredClone(lc);
      body.phases[0].expected_days = 60 + Math.floor(Math.random() * 30);
      return {
        method: 'PUT', path: '/api/v1/settings/lifecycle', body,
        check: async (ok) => {
          const now = (await admin().get('/api/v1/settings/lifecycle')).json;
          assert.equal(now.phases[0].expected_days, ok ? body.phases[0].expected_days : lc.phases[0].expected_days);
          // Put the defaults back for the other cases.
          assertStatus(await admin().put('/api/v1/settings/lifecycle', lc), 200);
        },
      };
    },
  },
  {
    route: 'POST /api/v1/journey/evaluate', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: '/api/v1/journey/evaluate', body: {} }),
  },
  {
    route: 'POST /api/v1/tokens', allowed: ['viewer', 'csm', 'admin'], expect: 201,
    setup: async () => ({ method: 'POST', path: '/api/v1/tokens', body: { name: 'matrix' } }),
  },
  {
    route: 'DELETE /api/v1/tokens/{id} (own token)', allowed: ['viewer', 'csm', 'admin'], expect: 204,
    setup: async (role) => {
      // A second token of the caller's own (anonymous: the viewer's).
      const t = await ownToken(role === 'anonymous' ? 'viewer' : role);
      return {
        method: 'DELETE', path: `/api/v1/tokens/${t.id}`,
        check: async (ok) => assert.equal((await srv.as(t.token).get('/api/v1/session')).status, ok ? 401 : 200),
      };
    },
  },
  {
    // Another user's token does not exist for a non-admin: 404 rather than 403.
    route: 'DELETE /api/v1/tokens/{id} (another user\'s token)', allowed: ['admin'], expect: 204, denied: 404,
    setup: async () => {
      const other = await srv.createUser('csm');
      return {
        method: 'DELETE', path: `/api/v1/tokens/${other.tokenId}`,
        check: async (ok) => assert.equal((await srv.as(other).get('/api/v1/session')).status, ok ? 401 : 200),
      };
    },
  },
  {
    route: 'DELETE /api/v1/session', allowed: ['viewer', 'csm', 'admin'], expect: 204,
    // With a throw-away token, in case logging out also ends the token's use.
    setup: async (role) => ({ method: 'DELETE', path: '/api/v1/session', token: role === 'anonymous' ? null : (await ownToken(role)).token }),
  },
  // Playbooks: admins write; a csm may preview (it fires nothing); the email settings.
  {
    route: 'POST /api/v1/playbooks', allowed: ['admin'], expect: 201,
    setup: async () => {
      const name = `matrix ${Math.random().toString(36).slice(2)}`;
      return {
        method: 'POST', path: '/api/v1/playbooks', body: { ...PLAYBOOK, name },
        check: async (ok) => assert.equal((await admin().get('/api/v1/playbooks?limit=500')).json.data.some((p) => p.name === name), ok),
      };
    },
  },
  {
    route: 'PATCH /api/v1/playbooks/{id}', allowed: ['admin'], expect: 200,
    setup: async () => {
      const id = await mk('/api/v1/playbooks', { ...PLAYBOOK, name: 'Before' });
      return {
        method: 'PATCH', path: `/api/v1/playbooks/${id}`, body: { name: 'After' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/playbooks/${id}`)).json.name, ok ? 'After' : 'Before'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/playbooks/{id}', allowed: ['admin'], expect: 204,
    setup: async () => {
      const id = await mk('/api/v1/playbooks', PLAYBOOK);
      return {
        method: 'DELETE', path: `/api/v1/playbooks/${id}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/playbooks/${id}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'POST /api/v1/playbooks/{id}/preview', allowed: ['csm', 'admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: `/api/v1/playbooks/${await mk('/api/v1/playbooks', PLAYBOOK)}/preview`, body: {} }),
  },
  {
    route: 'POST /api/v1/playbooks/evaluate', allowed: ['admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: '/api/v1/playbooks/evaluate', body: {} }),
  },
  {
    route: 'PUT /api/v1/settings/smtp', allowed: ['admin'], expect: 200,
    setup: async () => {
      const port = 1000 + Math.floor(Math.random() * 60000);
      return {
        method: 'PUT', path: '/api/v1/settings/smtp', body: { host: '127.0.0.1', port, from: 'cs@example.com' },
        check: async (ok) => assert.equal((await admin().get('/api/v1/settings/smtp')).json.port === port, ok),
      };
    },
  },
  // Email templates: admins write; a csm may preview one for an account it reads.
  {
    route: 'POST /api/v1/email-templates', allowed: ['admin'], expect: 201,
    setup: async () => {
      const name = `matrix ${Math.random().toString(36).slice(2)}`;
      return {
        method: 'POST', path: '/api/v1/email-templates', body: { name, subject: 's', body_text: 'b' },
        check: async (ok) => assert.equal((await admin().get('/api/v1/email-templates?limit=500')).json.data.some((t) => t.name === name), ok),
      };
    },
  },
  {
    route: 'PATCH /api/v1/email-templates/{id}', allowed: ['admin'], expect: 200,
    setup: async () => {
      const id = await mk('/api/v1/email-templates', { name: 'Before', subject: 's', body_text: 'b' });
      return {
        method: 'PATCH', path: `/api/v1/email-templates/${id}`, body: { name: 'After' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/email-templates/${id}`)).json.name, ok ? 'After' : 'Before'),
      };
    },
  },
  {
    route: 'DELETE /api/v1/email-templates/{id}', allowed: ['admin'], expect: 204,
    setup: async () => {
      const id = await mk('/api/v1/email-templates', { name: 'Doomed', subject: 's', body_text: 'b' });
      return {
        method: 'DELETE', path: `/api/v1/email-templates/${id}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/email-templates/${id}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    route: 'POST /api/v1/email-templates/{id}/preview', allowed: ['csm', 'admin'], expect: 200,
    setup: async () => ({
      method: 'POST', path: `/api/v1/email-templates/${await mk('/api/v1/email-templates', { name: 'P', subject: '{{account.name}}', body_text: 'b' })}/preview`,
      body: { account_id: await mkAccount(null) },
    }),
  },
];

// Segments: everyone reads; csm and admin create; the creator or an admin changes one. The
// PATCH and DELETE cases use a segment the csm created (a csm on another's: the describe below).
const segFilter = { field: 'tier', op: 'eq', value: 'high' };
const mkSegment = async (who) => {
  const r = await srv.as(who).post('/api/v1/segments', { name: `matrix ${Math.random().toString(36).slice(2)}`, filter: segFilter });
  assertStatus(r, 201, 'fixture segment');
  return r.json;
};
GLOBAL_ROUTES.push(
  {
    route: 'POST /api/v1/segments', allowed: ['csm', 'admin'], expect: 201,
    setup: async () => {
      const name = `matrix new ${Math.random().toString(36).slice(2)}`;
      return {
        method: 'POST', path: '/api/v1/segments', body: { name, filter: segFilter },
        check: async (ok) => assert.equal((await srv.listAll(srv.admin, '/api/v1/segments?limit=500')).items.some((x) => x.name === name), ok),
      };
    },
  },
  {
    route: 'PATCH /api/v1/segments/{id}', allowed: ['csm', 'admin'], expect: 200,
    setup: async () => {
      const seg = await mkSegment(csm);
      return {
        method: 'PATCH', path: `/api/v1/segments/${seg.id}`, body: { description: 'changed' },
        check: async (ok) => assert.equal((await admin().get(`/api/v1/segments/${seg.id}`)).json.description, ok ? 'changed' : null),
      };
    },
  },
  {
    route: 'DELETE /api/v1/segments/{id}', allowed: ['csm', 'admin'], expect: 204,
    setup: async () => {
      const seg = await mkSegment(csm);
      return {
        method: 'DELETE', path: `/api/v1/segments/${seg.id}`,
        check: async (ok) => assert.equal((await admin().get(`/api/v1/segments/${seg.id}`)).status, ok ? 404 : 200),
      };
    },
  },
  {
    // A read with a body: nothing is saved, so viewers may call it.
    route: 'POST /api/v1/segments/preview', allowed: ['viewer', 'csm', 'admin'], expect: 200,
    setup: async () => ({ method: 'POST', path: '/api/v1/segments/preview', body: { filter: segFilter } }),
  },
);
describe('segments another user created', () => {
  test('a csm may not change or delete another CSM\'s segment (403); an admin may', async () => {
    const seg = await mkSegment(csm2);
    assertProblem(await srv.as(csm).patch(`/api/v1/segments/${seg.id}`, { description: 'x' }), 403);
    assertProblem(await srv.as(csm).del(`/api/v1/segments/${seg.id}`), 403);
    assert.equal((await admin().get(`/api/v1/segments/${seg.id}`)).json.description, null);
    const own = await mkSegment(srv.admin);
    assertProblem(await srv.as(csm).patch(`/api/v1/segments/${own.id}`, { description: 'x' }), 403);
    assertStatus(await admin().patch(`/api/v1/segments/${seg.id}`, { description: 'by admin' }), 200);
    assertStatus(await admin().del(`/api/v1/segments/${seg.id}`), 204);
  });
  test('everyone signed in reads segments and their members', async () => {
    const seg = await mkSegment(csm2);
    for (const who of [viewer, csm, srv.admin]) {
      for (const p of ['/api/v1/segments', `/api/v1/segments/${seg.id}`, `/api/v1/segments/${seg.id}/accounts`, `/api/v1/accounts?segment=${seg.id}`]) {
        assertStatus(await srv.as(who).get(p), 200, p);
      }
    }
    assertProblem(await srv.as(null).get(`/api/v1/segments/${seg.id}`), 401);
  });
});

describe('admin-only and per-user routes', () => {
  for (const def of GLOBAL_ROUTES) {
    for (const [role, who] of ROLES) {
      const want = def.allowed.includes(role) ? def.expect : role === 'anonymous' ? 401 : (def.denied ?? 403);
      test(`${def.route} as ${role} → ${want}`, async () => {
        const c = await def.setup(role);
        const opts = c.body === undefined ? {} : { body: c.body };
        if (c.contentType) opts.contentType = c.contentType;
        const r = await srv.as(c.token !== undefined ? c.token : who()).request(c.method, c.path, opts);
        if (want >= 400) assertProblem(r, want, undefined, `${def.route} as ${role}`);
        else assertStatus(r, want, `${def.route} as ${role}`);
        if (c.check) await c.check(want < 400);
      });
    }
  }
  test('POST /api/v1/session is public', async () => {
    const s = await srv.login(viewer.email, viewer.password);
    assert.equal(s.status, 200);
  });
});

describe('reads', () => {
  const READS = [
    ['/api/v1/accounts', ['viewer', 'csm', 'admin']],
    ['/api/v1/accounts.csv', ['viewer', 'csm', 'admin']],
    ['/api/v1/tasks', ['viewer', 'csm', 'admin']],
    ['/api/v1/tokens', ['viewer', 'csm', 'admin']],
    ['/api/v1/session', ['viewer', 'csm', 'admin']],
    ['/api/v1/settings/tiers', ['viewer', 'csm', 'admin']],
    ['/api/v1/settings/lifecycle', ['viewer', 'csm', 'admin']],
    ['/api/v1/users', ['admin']],
    ['/api/v1/playbooks', ['viewer', 'csm', 'admin']],
    ['/api/v1/outbound', ['admin']],
    ['/api/v1/settings/smtp', ['admin']],
    ['/api/v1/email-templates', ['viewer', 'csm', 'admin']],
    ...['mrr', 'movements', 'retention', 'churn', 'ltv', 'cohorts', 'renewals', 'journey', 'health', 'surveys', 'activity'].map((m) => [`/api/v1/metrics/${m}`, ['viewer', 'csm', 'admin']]),
    ['/api/v1/settings/currency', ['viewer', 'csm', 'admin']],
  ];
  for (const [p, allowed] of READS) {
    for (const [role, who] of ROLES) {
      const want = allowed.includes(role) ? 200 : role === 'anonymous' ? 401 : 403;
      test(`GET ${p} as ${role} → ${want}`, async () => {
        const r = await srv.as(who()).get(p);
        if (want >= 400) assertProblem(r, want);
        else assertStatus(r, want);
      });
    }
  }
  test('a viewer and a csm read any account and its sub-resources', async () => {
    const id = await mkAccount(csm2.id);
    await mk(`/api/v1/accounts/${id}/contacts`, { name: 'c' });
    assertStatus(await admin().put(`/api/v1/accounts/${id}/subscription`, SUB), 200);
    for (const who of [viewer, csm]) {
      for (const p of ['', '/contacts', '/subscription', '/subscription/history', '/timeline', '/goals', '/survey-responses', '/journey', '/health', '/health/history']) {
        assertStatus(await srv.as(who).get(`/api/v1/accounts/${id}${p}`), 200, p);
      }
    }
  });
});

test('every mutating route in routes.c is covered by this matrix', () => {
  const text = fs.readFileSync(path.join(ROOT, 'src/http/routes.c'), 'utf8');
  const mutating = [...text.matchAll(/^\s*R\(\s*"(POST|PUT|PATCH|DELETE)"\s*,\s*"([^"]+)"/gm)]
    .map((m) => `${m[1]} ${m[2].replace(/:(\w+)/g, '{$1}')}`);
  const covered = new Set([...ACCOUNT_ROUTES, ...GLOBAL_ROUTES].map((d) => d.route.replace(/ \(.*\)$/, '')));
  covered.add('POST /api/v1/session');
  // The tracking API is authenticated by write key, not by user role (ingest*.test.mjs).
  for (const r of mutating) if (r.startsWith('POST /v1/')) covered.add(r);
  const missing = mutating.filter((r) => !covered.has(r));
  assert.deepEqual(missing, [], `mutating routes without role tests: ${missing.join(', ')}`);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
