/**
 * The contact centre at work, as the application holds it. The PBX hands over a connection (the
 * ARI address and credentials, the AMI client, where recordings and prompts are as Asterisk sees
 * them); from it this service builds the ARI client and the call engine — with the ACD, the desk
 * controls, monitoring and the invariant checker — and starts them. The web reaches calls
 * through `calls()`; main.ts is what wires the two.
 */
import { logOf } from '../core/ops/log.ts';
import type { Settings } from '../config/settings.ts';
import type { DomainEvents } from '../core/events.ts';
import type { Db } from '../db/client.ts';
import type { AmiClient } from './ami/client.ts';
import { AriClient } from './ari/client.ts';
import { stasisApp } from './asterisk.ts';
import { CallEngine } from './calls/engine.ts';
import { recordingStoreIn } from './calls/recorder.ts';
import { loadRegions, type RegionTable, regionOf } from './lines/regions.ts';

/** What the PBX hands the CTI once Asterisk is up (a port: pbx/service.ts fills it). */
export interface PbxConnection {
  ari: { baseUrl: string; username: string; password: string };
  ami: () => AmiClient | null;
  /** The recordings spool as Asterisk writes it and as this host reads it. */
  recordings: { inside: string; onHost: string };
  /** Where prompt files are as Asterisk sees them. */
  promptsInside: string;
  /** Whether musiconhold.conf has a class per hold prompt (a PBX the product configures). */
  holdPromptClasses: boolean;
}

export class CtiService {
  private ari: AriClient | null = null;
  private engine: CallEngine | null = null;
  private readonly regions: RegionTable;

  constructor(
    private readonly db: Db,
    private readonly settings: Pick<Settings, 'dataDir' | 'timeZone'> &
      Partial<Pick<Settings, 'eventLogBound'>>,
    private readonly events: DomainEvents,
    private readonly log: (line: string) => void = logOf('cti').line,
  ) {
    this.regions = loadRegions(settings.dataDir);
  }

  private readonly engineListeners: ((engine: CallEngine) => void)[] = [];

  /** The call engine, once connected (null without telephony or before the PBX is up). */
  calls(): CallEngine | null {
    return this.engine;
  }

  /** Calls `listener` with the engine once it is connected (at once if it is). */
  onEngine(listener: (engine: CallEngine) => void): void {
    this.engineListeners.push(listener);
    if (this.engine) listener(this.engine);
  }

  /** Connects to the PBX and starts handling calls. */
  async start(pbx: PbxConnection): Promise<void> {
    const ari = new AriClient({
      ...pbx.ari,
      app: stasisApp,
      reconnect: { minDelayMs: 500, maxDelayMs: 10_000 },
    });
    this.ari = ari;
    const engine = new CallEngine({
      db: this.db,
      ari,
      ami: pbx.ami,
      app: stasisApp,
      recordings: { ...pbx.recordings, store: recordingStoreIn(this.settings.dataDir) },
      prompts: { inside: pbx.promptsInside },
      regionOf: (n) => regionOf(this.regions, n),
      holdPromptClasses: pbx.holdPromptClasses,
      events: this.events,
      log: this.log,
      timeZone: this.settings.timeZone,
      eventLogBound: this.settings.eventLogBound,
    });
    for (const listener of this.engineListeners) listener(engine);
    await engine.start();
    this.engine = engine;
    this.log('ready: the call engine handles calls');
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    await this.ari?.close();
    this.engine = null;
    this.ari = null;
  }
}
