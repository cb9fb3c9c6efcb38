// The filter-tree builder as a component: it shows a saved filter's tree (groups, rows,
// negations, values) and each edit through its controls gives the JSON the API expects;
// an error located on a row is shown there; read-only has no editing controls.
import { describe, expect, test } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { UsersContext } from '../src/components';
import { FilterBuilder } from '../src/segments/FilterBuilder';
import type { NodeError } from '../src/segments/FilterBuilder';
import type { FilterJson, GroupNode } from '../src/segments/filterTree';
import { fromJson, toJson } from '../src/segments/filterTree';
import { INFO } from './fixtures';

/** The builder with its state, exposing the JSON of every change. */
function Harness({ initial, log, error, readOnly }: { initial: FilterJson; log: FilterJson[]; error?: (g: GroupNode) => NodeError | null; readOnly?: boolean }) {
  const [g, setG] = useState(() => fromJson(initial, INFO));
  return (
    <FilterBuilder info={INFO} value={g} readOnly={readOnly} error={error?.(g) ?? null}
      onChange={(next) => { log.push(toJson(next, INFO)); setG(next); }} />
  );
}
const last = (log: FilterJson[]) => log[log.length - 1];
const select = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
const type = (el: HTMLElement, value: string) => fireEvent.input(el, { target: { value } });

describe('JSON -> UI', () => {
  test('groups, rows, operators, values and negations', () => {
    render(<Harness log={[]} initial={{ and: [
      { field: 'tier', op: 'eq', value: 'high' },
      { or: [{ field: 'renewal_date', op: 'within_days', value: 60 }, { not: { field: 'phase', op: 'eq', value: 'adoption' } }] },
    ] }} />);
    expect(screen.getAllByTestId('filter-group')).toHaveLength(2);
    const rows = screen.getAllByTestId('filter-condition');
    expect(rows).toHaveLength(3);
    expect((within(rows[0]).getByTestId('filter-field') as HTMLSelectElement).value).toBe('tier');
    expect((within(rows[0]).getByTestId('filter-value') as HTMLSelectElement).value).toBe('high');
    expect((within(rows[1]).getByTestId('filter-op') as HTMLSelectElement).value).toBe('within_days');
    expect(within(rows[1]).getByTestId('filter-op').textContent).toContain('within the next N days');
    expect((within(rows[1]).getByTestId('filter-value') as HTMLInputElement).value).toBe('60');
    expect((within(rows[2]).getByTestId('filter-not') as HTMLInputElement).checked).toBe(true);
    // The phase's options are the lifecycle's labels from the server.
    expect(within(rows[2]).getByRole('option', { name: 'Adoption' })).toBeTruthy();
    const ops = screen.getAllByTestId('filter-group-op') as HTMLSelectElement[];
    expect(ops.map((s) => s.value)).toEqual(['and', 'or']);
    // Every control has a label.
    for (const el of screen.getAllByRole('combobox')) expect(el.closest('label')).toBeTruthy();
  });
});

