// The filter tree's model: JSON -> UI state -> JSON is the identity on the forms the editor
// writes; edits in the UI state give the JSON the API expects; server error paths land on
// the node and part they name.
import { describe, expect, test } from 'vitest';
import type { CondNode, FilterJson, GroupNode, PathMap } from '../src/segments/filterTree';
import {
  CUSTOM, countConditions, emptyGroup, fromJson, groupDepth, locateError, newCondition, toJson, updateNode, withField, withOp,
} from '../src/segments/filterTree';
import { INFO } from './fixtures';

const roundTrip = (j: FilterJson) => toJson(fromJson(j, INFO), INFO);

describe('JSON -> UI -> JSON', () => {
  const cases: [string, FilterJson][] = [
    ['empty and', { and: [] }],
    ['empty or', { or: [] }],
    ['one condition in an and', { and: [{ field: 'tier', op: 'eq', value: 'high' }] }],
    ['the docs example', { and: [
      { field: 'tier', op: 'eq', value: 'high' },
      { field: 'renewal_date', op: 'within_days', value: 90 },
      { or: [{ field: 'band', op: 'eq', value: 'red' }, { field: 'nps', op: 'lte', value: 6 }] },
      { not: { field: 'custom.region', op: 'eq', value: 'EMEA' } },
    ] }],
    ['in with text, numbers and enum values', { or: [
      { field: 'industry', op: 'in', value: ['SaaS', 'Retail'] },
      { field: 'health', op: 'in', value: [10, 20, 30] },
      { field: 'tier', op: 'in', value: ['high', 'tech'] },
    ] }],
    ['is_null both ways', { and: [{ field: 'industry', op: 'is_null' }, { field: 'band', op: 'is_null', value: false }] }],
    ['booleans and custom types', { and: [
      { field: 'auto_renew', op: 'eq', value: false },
      { field: 'custom.vip', op: 'eq', value: true },
      { field: 'custom.seats_used', op: 'gte', value: 45 },
      { field: 'custom.score', op: 'lt', value: 2.5 },
      { field: 'custom.note', op: 'contains', value: "x' OR 1=1 --" },
    ] }],
    ['negated groups, nested', { not: { or: [
      { and: [{ field: 'last_seen', op: 'gt', value: 14 }, { not: { field: 'phase', op: 'eq', value: 'churned' } }] },
      { field: 'created_at', op: 'within_days', value: 30 },
    ] } }],
    ['dates', { and: [{ field: 'renewal_date', op: 'lt', value: '2027-01-01' }] }],
  ];
  for (const [name, j] of cases) test(name, () => expect(roundTrip(j)).toEqual(j));

  test('a bare condition becomes an and of one', () => {
    expect(roundTrip({ field: 'tier', op: 'eq', value: 'low' })).toEqual({ and: [{ field: 'tier', op: 'eq', value: 'low' }] });
  });
  test('a double not folds away (same accounts)', () => {
    expect(roundTrip({ and: [{ not: { not: { field: 'tier', op: 'eq', value: 'low' } } }] }))
      .toEqual({ and: [{ field: 'tier', op: 'eq', value: 'low' }] });
  });
  test('nothing is an empty and', () => {
    expect(toJson(fromJson(null, INFO), INFO)).toEqual({ and: [] });
  });
});

