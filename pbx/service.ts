/**
 * The PBX as the application sees it: in `managed` mode it provisions Asterisk, keeps the
 * instance's ports and secrets in the data directory, renders the configuration, starts and
 * supervises the process, connects AMI, and re-applies configuration when the directory
 * changes; in `external` mode it only connects. Once up it hands the CTI a connection
 * (`connection()`: ARI address and credentials, AMI, recordings and prompts as Asterisk sees
 * them); main.ts starts the CTI with it. Failures are kept in the status (shown on the PBX
 * status page) instead of stopping the web application.
 */
import { logOf } from '../core/ops/log.ts';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Settings } from '../config/settings.ts';
import type { DomainEvents } from '../core/events.ts';
import { AmiClient } from '../cti/ami/client.ts';
import { stasisApp } from '../cti/asterisk.ts';
import type { PbxConnection } from '../cti/service.ts';
import { RegistrationTracker } from './registrations.ts';
import { SipGuard } from './sip-guard.ts';
import { blockAddress, nextExpiry } from './sip-blocks.ts';
import { exemptAddresses, TrunkAddresses, trunkHosts } from './sip-trust.ts';
import type { Db } from '../db/client.ts';
import { PbxConfigurator } from './configurator.ts';
import { markInstance, removeOrphanInstances, rotateLogs } from './housekeeping.ts';
import { letAsteriskThrough, prepareInstanceDirs } from './instance.ts';

import {
  defaultExternalSpoolIn,
  inside,
  onHost,
  type PbxInstance,
  type PbxPorts,
  type PbxSecrets,
  pbxInstanceFileIn,
} from './layout.ts';
import { AsteriskProcess, type PbxHealth } from './process.ts';
import { defaultPbxRoot, provisionPbx } from './provision.ts';
import { freeTcpPort } from './ports.ts';
import { ensureSystemPrompts } from '../cti/media/system-prompts.ts';
import { promptStoreIn } from '../cti/media/prompts.ts';
import { promptsDirInside } from './prompt-sync.ts';

/** Asterisk's logs are rotated past this size (one older file kept). */
const logRotateBytes = 10 * 1024 * 1024;

export interface PbxStatus {
  mode: Settings['pbx']['mode'];
  state: 'off' | 'provisioning' | 'starting' | 'up' | 'down' | 'failed';
  error: string | null;
  process: PbxHealth | null;
  amiConnected: boolean;
  sip: string | null;
  runtime: string | null;
}

interface StoredInstance {
  ports: Pick<PbxPorts, 'http' | 'ami'>;
  secrets: PbxSecrets;
}

export class PbxService {
  private process: AsteriskProcess | null = null;
  private amiClient: AmiClient | null = null;
  private connected: PbxConnection | null = null;
  private tracker: RegistrationTracker | null = null;
  private configurator: PbxConfigurator | null = null;
  private instance: PbxInstance | null = null;
  private state: PbxStatus['state'];
  private error: string | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private guard: SipGuard | null = null;
  /** Rotates Asterisk's logs every ten minutes. */
  private housekeeping: NodeJS.Timeout | null = null;
  /** Applies the configuration again when the next SIP block runs out. */
  private expiry: NodeJS.Timeout | null = null;
  /** The trunks' addresses (host names resolved), which the SIP guard never blocks. */
  private readonly trunkAddresses: TrunkAddresses;

  constructor(
    private readonly db: Db,
    private readonly settings: Settings,
    private readonly events: DomainEvents,
    private readonly log: (line: string) => void = logOf('pbx').line,
  ) {
    this.state = settings.pbx.mode === 'off' ? 'off' : 'starting';
    this.trunkAddresses = new TrunkAddresses(() => trunkHosts(db));
    events.on('event', () => {
      this.scheduleApply();
    });
  }

