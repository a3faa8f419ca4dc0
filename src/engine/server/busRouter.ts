import type { Bus, BusEvent, BusStatus } from '../buses/bus';
import type { ChatMessage, Person } from '../protocol';
import type { MessageDraft, Store } from '../stores/store';
import { asBusEvent, nodeTopic, PEOPLE_TOPIC, personTopic, roomTopic, sessionHash, type NodeEvent, type PeopleEvent, type PersonEvent, type RosterEntry, type RoomEvent } from './busEvents';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import { DirectCatchUp } from './directCatchUp';
import type { ClusterTimings } from './options';
import type { Directory, RosterChanges } from './directory';
import type { FileRelay } from './fileRelay';
import type { PresenceBatcher } from './presenceBatcher';
import { HEARTBEAT_MS, Heartbeat, NODE_TIMEOUT_MS } from './heartbeat';
import type { Registry } from './registry';
import { FORWARD_WAIT_MS, RoomAppender, type RoomAppendResult } from './roomAppender';
import { GAP_WAIT_MS, RoomSequencer } from './roomSequencer';

/** What the router needs from the server. */
export interface BusRouterHost {
  /** This node's connection with a serial, while it is open. */
  local(id: number): Connection | undefined;
  /** Everyone this node holds, for a roster answer. */
  roster(): RosterEntry[];
  /** A local session reconnected on another node: close this connection without telling anyone it left. */
  moved(conn: Connection): void;
  warn(message: string): void;
}

/**
 * The node's side of the Bus: publishes what happens here as events, keeps
 * this node subscribed to the topics its connections need (their rooms, their
 * identities, `people`), and turns every event that arrives, its own included,
 * into frames for the local connections concerned. With LocalBus the round
 * trip is a synchronous call, so a room message is still encoded once per
 * codec variant and appended once per room segment.
 *
 * What a shared bus may lose, the router repairs (docs/scaling.md): room
 * messages go through a RoomSequencer (seq order, gaps filled from the
 * store), DMs across an outage through DirectCatchUp, and the Heartbeat
 * takes the people of a node that went silent offline.
 */
export class BusRouter {
  private readonly subscriptions = new Map<string, () => void>();
  private readonly sequencer: RoomSequencer;
  private readonly dms: DirectCatchUp;
  private readonly heartbeat: Heartbeat;
  private readonly appender: RoomAppender;
  /** Other nodes that said they store rooms' messages for others (`alive` with `leads`). */
  private readonly leaders = new Set<string>();
  private linkUp = true;
  private offStatus?: () => void;
  /** Local sessions of each identity that watch its topic: one subscription for all of them. */
  private readonly watchers = new Map<string, number>();

  constructor(
    private readonly bus: Bus,
    store: Store,
    private readonly registry: Registry,
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly files: FileRelay,
    private readonly presence: PresenceBatcher,
    private readonly host: BusRouterHost,
    timings: Partial<ClusterTimings> = {},
  ) {
    const sequencerHost = { deliver: (room: string, m: ChatMessage, sender: Connection | undefined) => this.deliverRoomMessage(room, m, sender), settled: () => bus.settled(), warn: host.warn };
    this.sequencer = new RoomSequencer(store, sequencerHost, timings.gapWaitMs ?? GAP_WAIT_MS);
    this.dms = new DirectCatchUp(store, { deliver: (conn, m, own) => (own ? this.delivery.toConn(conn, m) : this.delivery.toConns([conn], m)), participant: (conn) => conn.session.id, warn: host.warn });
    this.heartbeat = new Heartbeat({ beat: () => this.toPeople({ kind: 'alive', leads: true }), expire: (node) => this.expire(node) }, Date.now(), timings.heartbeatMs ?? HEARTBEAT_MS, timings.nodeTimeoutMs ?? NODE_TIMEOUT_MS);
    this.appender = new RoomAppender(
      store,
      {
        nodeId: bus.nodeId,
        nodes: () => (this.leaders.size === 0 ? NO_NODES : this.heartbeat.nodes().filter((n) => this.leaders.has(n))),
        linkUp: () => this.linkUp,
        send: (node, e) => bus.publish(nodeTopic(node), asBusEvent(e)),
        publish: (message, originNode, origin) => this.toRoom(message.room, { kind: 'message', message, origin, originNode }),
        seen: (room) => this.sequencer.seen(room),
        missed: (room, messages) => this.missed(room, messages),
        warn: host.warn,
      },
      timings.forwardWaitMs ?? FORWARD_WAIT_MS,
    );
  }

  /** Join the bus: listen to `people` and this node's topic, and once that is live, say it is alive and ask the other nodes who they hold. */
  async start(): Promise<void> {
    this.watch(PEOPLE_TOPIC, (e, from) => this.onPeople(e as unknown as PeopleEvent, from));
    this.watch(nodeTopic(this.bus.nodeId), (e, from) => this.appender.onNode(e as unknown as NodeEvent, from));
    this.offStatus = this.bus.onStatus((s) => this.onStatus(s));
    await this.bus.settled();
    // Said before the first client arrives, so the other nodes (which answer with theirs) count this one as a leader by then.
    this.toPeople({ kind: 'alive', leads: true });
    this.toPeople({ kind: 'roster?' });
  }

