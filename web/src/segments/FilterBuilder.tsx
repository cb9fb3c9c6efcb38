// The filter-tree builder: nested AND/OR groups of condition rows (field, operator, value),
// each negatable, with custom.<key> fields and relative "within N days" dates. Fields,
// operators and allowed values come from GET /api/v1/segments/fields (filterTree.ts's
// FieldsInfo); a server error is shown on the row and control its JSON path names.
import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { UsersContext } from '../components';
import { lang, t } from '../i18n';
import type { Key } from '../i18n';
import type { CondNode, CustomType, FieldDef, FieldsInfo, FilterNode, GroupNode } from './filterTree';
import { CUSTOM, emptyGroup, fieldDef, newCondition, updateNode, withField, withOp } from './filterTree';

export interface NodeError { id: number; part: string; message: string }

/** The text of key, or fallback when the dictionary has no such key (a field added later). */
function label(key: string, fallback: string): string {
  const s = t(key as Key);
  return s === key ? fallback : s;
}

export function fieldLabel(name: string): string {
  return label(`segments.f.${name}`, name);
}

export function opLabel(def: FieldDef | undefined, op: string): string {
  if (op === 'within_days' && def?.within_days) return t(`segments.op.within_days.${def.within_days}` as Key);
  return label(`segments.op.${op}`, op);
}

function valueLabel(def: FieldDef | undefined, v: string): string {
  const l = def?.value_labels?.[v];
  if (l) return lang() === 'ja' ? l.ja : l.en;
  if (def?.name === 'tier' || def?.name === 'tier_override') return t(`tier.${v}` as Key);
  if (def?.name === 'band') return t(`band.${v}` as Key);
  if (def?.name === 'subscription_status') return t(`sub.${v}` as Key);
  return v;
}

export function FilterBuilder({ info, value, onChange, readOnly = false, error }: {
  info: FieldsInfo; value: GroupNode; onChange: (g: GroupNode) => void; readOnly?: boolean; error?: NodeError | null;
}) {
  const counter = { n: 0 };
  const ctx: Ctx = { info, readOnly, error: error ?? null, counter, root: value, onChange };
  return (
    <div class="fb" data-testid="filter-builder">
      <Group ctx={ctx} node={value} depth={1} isRoot />
      <p class="muted small">{t('segments.limits', { depth: info.limits.depth, conditions: info.limits.conditions })}</p>
    </div>
  );
}

interface Ctx {
  info: FieldsInfo; readOnly: boolean; error: NodeError | null; counter: { n: number };
  root: GroupNode; onChange: (g: GroupNode) => void;
}

const set = (ctx: Ctx, id: number, f: (n: FilterNode) => FilterNode | null) => ctx.onChange(updateNode(ctx.root, id, f));

function ErrorLine({ ctx, id, part, elId }: { ctx: Ctx; id: number; part: string | string[]; elId: string }) {
  const e = ctx.error;
  const parts = Array.isArray(part) ? part : [part];
  if (!e || e.id !== id || !parts.includes(e.part)) return null;
  return <p class="form-error" id={elId} role="alert" data-testid="filter-error">{e.message}</p>;
}

function Group({ ctx, node, depth, isRoot = false }: { ctx: Ctx; node: GroupNode; depth: number; isRoot?: boolean }) {
  const base = `fb-${node.id}`;
  const nestOk = depth < ctx.info.limits.depth;
  const errId = `${base}-err`;
  return (
    <fieldset class={`fb-group${node.negated ? ' fb-negated' : ''}${isRoot ? ' fb-root' : ''}`} data-testid="filter-group" aria-describedby={ctx.error?.id === node.id ? errId : undefined}>
      <legend class="sr-only">{t('segments.group')}</legend>
      <div class="fb-group-head">
        <label class="field field-inline">
          <span>{t('segments.groupOp')}</span>
          <select value={node.op} disabled={ctx.readOnly} data-testid="filter-group-op"
            onChange={(e) => set(ctx, node.id, (n) => ({ ...(n as GroupNode), op: (e.currentTarget as HTMLSelectElement).value as 'and' | 'or' }))}>
            <option value="and">{t('segments.groupAnd')}</option>
            <option value="or">{t('segments.groupOr')}</option>
          </select>
        </label>
        <label class="check-opt" title={t('segments.notHint')}>
          <input type="checkbox" checked={node.negated} disabled={ctx.readOnly} data-testid="filter-group-not"
            onChange={(e) => set(ctx, node.id, (n) => ({ ...n, negated: (e.currentTarget as HTMLInputElement).checked }))} />
          {t('segments.not')}
        </label>
        {!isRoot && !ctx.readOnly && (
          <button type="button" class="btn btn-small btn-danger" onClick={() => set(ctx, node.id, () => null)}>{t('segments.removeGroup')}</button>
        )}
      </div>
      <ErrorLine ctx={ctx} id={node.id} part="" elId={errId} />
      {node.children.length === 0 && <p class="muted small">{node.op === 'and' ? t('segments.emptyGroupAnd') : t('segments.emptyGroupOr')}</p>}
      <ol class="fb-list">
        {node.children.map((k) => (
          <li key={k.id}>{k.kind === 'group' ? <Group ctx={ctx} node={k} depth={depth + 1} /> : <Condition ctx={ctx} node={k} />}</li>
        ))}
      </ol>
      {!ctx.readOnly && (
        <div class="fb-add">
          <button type="button" class="btn btn-small" data-testid="filter-add-condition"
            onClick={() => set(ctx, node.id, (n) => ({ ...(n as GroupNode), children: [...(n as GroupNode).children, newCondition(ctx.info)] }))}>
            + {t('segments.addCondition')}
          </button>
          <button type="button" class="btn btn-small" data-testid="filter-add-group" disabled={!nestOk}
            onClick={() => set(ctx, node.id, (n) => ({ ...(n as GroupNode), children: [...(n as GroupNode).children, emptyGroup(node.op === 'and' ? 'or' : 'and')] }))}>
            + {t('segments.addGroup')}
          </button>
        </div>
      )}
    </fieldset>
  );
}