  status(): PbxStatus {
    return {
      mode: this.settings.pbx.mode,
      state: this.state,
      error: this.error,
      process: this.process?.health() ?? null,
      amiConnected: this.amiClient?.connected ?? false,
      sip: this.instance ? `${this.instance.sipBind}:${this.instance.ports.sip}` : null,
      runtime: this.instance ? `${this.instance.runtime.mode} ${this.instance.runtime.root}` : null,
    };
  }

  ami(): AmiClient | null {
    return this.amiClient;
  }

  registrations(): RegistrationTracker | null {
    return this.tracker;
  }

  /** What the CTI connects with, once the PBX is up (null before, or without telephony). */
  connection(): PbxConnection | null {
    return this.connected;
  }

  /** Brings the PBX up; never throws (the error is kept in the status). */
  async start(): Promise<void> {
    if (this.settings.pbx.mode === 'off') return;
    try {
      if (this.settings.pbx.mode === 'external') await this.connectExternal();
      else await this.startManaged();
    } catch (err) {
      this.state = 'failed';
      this.error = err instanceof Error ? err.message : String(err);
      this.log(`failed: ${this.error}`);
    }
  }

  private async startManaged() {
    const { settings } = this;
    this.state = 'provisioning';
    const runtime = await provisionPbx(settings.pbx.root || defaultPbxRoot(settings.dataDir));
    const stored = await this.storedInstance();
    const name = `main-${createHash('sha256').update(settings.dataDir).digest('hex').slice(0, 8)}`;
    this.instance = {
      runtime,
      dir: runtime.mode === 'chroot' ? `/srv/callcenter/${name}` : join(settings.dataDir, 'pbx', 'asterisk'),
      sipBind: settings.pbx.sipBind,
      ports: {
        ...stored.ports,
        sip: settings.pbx.sipPort,
        rtpStart: settings.pbx.rtpStart,
        rtpEnd: settings.pbx.rtpEnd,
      },
      secrets: stored.secrets,
      app: stasisApp,
    };
    prepareInstanceDirs(this.instance);
    letAsteriskThrough(this.instance, [settings.dataDir, join(settings.dataDir, 'pbx')]);
    markInstance(this.instance, settings.dataDir);
    for (const folder of removeOrphanInstances(this.instance))
      this.log(`removed ${folder}: an instance of a data directory that no longer exists`);
    const instance = this.instance;
    const rotate = () => {
      for (const name of rotateLogs(instance, logRotateBytes)) this.log(`Asterisk's ${name} rotated`);
    };
    rotate();
    this.housekeeping = setInterval(rotate, 10 * 60_000);
    this.housekeeping.unref();
    const library = promptStoreIn(settings.dataDir, settings.prompts).dir;
    await ensureSystemPrompts(library).catch((err: Error) => this.log(`system prompts: ${err.message}`));
    this.configurator = new PbxConfigurator(this.db, this.instance, () => this.amiClient, library);
    await this.configurator.render();
    this.state = 'starting';
    this.process = new AsteriskProcess(this.instance, { restart: { minDelayMs: 1000, maxDelayMs: 30_000 } });
    this.process.on('log', (line) => this.log(line));
    this.process.on('state', (h) => {
      this.state = h.state === 'up' ? 'up' : h.state === 'starting' ? 'starting' : 'down';
      this.log(
        `Asterisk ${h.state}${h.lastExit && h.state === 'down' ? ` (exit ${h.lastExit.code ?? h.lastExit.signal})` : ''}`,
      );
    });
    await this.process.start();
    this.log(
      `${this.process.health().version} running (${runtime.mode}), SIP on ${this.instance.sipBind}:${this.instance.ports.sip}`,
    );
    await this.connectAmi('127.0.0.1', stored.ports.ami, stored.secrets.amiUser, stored.secrets.amiSecret);
    this.connected = {
      ari: {
        baseUrl: `http://127.0.0.1:${stored.ports.http}/ari`,
        username: stored.secrets.ariUser,
        password: stored.secrets.ariPassword,
      },
      ami: () => this.amiClient,
      recordings: {
        inside: inside(this.instance, 'recordings'),
        onHost: onHost(this.instance, 'recordings'),
      },
      promptsInside: promptsDirInside(this.instance),
      holdPromptClasses: true,
    };
    this.state = 'up';
  }