describe('UI state -> JSON', () => {
  test('a new condition, then field, operator and value changes', () => {
    let root = emptyGroup();
    const c = newCondition(INFO, 'tier');
    root = { ...root, children: [c] };
    expect(toJson(root, INFO)).toEqual({ and: [{ field: 'tier', op: 'eq', value: 'high' }] });
    root = updateNode(root, c.id, (n) => withField(INFO, n as CondNode, 'renewal_date'));
    root = updateNode(root, c.id, (n) => withOp(INFO, n as CondNode, 'within_days'));
    root = updateNode(root, c.id, (n) => ({ ...(n as CondNode), value: '60' }));
    expect(toJson(root, INFO)).toEqual({ and: [{ field: 'renewal_date', op: 'within_days', value: 60 }] });
    root = updateNode(root, c.id, (n) => ({ ...n, negated: true }));
    expect(toJson(root, INFO)).toEqual({ and: [{ not: { field: 'renewal_date', op: 'within_days', value: 60 } }] });
  });

  test('changing to a field without the operator takes its first operator and a fresh value', () => {
    const c = { ...newCondition(INFO, 'name'), op: 'contains', value: 'abc' };
    const d = withField(INFO, c, 'tier');
    expect([d.op, d.value]).toEqual(['eq', 'high']);
    const e = withField(INFO, c, 'industry'); // text to text: contains and the value stay
    expect([e.op, e.value]).toEqual(['contains', 'abc']);
    // A text field with listed values (phase) starts on its first value, not on a stale one.
    const p = withField(INFO, newCondition(INFO, 'name'), 'phase');
    expect([p.op, p.value]).toEqual(['eq', 'onboarding']);
    expect(withField(INFO, { ...c, op: 'contains' }, 'phase').value).toBe('abc');
    const many = { ...newCondition(INFO, 'tier'), op: 'in', value: 'high, tech' };
    expect(withOp(INFO, many, 'ne').value).toBe('high');
    expect(withOp(INFO, { ...many, value: 'tech' }, 'ne').value).toBe('tech');
  });

  test('custom fields: key and value type', () => {
    const c: CondNode = { ...newCondition(INFO), field: CUSTOM, customKey: 'region', customType: 'text', op: 'in', value: 'APAC, EMEA' };
    const n: CondNode = { ...c, customKey: 'seats', customType: 'number', op: 'gt', value: '10' };
    const b: CondNode = { ...c, customKey: 'vip', customType: 'boolean', op: 'eq', value: 'true' };
    const root: GroupNode = { ...emptyGroup('or'), children: [c, n, b] };
    expect(toJson(root, INFO)).toEqual({ or: [
      { field: 'custom.region', op: 'in', value: ['APAC', 'EMEA'] },
      { field: 'custom.seats', op: 'gt', value: 10 },
      { field: 'custom.vip', op: 'eq', value: true },
    ] });
  });

  test('text that is not a number is sent as it is, for the server to name', () => {
    const c = { ...newCondition(INFO, 'health'), op: 'gte', value: 'lots' };
    expect(toJson({ ...emptyGroup(), children: [c] }, INFO)).toEqual({ and: [{ field: 'health', op: 'gte', value: 'lots' }] });
  });

  test('removing a node, counting and depth', () => {
    const inner = { ...emptyGroup('or'), children: [newCondition(INFO), newCondition(INFO)] };
    const c = newCondition(INFO);
    let root: GroupNode = { ...emptyGroup(), children: [c, inner] };
    expect([countConditions(root), groupDepth(root)]).toEqual([3, 2]);
    root = updateNode(root, inner.children[0].id, () => null);
    root = updateNode(root, c.id, () => null);
    expect(countConditions(root)).toBe(1);
    expect(toJson(root, INFO)).toEqual({ and: [{ or: [{ field: 'name', op: 'eq', value: '' }] }] });
  });
});

describe('server errors land on their node', () => {
  const tree = fromJson({ and: [
    { field: 'tier', op: 'eq', value: 'high' },
    { or: [{ field: 'renewal_date', op: 'within_days', value: 99999 }, { not: { field: 'nps', op: 'lte', value: 6 } }] },
  ] }, INFO);
  const paths: PathMap = new Map();
  toJson(tree, INFO, paths);
  const group = tree.children[1] as GroupNode;
  test('paths', () => {
    expect(paths.get(tree.id)).toBe('filter');
    expect(paths.get(group.children[0].id)).toBe('filter.and[1].or[0]');
    expect(paths.get(group.children[1].id)).toBe('filter.and[1].or[1].not');
  });
  test('locate', () => {
    expect(locateError(paths, 'filter.and[1].or[0].value')).toEqual({ id: group.children[0].id, part: 'value' });
    expect(locateError(paths, 'filter.and[1].or[1].not.op')).toEqual({ id: group.children[1].id, part: 'op' });
    expect(locateError(paths, 'filter.and[0].field')).toEqual({ id: tree.children[0].id, part: 'field' });
    expect(locateError(paths, 'filter.and[1].or')).toEqual({ id: group.id, part: '' });
    expect(locateError(paths, 'filter.and[1].colour')).toEqual({ id: group.id, part: '' });
    expect(locateError(paths, 'filter')).toEqual({ id: tree.id, part: '' });
    expect(locateError(paths, 'name')).toBeNull();
    expect(locateError(paths, undefined)).toBeNull();
  });
  test('and[1] is not a prefix of and[10]', () => {
    const p: PathMap = new Map([[1, 'filter'], [2, 'filter.and[1]']]);
    expect(locateError(p, 'filter.and[10].op')).toEqual({ id: 1, part: '' });
  });
});
