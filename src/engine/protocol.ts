/**
 * Wire protocol v1: one JSON object per line over TCP (or TLS).
 * docs/protocol.md is the reference for other implementations; this file is
 * the TypeScript shape of the same frames plus the guards that accept them.
 * The room-moderation frames (topics, modes, kicks, invites, away) are in
 * roomFrames.ts, and replies, reactions, edits and deletes in
 * conversationFrames.ts; both are re-exported here.
 */
import { CONVERSATION_CLIENT_TYPES, conversationProblem, type ChangesFrame, type ChangesRequest, type DeleteFrame, type EditFrame, type ReactFrame, type Reaction, type ReplyQuote, type UpdateEvent } from './conversationFrames';
import { isObj, isSeq, optInt, optStr } from './frameChecks';
import { ROOM_CLIENT_TYPES, roomFrameProblem, type RoomClientFrame, type RoomServerFrame, type RoomStateView } from './roomFrames';

export * from './roomFrames';
export * from './conversationFrames';
export * from './nameRules';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_PORT = 12345;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ROOM = 'general';
export const MAX_TEXT_CHARS = 16_000;
/** The hello feature that asks for coalesced `people` frames instead of per-arrival `presence` frames. */
export const FEATURE_PEOPLE = 'people';
/** Names in one paged `who` reply: the default, and the most a client may ask for. */
export const WHO_PAGE = 100;
export const WHO_PAGE_MAX = 500;

/** Every error code a server may send. */
export type ErrorCode =
  | 'bad_json'
  | 'unknown_type'
  | 'bad_frame'
  | 'not_ready'
  | 'frame_too_large'
  | 'rate_limited'
  | 'flood'
  | 'server_full'
  | 'handshake_timeout'
  | 'idle_timeout'
  | 'slow_reader'
  | 'bad_version'
  | 'bad_name'
  | 'bad_room'
  | 'no_such_user'
  | 'not_in_room'
  | 'too_long'
  | 'already_ready'
  | 'auth_required'
  | 'auth_failed'
  /** A plain-TCP client reached a TLS server (sent as a plain line before any TLS). */
  | 'tls_required'
  /** A TLS client reached a plain server (logged only: the client cannot read a plain line). */
  | 'tls_unexpected'
  | 'store_failed'
  | 'replaced'
  | 'file_too_large'
  | 'bad_file'
  /** A join past the rooms one person may be in, or past the rooms the server keeps; the message names the limit. */
  | 'too_many_rooms'
  /** Only the room's operators may do that (set modes, kick, a topic under +t, invite to a +i room). */
  | 'not_operator'
  /** A join or a message refused by a ban in that room. */
  | 'banned'
  /** A join of an invite-only (+i) room without an invite. */
  | 'invite_only'
  /** A join of a keyed (+k) room without the right key. */
  | 'bad_key'
  /** A join of a room at its member limit (+l). */
  | 'room_full'
  /** A message to a moderated (+m) room from someone neither operator nor voiced. */
  | 'moderated'
  /** A kick, or +o/+v, of someone who is not in the room. */
  | 'user_not_in_room'
  /** An invite of someone already in the room. */
  | 'user_in_room'
  /** A mode change that cannot be made (a bad key or limit, -n, +i in general, a full ban list); nothing was changed. */
  | 'bad_mode'
  /** The server admits only people who prove an identity key (`serve --require-identity`); a hello without `key` gets this. */
  | 'identity_required'
  /** The name belongs to another identity, and the hello insisted on it. */
  | 'name_claimed'
  /** A reply, reaction, edit or delete names a message that does not exist (or may not be changed that way: deleted). */
  | 'bad_target'
  /** Only the author may edit a message; only the author or a room operator may delete one. */
  | 'not_allowed'
  /** A message already has the most distinct reactions it may have (MAX_DISTINCT_REACTIONS). */
  | 'too_many_reactions';

// ---------------------------------------------------------------- shared shapes

