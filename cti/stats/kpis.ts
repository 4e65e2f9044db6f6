/**
 * The key figures with the industry's definitions, computed from summed rollup measures; each
 * has a help text in the UI (`kpi.<key>.help`). One place for each formula:
 *
 * - offered: inbound calls that reached a queue or an agent (not those ended in the IVR);
 * - answered / answer rate: answered ÷ offered;
 * - abandoned: callers who hung up in the queue or while an agent's phone rang (IVR hang-ups are
 *   counted apart); short abandons: those who waited at most the short-abandon time;
 *   abandon rate: (abandoned − short) ÷ (offered − short);
 * - service level: answered within the threshold ÷ (offered − short abandons);
 * - ASA (average speed of answer): wait of answered calls ÷ answered; average wait: wait of all
 *   offered calls ÷ offered; longest wait: the longest single wait;
 * - AHT (average handle time): (talk + after-call work) ÷ answered, talk including holds;
 * - occupancy: time busy with calls (ringing, talking, wrap-up) ÷ (that + time ready);
 * - FCR (first-call resolution): answered calls whose caller did not call again within the
 *   window ÷ answered (the last window's calls are provisional);
 * - satisfaction rate: satisfied ratings ÷ ratings (1 is best; "satisfied" is 1 with two
 *   levels, 1–2 with three to five);
 * - outbound: attempts (customer dialled), connects, connect rate = connects ÷ attempts,
 *   effective calls (talked at least the effective-call time), talk time.
 */
export type Sums = Readonly<Record<string, number>>;
export type Unit = 'count' | 'percent' | 'duration' | 'time';

export interface Kpi {
  key: string;
  unit: Unit;
  value: (s: Sums) => number | null;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const n = (s: Sums, k: string) => s[k] ?? 0;

const count = (key: string, measure = key): Kpi => ({ key, unit: 'count', value: (s) => n(s, measure) });
const duration = (key: string, value: (s: Sums) => number | null): Kpi => ({ key, unit: 'duration', value });
const percent = (key: string, value: (s: Sums) => number | null): Kpi => ({ key, unit: 'percent', value });

/** Figures over the call rollups (stats_calls). */
export const callKpis: readonly Kpi[] = [
  count('calls'),
  count('offered'),
  count('answered'),
  percent('answer_rate', (s) => ratio(n(s, 'answered'), n(s, 'offered'))),
  count('abandoned'),
  count('abandoned_queue'),
  count('abandoned_ringing'),
  count('abandoned_ivr'),
  count('short_abandoned'),
  percent('abandon_rate', (s) =>
    ratio(n(s, 'abandoned') - n(s, 'short_abandoned'), n(s, 'offered') - n(s, 'short_abandoned')),
  ),
  count('unserved'),
  count('callbacks'),
  percent('service_level', (s) => ratio(n(s, 'answered_in_sl'), n(s, 'offered') - n(s, 'short_abandoned'))),
  duration('asa', (s) => ratio(n(s, 'answer_wait_sum'), n(s, 'answered'))),
  duration('avg_wait', (s) => ratio(n(s, 'wait_sum'), n(s, 'offered'))),
  duration('longest_wait', (s) => n(s, 'wait_max')),
  duration('aht', (s) => ratio(n(s, 'talk_sum') + n(s, 'wrap_sum'), n(s, 'answered'))),
  duration('avg_talk', (s) => ratio(n(s, 'talk_sum'), n(s, 'answered'))),
  duration('talk_time', (s) => n(s, 'talk_sum')),
  count('transfers'),
  count('conferences'),
  count('quick_hangups'),
  count('repeat_calls'),
  percent('fcr', (s) => ratio(n(s, 'answered') - n(s, 'fcr_repeated'), n(s, 'answered'))),
  count('rated'),
  percent('satisfaction_rate', (s) => ratio(n(s, 'satisfied'), n(s, 'rated'))),
  count('score_1'),
  count('score_2'),
  count('score_3'),
  count('score_4'),
  count('score_5'),
  count('out_attempts'),
  count('out_connects'),
  percent('connect_rate', (s) => ratio(n(s, 'out_connects'), n(s, 'out_attempts'))),
  count('out_no_answer'),
  count('out_effective'),
  percent('effective_rate', (s) => ratio(n(s, 'out_effective'), n(s, 'out_attempts'))),
  duration('out_talk', (s) => n(s, 'out_talk_sum')),
  duration('out_avg_talk', (s) => ratio(n(s, 'out_talk_sum'), n(s, 'out_connects'))),
];

/** Figures over an agent's part in calls (stats_agent_calls) and their time (stats_agent_time). */
export const agentKpis: readonly Kpi[] = [
  count('rang'),
  count('answered'),
  percent('answer_rate', (s) => ratio(n(s, 'answered'), n(s, 'answered') + n(s, 'no_answer'))),
  count('no_answer'),
  duration('talk_time', (s) => n(s, 'talk_sum')),
  duration('avg_talk', (s) => ratio(n(s, 'talk_sum'), n(s, 'answered'))),
  duration('aht', (s) => ratio(n(s, 'talk_sum') + n(s, 'wrap_sum'), n(s, 'answered'))),
  duration('hold_time', (s) => n(s, 'hold_sum')),
  duration('wrap_time', (s) => n(s, 'wrap_sum')),
  count('transfers'),
  count('conferences'),
  count('quick_hangups'),
  count('rated'),
  percent('satisfaction_rate', (s) => ratio(n(s, 'satisfied'), n(s, 'rated'))),
  count('score_1'),
  count('score_2'),
  count('score_3'),
  count('score_4'),
  count('score_5'),
  count('out_attempts'),
  count('out_connects'),
  percent('connect_rate', (s) => ratio(n(s, 'out_connects'), n(s, 'out_attempts'))),
  count('out_no_answer'),
  count('out_effective'),
  percent('effective_rate', (s) => ratio(n(s, 'out_effective'), n(s, 'out_attempts'))),
  duration('out_talk', (s) => n(s, 'out_talk_sum')),
  duration('out_avg_talk', (s) => ratio(n(s, 'out_talk_sum'), n(s, 'out_connects'))),
  duration('online', (s) => n(s, 'time_online')),
  duration('ready_time', (s) => n(s, 'time_ready')),
  duration('break_time', (s) => n(s, 'time_break')),
  duration('on_call_time', (s) => n(s, 'time_on_call')),
  percent('occupancy', (s) => {
    const busy = n(s, 'time_ringing') + n(s, 'time_on_call') + n(s, 'time_wrap_up');
    return ratio(busy, busy + n(s, 'time_ready'));
  }),
];

export function kpi(list: readonly Kpi[], key: string): Kpi {
  const k = list.find((x) => x.key === key);
  if (!k) throw new Error(`no figure ${key}`);
  return k;
}
