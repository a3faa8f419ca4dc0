import type { Ban, ChatMessage, Snippet, Topic } from '../protocol';

/**
 * The Store seam: where a server keeps history and who owns which name.
 *
 * Every method is asynchronous so a database (PostgreSQL, see
 * docs/scaling.md) can implement it. The store, not the server, owns seqs:
 * `append` allocates the room's next seq atomically with the write, so two
 * server processes that share a store still see one order per room.
 *
 * Implementations: MemoryStore (the default), FileStore (`--data DIR`), and
 * any other that passes the contract suite in test/contract/store.contract.ts
 * (docs/storage.md). Messages a store returns may be shared with it: treat
 * them as read-only.
 */
export interface Store {
  /** Names this history; a new id means seqs started over (a fresh in-memory store, a new data directory). */
  readonly id: string;

  /**
   * Keep one message and give it the room's next seq, atomically. When a
   * message with the same `author` and `id` is already stored, nothing is
   * written and the stored one comes back with `duplicate: true` (a resend
   * after a reconnect). Rejects with a StoreError when the message cannot be
   * made durable; the caller then must not acknowledge it.
   *
   * `seen` says how far the caller already has the room's messages (asked
   * when the write goes out). A store shared by several servers may then
   * hand back, as `missed`, the messages other servers committed after that
   * and before this one, so the caller can deliver its own message at once
   * instead of waiting for theirs to arrive on the bus. A store alone
   * ignores it.
   */
  append(draft: MessageDraft, seen?: SeenSeq): Promise<AppendResult>;

  /** The seq of the newest message stored for a room, 0 when there is none. */
  lastSeq(room: string): Promise<number>;

  /** A page of a room's messages, oldest first (see HistoryQuery for the direction). */
  history(room: string, query: HistoryQuery): Promise<HistoryPage>;

  /**
   * Messages whose text matches `query.text`, newest first, only in the rooms
   * the query names and the direct conversations of `query.dmsOf`. The store
   * bounds its own work: it never scans more than it must for one page.
   */
  search(query: SearchQuery): Promise<SearchPage>;

  /** Rooms (not DM conversations) that have stored messages, with their newest seq and rev. */
  rooms(): Promise<RoomSummary[]>;

  /** One message in its latest state, or undefined when the room has no such seq (never stored, or dropped by retention). */
  get(room: string, seq: number): Promise<ChatMessage | undefined>;

  /**
   * Change a stored message (edit, delete, react) and give the change the
   * room's next rev, atomically with the write. Authorization is the
   * caller's: the store checks only that the message exists and can take
   * the change. `actor` (an identity id) keys the reaction set, so one
   * person has one reaction of each emoji. A delete erases the text and
   * snippet from storage and search, not just from reads. A change that
   * changes nothing (a reaction already there) allocates no rev and comes
   * back with `changed: false`.
   */
  mutate(room: string, seq: number, change: Change, actor: string): Promise<MutateResult>;

  /** Messages of a room changed after `sinceRev`, in their latest states, ordered by rev; at most `limit`. */
  changes(room: string, sinceRev: number, limit: number): Promise<ChangesPage>;

  /** The room's newest rev, 0 when nothing in it ever changed. */
  lastRev(room: string): Promise<number>;

  /**
   * The direct conversations (DM keys) `participant` takes part in, with their
   * newest seq: what a server node reads to catch a person up on direct
   * messages its bus may have dropped.
   */
  conversationsOf(participant: string): Promise<RoomSummary[]>;

  /** The identity that owns a name (compared folded, see foldName), or undefined when nobody has claimed it. */
  nameOwner(name: string): Promise<string | undefined>;

  /**
   * Claim a name for an identity, first come first served, atomically. Resolves
   * with the owner after the call: `identity` when the claim succeeded or it
   * already owned the name, someone else's identity otherwise.
   */
  claimName(name: string, identity: string): Promise<string>;

  /** The names (folded) an identity owns, oldest claim first: the server caps how many one identity may claim. */
  namesOf(identity: string): Promise<string[]>;

  /** Forget who owns a name (the operator's `tcp-chat names release`). Resolves true when there was a claim. */
  releaseName(name: string): Promise<boolean>;

  /** A room's settings (topic, modes, operators, bans, invites) and their version; undefined when none were ever stored. */
  roomState(room: string): Promise<VersionedRoomState | undefined>;

  /**
   * Store a room's settings, compare-and-set: only when the stored version is
   * still `expected` (0: none stored yet), and then the version becomes
   * `expected + 1`. Resolves false when another write came first (read again,
   * and redo the change on what it wrote), so nodes that share a store never
   * lose each other's changes. The store keeps `state` as it is given.
   */
  setRoomState(room: string, state: RoomState, expected: number): Promise<boolean>;

  /** Release files, handles and connections. */
  close(): Promise<void>;
}

