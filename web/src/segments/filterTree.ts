// The segment editor's model: the filter tree as UI state (groups and condition rows with
// string inputs), converted to and from the API's JSON (docs/segments.md). The language
// itself (fields, their types, operators and allowed values) comes from the server
// (GET /api/v1/segments/fields); nothing here lists fields. Each node remembers the JSON path
// it was written at, so that a 400 naming `filter.and[1].or[0].op` lands on the right row.

export type FieldType = 'text' | 'enum' | 'integer' | 'date' | 'days_since' | 'boolean' | 'custom';
export interface FieldDef {
  name: string; type: FieldType; ops: string[]; values?: string[];
  value_labels?: Record<string, { ja: string; en: string }>; min?: number; max?: number; within_days?: 'next' | 'last';
}
export interface FieldsInfo {
  ops: string[]; fields: FieldDef[];
  custom: { prefix: string; type: 'custom'; ops: string[]; key_max: number };
  limits: { depth: number; conditions: number; nodes: number; in_values: number; text_bytes: number; days_max: number };
}

/** The JSON form of a filter. */
export type FilterJson =
  | { and: FilterJson[] } | { or: FilterJson[] } | { not: FilterJson }
  | { field: string; op: string; value?: unknown };

export type CustomType = 'text' | 'number' | 'boolean';
export interface CondNode {
  kind: 'cond'; id: number; negated: boolean;
  field: string;          // a field name, or CUSTOM for custom.<key>
  customKey: string;
  customType: CustomType; // how a custom value is sent
  op: string;
  value: string;          // the input's text; `in`: values separated by commas; is_null: 'true' | 'false'
}
export interface GroupNode { kind: 'group'; id: number; negated: boolean; op: 'and' | 'or'; children: FilterNode[] }
export type FilterNode = CondNode | GroupNode;

export const CUSTOM = 'custom';
let nextId = 1;
const newId = () => nextId++;

export function emptyGroup(op: 'and' | 'or' = 'and'): GroupNode {
  return { kind: 'group', id: newId(), negated: false, op, children: [] };
}

/** The definition of a condition's field (custom.<key> gets the custom definition). */
export function fieldDef(info: FieldsInfo, field: string): FieldDef | undefined {
  if (field === CUSTOM) return { name: CUSTOM, type: 'custom', ops: info.custom.ops };
  return info.fields.find((f) => f.name === field);
}

/** A new condition on the first field with its first operator. */
export function newCondition(info: FieldsInfo, field = info.fields[0]?.name ?? 'name'): CondNode {
  const def = fieldDef(info, field);
  const op = def?.ops[0] ?? 'eq';
  return { kind: 'cond', id: newId(), negated: false, field, customKey: '', customType: 'text', op, value: defaultValue(def, op) };
}

/** The starting value of an input for a field and operator. */
export function defaultValue(def: FieldDef | undefined, op: string): string {
  if (op === 'is_null') return 'true';
  if (def?.type === 'boolean') return 'true';
  // A field with a list of values (an enumeration, the lifecycle's phases) starts on the first.
  if (def?.values?.length && (op === 'eq' || op === 'ne')) return def.values[0];
  return '';
}

/** Changes the field of a condition, keeping the operator when the new field has it. */
export function withField(info: FieldsInfo, c: CondNode, field: string): CondNode {
  const def = fieldDef(info, field);
  const op = def && def.ops.includes(c.op) ? c.op : def?.ops[0] ?? 'eq';
  const listed = !def?.values?.length || (op !== 'eq' && op !== 'ne') || def.values.includes(c.value);
  const sameKind = fieldDef(info, c.field)?.type === def?.type && op === c.op && listed;
  return { ...c, field, op, value: sameKind ? c.value : defaultValue(def, op) };
}

export function withOp(info: FieldsInfo, c: CondNode, op: string): CondNode {
  const def = fieldDef(info, c.field);
  const listed = !def?.values?.length || (op !== 'eq' && op !== 'ne') || def.values.includes(c.value);
  const keep = (op !== 'is_null' && c.op !== 'is_null') && (op === 'within_days') === (c.op === 'within_days') && listed;
  return { ...c, op, value: keep ? c.value : defaultValue(def, op) };
}

// ------------------------------------------------------------ JSON -> UI

/** The UI tree of a filter: the root is always a group (a bare condition is wrapped). */
export function fromJson(j: FilterJson | null | undefined, info: FieldsInfo): GroupNode {
  if (!j || typeof j !== 'object') return emptyGroup();
  const n = nodeFromJson(j, info);
  if (n.kind === 'group') return n;
  return { ...emptyGroup(), children: [n] };
}

