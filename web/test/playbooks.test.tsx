// The playbook editor's action list and its model: add, remove and reorder actions through
// the component; the body sent keeps the order, converts typed numbers and keeps fields the
// editor does not know; a webhook payload that is not a JSON object is refused at its path;
// the template picker replaces subject and body, and is absent when the server has none.
import { describe, expect, test } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { ActionList } from '../src/pages/Playbooks';
import type { ActionItem, Playbook } from '../src/playbooks/model';
import {
  FormError, actionErrorAt, addAction, formFromPlaybook, moveAction, newAction, playbookBody, removeAction, withTriggerType,
} from '../src/playbooks/model';

const MSGS = { payloadInvalid: (m: string) => `invalid: ${m}`, payloadObject: 'not an object' };
const PB: Playbook = {
  id: 7, name: 'Renewal', enabled: true, audience: { tier: 'high' }, trigger: { type: 'renewal_within', days: 90 },
  actions: [
    { type: 'create_task', title: 'Call {{account.name}}', task_type: 'call', due_in_days: 3, assignee: 12 },
    { type: 'call_webhook', url: 'http://chat.internal/hook', payload: { text: '{{trigger}}' }, secret: 'whsec_kept' },
    { type: 'send_email', to: 'owner', template_id: 4, future_flag: true },
  ],
  cooldown_days: 60, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

describe('model', () => {
  test('a playbook round-trips through the form unchanged, unknown fields included', () => {
    const f = formFromPlaybook(PB);
    const body = playbookBody(f, MSGS);
    expect(body).toEqual({ name: PB.name, enabled: true, audience: { tier: 'high' }, trigger: PB.trigger, actions: PB.actions, cooldown_days: 60 });
  });

  test('reorder, remove, add', () => {
    let list = formFromPlaybook(PB).actions;
    const [a, b, c] = list.map((x) => x.key);
    list = moveAction(list, c, -1);
    expect(list.map((x) => x.key)).toEqual([a, c, b]);
    expect(moveAction(list, a, -1)).toBe(list); // already first
    expect(moveAction(list, b, 1)).toBe(list);  // already last
    list = removeAction(list, a);
    list = addAction(list, 'set_field');
    const body = playbookBody({ ...formFromPlaybook(PB), actions: list }, MSGS);
    expect((body.actions as { type: string }[]).map((x) => x.type)).toEqual(['send_email', 'call_webhook', 'set_field']);
    expect((body.actions as unknown[])[2]).toEqual({ type: 'set_field', field: 'tier', value: null });
  });

  test('typed numbers become numbers; text that is not one is left for the server to name', () => {
    const f = formFromPlaybook(null);
    f.name = ' New ';
    f.cooldown = '14';
    f.trigger = { type: 'renewal_within', days: '45' };
    f.audience = 'segment';
    f.segmentId = '3';
    expect(playbookBody(f, MSGS)).toMatchObject({ name: 'New', cooldown_days: 14, trigger: { type: 'renewal_within', days: 45 }, audience: { segment_id: 3 } });
    f.trigger = { type: 'renewal_within', days: 'soon' };
    expect(playbookBody(f, MSGS).trigger).toEqual({ type: 'renewal_within', days: 'soon' });
  });

  test('changing the trigger type keeps only the parameters the new type has', () => {
    expect(withTriggerType({ type: 'nps_detractor', max_score: '4', within_days: '30' }, 'phase_entered')).toEqual({ type: 'phase_entered', within_days: '30' });
    expect(withTriggerType({ type: 'phase_entered', phase: 'adoption' }, 'inactive_for')).toEqual({ type: 'inactive_for', days: '14' });
  });

  test('a payload that is not a JSON object is refused at its path', () => {
    const f = formFromPlaybook(PB);
    f.actions[1] = { ...f.actions[1], payloadText: '{"text": ' };
    expect(() => playbookBody(f, MSGS)).toThrow(FormError);
    try { playbookBody(f, MSGS); } catch (e) { expect((e as FormError).field).toBe('actions[1].payload'); }
    f.actions[1] = { ...f.actions[1], payloadText: '[1, 2]' };
    expect(() => playbookBody(f, MSGS)).toThrow('not an object');
  });

  test('error paths name the action and its field', () => {
    expect(actionErrorAt('actions[2].payload.text')).toEqual({ index: 2, field: 'payload' });
    expect(actionErrorAt('actions[0]')).toEqual({ index: 0, field: '' });
    expect(actionErrorAt('trigger.days')).toBeNull();
  });
});

function Harness({ initial, log, templates }: { initial: ActionItem[]; log: ActionItem[][]; templates?: { id: number; name: string; subject: string }[] | null }) {
  const [a, setA] = useState(initial);
  return <ActionList actions={a} ro={false} templates={templates} error={null} onChange={(n) => { log.push(n); setA(n); }} />;
}
const types = (items: ActionItem[]) => items.map((x) => x.data.type);

describe('the action list component', () => {
  test('add, reorder with the arrow buttons, remove', () => {
    const log: ActionItem[][] = [];
    render(<Harness initial={[newAction('create_task')]} log={log} />);
    fireEvent.change(screen.getByTestId('action-add-type'), { target: { value: 'call_webhook' } });
    fireEvent.click(screen.getByTestId('action-add'));
    fireEvent.change(screen.getByTestId('action-add-type'), { target: { value: 'send_email' } });
    fireEvent.click(screen.getByTestId('action-add'));
    expect(types(log.at(-1)!)).toEqual(['create_task', 'call_webhook', 'send_email']);
    const items = screen.getAllByTestId('playbook-action');
    expect((within(items[0]).getByTestId('action-up') as HTMLButtonElement).disabled).toBe(true);
    expect((within(items[2]).getByTestId('action-down') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(items[2]).getByTestId('action-up'));
    expect(types(log.at(-1)!)).toEqual(['create_task', 'send_email', 'call_webhook']);
    fireEvent.click(within(screen.getAllByTestId('playbook-action')[0]).getByTestId('action-down'));
    expect(types(log.at(-1)!)).toEqual(['send_email', 'create_task', 'call_webhook']);
    fireEvent.click(screen.getByRole('button', { name: 'Remove action 2' }));
    expect(types(log.at(-1)!)).toEqual(['send_email', 'call_webhook']);
    expect(screen.getAllByTestId('playbook-action')).toHaveLength(2);
  });

  test('editing a field keeps the fields it does not show', () => {
    const log: ActionItem[][] = [];
    const initial = formFromPlaybook(PB).actions;
    render(<Harness initial={initial} log={log} templates={null} />);
    fireEvent.input(screen.getByTestId('action-url'), { target: { value: 'http://chat.internal/other' } });
    const f = { ...formFromPlaybook(PB), actions: log.at(-1)! };
    const sent = playbookBody(f, MSGS).actions as Record<string, unknown>[];
    expect(sent[1]).toEqual({ type: 'call_webhook', url: 'http://chat.internal/other', payload: { text: '{{trigger}}' }, secret: 'whsec_kept' });
    expect(sent[2]).toEqual(PB.actions[2]);
  });

  test('without a templates endpoint (null): subject and body; with templates: the picker replaces them', () => {
    const log: ActionItem[][] = [];
    const { unmount } = render(<Harness initial={[newAction('send_email')]} log={log} templates={null} />);
    expect(screen.queryByTestId('action-template')).toBeNull();
    fireEvent.input(screen.getByTestId('action-subject'), { target: { value: 'Hello {{account.name}}' } });
    expect(log.at(-1)![0].data).toMatchObject({ type: 'send_email', subject: 'Hello {{account.name}}', body: '' });
    unmount();

    const log2: ActionItem[][] = [];
    render(<Harness initial={[newAction('send_email')]} log={log2} templates={[{ id: 5, name: 'Welcome', subject: 'Welcome!' }]} />);
    fireEvent.change(screen.getByTestId('action-template'), { target: { value: '5' } });
    expect(screen.queryByTestId('action-subject')).toBeNull();
    const f = { ...formFromPlaybook(null), actions: log2.at(-1)! };
    expect((playbookBody(f, MSGS).actions as unknown[])[0]).toEqual({ type: 'send_email', to: 'owner', template_id: 5 });
    fireEvent.change(screen.getByTestId('action-template'), { target: { value: '' } });
    expect(log2.at(-1)![0].data).toEqual({ type: 'send_email', to: 'owner', subject: '', body: '' });
  });
});
