/**
 * The shape of an IVR (IVR 导航) and the rules a tree must obey before it is saved. A tree is a
 * set of menus; the root menu plays the welcome prompt. Each menu plays its prompt and waits for
 * a key; each key (0-9, *, #; once per menu) has an action. Validation names the menu and key
 * at fault: unknown keys or duplicates, dangling menu references, menus nobody can reach, and
 * loops of menus from which no key ever leads to an action that ends the IVR.
 */

export const ivrKeys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] as const;
export type IvrKey = (typeof ivrKeys)[number];

export type IvrAction =
  | { type: 'menu'; menu: string }
  | { type: 'group'; groupId: number }
  | { type: 'agent'; userId: number }
  | { type: 'replay' }
  | { type: 'back' }
  | { type: 'main' }
  | { type: 'transfer'; number: string }
  | { type: 'play_hangup'; promptId: number }
  | { type: 'hangup' }
  /** Collects digits into a variable (e.g. an order number), then does `next`. */
  | { type: 'collect'; variable: string; promptId: number | null; maxDigits: number; next: IvrAction };

export type IvrActionType = IvrAction['type'];

export interface IvrOption {
  key: IvrKey;
  action: IvrAction;
}

export interface IvrMenu {
  id: string;
  name: string;
  promptId: number | null;
  options: IvrOption[];
}

/** Routing by who calls, checked in order before the welcome prompt. */
export interface CallerRule {
  /** Caller number starts with this (e.g. 139, 021). */
  prefix?: string;
  /** The caller's number region contains this (e.g. 上海, Beijing). */
  region?: string;
  vip?: boolean;
  action: IvrAction;
}

export interface IvrTree {
  root: string;
  menus: IvrMenu[];
  rules: CallerRule[];
  /** Seconds of silence after a prompt before it is played again; hang up after that many repeats. */
  silenceSeconds: number;
  silenceRepeats: number;
  /** Seconds allowed between the digits of a collected number. */
  digitTimeoutSeconds: number;
  invalidPromptId: number | null;
  blacklistPromptId: number | null;
}

export interface TreeProblem {
  /** The menu (id) the problem is in, or '' for the whole tree. */
  menu: string;
  key?: string;
  code:
    | 'no_root'
    | 'duplicate_menu'
    | 'bad_key'
    | 'duplicate_key'
    | 'no_options'
    | 'dangling_menu'
    | 'unreachable'
    | 'no_exit'
    | 'bad_number'
    | 'bad_variable'
    | 'bad_digits'
    | 'bad_timing'
    | 'unknown_prompt'
    | 'unknown_group'
    | 'unknown_agent'
    | 'bad_rule';
}

/** Whether an action ends the IVR (the call goes somewhere or is hung up). */
function ends(action: IvrAction): boolean {
  switch (action.type) {
    case 'group':
    case 'agent':
    case 'transfer':
    case 'play_hangup':
    case 'hangup':
      return true;
    case 'collect':
      return ends(action.next);
    default:
      return false;
  }
}

function menuTarget(action: IvrAction): string | null {
  if (action.type === 'menu') return action.menu;
  if (action.type === 'collect') return menuTarget(action.next);
  return null;
}

export interface KnownIds {
  prompts: ReadonlySet<number>;
  groups: ReadonlySet<number>;
  agents: ReadonlySet<number>;
}

function checkAction(
  action: IvrAction,
  menu: string,
  key: string | undefined,
  ids: KnownIds,
  out: TreeProblem[],
) {
  const at = (code: TreeProblem['code']) => out.push({ menu, key, code });
  switch (action.type) {
    case 'group':
      if (!ids.groups.has(action.groupId)) at('unknown_group');
      break;
    case 'agent':
      if (!ids.agents.has(action.userId)) at('unknown_agent');
      break;
    case 'transfer':
      if (!/^\d{3,20}$/.test(action.number)) at('bad_number');
      break;
    case 'play_hangup':
      if (!ids.prompts.has(action.promptId)) at('unknown_prompt');
      break;
    case 'collect':
      if (!/^[a-z][a-z0-9_]{0,30}$/.test(action.variable)) at('bad_variable');
      if (!Number.isInteger(action.maxDigits) || action.maxDigits < 1 || action.maxDigits > 30)
        at('bad_digits');
      if (action.promptId !== null && !ids.prompts.has(action.promptId)) at('unknown_prompt');
      if (action.next.type === 'collect') at('bad_variable');
      else checkAction(action.next, menu, key, ids, out);
      break;
    default:
      break;
  }
}

