import { createHash } from 'node:crypto';
import type { BusEvent } from '../buses/bus';
import type { ChatMessage, FileChunkEvent, FileOfferEvent, ModeChange, Person, UpdateChange } from '../protocol';
import { foldName, type MessageDraft, type RoomState } from '../stores/store';

/**
 * What server nodes tell each other over the Bus: protocol-neutral events,
 * never wire bytes, so each node encodes for its own connections' codecs.
 * The fields are plain JSON.
 *
 * `origin` is the serial of the connection that caused an event on the node
 * that published it. That node uses it to leave the sender out of its own
 * echo (a typist, a codec without echo) and to key file transfers; other
 * nodes pass it through.
 *
 * Topics (see the functions below):
 * - `room:<room>`: room messages, typing, files offered to the room (only the
 *   nodes with members in the room subscribe);
 * - `node:<node id>`: room messages another node forwards to this one, the
 *   room's leader, to store (server/roomAppender.ts), and the leader's answers;
 * - `person:<identity id>`: direct messages, typing and files for one
 *   identity, subscribed by every node that holds a connection of it (one
 *   person may have two windows open, on two nodes);
 * - `people`: arrivals, departures, renames, joins and leaves, which every
 *   node hears; the roster exchange that lets a node that starts late (or
 *   whose link to the bus came back) learn who is on the others; each
 *   node's heartbeat, so the people of a node that died go offline; and room
 *   settings, kicks and away status (RoomPeopleEvent below), which
 *   server/roomCommands.ts and awayBook.ts hear.
 *
 * Presence (`online`, `rename`, `join`, rosters) carries the Person: the
 * name, the identity id and the guest flag, so every node's Directory knows
 * who is behind a remote name (DMs go to their identity; IRC shows a proven
 * one as the account). A receiver shows an identity only when the event names
 * a proven one (see provenIdentity): an event without an id, from a node
 * that did not say, stands for a guest.
 *
 * Names are unique across nodes through Bus leases on `name:<folded name>`.
 * A session that moves to another node (its node died) proves itself by the
 * hash of its session token, which `online` and rosters carry.
 */

/** Events on a room's topic. */
export type RoomEvent =
  /** `originNode`: the node whose connection `origin` sent it, when another node (the room's leader) stored and published it. */
  | { kind: 'message'; message: ChatMessage; origin: number; originNode?: string }
  /** A message changed: its whole latest state (see ConversationRelay), and what changed. */
  | { kind: 'update'; message: ChatMessage; rev: number; origin: number; change?: UpdateChange }
  | { kind: 'typing'; name: string; room: string; origin: number }
  | FileEvent;

/** Events on a person's topic. */
export type PersonEvent =
  | { kind: 'message'; message: ChatMessage; origin: number }
  | { kind: 'update'; message: ChatMessage; rev: number; origin: number; change?: UpdateChange }
  | { kind: 'typing'; name: string; to: string }
  | FileEvent;

/** A file relayed through the bus: the offer fixes each node's recipients; chunks, done and abort follow it on the same topic. */
export type FileEvent =
  | { kind: 'file_offer'; offer: FileOfferEvent; origin: number }
  | { kind: 'file_chunk'; chunk: FileChunkEvent; origin: number }
  | { kind: 'file_done'; id: string; sender: string; origin: number }
  | { kind: 'file_abort'; id: string; sender: string; reason: string; origin: number };

/** Events on a node's own topic: room messages stored through the room's leader (see RoomAppender). */
export type NodeEvent =
  /** To the leader: store this message of connection `origin` of the sending node, and publish it. */
  | { kind: 'append'; draft: MessageDraft; origin: number }
  /** From the leader: the message was stored already (a resend). */
  | { kind: 'appended'; message: ChatMessage }
  /** From the leader: the store refused or failed. */
  | { kind: 'append_failed'; author: string; id: string; error: string };

/** One person as a roster lists them: their name, identity, and rooms. */
export interface RosterEntry extends Person {
  rooms: string[];
  /** sessionHash of the person's session token: a reconnect elsewhere with that token may take the name over. */
  session?: string;
}

/** Events on the `people` topic. */
export type PeopleEvent =
  | ({ kind: 'online'; origin: number; session?: string } & Person)
  | { kind: 'offline'; name: string }
  | ({ kind: 'rename'; from: string } & Person)
  /** Joins and leaves travel here, not on the room's topic: every node keeps room sizes and member lists. */
  | ({ kind: 'join'; room: string; origin: number } & Person)
  | { kind: 'leave'; name: string; room: string }
  /** A node that started (or came back) asks the others who they hold; only `node` answers when it is set. */
  | { kind: 'roster?'; node?: string }
  /** A node's answer: everyone it holds now, with their rooms (it replaces what was known of that node). */
  | { kind: 'roster'; people: RosterEntry[] }
  /**
   * A node is alive (sent every HEARTBEAT_MS). `leads`: it stores rooms'
   * messages for other nodes (server/roomAppender.ts); a node of an earlier
   * release does not say so, and is never picked as a room's leader.
   */
  | { kind: 'alive'; leads?: true }
  /** A node's link to the bus came back: what it published meanwhile was lost, so every node catches its rooms up from the store. */
  | { kind: 'resync' }
  | RoomPeopleEvent;

/** What changed in a room's settings, for the frames its members get. */
export type RoomChange =
  | { what: 'topic'; by: string; at: string }
  | { what: 'mode'; by: string; changes: ModeChange[] }
  | { what: 'invite'; name: string; by: string }
  /** Nothing members are told of (an invite used up, names following a rename). */
  | { what: 'quiet' };

/**
 * Room moderation and away status, on the `people` topic: every node hears
 * them, in order with the joins and leaves, so each keeps its copy of room
 * settings and member lists right. The BusRouter leaves them to
 * RoomCommands and AwayBook, which subscribe to `people` themselves.
 */
export type RoomPeopleEvent =
  /** A room's settings were stored as `version`: nodes refresh their copy and tell their members. */
  | { kind: 'room_state'; room: string; version: number; state: RoomState; change: RoomChange }
  /** Someone was put out of a room: the node holding them takes them out; every node tells its members. */
  | { kind: 'kick'; room: string; name: string; by: string; reason: string }
  /** Someone went away (with a message) or came back (without one). */
  | { kind: 'away'; name: string; message?: string };

/** The topic everyone's arrivals, departures and renames travel on. */
export const PEOPLE_TOPIC = 'people';

export function roomTopic(room: string): string {
  return 'room:' + room;
}

/** The topic of one identity's direct messages, typing and files (ids are case-sensitive, so never folded). */
export function personTopic(id: string): string {
  return 'person:' + id;
}

/** One node's own topic (see NodeEvent). */
export function nodeTopic(node: string): string {
  return 'node:' + node;
}

/** The lease that makes a name unique across nodes. */
export function nameLease(name: string): string {
  return 'name:' + foldName(name);
}

/**
 * What a node tells others about a session token: a hash, so the token itself
 * (which reclaims a name) never travels on the bus.
 */
export function sessionHash(token: string): string {
  return createHash('sha256').update('tcp-chat session\0' + token).digest('base64url').slice(0, 24);
}

/** Our events are plain JSON by construction; the Bus type wants that said. */
export function asBusEvent(e: RoomEvent | PersonEvent | PeopleEvent | NodeEvent): BusEvent {
  return e as unknown as BusEvent;
}