/** A code snippet attached to a message (Share Selection). */
export interface Snippet {
  lang: string;
  file: string;
  startLine: number;
  endLine: number;
  code: string;
  /** The sender's git remote URL (credentials removed), when the file is in a repository with one. */
  remote?: string;
  /** The sender's checked-out commit (40 hex digits), when the file is in a git repository. */
  commit?: string;
}

/** A message as the server stores and delivers it. */
export interface ChatMessage {
  type: 'message';
  /** Client-made id, unique per author. */
  id: string;
  /** Position in the room, rising by one. */
  seq: number;
  /** Room name, or the DM key `@<id>,<id>` of the two identities for direct messages (see dmKey). */
  room: string;
  /** Set by the server from the connection's name, never from the client. */
  sender: string;
  /** The sender's identity id, set by the server (absent from servers and stored lines that predate identities). */
  author?: string;
  text: string;
  /** Server time, ISO 8601 UTC. */
  ts: string;
  /** Recipient of a direct message. */
  to?: string;
  snippet?: Snippet;
  /** The seq (same room or DM) this message answers. */
  replyTo?: number;
  /** The answered message as it is now (filled in by the server when `replyTo` is set). */
  reply?: ReplyQuote;
  /** When the text was last edited (ISO 8601 UTC). */
  edited?: string;
  /** The message was deleted: `text` is "" and it has no snippet, reactions or edit time. */
  deleted?: true;
  /** Reactions, in the order their first reactor added them. */
  reactions?: Reaction[];
  /** The room's change counter at this message's last change; absent when it never changed (see `changes`). */
  rev?: number;
}

/** Someone online: the name they use now, and the identity behind it. */
export interface Person {
  name: string;
  /** Identity id: `ed25519:…` for a proven key, `guest:…` for a connection that proved none. */
  id: string;
  /** Proved no key: may use only unclaimed names. */
  guest?: true;
}

/** A room as described in the welcome. */
export interface RoomInfo {
  name: string;
  /** How many people are in it now (`joined` lists them when you join). */
  count: number;
  seq: number;
  /** The room's change counter (see `changes`); absent from servers without edits. */
  rev?: number;
}

// ---------------------------------------------------------------- client -> server

/** First frame of every connection. */
export interface HelloFrame {
  type: 'hello';
  v: number;
  name: string;
  /** Session token from an earlier welcome: reclaims the same name after a reconnect. */
  session?: string;
  /**
   * Additions to version 1 this client understands. `people`: send
   * arrivals and departures as coalesced `people` frames instead of one
   * `presence` frame each (docs/protocol.md, "Large rooms").
   */
  features?: string[];
  /** base64url of the client's Ed25519 public key; absent for a guest. The server challenges it. */
  key?: string;
  /** When the name belongs to someone else, answer `name_claimed` instead of another name. */
  insist?: boolean;
}
/** Answer to a challenge: one frame carries whatever the challenge asked for. */
export interface AuthFrame {
  type: 'auth';
  /** Password proof: hex HMAC-SHA256(scrypt(password, salt), nonce); when the challenge had `salt`. */
  proof?: string;
  /** Identity proof: base64url Ed25519 signature of challengeMessage(nonce, TLS binding); when the challenge had `identity`. */
  signature?: string;
}
/** A chat message to a room, or to one person when `to` is set. */
export interface SendFrame {
  type: 'message';
  id: string;
  room?: string;
  to?: string;
  text: string;
  snippet?: Snippet;
  /** Answer this seq of the same room or DM (`bad_target` when there is none). */
  replyTo?: number;
}
/** Join a room (created if missing, with you as its operator). */
export interface JoinFrame {
  type: 'join';
  room: string;
  /** The room's key, when it has one (+k). */
  key?: string;
}
/** Leave a room. */
export interface LeaveFrame {
  type: 'leave';
  room: string;
}
/** "I am typing" in a room or to a person; relayed at most once per interval. */
export interface TypingFrame {
  type: 'typing';
  room?: string;
  to?: string;
}
/** Ask for a room's messages before (or after) a seq. */
export interface HistoryRequest {
  type: 'history';
  id?: string;
  room: string;
  before?: number;
  after?: number;
  limit?: number;
}
/** Full-text search over stored history of the rooms you are in and your DMs. */
export interface SearchRequest {
  type: 'search';
  id?: string;
  query: string;
  room?: string;
  limit?: number;
  /** The `next` of an earlier page: go on from there. */
  cursor?: string;
}
/** Change your display name. */
export interface NickFrame {
  type: 'nick';
  name: string;
}
/**
 * Ask who is online, or who is in a room. With none of `room`, `prefix`,
 * `after` and `limit` the reply lists everyone online (version 1); with any
 * of them it is one page, sorted, of at most `limit` names.
 */
