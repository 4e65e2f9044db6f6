/**
 * What every domain call receives: the database, and who is asking from where. The web layer
 * builds it per request; tests build it directly.
 */
import type { Db } from '../db/client.ts';
import type { Actor } from './access/actor.ts';
import type { DomainEvents } from './events.ts';

export interface Origin {
  ip: string;
  userAgent: string;
}

export interface Ctx extends Origin {
  db: Db;
  actor: Actor;
  now?: () => Date;
  /** The call centre's time zone (IANA name, from the settings): where its days begin. */
  timeZone: string;
  /** Where the domain announces changes; absent in tests that do not listen. */
  events?: DomainEvents;
}

/** A call made before anyone is logged in (setup, login). */
export interface AnonymousCtx extends Origin {
  db: Db;
  events?: DomainEvents;
}