function Condition({ ctx, node }: { ctx: Ctx; node: CondNode }) {
  const n = ++ctx.counter.n;
  const base = `fb-${node.id}`;
  const def = fieldDef(ctx.info, node.field);
  const ro = ctx.readOnly;
  const upd = (f: (c: CondNode) => CondNode) => set(ctx, node.id, (x) => f(x as CondNode));
  const err = (part: string) => (ctx.error && ctx.error.id === node.id && ctx.error.part === part ? `${base}-err-${part}` : undefined);
  return (
    <div class={`fb-cond${node.negated ? ' fb-negated' : ''}`} role="group" aria-label={t('segments.condition', { n })} data-testid="filter-condition">
      <label class="check-opt fb-not" title={t('segments.notHint')}>
        <input type="checkbox" checked={node.negated} disabled={ro} data-testid="filter-not"
          onChange={(e) => upd((c) => ({ ...c, negated: (e.currentTarget as HTMLInputElement).checked }))} />
        {t('segments.not')}
      </label>
      <label class="field">
        <span>{t('segments.field')}</span>
        <select id={`${base}-field`} value={node.field} disabled={ro} data-testid="filter-field"
          aria-invalid={err('field') ? true : undefined} aria-describedby={err('field')}
          onChange={(e) => upd((c) => withField(ctx.info, c, (e.currentTarget as HTMLSelectElement).value))}>
          {ctx.info.fields.map((f) => <option value={f.name}>{fieldLabel(f.name)}</option>)}
          <option value={CUSTOM}>{t('segments.customPrefix')}</option>
        </select>
      </label>
      {node.field === CUSTOM && (
        <>
          <label class="field">
            <span>{t('segments.customKey')}</span>
            <input type="text" value={node.customKey} disabled={ro} maxLength={ctx.info.custom.key_max} data-testid="filter-custom-key"
              aria-invalid={err('field') ? true : undefined} aria-describedby={err('field')}
              onInput={(e) => upd((c) => ({ ...c, customKey: (e.currentTarget as HTMLInputElement).value }))} />
          </label>
          <label class="field">
            <span>{t('segments.customType')}</span>
            <select value={node.customType} disabled={ro} data-testid="filter-custom-type"
              onChange={(e) => upd((c) => ({ ...c, customType: (e.currentTarget as HTMLSelectElement).value as CustomType, value: (e.currentTarget as HTMLSelectElement).value === 'boolean' ? 'true' : c.value }))}>
              {(['text', 'number', 'boolean'] as const).map((k) => <option value={k}>{t(`segments.customType.${k}`)}</option>)}
            </select>
          </label>
        </>
      )}
      <label class="field">
        <span>{t('segments.op')}</span>
        <select value={node.op} disabled={ro} data-testid="filter-op"
          aria-invalid={err('op') ? true : undefined} aria-describedby={err('op')}
          onChange={(e) => upd((c) => withOp(ctx.info, c, (e.currentTarget as HTMLSelectElement).value))}>
          {(def?.ops ?? [node.op]).map((o) => <option value={o}>{opLabel(def, o)}</option>)}
          {def && !def.ops.includes(node.op) && <option value={node.op}>{node.op}</option>}
        </select>
      </label>
      <ValueInput ctx={ctx} node={node} def={def} describedBy={err('value')} upd={upd} />
      {!ro && (
        <button type="button" class="btn btn-small btn-danger fb-remove" aria-label={t('segments.removeCondition', { n })}
          data-testid="filter-remove" onClick={() => set(ctx, node.id, () => null)}>×</button>
      )}
      <ErrorLine ctx={ctx} id={node.id} part="field" elId={`${base}-err-field`} />
      <ErrorLine ctx={ctx} id={node.id} part="op" elId={`${base}-err-op`} />
      <ErrorLine ctx={ctx} id={node.id} part="value" elId={`${base}-err-value`} />
      <ErrorLine ctx={ctx} id={node.id} part="" elId={`${base}-err-`} />
    </div>
  );
}