function nodeFromJson(j: FilterJson, info: FieldsInfo): FilterNode {
  if ('not' in j) {
    const inner = nodeFromJson(j.not, info);
    return { ...inner, negated: !inner.negated };
  }
  if ('and' in j || 'or' in j) {
    const op = 'and' in j ? 'and' : 'or';
    const kids = ('and' in j ? j.and : (j as { or: FilterJson[] }).or) ?? [];
    return { kind: 'group', id: newId(), negated: false, op, children: kids.map((k) => nodeFromJson(k, info)) };
  }
  const c = j as { field: string; op: string; value?: unknown };
  const isCustom = typeof c.field === 'string' && c.field.startsWith(info.custom.prefix);
  const node: CondNode = {
    kind: 'cond', id: newId(), negated: false,
    field: isCustom ? CUSTOM : c.field, customKey: isCustom ? c.field.slice(info.custom.prefix.length) : '',
    customType: 'text', op: c.op, value: '',
  };
  const v = c.value;
  const sample = Array.isArray(v) ? v[0] : v;
  if (isCustom) node.customType = typeof sample === 'number' ? 'number' : typeof sample === 'boolean' ? 'boolean' : 'text';
  if (c.op === 'is_null') node.value = v === false ? 'false' : 'true';
  else if (Array.isArray(v)) node.value = v.map((x) => String(x)).join(', ');
  else if (v !== undefined && v !== null) node.value = String(v);
  return node;
}

// ------------------------------------------------------------ UI -> JSON

/** The JSON path each node is written at ("filter", "filter.and[0]", "filter.and[1].not"). */
export type PathMap = Map<number, string>;

/** The filter JSON of a UI tree; paths (when given) gets each node's JSON path. */
export function toJson(root: GroupNode, info: FieldsInfo, paths?: PathMap, base = 'filter'): FilterJson {
  return nodeToJson(root, info, paths ?? new Map(), base);
}

function nodeToJson(n: FilterNode, info: FieldsInfo, paths: PathMap, path: string): FilterJson {
  if (n.negated) {
    paths.set(n.id, `${path}.not`);
    return { not: inner(n, info, paths, `${path}.not`) };
  }
  paths.set(n.id, path);
  return inner(n, info, paths, path);
}

function inner(n: FilterNode, info: FieldsInfo, paths: PathMap, path: string): FilterJson {
  if (n.kind === 'group') {
    const kids = n.children.map((k, i) => nodeToJson(k, info, paths, `${path}.${n.op}[${i}]`));
    return n.op === 'and' ? { and: kids } : { or: kids };
  }
  const field = n.field === CUSTOM ? `${info.custom.prefix}${n.customKey}` : n.field;
  if (n.op === 'is_null') return n.value === 'false' ? { field, op: 'is_null', value: false } : { field, op: 'is_null' };
  const def = fieldDef(info, n.field);
  if (n.op === 'in') {
    const parts = n.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { field, op: 'in', value: parts.map((p) => typed(def, n, 'eq', p)) };
  }
  return { field, op: n.op, value: typed(def, n, n.op, n.value) };
}

/** The JSON value of the text s for a field and operator. Text that is not what the field
 * takes is sent as it is, so that the server's 400 names the row. */
export function typed(def: FieldDef | undefined, c: Pick<CondNode, 'customType'>, op: string, s: string): unknown {
  const num = (x: string) => (/^-?\d+(\.\d+)?$/.test(x.trim()) ? Number(x.trim()) : x);
  if (op === 'within_days') return num(s);
  switch (def?.type) {
    case 'integer': case 'days_since': return num(s);
    case 'boolean': return s === 'true' ? true : s === 'false' ? false : s;
    case 'custom':
      if (c.customType === 'number') return num(s);
      if (c.customType === 'boolean') return s === 'true' ? true : s === 'false' ? false : s;
      return s;
    default: return s;
  }
}

// ------------------------------------------------------------ edits and errors

/** A copy of root with the node id replaced by f(node) (null removes it). */
export function updateNode(root: GroupNode, id: number, f: (n: FilterNode) => FilterNode | null): GroupNode {
  const walk = (n: FilterNode): FilterNode | null => {
    if (n.id === id) return f(n);
    if (n.kind !== 'group') return n;
    const children = n.children.map(walk).filter((x): x is FilterNode => x !== null);
    return { ...n, children };
  };
  const r = walk(root);
  return r && r.kind === 'group' ? r : emptyGroup();
}

/** Number of condition rows in the tree. */
export function countConditions(n: FilterNode): number {
  return n.kind === 'cond' ? 1 : n.children.reduce((s, k) => s + countConditions(k), 0);
}

/** Depth of the deepest group (the root is 1). */
export function groupDepth(n: FilterNode): number {
  return n.kind === 'cond' ? 0 : 1 + Math.max(0, ...n.children.map(groupDepth));
}

/** Where a server error (its JSON path) belongs: the node whose path is the longest prefix
 * of it, and the part of that node it names ('field' | 'op' | 'value' | '' for the node). */
export function locateError(paths: PathMap, errorPath: string | undefined): { id: number; part: string } | null {
  if (!errorPath) return null;
  let best: { id: number; len: number } | null = null;
  for (const [id, p] of paths) {
    const rest = errorPath.slice(p.length);
    if (errorPath.startsWith(p) && (rest === '' || rest.startsWith('.') || rest.startsWith('['))) {
      if (!best || p.length > best.len) best = { id, len: p.length };
    }
  }
  if (!best) return null;
  const rest = errorPath.slice(best.len);
  const m = /^\.(field|op|value)\b/.exec(rest);
  return { id: best.id, part: m ? m[1] : '' };
}
