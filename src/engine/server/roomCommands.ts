import { roomProblem, type ErrorCode, type InviteFrame, type KickFrame, type ModeFrame, type RoomInfoRequest, type TopicFrame } from '../protocol';
import type { Bus } from '../buses/bus';
import { foldName } from '../stores/store';
import { asBusEvent, PEOPLE_TOPIC, type PeopleEvent, type RoomPeopleEvent } from './busEvents';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Directory } from './directory';
import type { ServerEvent } from './options';
import type { Registry } from './registry';
import type { RoomLimits } from './roomLimits';
import { applyModes, isOp, modesView, stateView, withInvite, withRename, type Refusal } from './roomRules';
import { IDENTITY_BANS, type RoomStates } from './roomStates';

/** What room commands need from the server. */
export interface RoomCommandsHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  /** The canonical name of someone online on any node, or undefined. */
  online(name: string): string | undefined;
  report(e: ServerEvent): void;
}

/**
 * Room moderation: topics, modes (with operators, voices and bans), kicks
 * and invites, for any codec (the JSON frames, or the IRC gateway's TOPIC,
 * MODE, KICK and INVITE mapped onto them). Each command checks the stored
 * settings, changes them through RoomStates, and the `people` event that
 * carries the change is turned into frames on every node: topic and mode
 * frames to the room's members, an invite to the person invited, and a kick,
 * which the node holding the person carries out.
 */
export class RoomCommands {
  private unsubscribe?: () => void;

  constructor(
    private readonly states: RoomStates,
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly roomLimits: RoomLimits,
    private readonly host: RoomCommandsHost,
  ) {}

