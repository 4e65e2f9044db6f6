/**
 * A real Asterisk for a test: provisioned by pbx/provision.sh, its own instance directory
 * and configuration, free loopback ports, random secrets; stopped and removed by close().
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { AmiClient } from '../../cti/ami/client.ts';
import { staticConfig } from '../../pbx/config/static-files.ts';
import { prepareInstanceDirs, writeConfigFiles } from '../../pbx/instance.ts';
import { onHost, type PbxInstance } from '../../pbx/layout.ts';
import { AsteriskProcess } from '../../pbx/process.ts';
import { freeSipPort, freeTcpPort, freeUdpPort } from '../../pbx/ports.ts';
import { defaultPbxRoot, provisionPbx } from '../../pbx/provision.ts';

export { freeSipPort, freeTcpPort, freeUdpPort };

export interface TestPbx {
  instance: PbxInstance;
  process: AsteriskProcess;
  ami(): Promise<AmiClient>;
  close(): Promise<void>;
}

export async function startTestPbx(): Promise<TestPbx> {
  const runtime = await provisionPbx(defaultPbxRoot('test-output/data'));
  const rtpStart = 20000 + 200 * Math.floor(Math.random() * 90);
  const instance: PbxInstance = {
    runtime,
    dir: `/srv/callcenter/test-${process.pid}-${randomBytes(3).toString('hex')}`,
    sipBind: '127.0.0.1',
    ports: {
      sip: await freeUdpPort(),
      http: await freeTcpPort(),
      ami: await freeTcpPort(),
      rtpStart,
      rtpEnd: rtpStart + 199,
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
  writeConfigFiles(instance, staticConfig(instance));
  const proc = new AsteriskProcess(instance, { restart: { minDelayMs: 200, maxDelayMs: 2000 } });
  const clients: AmiClient[] = [];
  try {
    await proc.start();
  } catch (err) {
    await proc.stop();
    rmSync(onHost(instance), { recursive: true, force: true });
    throw err;
  }
  return {
    instance,
    process: proc,
    async ami() {
      const client = new AmiClient({
        host: '127.0.0.1',
        port: instance.ports.ami,
        username: instance.secrets.amiUser,
        secret: instance.secrets.amiSecret,
        reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
      });
      await client.connect();
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close();
      await proc.stop();
      // KEEP_PBX=1 keeps the instance (configuration and logs) for a look after a failed test.
      if (!process.env.KEEP_PBX) rmSync(onHost(instance), { recursive: true, force: true });
      else console.log(`PBX instance kept at ${onHost(instance)}`);
    },
  };
}
