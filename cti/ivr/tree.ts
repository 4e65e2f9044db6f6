/**
 * The shape of an IVR (IVR 导航) and the rules a tree must obey before it is saved. A tree is a
 * set of menus; the root menu plays the welcome prompt. Each menu plays its prompt and waits for
 * a key; each key (0-9, *, #; once per menu) has an action. Validation names the menu and key
 * at fault: unknown keys or duplicates, dangling menu references, menus nobody can reach, and
 * loops of menus from which no key ever leads to an action that ends the IVR.
 *
 * Ways into the menus: the root (welcome), caller rules, and the actions the tree's owner adds
 * (the off-hours action of the service hours, passed as `entries`). "Can end" is a fixpoint: a
 * menu can end when one of its keys ends the IVR (agent, group, transfer, play and hang up,
 * hang up), leads to a menu that can end, goes `main` to a root that can end, or goes `back`
 * when every menu it can return to (each menu with a key leading to it; the root when the menu
 * is itself a way in) can end. Replay never ends.
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
    | 'bad_rule'
    | 'too_many_menus'
    | 'too_many_rules'
    | 'too_long';
}

/** The most a tree may hold: far beyond a real call centre's IVR, small enough to load and check at once. */
export const treeLimits = { menus: 200, rules: 100, idLength: 40, nameLength: 60, regionLength: 40 } as const;

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

/**
 * The problems of one action on its own: unknown group, agent or prompt, a bad transfer number,
 * a bad collect, a menu that does not exist (`menus`: the tree's menu ids).
 */
export function actionProblems(
  action: IvrAction,
  ids: KnownIds,
  menus: ReadonlySet<string>,
): TreeProblem['code'][] {
  const out: TreeProblem['code'][] = [];
  switch (action.type) {
    case 'menu':
      if (!menus.has(action.menu)) out.push('dangling_menu');
      break;
    case 'group':
      if (!ids.groups.has(action.groupId)) out.push('unknown_group');
      break;
    case 'agent':
      if (!ids.agents.has(action.userId)) out.push('unknown_agent');
      break;
    case 'transfer':
      if (!/^\d{3,20}$/.test(action.number)) out.push('bad_number');
      break;
    case 'play_hangup':
      if (!ids.prompts.has(action.promptId)) out.push('unknown_prompt');
      break;
    case 'collect':
      if (!/^[a-z][a-z0-9_]{0,30}$/.test(action.variable)) out.push('bad_variable');
      if (!Number.isInteger(action.maxDigits) || action.maxDigits < 1 || action.maxDigits > 30)
        out.push('bad_digits');
      if (action.promptId !== null && !ids.prompts.has(action.promptId)) out.push('unknown_prompt');
      if (action.next.type === 'collect') out.push('bad_variable');
      else out.push(...actionProblems(action.next, ids, menus));
      break;
    default:
      break;
  }
  return out;
}

function checkAction(
  action: IvrAction,
  menu: string,
  key: string | undefined,
  ids: KnownIds,
  menus: ReadonlySet<string>,
  out: TreeProblem[],
) {
  for (const code of actionProblems(action, ids, menus)) out.push({ menu, ...(key ? { key } : {}), code });
}

/** The navigation an action ends with (`collect` then does its `next`). */
function finalAction(action: IvrAction): IvrAction {
  return action.type === 'collect' ? finalAction(action.next) : action;
}

/**
 * Every problem of a tree; empty when it may be saved. `entries`: other actions that lead into
 * the tree (the off-hours action), so a menu only they reach is not unreachable.
 */
export function validateTree(
  tree: IvrTree,
  ids: KnownIds,
  entries: readonly IvrAction[] = [],
): TreeProblem[] {
  const out: TreeProblem[] = [];
  // A tree past the limits is refused at once, before anything walks it.
  if (tree.menus.length > treeLimits.menus) return [{ menu: '', code: 'too_many_menus' }];
  if (tree.rules.length > treeLimits.rules) return [{ menu: '', code: 'too_many_rules' }];
  for (const m of tree.menus)
    if (m.id.length > treeLimits.idLength || m.name.length > treeLimits.nameLength)
      out.push({ menu: m.id.slice(0, treeLimits.idLength), code: 'too_long' });
  tree.rules.forEach((r, i) => {
    if ((r.region ?? '').length > treeLimits.regionLength)
      out.push({ menu: `rule ${i + 1}`, code: 'too_long' });
  });
  if (out.length > 0) return out;
  const byId = new Map<string, IvrMenu>();
  for (const m of tree.menus) {
    if (byId.has(m.id)) out.push({ menu: m.id, code: 'duplicate_menu' });
    byId.set(m.id, m);
  }
  const menuIds = new Set(byId.keys());
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
      checkAction(o.action, m.id, o.key, ids, menuIds, out);
    }
  }
  tree.rules.forEach((r, i) => {
    const label = `rule ${i + 1}`;
    if (!r.prefix && !r.region && r.vip === undefined) out.push({ menu: label, code: 'bad_rule' });
    if (r.prefix !== undefined && !/^\d{1,12}$/.test(r.prefix)) out.push({ menu: label, code: 'bad_rule' });
    checkAction(r.action, label, undefined, ids, menuIds, out);
  });
  if (!byId.has(tree.root)) return out;

  // Ways in: the root, the caller rules' menus and the entries' menus (the off-hours action).
  const entryMenus = new Set([tree.root]);
  for (const a of [...tree.rules.map((r) => r.action), ...entries]) {
    const t = menuTarget(a);
    if (t && byId.has(t)) entryMenus.add(t);
  }
  // Reachable from a way in.
  const reached = new Set<string>();
  const walk = (id: string) => {
    if (reached.has(id) || !byId.has(id)) return;
    reached.add(id);
    for (const o of byId.get(id)!.options) {
      const t = menuTarget(o.action);
      if (t) walk(t);
    }
  };
  for (const id of entryMenus) walk(id);
  for (const m of tree.menus) if (!reached.has(m.id)) out.push({ menu: m.id, code: 'unreachable' });

  // Where `back` can return to from each menu: the reachable menus with a key leading to it,
  // and the root when the menu is a way in (the runner's stack is empty there).
  const backTo = new Map<string, Set<string>>();
  for (const id of reached) backTo.set(id, new Set(entryMenus.has(id) ? [tree.root] : []));
  for (const id of reached)
    for (const o of byId.get(id)!.options) {
      const t = menuTarget(o.action);
      if (t && t !== id) backTo.get(t)?.add(id);
    }

  // A menu can end the IVR if one of its keys can (fixpoint; see the header).
  const canEnd = new Set<string>();
  const keyEnds = (m: IvrMenu, action: IvrAction): boolean => {
    if (ends(action)) return true;
    const a = finalAction(action);
    if (a.type === 'menu') return canEnd.has(a.menu);
    if (a.type === 'main') return m.id !== tree.root && canEnd.has(tree.root);
    if (a.type === 'back') {
      const targets = [...(backTo.get(m.id) ?? [])].filter((t) => t !== m.id);
      return targets.length > 0 && targets.every((t) => canEnd.has(t));
    }
    return false;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of tree.menus) {
      if (canEnd.has(m.id) || !reached.has(m.id)) continue;
      if (m.options.some((o) => keyEnds(m, o.action))) {
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

/**
 * Prompts a tree refers to, and those of `entries` (the off-hours action), for the usage check
 * that keeps prompts in use from deletion.
 */
export function promptsOf(tree: IvrTree, entries: readonly IvrAction[] = []): number[] {
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
  for (const a of entries) fromAction(a);
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
