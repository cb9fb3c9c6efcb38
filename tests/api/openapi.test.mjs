// docs/openapi.yaml must describe exactly the routes src/http/routes.c serves. No YAML library:
// a small indentation-based reader of the `paths:` section is enough to get path and method keys.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lib.mjs';

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Parses the R("METHOD", "/path", ...) lines of routes.c into "METHOD /path/{param}". */
export function routesFromC(text) {
  const out = [];
  const re = /^\s*R\(\s*"([A-Z]+)"\s*,\s*"([^"]+)"/gm;
  let m;
  while ((m = re.exec(text))) {
    out.push(`${m[1]} ${m[2].replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`);
  }
  return out;
}

const unquote = (s) => s.replace(/^(['"])(.*)\1$/, '$2');

/** Reads the `paths:` section: path keys at the first indent level, methods at the second. */
export function operationsFromYaml(text) {
  const lines = text.split(/\r?\n/);
  const ops = [];
  const paths = [];
  let inPaths = false;
  let pathIndent = -1;
  let methodIndent = -1;
  let current = null;
  for (const raw of lines) {
    if (/^\s*(#.*)?$/.test(raw)) continue; // blank or comment
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      inPaths = /^paths:\s*(#.*)?$/.test(line);
      current = null;
      continue;
    }
    if (!inPaths) continue;
    const key = /^((?:'[^']*'|"[^"]*"|[^:#\s][^:#]*?)):(\s|$)/.exec(line);
    if (pathIndent < 0) pathIndent = indent;
    if (indent === pathIndent) {
      assert.ok(key, `openapi.yaml: unreadable path line: ${raw}`);
      current = unquote(key[1]);
      paths.push(current);
      methodIndent = -1;
      continue;
    }
    if (current === null || indent < pathIndent) continue;
    if (methodIndent < 0) methodIndent = indent;
    if (indent === methodIndent && key && METHODS.has(unquote(key[1]))) {
      ops.push(`${unquote(key[1]).toUpperCase()} ${current}`);
    }
  }
  return { ops, paths };
}

const spec = fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8');
const routesC = fs.readFileSync(path.join(ROOT, 'src/http/routes.c'), 'utf8');

test('the readers themselves work on known input', () => {
  const y = [
    'openapi: 3.1.0', 'paths:', '  /a:', '    parameters:', '      - name: get', '    get:',
    '      responses: {}', "  '/b/{id}':", '    delete:', '      summary: x', '    post:',
    'components:', '  schemas:', '    get:', '      type: object',
  ].join('\n');
  assert.deepEqual(operationsFromYaml(y).ops, ['GET /a', 'DELETE /b/{id}', 'POST /b/{id}']);
  assert.deepEqual(routesFromC('    R("PATCH",  "/x/:id/y/:cid", h, ROLE_CSM, 0),\n'), ['PATCH /x/{id}/y/{cid}']);
});

test('routes.c has routes and the spec has operations', () => {
  assert.ok(routesFromC(routesC).length >= 40, 'fewer routes parsed from routes.c than expected');
  assert.ok(operationsFromYaml(spec).ops.length >= 40, 'fewer operations parsed from openapi.yaml than expected');
});

test('docs/openapi.yaml describes exactly the routes src/http/routes.c serves', () => {
  const served = routesFromC(routesC);
  const { ops } = operationsFromYaml(spec);
  const dupServed = served.filter((r, i) => served.indexOf(r) !== i);
  const dupDoc = ops.filter((r, i) => ops.indexOf(r) !== i);
  const missing = served.filter((r) => !ops.includes(r));
  const extra = ops.filter((r) => !served.includes(r));
  const problems = [];
  if (missing.length) problems.push(`served but not in docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
  if (extra.length) problems.push(`in docs/openapi.yaml but not served:\n  ${extra.join('\n  ')}`);
  if (dupServed.length) problems.push(`routes.c lists twice:\n  ${dupServed.join('\n  ')}`);
  if (dupDoc.length) problems.push(`openapi.yaml lists twice:\n  ${dupDoc.join('\n  ')}`);
  assert.equal(problems.length, 0, problems.join('\n'));
});

test('every $ref in the spec points at a defined component', () => {
  // components/<kind>/<name> must appear as "  <kind>:" then "    <name>:" under components.
  const defined = new Set();
  let kind = null;
  let inComponents = false;
  for (const raw of spec.split(/\r?\n/)) {
    if (/^\S/.test(raw)) { inComponents = raw.startsWith('components:'); kind = null; continue; }
    if (!inComponents) continue;
    let m;
    if ((m = /^ {2}([A-Za-z]+):\s*$/.exec(raw))) kind = m[1];
    else if (kind && (m = /^ {4}([A-Za-z0-9_.-]+):/.exec(raw))) defined.add(`${kind}/${m[1]}`);
  }
  const refs = [...spec.matchAll(/\$ref:\s*['"]?#\/components\/([A-Za-z]+\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
  assert.ok(refs.length > 50);
  const dangling = [...new Set(refs.filter((r) => !defined.has(r)))];
  assert.deepEqual(dangling, [], `undefined $ref targets: ${dangling.join(', ')}`);
});

test('every operation declares responses, an operationId and path parameters it uses', () => {
  // Walk each path block; for each operation check "responses:" and "operationId:" appear, and
  // that a path with {id}/{cid}/{eid} declares parameters at path level.
  const lines = spec.split(/\r?\n/);
  const start = lines.indexOf('paths:');
  assert.ok(start >= 0);
  const blocks = [];
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]); i++) {
    const m = /^ {2}(\/[^:]*):\s*$/.exec(lines[i]);
    if (m) blocks.push({ path: m[1], lines: [] });
    else if (blocks.length) blocks[blocks.length - 1].lines.push(lines[i]);
  }
  const ids = new Set();
  const problems = [];
  for (const b of blocks) {
    const params = [...b.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const text = b.lines.join('\n');
    for (const p of params) {
      const name = p[0].toUpperCase() + p.slice(1);
      if (!text.includes(`#/components/parameters/${name}'`)) problems.push(`${b.path}: path parameter ${p} not declared`);
    }
    const ops = b.lines.map((l, i) => [/^ {4}(get|put|post|patch|delete):\s*$/.exec(l)?.[1], i]).filter(([m]) => m);
    ops.forEach(([m, i], k) => {
      const end = k + 1 < ops.length ? ops[k + 1][1] : b.lines.length;
      const body = b.lines.slice(i, end).join('\n');
      if (!/\n {6}responses:/.test(body)) problems.push(`${m.toUpperCase()} ${b.path}: no responses`);
      const id = /\n {6}operationId: (\S+)/.exec(body)?.[1];
      if (!id) problems.push(`${m.toUpperCase()} ${b.path}: no operationId`);
      else if (ids.has(id)) problems.push(`duplicate operationId ${id}`);
      else ids.add(id);
      if (['post', 'put', 'patch'].includes(m) && !/\n {6}requestBody:/.test(body)) problems.push(`${m.toUpperCase()} ${b.path}: no requestBody`);
    });
  }
  assert.deepEqual(problems, []);
});
