// GET /api/v1/segments/fields: the filter language as data for the segment editor. It must
// agree with the parser exactly: every (field, operator) it lists is accepted by preview
// with a value of the type it says, every operator it leaves out is refused naming the op,
// enumerations list exactly the values the parser takes, and `phase` lists the lifecycle.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertProblem, assertStatus, startServer } from './lib.mjs';

const srv = await startServer();
after(() => srv.cleanup());
const admin = () => srv.as(srv.admin);
const viewer = await srv.createUser('viewer');

const fields = await srv.as(viewer).get('/api/v1/segments/fields');

/** A value of the type a field says it takes, for op. */
function valueFor(f, op) {
  if (op === 'within_days') return 30;
  if (op === 'contains') return 'x';
  switch (f.type) {
    case 'text': return f.values?.[0] ?? 'x';
    case 'enum': return f.values[0];
    case 'integer': case 'days_since': return f.min;
    case 'date': return '2025-01-01';
    case 'boolean': return true;
    case 'custom': return 'x';
    default: throw new Error(`unknown type ${f.type}`);
  }
}
const cond = (f, op) => (op === 'is_null' ? { field: f.name, op } : op === 'in'
  ? { field: f.name, op, value: [valueFor(f, op)] } : { field: f.name, op, value: valueFor(f, op) });

test('any role reads it; it has the operators, the fields, custom.<key> and the limits', () => {
  assertStatus(fields, 200);
  const j = fields.json;
  assert.deepEqual(j.ops, ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'within_days', 'is_null']);
  const byName = Object.fromEntries(j.fields.map((f) => [f.name, f]));
  for (const name of ['tier', 'phase', 'owner', 'industry', 'health', 'band', 'arr', 'renewal_date', 'last_seen', 'nps'])
    assert.ok(byName[name], `field ${name}`);
  assert.deepEqual(byName.tier.values, ['high', 'low', 'tech']);
  assert.deepEqual(byName.band.values, ['green', 'yellow', 'red']);
  assert.deepEqual(byName.health, { name: 'health', type: 'integer', ops: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'is_null'], min: 0, max: 100 });
  assert.equal(byName.renewal_date.within_days, 'next');
  assert.equal(byName.start_date.within_days, 'last');
  assert.equal(byName.last_seen.type, 'days_since');
  assert.equal(j.custom.prefix, 'custom.');
  assert.ok(j.custom.ops.includes('contains') && !j.custom.ops.includes('within_days'));
  assert.deepEqual(j.limits, { depth: 8, conditions: 100, nodes: 400, in_values: 100, text_bytes: 500, days_max: 36500 });
});

test('phase lists the lifecycle in force, with labels', async () => {
  const lc = (await admin().get('/api/v1/settings/lifecycle')).json;
  const phase = fields.json.fields.find((f) => f.name === 'phase');
  assert.deepEqual(phase.values, lc.phases.map((p) => p.key));
  for (const p of lc.phases) assert.deepEqual(phase.value_labels[p.key], { ja: p.label_ja, en: p.label_en });
  // A phase added to the lifecycle appears at once.
  const phases = lc.phases.map((p) => ({ ...p }));
  phases.splice(1, 0, { key: 'pilot', label_ja: '試験導入', label_en: 'Pilot', terminal: false, expected_days: 30, milestones: [] });
  assertStatus(await admin().put('/api/v1/settings/lifecycle', { phases }), 200, 'lifecycle');
  const again = (await srv.as(viewer).get('/api/v1/segments/fields')).json.fields.find((f) => f.name === 'phase');
  assert.ok(again.values.includes('pilot'));
  assert.deepEqual(again.value_labels.pilot, { ja: '試験導入', en: 'Pilot' });
});

test('every listed (field, op) is accepted by the parser; every other op is refused at .op', async () => {
  const all = fields.json.ops;
  const list = [...fields.json.fields, { ...fields.json.custom, name: 'custom.region' }];
  for (const f of list) {
    for (const op of all) {
      const r = await srv.as(viewer).post('/api/v1/segments/preview', { filter: { and: [cond(f, op)] }, limit: 1 });
      if (f.ops.includes(op)) assertStatus(r, 200, `${f.name} ${op}`);
      else assertProblem(r, 400, 'filter.and[0].op', `${f.name} ${op}`);
    }
  }
});

test('enumerations: a value outside the list is refused at .value', async () => {
  for (const f of fields.json.fields.filter((x) => x.type === 'enum')) {
    assertProblem(await admin().post('/api/v1/segments/preview', { filter: { field: f.name, op: 'eq', value: 'nope' } }), 400, 'filter.value', f.name);
  }
  for (const f of fields.json.fields.filter((x) => x.type === 'integer')) {
    assertProblem(await admin().post('/api/v1/segments/preview', { filter: { field: f.name, op: 'eq', value: f.min - 1 } }), 400, 'filter.value', f.name);
  }
});

test('unknown query parameters are refused; no session is a 401', async () => {
  assertProblem(await admin().get('/api/v1/segments/fields?lang=ja'), 400, 'lang');
  assertProblem(await srv.request('GET', '/api/v1/segments/fields'), 401);
});

test('the server stops cleanly on SIGTERM (exit 0, no sanitizer report)', () => srv.stop());
