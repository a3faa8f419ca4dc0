/**
 * The room-moderation part of wire protocol v1 (docs/protocol.md, "Room
 * moderation"): topics, operators, modes, bans, kicks, invites and away
 * status. protocol.ts folds these frames into its unions; they live here so
 * the protocol file stays readable. The letters are IRC's (RFC 2811), so an
 * IRC gateway maps TOPIC, MODE, KICK, INVITE and AWAY onto them one to one.
 */
import { isObj } from './frameChecks';

/** The longest topic, in UTF-16 code units (IRC's usual TOPICLEN, so a topic fits one IRC line). */
export const MAX_TOPIC_CHARS = 390;
/** The longest kick reason or away message. */
export const MAX_REASON_CHARS = 300;
/** Bans one room keeps (IRC's MAXLIST b:100). */
export const MAX_BANS = 100;
/** Operators, and voiced people, one room keeps. */
export const MAX_OPS = 100;
/** Mode changes in one `mode` frame. */
export const MAX_MODE_CHANGES = 20;
/** A room key: 1 to this many characters. */
export const MAX_KEY_CHARS = 32;
/** A ban mask: 1 to this many characters (`id:cert:` and a SHA-256 fingerprint in hex is 72). */
export const MAX_MASK_CHARS = 80;
/** The largest member limit (+l). */
export const MAX_MEMBER_LIMIT = 100_000;

/** A room's topic: its text, who set it and when (ISO 8601 UTC). */
export interface Topic {
  text: string;
  by: string;
  at: string;
}

/**
 * A room's modes, by IRC letter. `n` (no outside messages: only members
 * write to a room) is always on. `k` is shown to members only.
 */
export interface RoomModes {
  n: true;
  /** Topic lock: only operators set the topic. */
  t: boolean;
  /** Invite-only: joining needs an invite (or operator status). */
  i: boolean;
  /** Moderated: only operators and voiced members write. */
  m: boolean;
  /** The key a join must give. */
  k?: string;
  /** The most members the room takes. */
  l?: number;
}

/** The mode letters a `mode` frame may change. */
export const MODE_LETTERS = ['n', 't', 'i', 'm', 'k', 'l', 'o', 'v', 'b'] as const;
export type ModeLetter = (typeof MODE_LETTERS)[number];

/**
 * One mode change: `+t`, `-i`, `+k` with the key, `+l` with the limit,
 * `+o`/`-o` and `+v`/`-v` with a name, `+b`/`-b` with a ban mask.
 */
export interface ModeChange {
  mode: `${'+' | '-'}${ModeLetter}`;
  arg?: string;
}

/** A ban as a room lists it. */
export interface Ban {
  /** A name pattern (`*` any run, `?` one character; compared case-insensitively), or `id:<identity>`. */
  mask: string;
  by: string;
  at: string;
}

/** What a welcome (for its room) and a `joined` reply say about the room, beyond its members and history. */
export interface RoomStateView {
  /** Absent when the room has none. */
  topic?: Topic;
  modes: RoomModes;
  /** The room's operators (online or not). */
  ops: string[];
  /** The room's voiced members. */
  voiced: string[];
}

// ---------------------------------------------------------------- client -> server

/** Set a room's topic (an empty text clears it). With +t only operators may. */
export interface TopicFrame {
  type: 'topic';
  id?: string;
  room: string;
  topic: string;
}
/** Change a room's modes, operators, voices or bans (operators only); all the changes or none. */
export interface ModeFrame {
  type: 'mode';
  id?: string;
  room: string;
  changes: ModeChange[];
}
/** Put someone out of a room (operators only). They may come back unless banned or the room is invite-only. */
export interface KickFrame {
  type: 'kick';
  id?: string;
  room: string;
  name: string;
  reason?: string;
}
/** Invite someone into a room: they may then join it past +i and +k once. */
export interface InviteFrame {
  type: 'invite';
  id?: string;
  room: string;
  name: string;
}
/** Mark yourself away with a message, or back without one. */
export interface AwayFrame {
  type: 'away';
  message?: string;
}
/** Ask for a room's topic, modes, operators, voices and bans. */
export interface RoomInfoRequest {
  type: 'room_info';
  id?: string;
  room: string;
}

// ---------------------------------------------------------------- server -> client

/** A room's topic changed (to every member, the setter included); `text` is empty when it was cleared. */
export interface TopicEvent {
  type: 'topic';
  room: string;
  text: string;
  by: string;
  at: string;
}
/** A room's modes changed (to every member, the operator included): the changes made, and the modes now. */
export interface ModeEvent {
  type: 'mode';
  room: string;
  by: string;
  changes: ModeChange[];
  modes: RoomModes;
}
/** Someone was put out of a room: to every member, the one kicked included (who is no longer in it). */
export interface KickEvent {
  type: 'kick';
  room: string;
  name: string;
  by: string;
  reason: string;
}
/** An invite: to the person invited, and to the inviter as the acknowledgement. */
export interface InviteEvent {
  type: 'invite';
  room: string;
  name: string;
  by: string;
}
/** Reply to room_info. Non-members do not see the key. */
export interface RoomInfoFrame extends RoomStateView {
  type: 'room_info';
  id?: string;
  room: string;
  bans: Ban[];
  /** How many people are in the room now. */
  count: number;
}

