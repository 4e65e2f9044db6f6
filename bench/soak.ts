/**
 * The long randomized soak of the call engine (issue 1/8): the same harness as
 * test/telephony/soak.test.ts (test/support/soak.ts) — SIPp callers through hotline → IVR →
 * queue → three baresip agents with the survey, callers hanging up at random moments, agents
 * answering, rejecting, ringing out, hanging up, transferring and conferencing at random, the
 * application restarted once in the middle — for minutes instead of seconds, against a real
 * Asterisk on loopback. It prints, per seed, the calls placed and recorded, how often the
 * invariant checker ran and what it found, and the agents left stuck, and appends them to
 * bench/results/soak.txt. Exits non-zero when anything was found.
 *
 *   node --import tsx bench/soak.ts      (as root: it starts Asterisk in its chroot)
 *   SOAK_SEEDS=1,2,3 SOAK_SECONDS=300 SOAK_CONCURRENCY=16 node --import tsx bench/soak.ts
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { callCenter } from '../test/support/call-center.ts';
import { runSoak, type SoakResult, soakFloor } from '../test/support/soak.ts';

const seeds = (process.env.SOAK_SEEDS ?? '20261203').split(',').map(Number);
const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 16);

function line(r: SoakResult): string {
  return [
    `seed ${r.seed}`,
    `${r.seconds} s`,
    `placed ${r.placed}`,
    `records ${r.records}`,
    `incomplete ${r.incomplete.length}`,
    `checks ${r.checks}`,
    `violations ${r.violations.length}`,
    `stuck agents ${r.stuckAgents.length}`,
  ].join(' · ');
}

const results: SoakResult[] = [];
for (const seed of seeds) {
  const cc = await callCenter();
  try {
    const floor = await soakFloor(cc, concurrency);
    const result = await runSoak(cc, floor, {
      seed,
      calls: 100_000,
      concurrency,
      seconds,
      restartAfter: 100,
      log: (l) => console.log(`[soak ${seed}] ${l}`),
    });
    results.push(result);
    console.log(line(result));
    console.log(`  callers: ${JSON.stringify(result.callers)}`);
    console.log(`  agents: ${JSON.stringify(result.agents)}`);
    console.log(`  records: ${JSON.stringify(result.dispositions)}`);
    for (const v of result.violations) console.log(`  violation: ${v.kind} ${v.subject} ${v.detail}`);
    for (const s of result.stuckAgents) console.log(`  stuck: ${s}`);
  } finally {
    await cc.close();
  }
}

mkdirSync('bench/results', { recursive: true });
appendFileSync(
  'bench/results/soak.txt',
  [
    `# ${new Date().toISOString()} — ${seconds} s of calls per seed, ${concurrency} callers at once, 3 agents, one application restart`,
    ...results.flatMap((r) => [
      line(r),
      `  callers ${JSON.stringify(r.callers)}`,
      `  agents ${JSON.stringify(r.agents)}`,
      `  records ${JSON.stringify(r.dispositions)}`,
    ]),
    '',
  ].join('\n'),
);
const bad = results.some(
  (r) =>
    r.violations.length > 0 || r.stuckAgents.length > 0 || r.incomplete.length > 0 || r.records !== r.placed,
);
process.exit(bad ? 1 : 0);