function ValueInput({ ctx, node, def, describedBy, upd }: {
  ctx: Ctx; node: CondNode; def: FieldDef | undefined; describedBy?: string; upd: (f: (c: CondNode) => CondNode) => void;
}) {
  const ro = ctx.readOnly;
  const users = useContext(UsersContext);
  const common = {
    disabled: ro, 'data-testid': 'filter-value', 'aria-invalid': describedBy ? true : undefined, 'aria-describedby': describedBy,
  };
  const onText = (e: Event) => upd((c) => ({ ...c, value: (e.currentTarget as HTMLInputElement).value }));
  const wrap = (control: ComponentChildren, hint?: string) => (
    <label class="field fb-value">
      <span>{t('segments.value')}{hint ? <span class="muted"> · {hint}</span> : null}</span>
      {control}
    </label>
  );
  if (node.op === 'is_null') {
    return wrap(
      <select value={node.value} {...common} onChange={onText}>
        <option value="true">{t('segments.isNullTrue')}</option>
        <option value="false">{t('segments.isNullFalse')}</option>
      </select>,
    );
  }
  const isBool = def?.type === 'boolean' || (def?.type === 'custom' && node.customType === 'boolean');
  if (isBool && node.op !== 'in') {
    return wrap(
      <select value={node.value} {...common} onChange={onText}>
        <option value="true">{t('segments.true')}</option>
        <option value="false">{t('segments.false')}</option>
      </select>,
    );
  }
  const enumValues = def?.values;
  if (enumValues && def?.type === 'enum' && node.op === 'in') {
    const chosen = new Set(node.value.split(',').map((s) => s.trim()).filter(Boolean));
    return (
      <fieldset class="field fb-value" aria-describedby={describedBy}>
        <legend>{t('segments.value')}</legend>
        <div class="fb-checks">
          {enumValues.map((v) => (
            <label class="check-opt">
              <input type="checkbox" checked={chosen.has(v)} disabled={ro} data-testid="filter-value-option"
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  const next = enumValues.filter((x) => (x === v ? on : chosen.has(x)));
                  upd((c) => ({ ...c, value: next.join(', ') }));
                }} />
              {valueLabel(def, v)}
            </label>
          ))}
        </div>
      </fieldset>
    );
  }
  if (enumValues && node.op !== 'in' && node.op !== 'contains') {
    return wrap(
      <select value={node.value} {...common} onChange={onText}>
        {!enumValues.includes(node.value) && <option value={node.value}>{node.value || t('common.none')}</option>}
        {enumValues.map((v) => <option value={v}>{valueLabel(def, v)}</option>)}
      </select>,
    );
  }
  // The owner by name when this user may list the users (admins); else by id.
  if (def?.name === 'owner' && users.size > 0 && (node.op === 'eq' || node.op === 'ne')) {
    return wrap(
      <select value={node.value} {...common} onChange={onText}>
        {!users.has(Number(node.value)) && <option value={node.value}>{node.value ? `#${node.value}` : t('common.none')}</option>}
        {[...users.values()].map((u) => <option value={String(u.id)}>{u.name}</option>)}
      </select>,
    );
  }
  if (node.op === 'within_days') {
    return wrap(<input type="number" min={0} max={ctx.info.limits.days_max} step={1} class="w-s" value={node.value} {...common} onInput={onText} />, t('segments.days'));
  }
  if (node.op === 'in') {
    return wrap(<input type="text" value={node.value} {...common} onInput={onText} />, t('segments.inHint'));
  }
  if (def?.type === 'integer' || def?.type === 'days_since' || (def?.type === 'custom' && node.customType === 'number')) {
    return wrap(<input type="number" step={def?.type === 'custom' ? 'any' : 1} min={def?.min} max={def?.max} value={node.value} {...common} onInput={onText} />,
      def?.type === 'days_since' ? t('segments.days') : undefined);
  }
  if (def?.type === 'date') {
    return wrap(<input type="date" value={node.value} {...common} onInput={onText} />);
  }
  return wrap(<input type="text" value={node.value} maxLength={ctx.info.limits.text_bytes} {...common} onInput={onText} />);
}
