/**
 * Domain events inside one process: the domain announces what changed, other parts (the PBX
 * configuration, live views) react. The domain never imports those parts.
 */
import { EventEmitter } from 'node:events';

export type DomainEvent =
  | { type: 'employees.changed'; userIds: number[] }
  | { type: 'roles.changed'; roleId: number }
  /** Trunks or numbers changed: the PBX configuration follows. */
  | { type: 'telephony.changed' }
  /** Agents' desk states changed (live views follow). */
  | { type: 'agents.changed'; userIds: number[] }
  /** Agent groups (members, queue settings) or region routing changed: the ACD reloads them. */
  | { type: 'groups.changed' };

export class DomainEvents extends EventEmitter<{ event: [DomainEvent] }> {
  publish(event: DomainEvent): void {
    this.emit('event', event);
  }
}