export interface WhoRequest {
  type: 'who';
  id?: string;
  /** Members of this room (you must be in it) rather than everyone online. */
  room?: string;
  /** Only names that start with this, compared case-insensitively (@-completion). */
  prefix?: string;
  /** The last name of the previous page: go on after it. */
  after?: string;
  limit?: number;
}
/** Keepalive probe, sent by either side. */
export interface PingFrame {
  type: 'ping';
  id?: string | number;
}
/** Answer to a ping. */
export interface PongFrame {
  type: 'pong';
  id?: string | number;
}

/** Offer a file to a room or a person; chunks follow. */
export interface FileOfferFrame {
  type: 'file_offer';
  /** Client-made transfer id. */
  id: string;
  room?: string;
  to?: string;
  name: string;
  /** Bytes, checked against the server's cap before any chunk is accepted. */
  size: number;
  /** Hex SHA-256 of the whole file; the receiver checks it. */
  sha256: string;
}
/** One piece of an offered file: base64 of at most FILE_CHUNK_BYTES bytes, in order from 0. */
export interface FileChunkFrame {
  type: 'file_chunk';
  id: string;
  index: number;
  data: string;
}

/** Everything a client may send. */
export type ClientFrame =
  | HelloFrame
  | AuthFrame
  | SendFrame
  | JoinFrame
  | LeaveFrame
  | TypingFrame
  | HistoryRequest
  | SearchRequest
  | NickFrame
  | WhoRequest
  | PingFrame
  | PongFrame
  | FileOfferFrame
  | FileChunkFrame
  | ReactFrame
  | EditFrame
  | DeleteFrame
  | ChangesRequest
  | RoomClientFrame;

// ---------------------------------------------------------------- server -> client

/** Sent when the server needs a password proof, an identity proof, or both, before the welcome. */
export interface ChallengeFrame {
  type: 'challenge';
  nonce: string;
  /** Present (with `kdf`) when the server has a password. */
  salt?: string;
  kdf?: { name: 'scrypt'; N: number; r: number; p: number; keylen: number };
  /** Present when the hello carried a key: sign the nonce with it. */
  identity?: true;
}
/**
 * Handshake accepted. The room-state fields (topic, modes, ops, voiced)
 * describe `room`; servers before room moderation leave them out.
 */