/** Every problem of a tree; empty when it may be saved. */
export function validateTree(tree: IvrTree, ids: KnownIds): TreeProblem[] {
  const out: TreeProblem[] = [];
  const byId = new Map<string, IvrMenu>();
  for (const m of tree.menus) {
    if (byId.has(m.id)) out.push({ menu: m.id, code: 'duplicate_menu' });
    byId.set(m.id, m);
  }
  if (!byId.has(tree.root)) out.push({ menu: '', code: 'no_root' });
  if (
    !Number.isInteger(tree.silenceSeconds) ||
    tree.silenceSeconds < 1 ||
    tree.silenceSeconds > 60 ||
    !Number.isInteger(tree.silenceRepeats) ||
    tree.silenceRepeats < 0 ||
    tree.silenceRepeats > 10 ||
    !Number.isInteger(tree.digitTimeoutSeconds) ||
    tree.digitTimeoutSeconds < 1 ||
    tree.digitTimeoutSeconds > 30
  )
    out.push({ menu: '', code: 'bad_timing' });
  for (const id of [tree.invalidPromptId, tree.blacklistPromptId])
    if (id !== null && !ids.prompts.has(id)) out.push({ menu: '', code: 'unknown_prompt' });
  for (const m of tree.menus) {
    if (m.promptId !== null && !ids.prompts.has(m.promptId)) out.push({ menu: m.id, code: 'unknown_prompt' });
    if (m.options.length === 0) out.push({ menu: m.id, code: 'no_options' });
    const seen = new Set<string>();
    for (const o of m.options) {
      if (!(ivrKeys as readonly string[]).includes(o.key))
        out.push({ menu: m.id, key: o.key, code: 'bad_key' });
      else if (seen.has(o.key)) out.push({ menu: m.id, key: o.key, code: 'duplicate_key' });
      seen.add(o.key);
      const target = menuTarget(o.action);
      if (target !== null && !byId.has(target)) out.push({ menu: m.id, key: o.key, code: 'dangling_menu' });
      checkAction(o.action, m.id, o.key, ids, out);
    }
  }
  tree.rules.forEach((r, i) => {
    const label = `rule ${i + 1}`;
    if (!r.prefix && !r.region && r.vip === undefined) out.push({ menu: label, code: 'bad_rule' });
    if (r.prefix !== undefined && !/^\d{1,12}$/.test(r.prefix)) out.push({ menu: label, code: 'bad_rule' });
    const target = menuTarget(r.action);
    if (target !== null && !byId.has(target)) out.push({ menu: label, code: 'dangling_menu' });
    checkAction(r.action, label, undefined, ids, out);
  });
  if (!byId.has(tree.root)) return out;

  // Reachable from the root (or from a caller rule).
  const reached = new Set<string>();
  const walk = (id: string) => {
    if (reached.has(id) || !byId.has(id)) return;
    reached.add(id);
    for (const o of byId.get(id)!.options) {
      const t = menuTarget(o.action);
      if (t) walk(t);
    }
  };
  walk(tree.root);
  for (const r of tree.rules) {
    const t = menuTarget(r.action);
    if (t) walk(t);
  }
  for (const m of tree.menus) if (!reached.has(m.id)) out.push({ menu: m.id, code: 'unreachable' });

  // A menu can end the IVR if a key ends it, or leads to a menu that can (fixpoint).
  const canEnd = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of tree.menus) {
      if (canEnd.has(m.id)) continue;
      if (m.options.some((o) => ends(o.action) || canEnd.has(menuTarget(o.action) ?? ''))) {
        canEnd.add(m.id);
        changed = true;
      }
    }
  }
  for (const m of tree.menus)
    if (reached.has(m.id) && m.options.length > 0 && !canEnd.has(m.id))
      out.push({ menu: m.id, code: 'no_exit' });
  return out;
}

