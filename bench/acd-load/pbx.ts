/**
 * An Asterisk instance for the benchmark: like the tests' startTestPbx (pbx/provision.sh's tree,
 * its own instance directory, free loopback ports, random secrets), but with room for a few
 * hundred calls' RTP (the tests' instances have 200 ports, about 50 calls) and with the
 * configuration written by the caller before Asterisk starts. close() stops and removes it.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { AmiClient } from '../../cti/ami/client.ts';
import { prepareInstanceDirs } from '../../pbx/instance.ts';
import { onHost, type PbxInstance } from '../../pbx/layout.ts';
import { freeTcpPort, freeUdpPort } from '../../pbx/ports.ts';
import { AsteriskProcess } from '../../pbx/process.ts';
import { defaultPbxRoot, provisionPbx } from '../../pbx/provision.ts';

export interface BenchPbx {
  instance: PbxInstance;
  process: AsteriskProcess;
  ami: AmiClient;
  /** Asterisk's pid (for CPU accounting). */
  pid(): number | null;
  close(): Promise<void>;
}

/** Ports per instance: RTP and RTCP take two per call leg, two legs per call. */
const rtpPorts = 4000;

/** The instance's description and directories (no files yet). */
export async function benchInstance(name: string, slot: number): Promise<PbxInstance> {
  const runtime = await provisionPbx(defaultPbxRoot('test-output/data'));
  // Above the tests' range (20000-38000); two instances per run, a random pair of slots.
  const rtpStart = 40000 + rtpPorts * slot;
  const instance: PbxInstance = {
    runtime,
    dir: `/srv/callcenter/bench-${name}-${process.pid}-${randomBytes(3).toString('hex')}`,
    sipBind: '127.0.0.1',
    ports: {
      sip: await freeUdpPort(),
      http: await freeTcpPort(),
      ami: await freeTcpPort(),
      rtpStart,
      rtpEnd: rtpStart + rtpPorts - 1,
    },
    secrets: {
      ariUser: 'cc',
      ariPassword: randomBytes(12).toString('hex'),
      amiUser: 'cc',
      amiSecret: randomBytes(12).toString('hex'),
    },
    app: 'callcenter',
  };
  prepareInstanceDirs(instance);
  return instance;
}

/** Two free slots of RTP ports for this run (5 slots from 40000 to 60000). */
export function rtpSlots(): [number, number] {
  const first = Math.floor(Math.random() * 5);
  return [first, (first + 1 + Math.floor(Math.random() * 4)) % 5];
}

/** Starts Asterisk on an instance whose configuration files are written. */
export async function startBenchPbx(instance: PbxInstance): Promise<BenchPbx> {
  const proc = new AsteriskProcess(instance, { restart: false });
  const remove = () => {
    if (!process.env.KEEP_PBX) rmSync(onHost(instance), { recursive: true, force: true });
    else console.log(`PBX instance kept at ${onHost(instance)}`);
  };
  try {
    await proc.start();
  } catch (err) {
    await proc.stop();
    remove();
    throw err;
  }
  const ami = new AmiClient({
    host: '127.0.0.1',
    port: instance.ports.ami,
    username: instance.secrets.amiUser,
    secret: instance.secrets.amiSecret,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
    actionTimeoutMs: 10_000,
  });
  try {
    await ami.connect();
  } catch (err) {
    await proc.stop();
    remove();
    throw err;
  }
  return {
    instance,
    process: proc,
    ami,
    pid: () => proc.health().pid,
    async close() {
      await ami.close().catch(() => {});
      await proc.stop();
      remove();
    },
  };
}
