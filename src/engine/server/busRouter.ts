import type { Bus, BusEvent } from '../buses/bus';
import { asBusEvent, PEOPLE_TOPIC, personTopic, roomTopic, type PeopleEvent, type PersonEvent, type RosterEntry, type RoomEvent } from './busEvents';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Directory } from './directory';
import type { FileRelay } from './fileRelay';
import type { PresenceBatcher } from './presenceBatcher';
import type { Registry } from './registry';

/** What the router needs from the server. */
export interface BusRouterHost {
  /** This node's connection with a serial, while it is open. */
  local(id: number): Connection | undefined;
  /** Everyone this node holds, for a roster answer. */
  roster(): RosterEntry[];
  warn(message: string): void;
}

/**
 * The node's side of the Bus: publishes what happens here as events, keeps
 * this node subscribed to the topics its connections need (their rooms, their
 * own names, `people`), and turns every event that arrives, its own included,
 * into frames for the local connections concerned. With LocalBus the round
 * trip is a synchronous call, so a room message is still encoded once per
 * codec variant and appended once per room segment.
 */
export class BusRouter {
  private readonly subscriptions = new Map<string, () => void>();

  constructor(
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly files: FileRelay,
    private readonly presence: PresenceBatcher,
    private readonly host: BusRouterHost,
  ) {}

  /** Join the bus: listen to `people`, and once that is live, ask the other nodes who they hold. */
  async start(): Promise<void> {
    this.watch(PEOPLE_TOPIC, (e, from) => this.onPeople(e as unknown as PeopleEvent, from));
    await this.bus.settled();
    this.toPeople({ kind: 'roster?' });
  }

  /** Leave the bus (the node is closing). */
  stop(): void {
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }

  toRoom(room: string, e: RoomEvent): void {
    this.bus.publish(roomTopic(room), asBusEvent(e));
  }

  toPerson(name: string, e: PersonEvent): void {
    this.bus.publish(personTopic(name), asBusEvent(e));
  }

  toPeople(e: PeopleEvent): void {
    this.bus.publish(PEOPLE_TOPIC, asBusEvent(e));
  }

  /** A room got its first local member. */
  watchRoom(room: string): void {
    this.watch(roomTopic(room), (e, from) => this.onRoom(room, e as unknown as RoomEvent, from));
  }

  unwatchRoom(room: string): void {
    this.unwatch(roomTopic(room));
  }

  /** A person arrived here (or took a new name): their direct messages come to this node. */
  watchPerson(name: string): void {
    this.watch(personTopic(name), (e, from) => this.onPerson(name, e as unknown as PersonEvent, from));
  }

  unwatchPerson(name: string): void {
    this.unwatch(personTopic(name));
  }

  private watch(topic: string, listener: (e: BusEvent, from: string) => void): void {
    if (this.subscriptions.has(topic)) return;
    this.subscriptions.set(topic, this.bus.subscribe(topic, listener));
  }

  private unwatch(topic: string): void {
    this.subscriptions.get(topic)?.();
    this.subscriptions.delete(topic);
  }

  /** The local connection that caused an event, when it was this node's. */
  private origin(from: string, id: number): Connection | undefined {
    return from === this.bus.nodeId ? this.host.local(id) : undefined;
  }

  private onRoom(room: string, e: RoomEvent, from: string): void {
    switch (e.kind) {
      case 'message': {
        const sender = this.origin(from, e.origin);
        if (!sender || sender.codec.sharedEcho) return this.delivery.toRoom(room, e.message);
        this.delivery.toRoom(room, e.message, sender);
        return this.delivery.toConn(sender, e.message); // its codec's own copy (see Codec.sharedEcho)
      }
      case 'typing':
        if (this.presence.coalescesTyping(room)) return this.presence.typing(room, e.name);
        return this.delivery.toRoom(room, { type: 'typing', name: e.name, room }, this.origin(from, e.origin));
      case 'file_offer':
      case 'file_chunk':
      case 'file_done':
      case 'file_abort': {
        const sender = this.origin(from, e.origin);
        return this.files.relay(e, from, () => [...(this.registry.room(room)?.members ?? [])].filter((c) => c !== sender));
      }
      default:
        return this.unknown(e);
    }
  }

  private onPerson(name: string, e: PersonEvent, from: string): void {
    const person = this.registry.find(name);
    switch (e.kind) {
      case 'message':
        // The sender's own copy went to it directly; a note to oneself is not delivered twice.
        if (person && person !== this.origin(from, e.origin)) this.delivery.toConns([person], e.message);
        return;
      case 'typing':
        if (person) this.delivery.toConn(person, { type: 'typing', name: e.name, to: e.to });
        return;
      case 'file_offer':
      case 'file_chunk':
      case 'file_done':
      case 'file_abort': {
        const sender = this.origin(from, e.origin);
        return this.files.relay(e, from, () => (person && person !== sender ? [person] : []));
      }
      default:
        return this.unknown(e);
    }
  }

  private onPeople(e: PeopleEvent, from: string): void {
    const mine = from === this.bus.nodeId;
    switch (e.kind) {
      // Arrivals and departures are coalesced (see PresenceBatcher); a rename is rare and goes out at once.
      case 'online':
        if (!mine) this.directory.online(e.name, from);
        return this.presence.online(e.name, true, this.origin(from, e.origin));
      case 'offline':
        if (!mine) this.directory.offline(e.name);
        return this.presence.online(e.name, false);
      case 'rename':
        if (!mine) this.directory.rename(e.from, e.name, from);
        this.presence.rename(e.from, e.name);
        return this.delivery.toEveryone({ type: 'presence', event: 'rename', name: e.name, from: e.from });
      case 'join':
        if (!mine) this.directory.joined(e.name, e.room, from);
        return this.presence.room(e.room, e.name, true, this.origin(from, e.origin));
      case 'leave':
        if (!mine) this.directory.left(e.name, e.room);
        return this.presence.room(e.room, e.name, false);
      case 'roster?':
        if (!mine) this.toPeople({ kind: 'roster', people: this.host.roster() });
        return;
      case 'roster':
        if (!mine) this.directory.roster(from, e.people);
        return;
      default:
        return this.unknown(e);
    }
  }

  /** An event of a kind this node does not know (from a newer node): ignored, with a warning. */
  private unknown(e: never): void {
    const kind = (e as { kind?: unknown }).kind;
    this.host.warn(`ignored a bus event of unknown kind ${JSON.stringify(kind)}`);
  }
}