/** What the server hands to `append`: a message without its seq. */
export interface MessageDraft {
  /** Client-made id, unique per author. */
  id: string;
  /** Room name, or a DM key (see dmKey in protocol.ts). */
  room: string;
  /** The display name it was sent under. */
  sender: string;
  /**
   * Who wrote it: the sender's identity id (`ed25519:…`, or `guest:…` for a
   * connection that proved no key; see identity.ts). A resend is recognised
   * by author plus id, so it is still delivered once after a reconnect under
   * another name. Public: the stored message carries it as `author`.
   */
  author: string;
  text: string;
  /** Server time, ISO 8601 UTC. A store may raise it to its room's newest, so time never goes back within a room. */
  ts: string;
  to?: string;
  snippet?: Snippet;
  /** The seq this message answers, in the same room (the server has checked that it exists). */
  replyTo?: number;
}

/** A change to a stored message. `ts` is server time, ISO 8601 UTC; `name` is the reactor's display name now. */
export type Change = { kind: 'edit'; text: string; ts: string } | { kind: 'delete'; ts: string } | { kind: 'react'; emoji: string; on: boolean; name: string };

/** The outcome of a mutate: the message's latest state, or why the store refused. */
export type MutateResult =
  | { ok: true; message: ChatMessage; rev: number; changed: boolean }
  /** `bad_target`: no such message, or it is deleted (a deleted message takes no edit, reaction or second delete). */
  | { ok: false; code: 'bad_target' | 'too_many_reactions'; reason: string };

/** One page of changes, ordered by rev. */
export interface ChangesPage {
  messages: ChatMessage[];
  /** The room's newest rev now. */
  rev: number;
  /** More changed messages follow the last of this page. */
  more: boolean;
}

/** The outcome of an append. */
export interface AppendResult {
  message: ChatMessage;
  /** True when this author and id were already stored: nothing was written, and `message` is the original. */
  duplicate: boolean;
  /**
   * With `seen`: messages of the room committed after the seq `seen` gave
   * and before this one, oldest first, with consecutive seqs from `seen` + 1
   * (possibly fewer than the whole gap). Absent when the store does not say.
   */
  missed?: ChatMessage[];
}

/** How far a caller of `append` has a room: the seq up to which it holds every message, or undefined when it does not know. */
export type SeenSeq = () => number | undefined;

/** Which page of a room's history to read. */
export interface HistoryQuery {
  /** Only messages with a smaller seq; the page is the newest `limit` of them. */
  before?: number;
  /** Only messages with a larger seq; the page is the oldest `limit` of them. */
  after?: number;
  limit: number;
}

/** A page of history, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[];
  /** More messages remain beyond this page in the direction asked. */
  more: boolean;
}

/** A search the store can run by itself (in SQL, say): no callbacks. */
export interface SearchQuery {
  /** Words to find (case-insensitive). */
  text: string;
  /** Rooms the requester may search. */
  rooms: string[];
  /** Also search the direct conversations this participant is part of (see dmKey). */
  dmsOf?: string;
  limit: number;
  /**
   * Continue after the last page: the `next` of the previous SearchPage. A
   * cursor the store did not make (it comes from a client) rejects with a
   * RangeError.
   */
  cursor?: string;
}

/** One page of search results, newest first. */
export interface SearchPage {
  /** At most `limit`; fewer, even none, when the store's work budget for one call ran out. */
  messages: ChatMessage[];
  /** Present when more results may follow: pass it back as `cursor`. */
  next?: string;
}

/** A room with stored messages. */
export interface RoomSummary {
  name: string;
  lastSeq: number;
  /** The room's newest rev (0 when nothing in it ever changed). */
  lastRev: number;
}

/**
 * What a store keeps of a room beyond its messages (server/roomRules.ts
 * reads and changes it). Names are kept as spelled when they were added and
 * compared folded (foldName).
 */
export interface RoomState {
  topic?: Topic;
  /** The modes besides `n`, which is always on (see RoomModes). */
  modes: { t: boolean; i: boolean; m: boolean; k?: string; l?: number };
  ops: string[];
  voiced: string[];
  bans: Ban[];
  /** Folded names with an open invite (one join each). */
  invites: string[];
}

/** A room's settings and the version the store gave them. */
export interface VersionedRoomState {
  version: number;
  state: RoomState;
}

/** How much a store keeps. */
export interface RetentionOptions {
  /** Messages kept per room; older ones are dropped. 0 keeps everything. */
  maxPerRoom: number;
  /** Message ids remembered for resend de-duplication (memory and file stores). */
  maxIds: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { maxPerRoom: 100_000, maxIds: 200_000 };

/** Thrown (as a rejection) when a message cannot be written; the server answers `store_failed`. */
export class StoreError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'StoreError';
  }
}

/** The form under which names are compared and claimed: NFKC, lower case. */
export function foldName(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
