/** IVR tree validation and service hours: the rules in cti/ivr, without a PBX. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  alwaysOpen,
  type HoursRefs,
  type ServiceHours,
  serviceState,
  validateHours,
} from '../../cti/ivr/hours.ts';
import { type IvrTree, promptsOf, starterTree, treeLimits, validateTree } from '../../cti/ivr/tree.ts';

const test = suite('IVR tree and hours');
const ids = { prompts: new Set([1, 2, 3]), groups: new Set([10]), agents: new Set([20]) };

function tree(menus: IvrTree['menus'], extra: Partial<IvrTree> = {}): IvrTree {
  return { ...starterTree(), root: 'main', menus, ...extra };
}
const codes = (t: IvrTree, entries: Parameters<typeof validateTree>[2] = []) =>
  validateTree(t, ids, entries).map((p) => `${p.menu}${p.key ? `/${p.key}` : ''}:${p.code}`);

test('a tree past the limits is refused with a clear problem, not stored (20,000 rules were accepted)', () => {
  const menu = (id: string) => ({
    id,
    name: id,
    promptId: null,
    options: [{ key: '1' as const, action: { type: 'hangup' as const } }],
  });
  const many = Array.from({ length: treeLimits.menus + 1 }, (_, i) => menu(i === 0 ? 'main' : `m${i}`));
  assert.equal(codes(tree(many)), [':too_many_menus']);
  const rules = Array.from({ length: 20_000 }, () => ({
    prefix: '139',
    action: { type: 'hangup' as const },
  }));
  assert.equal(codes(tree([menu('main')], { rules })), [':too_many_rules']);
  assert.equal(codes(tree([{ ...menu('main'), name: 'x'.repeat(61) }])), ['main:too_long']);
  assert.equal(
    codes(tree([menu('main')], { rules: [{ region: '上'.repeat(41), action: { type: 'hangup' } }] })),
    ['rule 1:too_long'],
  );
  assert.equal(codes(tree([menu('main')], { rules: rules.slice(0, treeLimits.rules) })), []);
});

test('a three-level tree with every kind of action is valid', () => {
  const t = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: 1,
      options: [
        { key: '1', action: { type: 'menu', menu: 'sales' } },
        { key: '9', action: { type: 'replay' } },
        { key: '0', action: { type: 'transfer', number: '02150001234' } },
      ],
    },
    {
      id: 'sales',
      name: 'Sales',
      promptId: 2,
      options: [
        { key: '1', action: { type: 'menu', menu: 'orders' } },
        { key: '*', action: { type: 'back' } },
        { key: '2', action: { type: 'group', groupId: 10 } },
      ],
    },
    {
      id: 'orders',
      name: 'Orders',
      promptId: 3,
      options: [
        {
          key: '1',
          action: {
            type: 'collect',
            variable: 'order_no',
            promptId: 3,
            maxDigits: 8,
            next: { type: 'agent', userId: 20 },
          },
        },
        { key: '#', action: { type: 'main' } },
        { key: '2', action: { type: 'play_hangup', promptId: 1 } },
      ],
    },
  ]);
  assert.equal(codes(t), []);
  assert.equal(promptsOf(t).sort(), [1, 2, 3]);
});

test('each problem points at its menu and key', () => {
  const t = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: 7,
      options: [
        { key: '1', action: { type: 'menu', menu: 'nowhere' } },
        { key: '1', action: { type: 'hangup' } },
        { key: 'A' as never, action: { type: 'hangup' } },
        { key: '2', action: { type: 'group', groupId: 99 } },
        { key: '3', action: { type: 'transfer', number: 'abc' } },
      ],
    },
    { id: 'orphan', name: 'Orphan', promptId: null, options: [{ key: '0', action: { type: 'hangup' } }] },
    { id: 'empty', name: 'Empty', promptId: null, options: [] },
  ]);
  const found = codes(t);
  for (const expected of [
    'main:unknown_prompt',
    'main/1:dangling_menu',
    'main/1:duplicate_key',
    'main/A:bad_key',
    'main/2:unknown_group',
    'main/3:bad_number',
    'orphan:unreachable',
    'empty:no_options',
    'empty:unreachable',
  ])
    assert.ok(found.includes(expected), `${expected} in ${found.join(', ')}`);
});

test('a loop of menus that never reaches an action is refused at each menu of the loop', () => {
  const t = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: null,
      options: [
        { key: '1', action: { type: 'menu', menu: 'a' } },
        { key: '2', action: { type: 'hangup' } },
      ],
    },
    {
      id: 'a',
      name: 'A',
      promptId: null,
      options: [
        { key: '1', action: { type: 'menu', menu: 'b' } },
        { key: '9', action: { type: 'replay' } },
      ],
    },
    {
      id: 'b',
      name: 'B',
      promptId: null,
      options: [
        { key: '1', action: { type: 'menu', menu: 'a' } },
        { key: '*', action: { type: 'back' } },
      ],
    },
  ]);
  assert.equal(codes(t).sort(), ['a:no_exit', 'b:no_exit']);
});

test('back and main are ways out of a sub-menu when the menu they return to can end', () => {
  const t = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: null,
      options: [
        { key: '1', action: { type: 'menu', menu: 'info' } },
        { key: '0', action: { type: 'hangup' } },
      ],
    },
    {
      id: 'info',
      name: 'Information',
      promptId: 1,
      options: [
        { key: '9', action: { type: 'replay' } },
        { key: '*', action: { type: 'back' } },
        { key: '1', action: { type: 'menu', menu: 'more' } },
      ],
    },
    // Only main: back to the root, which can end.
    { id: 'more', name: 'More', promptId: 2, options: [{ key: '#', action: { type: 'main' } }] },
  ]);
  assert.equal(codes(t), []);
});

test('back and main do not end when the menu they return to cannot, nor from the root itself', () => {
  // The root can only go to the sub-menu, which can only go back or to the main menu: a loop.
  const t = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: null,
      options: [{ key: '1', action: { type: 'menu', menu: 'sub' } }],
    },
    {
      id: 'sub',
      name: 'Sub',
      promptId: null,
      options: [
        { key: '*', action: { type: 'back' } },
        { key: '#', action: { type: 'main' } },
      ],
    },
  ]);
  assert.equal(codes(t).sort(), ['main:no_exit', 'sub:no_exit']);
  // A root whose only keys are back and main goes nowhere.
  const lone = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: null,
      options: [
        { key: '*', action: { type: 'back' } },
        { key: '#', action: { type: 'main' } },
      ],
    },
  ]);
  assert.equal(codes(lone), ['main:no_exit']);
  // Back from a menu two parents lead to ends only when both can end: `trap` only leads to it.
  const twoParents = tree([
    {
      id: 'main',
      name: 'Main',
      promptId: null,
      options: [
        { key: '1', action: { type: 'menu', menu: 'shared' } },
        { key: '2', action: { type: 'menu', menu: 'trap' } },
        { key: '0', action: { type: 'hangup' } },
      ],
    },
    {
      id: 'trap',
      name: 'Trap',
      promptId: null,
      options: [{ key: '1', action: { type: 'menu', menu: 'shared' } }],
    },
    { id: 'shared', name: 'Shared', promptId: null, options: [{ key: '*', action: { type: 'back' } }] },
  ]);
  assert.equal(codes(twoParents).sort(), ['shared:no_exit', 'trap:no_exit']);
});

test('a menu only the off-hours action leads to is reachable; its prompts are in use', () => {
  const t = tree([
    { id: 'main', name: 'Main', promptId: null, options: [{ key: '0', action: { type: 'hangup' } }] },
    {
      id: 'night',
      name: 'Night',
      promptId: 3,
      options: [
        { key: '1', action: { type: 'transfer', number: '13800138000' } },
        { key: '*', action: { type: 'back' } },
      ],
    },
  ]);
  assert.equal(codes(t), ['night:unreachable']);
  assert.equal(codes(t, [{ type: 'menu', menu: 'night' }]), []);
  assert.equal(promptsOf(t, [{ type: 'play_hangup', promptId: 2 }]).sort(), [2, 3]);
});

const refs: HoursRefs = { ids, menus: new Set(['main', 'night']) };
const offHours = (action: ServiceHours['offHoursAction'], prompt: number | null = 1) =>
  validateHours({ ...alwaysOpen(), offHoursPromptId: prompt, offHoursAction: action }, refs).map(
    (p) => `${p.where}:${p.code}`,
  );

test('the off-hours prompt and action are checked like a key’s action', () => {
  assert.equal(offHours({ type: 'hangup' }), []);
  assert.equal(offHours({ type: 'menu', menu: 'night' }), []);
  assert.equal(offHours({ type: 'group', groupId: 10 }), []);
  assert.equal(offHours({ type: 'agent', userId: 20 }), []);
  assert.equal(offHours({ type: 'transfer', number: '02150001234' }), []);
  assert.equal(offHours({ type: 'play_hangup', promptId: 2 }, null), []);
  assert.equal(offHours({ type: 'hangup' }, 9), ['offHoursPromptId:unknown_prompt']);
  assert.equal(offHours({ type: 'menu', menu: 'gone' }), ['offHoursAction:dangling_menu']);
  assert.equal(offHours({ type: 'group', groupId: 99 }), ['offHoursAction:unknown_group']);
  assert.equal(offHours({ type: 'agent', userId: 99 }), ['offHoursAction:unknown_agent']);
  assert.equal(offHours({ type: 'transfer', number: 'abc' }), ['offHoursAction:bad_number']);
  assert.equal(offHours({ type: 'play_hangup', promptId: 99 }), ['offHoursAction:unknown_prompt']);
  assert.equal(offHours({ type: 'replay' }), ['offHoursAction:bad_action']);
});

const weekdays: ServiceHours = {
  timeZone: 'Asia/Shanghai',
  weekly: [1, 2, 3, 4, 5].flatMap((day) => [
    { day, from: '09:00', to: '12:00' },
    { day, from: '13:00', to: '18:00' },
  ]),
  exceptions: [
    { date: '2026-10-01', name: 'National Day', ranges: [] },
    { date: '2026-10-10', name: 'Make-up working day', ranges: [{ from: '09:00', to: '17:00' }] },
  ],
  offHoursPromptId: 1,
  offHoursAction: { type: 'hangup' },
};
// 2026-09-30 is a Wednesday; Shanghai is UTC+8.
const at = (iso: string) => new Date(iso);

test('service hours follow the weekly ranges in the IVR’s time zone, with holidays and special working days', () => {
  assert.ok(serviceState(weekdays, at('2026-09-30T01:30:00Z')).open, 'Wed 09:30 Shanghai');
  assert.not.ok(serviceState(weekdays, at('2026-09-30T04:30:00Z')).open, 'Wed 12:30 lunch');
  assert.not.ok(serviceState(weekdays, at('2026-09-30T10:00:00Z')).open, 'Wed 18:00 closed (end exclusive)');
  assert.not.ok(serviceState(weekdays, at('2026-10-03T02:00:00Z')).open, 'Saturday');
  const holiday = serviceState(weekdays, at('2026-10-01T02:00:00Z'));
  assert.equal(holiday, { open: false, reason: 'exception', exception: 'National Day' });
  assert.ok(serviceState(weekdays, at('2026-10-10T02:00:00Z')).open, 'Saturday made a working day');
  assert.not.ok(serviceState(weekdays, at('2026-10-10T09:30:00Z')).open, 'after its own hours');
  assert.ok(serviceState(alwaysOpen(), at('2026-10-03T20:00:00Z')).open);
});

test('overlapping or empty ranges, bad dates and duplicate days are refused', () => {
  const problems = validateHours(
    {
      ...weekdays,
      timeZone: 'Mars/Olympus',
      weekly: [
        { day: 1, from: '09:00', to: '12:00' },
        { day: 1, from: '11:00', to: '13:00' },
        { day: 2, from: '14:00', to: '14:00' },
        { day: 8, from: '09:00', to: '10:00' },
      ],
      exceptions: [
        { date: '2026-10-01', name: 'a', ranges: [] },
        { date: '2026-10-01', name: 'b', ranges: [] },
        { date: '2026-13-40', name: 'c', ranges: [] },
      ],
    },
    refs,
  ).map((p) => `${p.where}:${p.code}`);
  for (const e of [
    'timeZone:bad_time_zone',
    'day 1:overlap',
    'day 2:empty_range',
    'day 8:bad_day',
    '2026-10-01:duplicate_date',
    '2026-13-40:bad_date',
  ])
    assert.ok(problems.includes(e), `${e} in ${problems.join(', ')}`);
  assert.equal(validateHours(weekdays, refs), []);
});

test.run();