/** The room frames a client may send. */
export type RoomClientFrame = TopicFrame | ModeFrame | KickFrame | InviteFrame | AwayFrame | RoomInfoRequest;
/** The room frames a server may send. */
export type RoomServerFrame = TopicEvent | ModeEvent | KickEvent | InviteEvent | RoomInfoFrame;

export const ROOM_CLIENT_TYPES = ['topic', 'mode', 'kick', 'invite', 'away', 'room_info'] as const;

// ---------------------------------------------------------------- validation

/** Modes whose `+` needs an argument, and those whose `-` does. */
const ARG_ON_SET = new Set<string>(['k', 'l', 'o', 'v', 'b']);
const ARG_ON_UNSET = new Set<string>(['o', 'v', 'b']);
const MODE_PATTERN = new RegExp(`^[+-][${MODE_LETTERS.join('')}]$`);

/** C0/C1 controls, lone surrogates, and bidirectional overrides: nothing a topic or reason may hold. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;

/** Why a topic, kick reason or away message is refused, or undefined. `what` names it for the message. */
export function lineTextProblem(text: string, max: number, what: string): string | undefined {
  if (text.length > max) return `${what} has at most ${max} characters`;
  if (FORBIDDEN_TEXT.test(text)) return `${what} is one line of text: no control characters, line breaks or direction overrides`;
  return undefined;
}

/** Why a room key is refused (IRC's rules: no spaces or commas), or undefined. */
export function keyProblem(key: string): string | undefined {
  if (key.length < 1 || key.length > MAX_KEY_CHARS) return `a room key has 1 to ${MAX_KEY_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\s,:\u0000-\u001f\u007f]/.test(key)) return 'a room key holds no spaces, commas, colons or control characters';
  return undefined;
}

/** Why a ban mask is refused, or undefined. */
export function maskProblem(mask: string): string | undefined {
  if (mask.length < 1 || mask.length > MAX_MASK_CHARS) return `a ban mask has 1 to ${MAX_MASK_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f,]/.test(mask) || /\s{2}|^\s|\s$/.test(mask)) return 'a ban mask is a name pattern (* and ? allowed) or id:<identity>';
  return undefined;
}

/** Why a mode change list is malformed, or undefined. The server checks what the changes mean. */
function changesProblem(changes: unknown): string | undefined {
  if (!Array.isArray(changes) || changes.length === 0 || changes.length > MAX_MODE_CHANGES) return `mode needs "changes": 1 to ${MAX_MODE_CHANGES} of {"mode":"+t"} or {"mode":"+o","arg":"name"}`;
  for (const c of changes) {
    if (!isObj(c) || typeof c.mode !== 'string' || !MODE_PATTERN.test(c.mode)) return `each change is {"mode":"<+ or -><one of ${MODE_LETTERS.join('')}>"}`;
    if (c.arg !== undefined && typeof c.arg !== 'string') return '"arg" must be a string';
    const letter = c.mode[1];
    const needs = c.mode[0] === '+' ? ARG_ON_SET.has(letter) : ARG_ON_UNSET.has(letter);
    if (needs && (typeof c.arg !== 'string' || c.arg === '')) return `${c.mode} needs an "arg"`;
  }
  return undefined;
}

/** Why a room frame's fields are wrong, or undefined when it is well formed; protocol.ts calls this for the room types. */
export function roomFrameProblem(o: Record<string, unknown>): string | undefined {
  const optStr = (k: string) => o[k] === undefined || typeof o[k] === 'string';
  if (!optStr('id')) return '"id" must be a string';
  switch (o.type) {
    case 'topic':
      if (typeof o.room !== 'string') return 'topic needs a string "room"';
      if (typeof o.topic !== 'string') return 'topic needs a string "topic" (empty clears it)';
      return lineTextProblem(o.topic, MAX_TOPIC_CHARS, 'a topic');
    case 'mode':
      if (typeof o.room !== 'string') return 'mode needs a string "room"';
      return changesProblem(o.changes);
    case 'kick':
      if (typeof o.room !== 'string' || typeof o.name !== 'string') return 'kick needs a string "room" and "name"';
      if (!optStr('reason')) return '"reason" must be a string';
      return o.reason === undefined ? undefined : lineTextProblem(o.reason as string, MAX_REASON_CHARS, 'a reason');
    case 'invite':
      return typeof o.room === 'string' && typeof o.name === 'string' ? undefined : 'invite needs a string "room" and "name"';
    case 'away':
      if (!optStr('message')) return '"message" must be a string';
      return o.message === undefined ? undefined : lineTextProblem(o.message as string, MAX_REASON_CHARS, 'an away message');
    case 'room_info':
      return typeof o.room === 'string' ? undefined : 'room_info needs a string "room"';
  }
  return 'unknown';
}