export interface WelcomeFrame extends Partial<RoomStateView> {
  type: 'welcome';
  v: number;
  /** The name the server assigned (may differ from the one asked for). */
  name: string;
  session: string;
  /**
   * `history` names the server's history: when it differs from the last welcome, seqs started over.
   * `node` names the server process that answered, when it is one of several sharing rooms (a cluster).
   */
  server: { version: string; history?: string; node?: string };
  room: string;
  rooms: RoomInfo[];
  joined: string[];
  /** Everyone online, you included (names only, for clients that predate `people`); above the large-room threshold only you and the people relevant to you (see `usersCount`). */
  users: string[];
  /** Present when `users` is partial: how many are online in all. Page through them with `who`. */
  usersCount?: number;
  history: ChatMessage[];
  limits: { maxLine: number; rate: number; burst: number };
  /** Who is away now, with their messages; absent when nobody is. */
  away?: Record<string, string>;
  /** Your identity id: your key's, or a guest id kept for this session. Absent from servers that predate identities. */
  id?: string;
  /** True when you proved no key. */
  guest?: boolean;
  /** Why you got another name than the one you asked for, for a person to read. */
  notice?: string;
  /** Everyone online with their identity, you included. */
  people?: Person[];
}
/** Reply to a join: the room's members, recent history, topic, modes, operators and voiced members. */
export interface JoinedFrame extends Partial<RoomStateView> {
  type: 'joined';
  room: string;
  /** The room's members; in a large room only you and the people relevant to you (see `count`). */
  members: string[];
  /** Present when `members` is partial: how many are in the room. Page through them with `who`. */
  count?: number;
  seq: number;
  /** The room's change counter: ask `changes` since the one you last saw. */
  rev?: number;
  history: ChatMessage[];
}
/** Reply to a leave. */
export interface LeftFrame {
  type: 'left';
  room: string;
}
/** Someone came, went, joined, left, renamed, went away or came back. */
export interface PresenceFrame {
  type: 'presence';
  event: 'online' | 'offline' | 'join' | 'leave' | 'rename' | 'away' | 'back';
  name: string;
  room?: string;
  from?: string;
  /** For `away`: their message. */
  message?: string;
  /** The person's identity id (online, join, rename). */
  id?: string;
  /** The person proved no key. */
  guest?: true;
}
/**
 * Arrivals and departures, coalesced (for clients that asked for the `people`
 * feature). With `room`: that room's changes and its new size; without: who
 * came online and went offline on the server. A name appears at most once,
 * in the list of its latest change; a name in `joined` you already list, or
 * in `left` you never listed, changes nothing. Above the large-room
 * threshold the lists are left out and only `count` is given.
 */
export interface PeopleFrame {
  type: 'people';
  room?: string;
  /** People in the room (with `room`) or online (without), after these changes. */
  count: number;
  joined?: string[];
  left?: string[];
  online?: string[];
  offline?: string[];
  /** Who is behind the names in `joined` and `online`, when the server knows (identities). */
  people?: Person[];
}
/** Relayed typing notice. */
export interface TypingEvent {
  type: 'typing';
  name: string;
  room?: string;
  to?: string;
  /** In a large room, the notices of one interval coalesced: up to a few typists (`name` is the first). */
  names?: string[];
  /** How many more typed in that interval than `names` lists. */
  more?: number;
}
/** Reply to a history request, oldest first. */
export interface HistoryFrame {
  type: 'history';
  id?: string;
  room: string;
  messages: ChatMessage[];
  /** True when older (for `before`) or newer (for `after`) messages remain. */
  more: boolean;
}
/** Reply to a search, newest first. */
export interface SearchResultsFrame {
  type: 'search_results';
  id?: string;
  query: string;
  messages: ChatMessage[];
  /** Present when more results may follow: send the search again with this as `cursor`. A page may be short, even empty, and still have one. */
  next?: string;
}
/** Reply to who. */
export interface UsersFrame {
  type: 'users';
  id?: string;
  users: string[];
  /** A paged reply: the room asked about, if any, and whether more names follow the last one. */
  room?: string;
  more?: boolean;
  /** Who of them is away, with their messages; absent when nobody is. */
  away?: Record<string, string>;
  /** Everyone listed, with their identity. */
  people?: Person[];
}
/** A problem with something the client sent, or the reason for a close. */
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The `id` of the frame this is about, when it had one. */
  ref?: string;
  /** For rate_limited: milliseconds until a retry can succeed. */
  retryAfter?: number;
  /** The room a `join` or `leave` was refused for (those frames have no `id`). */
  room?: string;
}
/** The server is closing this connection on purpose. */
export interface ByeFrame {
  type: 'bye';
  reason: string;
}

/** A file offer relayed to its recipients (and echoed to the sender as acknowledgement). */
export interface FileOfferEvent {
  type: 'file_offer';
  id: string;
  sender: string;
  room: string;
  to?: string;
  name: string;
  size: number;
  sha256: string;
  ts: string;
}
/** A relayed chunk of an offered file. */
export interface FileChunkEvent {
  type: 'file_chunk';
  id: string;
  sender: string;
  index: number;
  data: string;
}
/** Every chunk of a file has been relayed (sent to recipients and, as acknowledgement, to the sender). */
export interface FileDoneEvent {
  type: 'file_done';
  id: string;
  sender: string;
}
/** A transfer was cancelled (its sender dropped, sent a bad chunk, or went silent): receivers discard what they hold of it. */
export interface FileAbortEvent {
  type: 'file_abort';
  id: string;
  sender: string;
  /** Why, for a person. */
  reason: string;
}

