/**
 * Where one Asterisk instance keeps its files. Asterisk may run in a chroot, so every path
 * exists twice: as Asterisk sees it (`inside`) and as this process sees it (`onHost`).
 */
import { join } from 'node:path';

export interface PbxRuntime {
  /** `host`: the system's own Asterisk; `chroot`: the Debian sid tree built by pbx/provision.sh. */
  mode: 'host' | 'chroot';
  /** The tree's root ('/' in host mode). */
  root: string;
}

export interface PbxPorts {
  sip: number;
  http: number;
  ami: number;
  rtpStart: number;
  rtpEnd: number;
}

export interface PbxSecrets {
  ariUser: string;
  ariPassword: string;
  amiUser: string;
  amiSecret: string;
}

export interface PbxInstance {
  runtime: PbxRuntime;
  /** The instance directory as Asterisk sees it, e.g. /srv/callcenter/main. */
  dir: string;
  /** Address SIP and RTP bind to (127.0.0.1 in tests, 0.0.0.0 in production). */
  sipBind: string;
  ports: PbxPorts;
  secrets: PbxSecrets;
  /** The Stasis application every call enters. */
  app: string;
}

export const instanceDirs = [
  'etc',
  'run',
  'spool',
  'log',
  'lib',
  'lib/keys',
  'cache',
  'recordings',
  'sounds',
] as const;

/** The instance's ports and secrets, chosen at first start and kept (`data/pbx/instance.json`). */
export const pbxInstanceFileIn = (dataDir: string) => join(dataDir, 'pbx', 'instance.json');

/** Where an external Asterisk writes calls being recorded when `PBX_RECORDINGS_DIR` is not set. */
export const defaultExternalSpoolIn = (dataDir: string) => join(dataDir, 'recordings', 'spool');

/** A path of the instance as Asterisk sees it. */
export function inside(instance: PbxInstance, ...parts: string[]): string {
  return join(instance.dir, ...parts);
}

/** The same path as this process sees it. */
export function onHost(instance: PbxInstance, ...parts: string[]): string {
  return join(instance.runtime.root, instance.dir, ...parts);
}