  /** Listen to the `people` topic (before the node's roster question goes out). */
  start(): void {
    this.unsubscribe = this.bus.subscribe(PEOPLE_TOPIC, (e, from) => this.onPeople(e as unknown as PeopleEvent, from));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Publish on `people`; every node, this one included, applies it in onPeople. */
  publish(e: RoomPeopleEvent): void {
    this.bus.publish(PEOPLE_TOPIC, asBusEvent(e));
  }

  /** How many people are in a room now, on every node. */
  count(room: string): number {
    return (this.registry.room(room)?.members.size ?? 0) + this.directory.count(room);
  }

  async topic(conn: Connection, f: TopicFrame): Promise<void> {
    if (!this.isMember(conn, f.room, f.id)) return;
    const by = conn.session.name;
    const at = new Date().toISOString();
    const out = await this.states.update(f.room, ({ state }) => {
      if (state.modes.t && !isOp(state, by)) return notOperator(f.room, 'set its topic (it is +t)');
      return { state: { ...state, topic: f.topic === '' ? undefined : { text: f.topic, by, at } }, change: { what: 'topic', by, at } };
    });
    if (out.refusal) this.refuse(conn, out.refusal, f.id);
  }

  async mode(conn: Connection, f: ModeFrame): Promise<void> {
    if (!this.isMember(conn, f.room, f.id)) return;
    const by = conn.session.name;
    const now = new Date().toISOString();
    const out = await this.states.update(f.room, ({ state }) => {
      if (!isOp(state, by)) return notOperator(f.room, 'change its modes');
      const r = applyModes(state, f.changes, { room: f.room, by, now, identities: IDENTITY_BANS, member: (name) => this.member(f.room, name) });
      if ('code' in r) return r;
      return r.applied.length === 0 ? undefined : { state: r.state, change: { what: 'mode', by, changes: r.applied } };
    });
    if (out.refusal) this.refuse(conn, out.refusal, f.id);
  }

  async kick(conn: Connection, f: KickFrame): Promise<void> {
    if (!this.isMember(conn, f.room, f.id)) return;
    const by = conn.session.name;
    const { state } = await this.states.read(f.room);
    if (!isOp(state, by)) return this.refuse(conn, notOperator(f.room, 'kick'), f.id);
    const name = this.member(f.room, f.name);
    if (name === undefined) return this.host.error(conn, 'user_not_in_room', `${f.name} is not in ${f.room}`, f.id);
    this.publish({ kind: 'kick', room: f.room, name, by, reason: f.reason ?? '' });
  }

  async invite(conn: Connection, f: InviteFrame): Promise<void> {
    if (!this.isMember(conn, f.room, f.id)) return;
    const by = conn.session.name;
    const name = this.host.online(f.name);
    if (name === undefined) return this.host.error(conn, 'no_such_user', `nobody called ${f.name} is online`, f.id);
    if (this.member(f.room, name) !== undefined) return this.host.error(conn, 'user_in_room', `${name} is already in ${f.room}`, f.id);
    const out = await this.states.update(f.room, ({ state }) => {
      if (state.modes.i && !isOp(state, by)) return notOperator(f.room, 'invite people to it (it is invite-only)');
      return { state: withInvite(state, name), change: { what: 'invite', name, by } };
    });
    if (out.refusal) return this.refuse(conn, out.refusal, f.id);
    this.delivery.toConn(conn, { type: 'invite', room: f.room, name, by }); // the inviter's acknowledgement
  }

  async info(conn: Connection, f: RoomInfoRequest): Promise<void> {
    const why = roomProblem(f.room);
    if (why) return this.host.error(conn, 'bad_room', why, f.id);
    const { state } = await this.states.read(f.room);
    const member = conn.session.rooms.has(f.room);
    this.delivery.toConn(conn, { type: 'room_info', ...(f.id !== undefined && { id: f.id }), room: f.room, ...stateView(state, member), bans: state.bans.map((b) => ({ ...b })), count: this.count(f.room) });
  }

  /** The canonical name of a member of a room on any node, or undefined. */
  member(room: string, name: string): string | undefined {
    const local = this.registry.find(name);
    if (local?.session.rooms.has(room)) return local.session.name;
    const key = foldName(name);
    return this.directory.members(room).find((n) => foldName(n) === key);
  }

  private onPeople(e: PeopleEvent, from: string): void {
    switch (e.kind) {
      case 'room_state':
        return this.onRoomState(e);
      case 'kick':
        return this.onKick(e);
      case 'rename':
        // The renamer's own node moves their operator and voice entries in the rooms they are in.
        if (from === this.bus.nodeId) this.followRename(e.from, e.name);
        return;
      case 'resync':
        // A node's link to the bus came back (this one's too: it hears its own): room_state events may be lost, so read the settings again.
        return void this.states.refresh().catch((err: unknown) => this.host.report({ type: 'warn', message: `reading room settings again after a bus outage failed: ${(err as Error).message}` }));
      default:
        return; // the BusRouter's and AwayBook's business
    }
  }

  private onRoomState(e: Extract<RoomPeopleEvent, { kind: 'room_state' }>): void {
    const { room, change } = e;
    this.states.remember(room, { version: e.version, state: e.state }, true);
    switch (change.what) {
      case 'topic':
        return this.delivery.toRoom(room, { type: 'topic', room, text: e.state.topic?.text ?? '', by: change.by, at: change.at });
      case 'mode':
        return this.delivery.toRoom(room, { type: 'mode', room, by: change.by, changes: change.changes, modes: modesView(e.state, true) });
      case 'invite': {
        const invitee = this.registry.find(change.name);
        if (invitee) this.delivery.toConn(invitee, { type: 'invite', room, name: invitee.session.name, by: change.by });
        return;
      }
      case 'quiet':
        return;
    }
  }

  /** Every node tells its members; the node holding the person takes them out (they get the frame first). */
  private onKick(e: Extract<RoomPeopleEvent, { kind: 'kick' }>): void {
    this.delivery.toRoom(e.room, { type: 'kick', room: e.room, name: e.name, by: e.by, reason: e.reason });
    const target = this.registry.find(e.name);
    if (target && this.registry.leave(target, e.room)) {
      this.roomLimits.touch(e.room);
      this.host.report({ type: 'leave', name: target.session.name, room: e.room });
    } else if (!target) {
      this.directory.left(e.name, e.room);
    }
  }

  private followRename(from: string, to: string): void {
    const conn = this.registry.find(to);
    if (!conn) return;
    for (const room of conn.session.rooms) {
      const copy = this.states.copy(room);
      if (!copy || !withRename(copy.state, from, to)) continue;
      this.states.update(room, ({ state }) => {
        const renamed = withRename(state, from, to);
        return renamed && { state: renamed, change: { what: 'quiet' } };
      }).catch((err: unknown) => this.host.report({ type: 'warn', message: `moving ${from}'s operator status in ${room} to ${to} failed: ${(err as Error).message}` }));
    }
  }

  /** True when the connection is in the room; otherwise it is told so. */
  private isMember(conn: Connection, room: string, ref: string | undefined): boolean {
    if (conn.session.rooms.has(room)) return true;
    this.host.error(conn, 'not_in_room', `join ${room} first`, ref);
    return false;
  }

  private refuse(conn: Connection, r: Refusal, ref: string | undefined): void {
    this.host.error(conn, r.code, r.message, ref);
  }
}

function notOperator(room: string, what: string): Refusal {
  return { code: 'not_operator', message: `only the operators of ${room} may ${what}` };
}
