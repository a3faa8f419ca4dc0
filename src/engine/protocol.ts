/**
 * Wire protocol v1: one JSON object per line over TCP (or TLS).
 * docs/protocol.md is the reference for other implementations; this file is
 * the TypeScript shape of the same frames. The room-moderation frames
 * (topics, modes, kicks, invites, away) are in roomFrames.ts, replies,
 * reactions, edits and deletes in conversationFrames.ts, file transfers in
 * fileFrames.ts and the error codes in errorCode.ts; all are re-exported
 * here, so callers import every shape from this one module. The guard that
 * accepts a client's line is parseClientFrame.ts.
 */
import type { ChangesFrame, ChangesRequest, DeleteFrame, EditFrame, ReactFrame, Reaction, ReplyQuote, UpdateEvent } from './conversationFrames';
import type { ErrorCode } from './errorCode';
import type { FileAbortEvent, FileChunkEvent, FileChunkFrame, FileDoneEvent, FileOfferEvent, FileOfferFrame } from './fileFrames';
import { isObj } from './frameChecks';
import type { RoomClientFrame, RoomServerFrame, RoomStateView } from './roomFrames';

export * from './roomFrames';
export * from './conversationFrames';
export * from './fileFrames';
export * from './errorCode';
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
