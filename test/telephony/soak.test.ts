/**
 * The randomized soak (short version, about 70 s of calls): SIPp callers through hotline → IVR
 * → queue → baresip agents with the survey, hanging up at random moments, agents answering,
 * rejecting, ringing out, hanging up, transferring and conferencing at random. Afterwards the
 * invariant checker found nothing during or after the run, every call SIPp placed has one
 * complete record, and every agent is ready and free. `SOAK_SEED` reproduces a run; the long
 * version is bench/soak.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { logged } from '../support/assert.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { runSoak, type SoakFloor, soakFloor } from '../support/soak.ts';

const test = suite('soak');
let cc: CallCenter;
let floor: SoakFloor;
const seed = Number(process.env.SOAK_SEED ?? 20261203);

test.before(
  logged(async () => {
    cc = await callCenter();
    floor = await soakFloor(cc, 12);
  }),
);
test.after(async () => {
  await cc?.close();
});

test(`callers and agents leaving at random moments leave no agent stuck and every call recorded (seed ${seed})`, async () => {
  const result = await runSoak(cc, floor, {
    seed,
    calls: 200,
    concurrency: 12,
    seconds: Number(process.env.SOAK_SECONDS ?? 70),
    restartAfter: 25,
    log: (l) => console.log(`[soak] ${l}`),
  });
  console.log(`[soak] ${JSON.stringify(result)}`);
  assert.ok(result.placed >= 30, `placed ${result.placed} calls`);
  assert.equal(result.violations, [], 'the invariant checker found nothing');
  assert.equal(result.incomplete, [], 'every record is complete');
  assert.is(result.records, result.placed, 'one record per call placed');
  assert.equal(result.stuckAgents, [], 'every agent is ready and free at the end');
});

test.run();
