/**
 * What an agent group's queue does (ACD 策略设置, 排队设置, 未接跳转, 溢出规则, 客服工号播报):
 * the strategies that pick an agent, in priority order; VIP callers first; what callers hear
 * while they wait (music or a prompt, position and estimated wait announcements); the maximum
 * wait with its keys (keep waiting, callback, hang up); joining and leaving when nobody is
 * logged in; no-answer jumps; overflow; the agent-number announcement; the survey after the call.
 * Stored as JSON in `agent_groups.queue`; missing fields take the defaults, so older rows read.
 */

/**
 * - region: callers whose number region matches a region rule go to that rule's group first;
 * - last_agent: the agent who last served this caller (within `lastAgentHours`), if free;
 * - least_workload: fewest answered calls today, then least talk time;
 * - longest_idle: the agent free for the longest time;
 * - random: any free agent;
 * - ring_all: every free agent rings, the first to answer takes the call;
 * - round_robin: the next member after the one offered last (app_queue rrmemory);
 * - linear: members in their listed order;
 * - weighted_random: random, with the skill level as weight (app_queue wrandom).
 */
export const strategyKeys = [
  'region',
  'last_agent',
  'least_workload',
  'longest_idle',
  'random',
  'ring_all',
  'round_robin',
  'linear',
  'weighted_random',
] as const;
export type StrategyKey = (typeof strategyKeys)[number];

/** Strategies that always settle on one agent (or all, for ring_all): nothing can follow them. */
export const decisiveStrategies: ReadonlySet<StrategyKey> = new Set([
  'longest_idle',
  'random',
  'ring_all',
  'round_robin',
  'linear',
  'weighted_random',
]);

export type OverflowTarget =
  | { kind: 'group'; groupId: number }
  | { kind: 'external'; number: string }
  | { kind: 'prompt'; promptId: number };

export interface QueueSettings {
  /** In priority order, one to four; region only first; nothing after a decisive strategy. */
  strategies: StrategyKey[];
  lastAgentHours: number;
  /** VIP callers are served before everyone else waiting (插队). */
  vipFirst: boolean;
  /** After this many agents did not answer, jump to `jumpGroupId` (0: after every member). */
  noAnswer: { jumpAfter: number; jumpGroupId: number | null };
  /** What callers hear while waiting: a prompt played in a loop, or the default music (null). */
  holdPromptId: number | null;
  /** Every `everySeconds` (0: never) tell the caller their position and/or the estimated wait. */
  announce: { everySeconds: number; position: boolean; waitTime: boolean };
  /**
   * After `seconds` (0: no limit) play the prompt offering keys: 1 keep waiting, 2 callback (when
   * `callback`), 0 hang up; `noKey` after `keySeconds` without a key.
   */
  maxWait: {
    seconds: number;
    promptId: number | null;
    keySeconds: number;
    callback: boolean;
    noKey: 'keep' | 'hangup';
  };
  /** Whether callers may join when no member is logged in, and leave when all log out. */
  empty: { join: boolean; leave: boolean };
  /** Overflow (溢出) when this many already wait (0: off) or a caller waited this long (0: off). */
  overflow: { waiting: number; waitSeconds: number; target: OverflowTarget | null };
  /** Tell the caller the agent's job number before connecting (客服工号播报). */
  announceAgentNumber: boolean;
  /** Take the caller to the satisfaction survey when the agent hangs up. */
  survey: boolean;
  /** Members see the callers waiting (排队情况状态条), and may take one early (提前服务). */
  queueVisible: boolean;
  serveEarly: boolean;
  /** Language of the system prompts callers hear in this queue (en, zh). */
  language: 'en' | 'zh';
}

