/**
 * Erlang C (the staffing calculator, 排班测算): how many agents an interval needs so that a target
 * share of calls is answered within a threshold, from the interval's offered calls and average
 * handle time (AHT). Calls are assumed to arrive at random (Poisson) and to wait rather than
 * hang up, the usual planning assumption; real abandons make the figure slightly pessimistic.
 *
 * - traffic A (erlangs) = offered × AHT ÷ interval length;
 * - probability of waiting C(N, A), from Erlang B by its stable recursion
 *   B(0) = 1, B(n) = A·B(n−1) ÷ (n + A·B(n−1)), then C = N·B ÷ (N − A·(1 − B));
 * - service level = 1 − C · e^(−(N − A) · threshold ÷ AHT);
 * - ASA = C · AHT ÷ (N − A); occupancy = A ÷ N.
 */
export interface ErlangInput {
  /** Calls offered in the interval. */
  offered: number;
  /** Average handle time, seconds. */
  ahtSeconds: number;
  intervalSeconds: number;
  /** 0–1, e.g. 0.8 for 80 %. */
  targetServiceLevel: number;
  thresholdSeconds: number;
  /** 0–1: share of paid time agents are not available (breaks, training); 0 for none. */
  shrinkage?: number;
}

export interface ErlangResult {
  trafficErlangs: number;
  /** Agents on the phones the target needs. */
  agents: number;
  /** Agents to schedule once shrinkage is allowed for. */
  scheduled: number;
  serviceLevel: number;
  waitProbability: number;
  asaSeconds: number;
  occupancy: number;
}

/** Erlang C's probability that a call waits, with N agents and A erlangs (1 when N ≤ A). */
export function waitProbability(agents: number, traffic: number): number {
  if (traffic <= 0) return 0;
  if (agents <= traffic) return 1;
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (traffic * b) / (n + traffic * b);
  return (agents * b) / (agents - traffic * (1 - b));
}

/** The figures N agents give for A erlangs. */
export function withAgents(
  agents: number,
  traffic: number,
  ahtSeconds: number,
  thresholdSeconds: number,
): Omit<ErlangResult, 'agents' | 'scheduled'> {
  const c = waitProbability(agents, traffic);
  const stable = agents > traffic;
  return {
    trafficErlangs: traffic,
    waitProbability: c,
    serviceLevel: stable ? 1 - c * Math.exp((-(agents - traffic) * thresholdSeconds) / ahtSeconds) : 0,
    asaSeconds: stable ? (c * ahtSeconds) / (agents - traffic) : Number.POSITIVE_INFINITY,
    occupancy: agents > 0 ? Math.min(1, traffic / agents) : 1,
  };
}

/** The fewest agents that reach the target service level. */
export function agentsNeeded(input: ErlangInput): ErlangResult {
  const { offered, ahtSeconds, intervalSeconds, targetServiceLevel, thresholdSeconds } = input;
  const shrinkage = Math.min(0.95, Math.max(0, input.shrinkage ?? 0));
  if (!(offered > 0) || !(ahtSeconds > 0) || !(intervalSeconds > 0))
    return {
      trafficErlangs: 0,
      agents: 0,
      scheduled: 0,
      serviceLevel: 1,
      waitProbability: 0,
      asaSeconds: 0,
      occupancy: 0,
    };
  const traffic = (offered * ahtSeconds) / intervalSeconds;
  const target = Math.min(0.9999, Math.max(0, targetServiceLevel));
  let agents = Math.max(1, Math.floor(traffic) + 1);
  let figures = withAgents(agents, traffic, ahtSeconds, thresholdSeconds);
  // Service level rises with every agent added; the loop ends well before the bound in practice.
  while (figures.serviceLevel < target && agents < traffic + 10_000) {
    agents++;
    figures = withAgents(agents, traffic, ahtSeconds, thresholdSeconds);
  }
  return { ...figures, agents, scheduled: Math.ceil(agents / (1 - shrinkage)) };
}
