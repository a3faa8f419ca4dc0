import type { AwayFrame } from '../protocol';
import type { Bus } from '../buses/bus';
import { foldName } from '../stores/store';
import { asBusEvent, PEOPLE_TOPIC, type PeopleEvent } from './busEvents';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Registry } from './registry';

/**
 * Who is away, with their messages, on every node: a person's status, not a
 * room's. Changes travel on the `people` topic; everyone online hears them
 * as presence `away` and `back`. The status ends with the person (offline),
 * follows a rename, and a node that starts late hears the statuses of the
 * people already online in answer to its roster question.
 */
export class AwayBook {
  /** Away messages by folded name, with the name as spelled. */
  private readonly away = new Map<string, { name: string; message: string }>();
  private unsubscribe?: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly delivery: Delivery,
    /** The canonical name of someone online on any node, or undefined: the people of a node that went silent go offline without an event here. */
    private readonly online: (name: string) => string | undefined,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.subscribe(PEOPLE_TOPIC, (e, from) => this.onPeople(e as unknown as PeopleEvent, from));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** `{"type":"away","message":...}` marks its sender away; without a message (or with an empty one), back. */
  set(conn: Connection, f: AwayFrame): void {
    const message = f.message === '' ? undefined : f.message;
    this.bus.publish(PEOPLE_TOPIC, asBusEvent({ kind: 'away', name: conn.session.name, ...(message !== undefined && { message }) }));
  }

  /** A person's away message, or undefined when they are not away. */
  of(name: string): string | undefined {
    if (this.online(name) === undefined) return undefined;
    return this.away.get(foldName(name))?.message;
  }

  /** Everyone away now, for a welcome; undefined when nobody is. */
  snapshot(): Record<string, string> | undefined {
    const now = [...this.away.values()].filter((a) => this.online(a.name) !== undefined);
    if (now.length === 0) return undefined;
    return Object.fromEntries(now.map((a) => [a.name, a.message]));
  }

  private onPeople(e: PeopleEvent, from: string): void {
    switch (e.kind) {
      case 'away': {
        const key = foldName(e.name);
        const had = this.away.get(key)?.message;
        if (had === e.message) return; // a repeat (an answer to a roster question) tells nobody anything
        if (e.message === undefined) this.away.delete(key);
        else this.away.set(key, { name: e.name, message: e.message });
        return this.delivery.toEveryone({ type: 'presence', ...(e.message === undefined ? { event: 'back' } : { event: 'away', message: e.message }), name: e.name });
      }
      case 'offline':
        this.away.delete(foldName(e.name));
        return;
      case 'rename': {
        const a = this.away.get(foldName(e.from));
        if (!a) return;
        this.away.delete(foldName(e.from));
        this.away.set(foldName(e.name), { name: e.name, message: a.message });
        return;
      }
      case 'roster?':
        // Answered with the roster: by every node, or only by the one asked.
        if (from === this.bus.nodeId || (e.node !== undefined && e.node !== this.bus.nodeId)) return;
        for (const conn of this.registry.everyone()) {
          const message = this.of(conn.session.name);
          if (message !== undefined) this.bus.publish(PEOPLE_TOPIC, asBusEvent({ kind: 'away', name: conn.session.name, message }));
        }
        return;
      default:
        return;
    }
  }
}