/** Everything a server may send. */
export type ServerFrame =
  | ChallengeFrame
  | WelcomeFrame
  | JoinedFrame
  | LeftFrame
  | ChatMessage
  | PresenceFrame
  | PeopleFrame
  | TypingEvent
  | HistoryFrame
  | SearchResultsFrame
  | UsersFrame
  | ErrorFrame
  | ByeFrame
  | PingFrame
  | PongFrame
  | FileOfferEvent
  | FileChunkEvent
  | FileDoneEvent
  | FileAbortEvent
  | UpdateEvent
  | ChangesFrame
  | RoomServerFrame;

/**
 * The version 1 `presence` events a `people` frame stands for, in version 1's
 * order (online, then leaves and joins, then offline). A count-only frame
 * stands for none.
 */
export function presenceEvents(f: PeopleFrame): PresenceFrame[] {
  const out: PresenceFrame[] = [];
  const ids = new Map((f.people ?? []).map((p) => [p.name, p] as const));
  const each = (names: string[] | undefined, event: PresenceFrame['event']) => {
    for (const name of names ?? []) {
      const p = event === 'online' || event === 'join' ? ids.get(name) : undefined;
      const who = p ? (p.guest ? { id: p.id, guest: true as const } : { id: p.id }) : {};
      out.push(f.room === undefined ? { type: 'presence', event, name, ...who } : { type: 'presence', event, name, room: f.room, ...who });
    }
  };
  each(f.online, 'online');
  each(f.left, 'leave');
  each(f.joined, 'join');
  each(f.offline, 'offline');
  return out;
}

// ---------------------------------------------------------------- validation

/** The outcome of checking one parsed line from a client. */
export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: string };

const CLIENT_TYPES = new Set<string>(['hello', 'auth', 'message', 'join', 'leave', 'typing', 'history', 'search', 'nick', 'who', 'ping', 'pong', 'file_offer', 'file_chunk', ...CONVERSATION_CLIENT_TYPES, ...ROOM_CLIENT_TYPES]);
const ROOM_TYPES = new Set<unknown>(ROOM_CLIENT_TYPES);

function isSnippet(v: unknown): v is Snippet {
  return (
    isObj(v) &&
    typeof v.lang === 'string' &&
    typeof v.file === 'string' &&
    typeof v.code === 'string' &&
    Number.isSafeInteger(v.startLine) &&
    Number.isSafeInteger(v.endLine) &&
    (v.remote === undefined || (typeof v.remote === 'string' && v.remote.length <= 512)) &&
    (v.commit === undefined || (typeof v.commit === 'string' && /^[0-9a-f]{40,64}$/.test(v.commit)))
  );
}