  /** Leave the bus (the node is closing). */
  stop(): void {
    this.appender.stop();
    this.offStatus?.();
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }

  /** Once a second: the heartbeat. */
  tick(now: number): void {
    this.heartbeat.tick(now);
  }

  /** Resolves once a room that just got its first local member knows where it stands (see RoomSequencer.ready). */
  ready(room: string): Promise<void> {
    return this.sequencer.ready(room);
  }

  /** The sender's own copy of a direct message (its acknowledgement), through its codec's encode() (see Codec.sharedEcho). */
  direct(conn: Connection, message: ChatMessage): void {
    this.dms.deliver(conn, message, true);
  }

  /** How far this node has a room, for Store.append (see RoomSequencer.seen). */
  seen(room: string): number | undefined {
    return this.sequencer.seen(room);
  }

  /**
   * Store a room message (not a reply), through the room's leader when
   * several nodes share the store (see RoomAppender); `origin` is the
   * sending connection. Unless `published`, the caller publishes it.
   */
  appendRoom(draft: MessageDraft, origin: number): Promise<RoomAppendResult> {
    return this.appender.append(draft, origin);
  }

  /**
   * Messages of a room the store handed back with an append (AppendResult.missed):
   * committed, so delivered in their turn now; their copies from the bus are then skipped.
   */
  missed(room: string, messages: readonly ChatMessage[]): void {
    for (const m of messages) this.sequencer.accept(room, m, undefined);
  }

  toRoom(room: string, e: RoomEvent): void {
    this.bus.publish(roomTopic(room), asBusEvent(e));
  }

  /** To every connection of an identity, on any node. */
  toPerson(id: string, e: PersonEvent): void {
    this.bus.publish(personTopic(id), asBusEvent(e));
  }

  toPeople(e: PeopleEvent): void {
    this.bus.publish(PEOPLE_TOPIC, asBusEvent(e));
  }

  /** A room got its first local member. */
  watchRoom(room: string): void {
    this.sequencer.open(room);
    this.watch(roomTopic(room), (e, from) => this.onRoom(room, e as unknown as RoomEvent, from));
  }

  unwatchRoom(room: string): void {
    this.unwatch(roomTopic(room));
    this.sequencer.close(room);
  }

  /** A connection of this identity arrived here: its direct messages come to this node. Call once per session. */
  watchPerson(id: string): void {
    this.watchers.set(id, (this.watchers.get(id) ?? 0) + 1);
    this.watch(personTopic(id), (e, from) => this.onPerson(id, e as unknown as PersonEvent, from));
  }