describe('UI -> JSON', () => {
  test('add a condition, set field, operator and value', () => {
    const log: FilterJson[] = [];
    render(<Harness log={log} initial={{ and: [] }} />);
    fireEvent.click(screen.getByTestId('filter-add-condition'));
    expect(last(log)).toEqual({ and: [{ field: 'name', op: 'eq', value: '' }] });
    select(screen.getByTestId('filter-field'), 'health');
    select(screen.getByTestId('filter-op'), 'gte');
    type(screen.getByTestId('filter-value'), '70');
    expect(last(log)).toEqual({ and: [{ field: 'health', op: 'gte', value: 70 }] });
    fireEvent.click(screen.getByTestId('filter-not'));
    expect(last(log)).toEqual({ and: [{ not: { field: 'health', op: 'gte', value: 70 } }] });
  });

  test('a nested OR group, an enum "in" by checkboxes, is_null, removal', () => {
    const log: FilterJson[] = [];
    render(<Harness log={log} initial={{ and: [{ field: 'tier', op: 'eq', value: 'low' }] }} />);
    fireEvent.click(screen.getByTestId('filter-add-group'));
    expect(last(log)).toEqual({ and: [{ field: 'tier', op: 'eq', value: 'low' }, { or: [] }] });
    const group = screen.getAllByTestId('filter-group')[1];
    fireEvent.click(within(group).getByTestId('filter-add-condition'));
    fireEvent.click(within(group).getByTestId('filter-add-condition'));
    const [a, b] = within(group).getAllByTestId('filter-condition');
    select(within(a).getByTestId('filter-field'), 'band');
    select(within(a).getByTestId('filter-op'), 'in');
    // "equals green" becomes "is one of: green"; then red is added and green taken out.
    const boxes = within(a).getAllByTestId('filter-value-option') as HTMLInputElement[];
    expect(boxes.map((x) => x.checked)).toEqual([true, false, false]);
    fireEvent.click(boxes[2]);
    fireEvent.click(boxes[1]);
    fireEvent.click(boxes[0]);
    select(within(b).getByTestId('filter-field'), 'industry');
    select(within(b).getByTestId('filter-op'), 'is_null');
    expect(last(log)).toEqual({ and: [
      { field: 'tier', op: 'eq', value: 'low' },
      { or: [{ field: 'band', op: 'in', value: ['yellow', 'red'] }, { field: 'industry', op: 'is_null' }] },
    ] });
    select(within(b).getByTestId('filter-value'), 'false');
    expect((last(log) as { and: FilterJson[] }).and[1]).toEqual({ or: [{ field: 'band', op: 'in', value: ['yellow', 'red'] }, { field: 'industry', op: 'is_null', value: false }] });
    fireEvent.click(screen.getAllByTestId('filter-remove')[0]);
    expect(last(log)).toEqual({ and: [{ or: [{ field: 'band', op: 'in', value: ['yellow', 'red'] }, { field: 'industry', op: 'is_null', value: false }] }] });
  });

  test('a custom field with a number value', () => {
    const log: FilterJson[] = [];
    render(<Harness log={log} initial={{ and: [{ field: 'name', op: 'eq', value: 'x' }] }} />);
    select(screen.getByTestId('filter-field'), 'custom');
    type(screen.getByTestId('filter-custom-key'), 'seats_used');
    select(screen.getByTestId('filter-custom-type'), 'number');
    select(screen.getByTestId('filter-op'), 'gt');
    type(screen.getByTestId('filter-value'), '40');
    expect(last(log)).toEqual({ and: [{ field: 'custom.seats_used', op: 'gt', value: 40 }] });
  });

  test('switching the group to OR and negating it', () => {
    const log: FilterJson[] = [];
    render(<Harness log={log} initial={{ and: [{ field: 'tier', op: 'eq', value: 'tech' }] }} />);
    select(screen.getByTestId('filter-group-op'), 'or');
    fireEvent.click(screen.getByTestId('filter-group-not'));
    expect(last(log)).toEqual({ not: { or: [{ field: 'tier', op: 'eq', value: 'tech' }] } });
  });
});

test('the owner by name when the users are known (admins), by id otherwise', () => {
  const users = new Map([[3, { id: 3, name: 'Sato', email: 's@example.com', role: 'csm', disabled: false, created_at: '', updated_at: '' }],
    [4, { id: 4, name: 'Suzuki', email: 'u@example.com', role: 'csm', disabled: false, created_at: '', updated_at: '' }]] as const);
  const log: FilterJson[] = [];
  const { unmount } = render(<UsersContext.Provider value={new Map(users) as never}><Harness log={log} initial={{ and: [{ field: 'owner', op: 'eq', value: 3 }] }} /></UsersContext.Provider>);
  const sel = screen.getByTestId('filter-value') as HTMLSelectElement;
  expect([sel.tagName, sel.value]).toEqual(['SELECT', '3']);
  select(sel, '4');
  expect(last(log)).toEqual({ and: [{ field: 'owner', op: 'eq', value: 4 }] });
  unmount();
  render(<Harness log={log} initial={{ and: [{ field: 'owner', op: 'eq', value: 3 }] }} />);
  expect((screen.getByTestId('filter-value') as HTMLInputElement).type).toBe('number');
});

test('an error is shown on the row and control it names', () => {
  render(<Harness log={[]} initial={{ and: [{ field: 'tier', op: 'eq', value: 'high' }, { field: 'health', op: 'gt', value: 500 }] }}
    error={(g) => ({ id: g.children[1].id, part: 'value', message: "'filter.and[1].value' must be from 0 to 100" })} />);
  const rows = screen.getAllByTestId('filter-condition');
  expect(within(rows[0]).queryByTestId('filter-error')).toBeNull();
  expect(within(rows[1]).getByTestId('filter-error').textContent).toContain('must be from 0 to 100');
  const input = within(rows[1]).getByTestId('filter-value');
  expect(input.getAttribute('aria-invalid')).toBe('true');
  expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toContain('0 to 100');
});

test('read-only: every control disabled, no add or remove buttons', () => {
  render(<Harness log={[]} readOnly initial={{ and: [{ field: 'tier', op: 'eq', value: 'high' }, { or: [] }] }} />);
  expect(screen.queryByTestId('filter-add-condition')).toBeNull();
  expect(screen.queryByTestId('filter-remove')).toBeNull();
  for (const el of [...screen.getAllByRole('combobox'), ...screen.getAllByRole('checkbox')]) expect((el as HTMLInputElement).disabled).toBe(true);
});