export const defaultQueueSettings = (): QueueSettings => ({
  strategies: ['longest_idle'],
  lastAgentHours: 72,
  vipFirst: true,
  noAnswer: { jumpAfter: 0, jumpGroupId: null },
  holdPromptId: null,
  announce: { everySeconds: 0, position: true, waitTime: true },
  maxWait: { seconds: 0, promptId: null, keySeconds: 8, callback: true, noKey: 'keep' },
  empty: { join: true, leave: false },
  overflow: { waiting: 0, waitSeconds: 0, target: null },
  announceAgentNumber: false,
  survey: false,
  queueVisible: true,
  serveEarly: false,
  language: 'en',
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const int = (v: unknown, fallback: number) => (Number.isInteger(v) ? (v as number) : fallback);
const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
const idOrNull = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : null);

function readTarget(v: unknown): OverflowTarget | null {
  if (!isObject(v)) return null;
  if (v.kind === 'group' && idOrNull(v.groupId)) return { kind: 'group', groupId: v.groupId as number };
  if (v.kind === 'prompt' && idOrNull(v.promptId)) return { kind: 'prompt', promptId: v.promptId as number };
  if (v.kind === 'external' && typeof v.number === 'string') return { kind: 'external', number: v.number };
  return null;
}

/** Reads stored settings (any shape) into complete settings; unknown values fall back to defaults. */
export function readQueueSettings(stored: unknown): QueueSettings {
  const d = defaultQueueSettings();
  if (!isObject(stored)) return d;
  const s = stored;
  const sub = (key: string) => (isObject(s[key]) ? (s[key] as Record<string, unknown>) : {});
  const strategies = Array.isArray(s.strategies)
    ? s.strategies.filter((k): k is StrategyKey => strategyKeys.includes(k as StrategyKey))
    : [];
  const na = sub('noAnswer');
  const an = sub('announce');
  const mw = sub('maxWait');
  const em = sub('empty');
  const ov = sub('overflow');
  return {
    strategies: strategies.length > 0 ? strategies : d.strategies,
    lastAgentHours: int(s.lastAgentHours, d.lastAgentHours),
    vipFirst: bool(s.vipFirst, d.vipFirst),
    noAnswer: { jumpAfter: int(na.jumpAfter, 0), jumpGroupId: idOrNull(na.jumpGroupId) },
    holdPromptId: idOrNull(s.holdPromptId),
    announce: {
      everySeconds: int(an.everySeconds, d.announce.everySeconds),
      position: bool(an.position, d.announce.position),
      waitTime: bool(an.waitTime, d.announce.waitTime),
    },
    maxWait: {
      seconds: int(mw.seconds, 0),
      promptId: idOrNull(mw.promptId),
      keySeconds: int(mw.keySeconds, d.maxWait.keySeconds),
      callback: bool(mw.callback, d.maxWait.callback),
      noKey: mw.noKey === 'hangup' ? 'hangup' : 'keep',
    },
    empty: { join: bool(em.join, d.empty.join), leave: bool(em.leave, d.empty.leave) },
    overflow: {
      waiting: int(ov.waiting, 0),
      waitSeconds: int(ov.waitSeconds, 0),
      target: readTarget(ov.target),
    },
    announceAgentNumber: bool(s.announceAgentNumber, d.announceAgentNumber),
    survey: bool(s.survey, d.survey),
    queueVisible: bool(s.queueVisible, d.queueVisible),
    serveEarly: bool(s.serveEarly, d.serveEarly),
    language: s.language === 'zh' ? 'zh' : 'en',
  };
}

export type QueueProblemCode =
  | 'required'
  | 'out_of_range'
  | 'invalid_choice'
  | 'invalid_phone'
  | 'duplicate_strategy'
  | 'region_first'
  | 'strategy_after_decisive'
  | 'same_group'
  | 'nothing_to_announce'
  | 'needs_queue_visible';

/** The field of the group form at fault, with an error code. */
export type QueueProblems = Partial<Record<string, QueueProblemCode>>;

export interface QueueKnownIds {
  groupId: number | null;
  groups: ReadonlySet<number>;
  prompts: ReadonlySet<number>;
}

const within = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** Checks settings before they are saved; keys are the group form's field names. */
export function queueProblems(q: QueueSettings, ids: QueueKnownIds): QueueProblems {
  const out: QueueProblems = {};
  const seen = new Set<StrategyKey>();
  q.strategies.forEach((k, i) => {
    if (seen.has(k)) out.strategies = 'duplicate_strategy';
    seen.add(k);
    if (k === 'region' && i > 0) out.strategies = 'region_first';
    if (decisiveStrategies.has(k) && i < q.strategies.length - 1) out.strategies = 'strategy_after_decisive';
  });
  if (q.strategies.length === 0 || q.strategies.length > 4) out.strategies = 'required';
  if (!within(q.lastAgentHours, 1, 720)) out.lastAgentHours = 'out_of_range';
  if (!within(q.noAnswer.jumpAfter, 0, 50)) out.jumpAfter = 'out_of_range';
  const group = (id: number | null, field: string) => {
    if (id === null) return;
    if (!ids.groups.has(id)) out[field] = 'invalid_choice';
    else if (id === ids.groupId) out[field] = 'same_group';
  };
  const prompt = (id: number | null, field: string) => {
    if (id !== null && !ids.prompts.has(id)) out[field] = 'invalid_choice';
  };
  group(q.noAnswer.jumpGroupId, 'jumpGroupId');
  prompt(q.holdPromptId, 'holdPromptId');
  if (q.announce.everySeconds !== 0 && !within(q.announce.everySeconds, 15, 600))
    out.announceEvery = 'out_of_range';
  if (q.announce.everySeconds > 0 && !q.announce.position && !q.announce.waitTime)
    out.announceEvery = 'nothing_to_announce';
  if (q.maxWait.seconds !== 0 && !within(q.maxWait.seconds, 10, 3600)) out.maxWaitSeconds = 'out_of_range';
  prompt(q.maxWait.promptId, 'maxWaitPromptId');
  if (!within(q.maxWait.keySeconds, 3, 30)) out.maxWaitKeySeconds = 'out_of_range';
  if (!within(q.overflow.waiting, 0, 10_000)) out.overflowWaiting = 'out_of_range';
  if (q.overflow.waitSeconds !== 0 && !within(q.overflow.waitSeconds, 10, 3600))
    out.overflowWaitSeconds = 'out_of_range';
  const t = q.overflow.target;
  if ((q.overflow.waiting > 0 || q.overflow.waitSeconds > 0) && !t) out.overflowTarget = 'required';
  if (t?.kind === 'group') group(t.groupId, 'overflowTarget');
  if (t?.kind === 'prompt') prompt(t.promptId, 'overflowTarget');
  if (t?.kind === 'external' && !/^\+?\d{3,20}$/.test(t.number)) out.overflowTarget = 'invalid_phone';
  if (q.serveEarly && !q.queueVisible) out.serveEarly = 'needs_queue_visible';
  return out;
}

/** The prompts the settings play (kept as references so they cannot be deleted). */
export function queuePromptIds(q: QueueSettings): number[] {
  const ids = [
    q.holdPromptId,
    q.maxWait.promptId,
    q.overflow.target?.kind === 'prompt' ? q.overflow.target.promptId : null,
  ];
  return [...new Set(ids.filter((x): x is number => x !== null))];
}

/** The groups the settings send callers to (a group in use cannot be deleted). */
export function queueGroupIds(q: QueueSettings): number[] {
  const ids = [
    q.noAnswer.jumpGroupId,
    q.overflow.target?.kind === 'group' ? q.overflow.target.groupId : null,
  ];
  return [...new Set(ids.filter((x): x is number => x !== null))];
}
