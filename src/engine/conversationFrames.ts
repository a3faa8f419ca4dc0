/**
 * The conversation part of wire protocol v1 (docs/protocol.md, "Replies,
 * reactions, edits and deletes"): frames that name a message by room and
 * seq, the reply quote and reaction shapes a message carries, and their
 * checks. protocol.ts folds these frames into its unions; they live here so
 * the protocol file stays readable.
 */
import type { ChatMessage } from './protocol';
import { isSeq, optInt, optStr } from './frameChecks';

/** Distinct emoji one message may carry; one more is refused with `too_many_reactions`. */
export const MAX_DISTINCT_REACTIONS = 20;
/** Names a reaction lists in `people` (the count goes on). */
export const MAX_REACTION_PEOPLE = 20;
/** Characters of the original's current text a reply quotes. */
export const MAX_EXCERPT_CHARS = 140;

/** The message a reply answers, as it reads now. */
export interface ReplyQuote {
  seq: number;
  sender: string;
  /** At most MAX_EXCERPT_CHARS of its current text; absent when it is deleted (or no longer kept). */
  excerpt?: string;
  deleted?: true;
}

/** One emoji on a message: how many reacted with it, and the names (as they were then) of the first MAX_REACTION_PEOPLE. */
export interface Reaction {
  emoji: string;
  count: number;
  people: string[];
}

/** Add (`on: true`) or take back your reaction to a message. Charged like a message. */
export interface ReactFrame {
  type: 'react';
  id?: string;
  /** Room name, or the DM key the message was delivered under. */
  room: string;
  seq: number;
  /** One emoji (a single grapheme) or a `:shortcode:`; see reactionProblem. */
  emoji: string;
  on: boolean;
}
/** Replace the text of your own message. */
export interface EditFrame {
  type: 'edit';
  id?: string;
  room: string;
  seq: number;
  text: string;
}
/** Delete a message: your own, or any in a room you operate. Its text is erased from the server's history and search. */
export interface DeleteFrame {
  type: 'delete';
  id?: string;
  room: string;
  seq: number;
}
/** Ask for the messages of a room that changed since a `rev`, oldest change first. */
export interface ChangesRequest {
  type: 'changes';
  id?: string;
  room: string;
  since: number;
  limit?: number;
}

/** A message changed (reply quote aside): its whole latest state, to everyone who can see it. */
export interface UpdateEvent {
  type: 'update';
  room: string;
  /** The room's change counter after this change (equal to `message.rev`). */
  rev: number;
  message: ChatMessage;
  /** What changed and who changed it (for gateways that relay a change, not a state: IRC's TAGMSG and REDACT). */
  change?: UpdateChange;
}
/** One change to a message: `by` is the name of who made it, as it was then. */
export type UpdateChange = { kind: 'react'; by: string; emoji: string; on: boolean } | { kind: 'edit'; by: string } | { kind: 'delete'; by: string };
/** Reply to `changes`: the latest state of each message changed after `since`, ordered by `rev`. */
export interface ChangesFrame {
  type: 'changes';
  id?: string;
  room: string;
  /** The room's change counter now. */
  rev: number;
  messages: ChatMessage[];
  /** More changes follow: ask again with `since` = the last message's `rev`. */
  more: boolean;
}

/** The client frame types this file defines. */
export const CONVERSATION_CLIENT_TYPES = ['react', 'edit', 'delete', 'changes'] as const;

/** Why a react, edit, delete or changes frame is malformed. */
export function conversationProblem(o: Record<string, unknown>): string | undefined {
  if (typeof o.room !== 'string') return `${o.type} needs a string "room"`;
  if (!optStr(o, 'id')) return '"id" must be a string';
  if (o.type === 'changes') {
    if (!Number.isSafeInteger(o.since) || (o.since as number) < 0) return 'changes needs a non-negative integer "since"';
    return optInt(o, 'limit') ? undefined : '"limit" must be a non-negative integer';
  }
  if (!isSeq(o.seq)) return `${o.type} needs a positive integer "seq"`;
  if (o.type === 'edit' && typeof o.text !== 'string') return 'edit needs a string "text"';
  if (o.type === 'react') {
    if (typeof o.on !== 'boolean') return 'react needs "on": true or false';
    if (typeof o.emoji !== 'string') return 'react needs a string "emoji"';
    return reactionProblem(o.emoji);
  }
  return undefined;
}
// One emoji: pictographs with their modifiers, joiners, variation selectors, keycaps and flags; nothing that draws as text.
const EMOJI = /^(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F|\u20E3)?(?:\u200D\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F)?)*)$/u;
const SHORTCODE = /^:[a-z0-9_+-]{1,30}:$/;

/**
 * Why a reaction is refused, or undefined: a reaction is one emoji (a single
 * grapheme: a pictograph with skin tone, ZWJ sequence, keycap or flag) or a
 * `:shortcode:` of a-z, 0-9, `_`, `+` and `-`; at most 32 characters. So a
 * reaction can never carry control, bidi or invisible characters, or words.
 */
export function reactionProblem(emoji: string): string | undefined {
  if (emoji.length < 1 || emoji.length > 32) return 'a reaction has 1 to 32 characters';
  if (EMOJI.test(emoji) || SHORTCODE.test(emoji)) return undefined;
  return 'a reaction is one emoji or a :shortcode: of a-z, 0-9, "_", "+" and "-"';
}
