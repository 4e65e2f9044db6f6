/**
 * The baseline: the same flow done by Asterisk alone, in a second bench instance. Its
 * pjsip.conf is the product's own rendering (pbx/config/pjsip.ts) of the same agents and the
 * same carrier trunk, so both PBXs speak SIP to the phones and the carrier identically; the
 * dialplan replaces the CTI:
 *
 *   from-trunk → Answer, Background(the same menu prompt), WaitExten(5); key 1 →
 *   MixMonitor (mixed file + one per party, as the product's recorder) → Queue(bench)
 *
 * with queues.conf `strategy = leastrecent` (the product's longest idle), the bench agents as
 * static members, the same ring time, wrapuptime 0, ringinuse no, and no announcements.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { staticConfig } from '../../pbx/config/static-files.ts';
import { writeConfigFiles } from '../../pbx/instance.ts';
import { inside, onHost, type PbxInstance } from '../../pbx/layout.ts';
import type { SystemUnderTest } from './ours.ts';
import { type BenchPbx, benchInstance, startBenchPbx } from './pbx.ts';
import type { AgentAccountLine } from './scenarios.ts';

export interface BaselineOptions {
  rtpSlot: number;
  did: string;
  carrierPort: number;
  /** The product's pjsip.conf rendered for the baseline's instance (same agents, same trunk). */
  pjsip: (instance: PbxInstance) => Promise<string>;
  /** The bench agents (queue members, in the order they were created). */
  accounts: AgentAccountLine[];
  ringSeconds: number;
  promptWav: string;
  promptSln16: string;
}

export function baselineFiles(
  instance: PbxInstance,
  members: readonly string[],
  ringSeconds: number,
): Record<string, string> {
  const prompt = inside(instance, 'sounds', 'prompts', 'menu');
  const rec = inside(instance, 'recordings');
  const file = (party: string) => `${rec}/\${UNIQUEID}${party}.wav`;
  return {
    'extensions.conf': `; The ACD load benchmark's baseline: IVR and queue in the dialplan.
[general]
static = yes
writeprotect = yes

[from-trunk]
exten => _X.,1,NoOp(inbound \${EXTEN})
 same => n,Goto(bench-ivr,s,1)

; Only s, 1, i and t here: key 1 matches at once (no waiting for more digits).
[bench-ivr]
exten => s,1,Answer()
 same => n,Set(CHANNEL(language)=en)
 same => n(menu),Background(${prompt})
 same => n,WaitExten(5)
 same => n,Hangup()
exten => 1,1,MixMonitor(${file('')},r(${file('-caller')})t(${file('-agent')}))
 same => n,Queue(bench,,,,600)
 same => n,Hangup()
exten => i,1,Goto(s,menu)
exten => t,1,Hangup()

[from-agents]
exten => _X.,1,Hangup()
`,
    'queues.conf': `; The ACD load benchmark's baseline queue.
[general]
persistentmembers = no
shared_lastcall = no

[bench]
strategy = leastrecent
timeout = ${ringSeconds}
retry = 1
wrapuptime = 0
ringinuse = no
autofill = yes
joinempty = yes
leavewhenempty = no
announce-frequency = 0
periodic-announce-frequency = 0
announce-position = no
announce-holdtime = no
reportholdtime = no
musicclass = default
${members.map((m) => `member => PJSIP/${m}`).join('\n')}
`,
  };
}

export async function startBaseline(o: BaselineOptions): Promise<SystemUnderTest & { pbx: BenchPbx }> {
  const instance = await benchInstance('baseline', o.rtpSlot);
  mkdirSync(onHost(instance, 'sounds', 'prompts'), { recursive: true });
  copyFileSync(o.promptWav, onHost(instance, 'sounds', 'prompts', 'menu.wav'));
  copyFileSync(o.promptSln16, onHost(instance, 'sounds', 'prompts', 'menu.sln16'));
  writeConfigFiles(instance, {
    ...staticConfig(instance),
    'pjsip.conf': await o.pjsip(instance),
    ...baselineFiles(
      instance,
      o.accounts.map((a) => a.username),
      o.ringSeconds,
    ),
  });
  const pbx = await startBenchPbx(instance);
  const channels = async () => {
    const out = await pbx.ami.command('core show channels count');
    return Number(/(\d+) active channels?/.exec(out)?.[1] ?? Number.NaN);
  };
  return {
    label: 'baseline',
    pbx,
    did: o.did,
    carrierPort: o.carrierPort,
    accounts: o.accounts,
    idle: async () => (await channels()) === 0,
    close: () => pbx.close(),
  };
}