/** Why a field set is wrong, or undefined when the frame is well formed. */
function problem(o: Record<string, unknown>): string | undefined {
  if (ROOM_TYPES.has(o.type)) return roomFrameProblem(o);
  switch (o.type) {
    case 'hello':
      if (typeof o.v !== 'number') return 'hello needs a numeric "v"';
      if (typeof o.name !== 'string') return 'hello needs a string "name"';
      if (!optStr(o, 'session')) return '"session" must be a string';
      if (o.features !== undefined && !(Array.isArray(o.features) && o.features.length <= 32 && o.features.every((x) => typeof x === 'string'))) return '"features" must be an array of strings';
      if (!optStr(o, 'key')) return '"key" must be a string';
      if (o.insist !== undefined && typeof o.insist !== 'boolean') return '"insist" must be true or false';
      return;
    case 'auth':
      if (!optStr(o, 'proof') || !optStr(o, 'signature')) return '"proof" and "signature" must be strings';
      if (o.proof === undefined && o.signature === undefined) return 'auth needs a "proof", a "signature", or both';
      return;
    case 'message':
      if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 128) return 'message needs a string "id" of 1-128 characters';
      if (typeof o.text !== 'string') return 'message needs a string "text"';
      if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
      if (o.room !== undefined && o.to !== undefined) return 'give "room" or "to", not both';
      if (o.snippet !== undefined && !isSnippet(o.snippet)) return '"snippet" needs lang, file, code, startLine and endLine';
      if (o.replyTo !== undefined && !isSeq(o.replyTo)) return '"replyTo" must be a positive integer seq';
      return;
    case 'react':
    case 'edit':
    case 'delete':
    case 'changes':
      return conversationProblem(o);
    case 'join':
      if (!optStr(o, 'key')) return '"key" must be a string';
      return typeof o.room === 'string' ? undefined : 'join needs a string "room"';
    case 'leave':
      return typeof o.room === 'string' ? undefined : 'leave needs a string "room"';
    case 'typing':
      if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
      return;
    case 'history':
      if (typeof o.room !== 'string') return 'history needs a string "room"';
      if (!optInt(o, 'before') || !optInt(o, 'after') || !optInt(o, 'limit')) return '"before", "after" and "limit" must be non-negative integers';
      if (!optStr(o, 'id')) return '"id" must be a string';
      return;
    case 'search':
      if (typeof o.query !== 'string') return 'search needs a string "query"';
      if (!optStr(o, 'room') || !optStr(o, 'id') || !optStr(o, 'cursor')) return '"room", "id" and "cursor" must be strings';
      if (!optInt(o, 'limit')) return '"limit" must be a non-negative integer';
      return;
    case 'nick':
      return typeof o.name === 'string' ? undefined : 'nick needs a string "name"';
    case 'who':
      if (!optStr(o, 'id') || !optStr(o, 'room') || !optStr(o, 'prefix') || !optStr(o, 'after')) return '"id", "room", "prefix" and "after" must be strings';
      if (!optInt(o, 'limit')) return '"limit" must be a non-negative integer';
      return;
    case 'file_offer':
      if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 128) return 'file_offer needs a string "id" of 1-128 characters';
      if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 255) return 'file_offer needs a "name" of 1-255 characters';
      if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) return 'file_offer needs a non-negative integer "size"';
      if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) return 'file_offer needs "sha256" as 64 lowercase hex digits';
      if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
      if (o.room !== undefined && o.to !== undefined) return 'give "room" or "to", not both';
      return;
    case 'file_chunk':
      if (typeof o.id !== 'string') return 'file_chunk needs a string "id"';
      if (!Number.isSafeInteger(o.index) || (o.index as number) < 0) return 'file_chunk needs a non-negative integer "index"';
      if (typeof o.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) return 'file_chunk needs base64 "data"';
      return;
    case 'ping':
    case 'pong':
      return o.id === undefined || typeof o.id === 'string' || typeof o.id === 'number' ? undefined : '"id" must be a string or number';
  }
  return 'unknown';
}

/** Turns one line (without its newline) into a checked client frame or an error. */
export function parseClientFrame(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: 'bad_json', message: 'each line must be one JSON object' };
  }
  if (!isObj(value)) return { ok: false, code: 'bad_json', message: 'each line must be one JSON object' };
  const ref = typeof value.id === 'string' ? value.id : undefined;
  if (typeof value.type !== 'string') return { ok: false, code: 'bad_frame', message: 'every frame needs a string "type"', ref };
  if (!CLIENT_TYPES.has(value.type)) {
    return { ok: false, code: 'unknown_type', message: `unknown frame type "${value.type.slice(0, 40)}"`, ref };
  }
  const why = problem(value);
  if (why !== undefined) return { ok: false, code: 'bad_frame', message: why, ref };
  return { ok: true, frame: value as unknown as ClientFrame };
}

/** Loose check for frames a client receives; the client trusts the server's shapes after this. */
export function parseServerFrame(line: string): ServerFrame | undefined {
  try {
    const v: unknown = JSON.parse(line);
    if (isObj(v) && typeof v.type === 'string') return v as unknown as ServerFrame;
  } catch {
    // fall through
  }
  return undefined;
}