/** Prompts a tree refers to (for the usage check that keeps prompts in use from deletion). */
export function promptsOf(tree: IvrTree): number[] {
  const ids = new Set<number>();
  const fromAction = (a: IvrAction) => {
    if (a.type === 'play_hangup') ids.add(a.promptId);
    if (a.type === 'collect') {
      if (a.promptId !== null) ids.add(a.promptId);
      fromAction(a.next);
    }
  };
  for (const m of tree.menus) {
    if (m.promptId !== null) ids.add(m.promptId);
    for (const o of m.options) fromAction(o.action);
  }
  for (const r of tree.rules) fromAction(r.action);
  for (const id of [tree.invalidPromptId, tree.blacklistPromptId]) if (id !== null) ids.add(id);
  return [...ids];
}

/** A new IVR's tree: one menu that hangs up on 0. */
export function starterTree(): IvrTree {
  return {
    root: 'main',
    menus: [
      { id: 'main', name: 'Main menu', promptId: null, options: [{ key: '0', action: { type: 'hangup' } }] },
    ],
    rules: [],
    silenceSeconds: 5,
    silenceRepeats: 2,
    digitTimeoutSeconds: 3,
    invalidPromptId: null,
    blacklistPromptId: null,
  };
}

/** Reads a tree sent by the editor (untrusted JSON) into the IvrTree shape, or null when it is not one. */
export function parseTree(json: unknown): IvrTree | null {
  if (!isObject(json) || typeof json.root !== 'string' || !Array.isArray(json.menus)) return null;
  const menus: IvrMenu[] = [];
  for (const m of json.menus) {
    if (!isObject(m) || typeof m.id !== 'string' || !Array.isArray(m.options)) return null;
    const options: IvrOption[] = [];
    for (const o of m.options) {
      const action = isObject(o) ? parseAction(o.action) : null;
      if (!isObject(o) || typeof o.key !== 'string' || !action) return null;
      options.push({ key: o.key as IvrKey, action });
    }
    menus.push({
      id: m.id.slice(0, 40),
      name: String(m.name ?? m.id).slice(0, 80),
      promptId: optId(m.promptId),
      options,
    });
  }
  const rules: CallerRule[] = [];
  for (const r of Array.isArray(json.rules) ? json.rules : []) {
    const action = isObject(r) ? parseAction(r.action) : null;
    if (!isObject(r) || !action) return null;
    rules.push({
      ...(typeof r.prefix === 'string' && r.prefix !== '' ? { prefix: r.prefix } : {}),
      ...(typeof r.region === 'string' && r.region !== '' ? { region: r.region } : {}),
      ...(typeof r.vip === 'boolean' ? { vip: r.vip } : {}),
      action,
    });
  }
  return {
    root: json.root,
    menus,
    rules,
    silenceSeconds: Number(json.silenceSeconds ?? 5),
    silenceRepeats: Number(json.silenceRepeats ?? 2),
    digitTimeoutSeconds: Number(json.digitTimeoutSeconds ?? 3),
    invalidPromptId: optId(json.invalidPromptId),
    blacklistPromptId: optId(json.blacklistPromptId),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optId(v: unknown): number | null {
  const n = Number(v);
  return v === null || v === undefined || v === '' || !Number.isSafeInteger(n) || n <= 0 ? null : n;
}

export function parseAction(v: unknown): IvrAction | null {
  if (!isObject(v)) return null;
  const id = (x: unknown) => optId(x) ?? 0;
  switch (v.type) {
    case 'menu':
      return typeof v.menu === 'string' ? { type: 'menu', menu: v.menu } : null;
    case 'group':
      return { type: 'group', groupId: id(v.groupId) };
    case 'agent':
      return { type: 'agent', userId: id(v.userId) };
    case 'replay':
    case 'back':
    case 'main':
    case 'hangup':
      return { type: v.type };
    case 'transfer':
      return { type: 'transfer', number: String(v.number ?? '').replace(/[\s-]/g, '') };
    case 'play_hangup':
      return { type: 'play_hangup', promptId: id(v.promptId) };
    case 'collect': {
      const next = parseAction(v.next);
      return next
        ? {
            type: 'collect',
            variable: String(v.variable ?? ''),
            promptId: optId(v.promptId),
            maxDigits: Number(v.maxDigits ?? 0),
            next,
          }
        : null;
    }
    default:
      return null;
  }
}