  private async connectExternal() {
    const ext = this.settings.pbx.external;
    if (!ext.amiUser || !ext.amiSecret)
      throw new Error(
        'PBX_MODE=external needs AMI_USER and AMI_SECRET (and ARI_URL, ARI_USER, ARI_PASSWORD)',
      );
    await this.connectAmi(ext.amiHost, ext.amiPort, ext.amiUser, ext.amiSecret);
    // With an external Asterisk, its recordings directory must be visible here at the same path.
    const spool = ext.recordingsDir || defaultExternalSpoolIn(this.settings.dataDir);
    this.connected = {
      ari: { baseUrl: ext.ariUrl, username: ext.ariUser, password: ext.ariPassword },
      ami: () => this.amiClient,
      recordings: { inside: spool, onHost: spool },
      promptsInside: promptStoreIn(this.settings.dataDir, this.settings.prompts).dir,
      holdPromptClasses: false,
    };
    this.state = 'up';
  }

  private async connectAmi(host: string, port: number, username: string, secret: string) {
    const ami = new AmiClient({
      host,
      port,
      username,
      secret,
      reconnect: { minDelayMs: 500, maxDelayMs: 10_000 },
    });
    this.amiClient = ami;
    this.tracker = new RegistrationTracker(ami);
    const { security } = this.settings;
    this.guard = new SipGuard(
      ami,
      {
        failures: security.sipBlockFailures,
        windowSeconds: security.sipBlockWindowSeconds,
        minutes: security.sipBlockMinutes,
      },
      {
        trusted: () => exemptAddresses(this.trunkAddresses, this.tracker?.phoneAddresses() ?? []),
        block: async (b) => (await blockAddress(this.db, this.events, b)) !== null,
      },
      (line) => this.log(`sip guard: ${line}`),
    );
    ami.on('connected', () => this.scheduleApply());
    await ami.connect();
    await this.tracker.refresh();
  }

  /** Ports and secrets are chosen once and kept, so restarts keep the same ARI/AMI endpoints. */
  private async storedInstance(): Promise<StoredInstance> {
    const file = pbxInstanceFileIn(this.settings.dataDir);
    const dir = dirname(file);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StoredInstance;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const secret = () => randomBytes(18).toString('base64url');
    const stored: StoredInstance = {
      ports: { http: await freeTcpPort(), ami: await freeTcpPort() },
      secrets: { ariUser: 'callcenter', ariPassword: secret(), amiUser: 'callcenter', amiSecret: secret() },
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    return stored;
  }

  private scheduleApply() {
    if (!this.configurator) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.configurator
        ?.apply()
        .then((changed) => changed.length > 0 && this.log(`applied ${changed.join(', ')}`))
        .then(() => this.scheduleExpiry())
        .catch((err: Error) => this.log(`applying configuration failed: ${err.message}`));
    }, 200);
  }

  private async scheduleExpiry() {
    if (this.expiry) clearTimeout(this.expiry);
    const next = await nextExpiry(this.db);
    if (!next) return;
    // setTimeout holds at most ~24.8 days; a longer block is looked at again then.
    const delay = Math.min(Math.max(0, next.getTime() - Date.now()) + 500, 2 ** 31 - 1);
    this.expiry = setTimeout(() => this.scheduleApply(), delay);
    this.expiry.unref();
  }

  /** Applies the configuration now (tests and the status page's "apply" button). */
  async applyNow(): Promise<string[]> {
    return this.configurator ? this.configurator.apply() : [];
  }

  async stop(): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    if (this.expiry) clearTimeout(this.expiry);
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.guard?.stop();
    await this.amiClient?.close();
    await this.process?.stop();
  }
}
