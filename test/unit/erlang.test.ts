/** Erlang C against published figures and hand-worked cases. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { agentsNeeded, waitProbability, withAgents } from '../../cti/stats/erlang.ts';

const test = suite('erlang');
const near = (actual: number, expected: number, within: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= within,
    `${what}: ${actual} is not within ${within} of ${expected}`,
  );

test('the probability of waiting matches Erlang C by its closed form', () => {
  // C(2, 1) = (1²/2! · 2/(2−1)) / (1 + 1 + 1²/2! · 2) = 1/3.
  near(waitProbability(2, 1), 1 / 3, 1e-12, 'C(2,1)');
  // One agent: C(1, A) = A.
  near(waitProbability(1, 0.6), 0.6, 1e-12, 'C(1,0.6)');
  assert.is(waitProbability(3, 3), 1, 'no fewer agents than erlangs: everyone waits');
  assert.is(waitProbability(5, 0), 0);
});

test('the textbook case: 360 calls per hour of 240 s at 80/20 need 29 agents', () => {
  // 360 × 240 ÷ 3600 = 24 erlangs; the standard tables give 29 agents; service level 84.03 %,
  // ASA 11.63 s by the closed form with factorials.
  const r = agentsNeeded({
    offered: 360,
    ahtSeconds: 240,
    intervalSeconds: 3600,
    targetServiceLevel: 0.8,
    thresholdSeconds: 20,
  });
  near(r.trafficErlangs, 24, 1e-9, 'traffic');
  assert.is(r.agents, 29);
  near(r.serviceLevel, 0.8403, 1e-4, 'service level');
  near(r.asaSeconds, 11.63, 0.01, 'ASA');
  near(r.occupancy, 24 / 29, 1e-9, 'occupancy');
  const fewer = withAgents(28, 24, 240, 20);
  assert.ok(fewer.serviceLevel < 0.8, 'one agent fewer misses the target');
});

test('shrinkage raises the agents to schedule; an empty interval needs nobody', () => {
  const r = agentsNeeded({
    offered: 360,
    ahtSeconds: 240,
    intervalSeconds: 3600,
    targetServiceLevel: 0.8,
    thresholdSeconds: 20,
    shrinkage: 0.3,
  });
  assert.is(r.scheduled, Math.ceil(29 / 0.7));
  const none = agentsNeeded({
    offered: 0,
    ahtSeconds: 200,
    intervalSeconds: 900,
    targetServiceLevel: 0.8,
    thresholdSeconds: 20,
  });
  assert.is(none.agents, 0);
  assert.is(none.scheduled, 0);
});

test('a 15-minute interval: 40 calls of 180 s at 90/15', () => {
  // 40 × 180 ÷ 900 = 8 erlangs; the closed form gives 12 agents 89.98 %, 13 agents 94.99 %.
  const r = agentsNeeded({
    offered: 40,
    ahtSeconds: 180,
    intervalSeconds: 900,
    targetServiceLevel: 0.9,
    thresholdSeconds: 15,
  });
  near(r.trafficErlangs, 8, 1e-9, 'traffic');
  assert.is(r.agents, 13);
  near(r.serviceLevel, 0.9499, 1e-5, 'service level');
  near(withAgents(12, 8, 180, 15).serviceLevel, 0.8998, 1e-5, 'one fewer');
  near(r.asaSeconds, 2.736, 1e-3, 'ASA');
});

test.run();