  /** A session that watched its identity left; the topic is dropped with the last of them. */
  unwatchPerson(id: string): void {
    const left = (this.watchers.get(id) ?? 1) - 1;
    if (left > 0) return void this.watchers.set(id, left);
    this.watchers.delete(id);
    this.unwatch(personTopic(id));
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

  /** A room message in its turn (see RoomSequencer): to every local member, the sender as its codec wants. */
  private deliverRoomMessage(room: string, message: ChatMessage, sender: Connection | undefined): void {
    if (!sender || sender.closing || sender.codec.sharedEcho) return this.delivery.toRoom(room, message);
    this.delivery.toRoomFrom(room, message, sender); // its codec's own copy (see Codec.sharedEcho)
  }

  private onRoom(room: string, e: RoomEvent, from: string): void {
    switch (e.kind) {
      case 'message': {
        const originNode = e.originNode ?? from;
        this.appender.published(e.message, originNode);
        return this.sequencer.accept(room, e.message, this.origin(originNode, e.origin));
      }
      case 'update':
        return this.delivery.toRoom(room, { type: 'update', room, rev: e.rev, message: e.message, ...(e.change && { change: e.change }) });
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

  /** An event for an identity: to each of its connections here, never to the one that caused it. */
  private onPerson(id: string, e: PersonEvent, from: string): void {
    const conns = this.registry.withId(id);
    switch (e.kind) {
      case 'message': {
        // The sender's own copy went to it directly; its other windows get this one.
        const sender = this.origin(from, e.origin);
        for (const c of conns) if (c !== sender) this.dms.deliver(c, e.message, false);
        return;
      }
      case 'update':
        return this.delivery.toConns(conns, { type: 'update', room: e.message.room, rev: e.rev, message: e.message, ...(e.change && { change: e.change }) });
      case 'typing':
        return this.delivery.toConns(conns, { type: 'typing', name: e.name, to: e.to });
      case 'file_offer':
      case 'file_chunk':
      case 'file_done':
      case 'file_abort': {
        const sender = this.origin(from, e.origin);
        return this.files.relay(e, from, () => conns.filter((c) => c !== sender));
      }
      default:
        return this.unknown(e);
    }
  }

  private onPeople(e: PeopleEvent, from: string): void {
    const mine = from === this.bus.nodeId;
    // A node back from the dead (or a partition) says it is alive before anything else: ask who it holds.
    if (!mine && this.heartbeat.hear(from) && e.kind === 'alive') this.toPeople({ kind: 'roster?', node: from });
    if (!mine && e.kind === 'alive') this.heardAlive(from, e.leads === true);
    switch (e.kind) {
      // Arrivals and departures are coalesced (see PresenceBatcher); a rename is rare and goes out at once.
      case 'online':
        if (!mine) {
          this.directory.online(e, from, e.session);
          this.movedAway(e.name, e.session);
        }
        return this.presence.online({ name: e.name, ...who(e) }, true, this.origin(from, e.origin));
      case 'offline':
        if (!mine) this.directory.offline(e.name);
        return this.presence.online({ name: e.name }, false);
      case 'rename':
        if (!mine) this.directory.rename(e.from, e, from);
        this.presence.rename(e.from, e.name);
        return this.delivery.toEveryone({ type: 'presence', event: 'rename', name: e.name, from: e.from, ...who(e) });
      case 'join':
        if (!mine) this.directory.joined(e, e.room, from);
        return this.presence.room(e.room, { name: e.name, ...who(e) }, true, this.origin(from, e.origin));
      case 'leave':
        if (!mine) this.directory.left(e.name, e.room);
        return this.presence.room(e.room, { name: e.name }, false);
      case 'roster?':
        if (!mine && (e.node === undefined || e.node === this.bus.nodeId)) this.toPeople({ kind: 'roster', people: this.host.roster() });
        return;
      case 'roster':
        if (!mine) this.tell(this.directory.roster(from, e.people));
        return;
      case 'alive':
        return;
      case 'resync':
        if (!mine) this.sequencer.catchUp();
        return;
      case 'room_state':
      case 'kick':
      case 'away':
        return; // RoomCommands and AwayBook listen to `people` for these themselves
      default:
        return this.unknown(e);
    }
  }

  /**
   * Someone this node holds came online on another node with the same
   * session: the client moved (it reconnected elsewhere while its old socket
   * here lingers). The old connection goes, quietly: the person is still online.
   */
  private movedAway(name: string, session: string | undefined): void {
    const local = this.registry.find(name);
    if (!local) return;
    if (session !== undefined && session === sessionHash(local.session.token)) return this.host.moved(local);
    this.host.warn(`another node admitted ${name}, whom this node holds with another session`);
  }

  /**
   * Whether a node may lead rooms. One that just said so for the first time
   * (it started, or came back) hears at once that this node is alive too,
   * rather than at this node's next beat: until then it would not count
   * this node as a leader, and would store for itself what this node leads.
   */
  private heardAlive(node: string, leads: boolean): void {
    if (!leads) return void this.leaders.delete(node);
    if (this.leaders.has(node)) return;
    this.leaders.add(node);
    this.toPeople({ kind: 'alive', leads: true });
  }

  /** A node went silent: its people leave their rooms and go offline here. */
  private expire(node: string): void {
    this.leaders.delete(node);
    const gone = this.directory.expire(node);
    if (gone.length > 0) this.host.warn(`node ${node} went silent: ${gone.length} people it held are offline now`);
    this.tell({ online: [], offline: gone.map((p) => p.name), joined: [], left: gone.flatMap((p) => p.rooms.map((room) => ({ name: p.name, room }))) });
  }

  /** Presence for what changed in the directory without events for it (a roster, a node gone), coalesced like the rest. */
  private tell(c: RosterChanges): void {
    for (const p of c.online) this.presence.online(p, true);
    for (const p of c.joined) this.presence.room(p.room, { name: p.name, ...who(p) }, true);
    for (const { name, room } of c.left) this.presence.room(room, { name }, false);
    for (const name of c.offline) this.presence.online({ name }, false);
  }

  /**
   * The link to the other nodes went down or came back. Down: other nodes'
   * events are lost meanwhile, so nobody is expired for silence, and each
   * local person's DM conversations are noted. Up: catch every room and those
   * conversations up from the store, and swap rosters; `resync` tells the
   * other nodes to catch up on what this node published meanwhile.
   */
  private onStatus(s: BusStatus): void {
    this.linkUp = s === 'up';
    if (s === 'down') {
      this.heartbeat.down();
      void this.dms.down(this.registry.everyone());
      return;
    }
    this.heartbeat.up();
    this.sequencer.catchUp();
    void this.dms.up();
    this.toPeople({ kind: 'roster', people: this.host.roster() });
    this.toPeople({ kind: 'roster?' });
    this.toPeople({ kind: 'resync' });
  }

  /** An event of a kind this node does not know (from a newer node): ignored, with a warning. */
  private unknown(e: never): void {
    const kind = (e as { kind?: unknown }).kind;
    this.host.warn(`ignored a bus event of unknown kind ${JSON.stringify(kind)}`);
  }
}

/** No other node to lead a room: the single-node case, on every message's path, allocates nothing. */
const NO_NODES: readonly string[] = [];

/** The identity fields of a presence frame. */
function who(p: Person): { id: string; guest?: true } {
  return p.guest ? { id: p.id, guest: true } : { id: p.id };
}
