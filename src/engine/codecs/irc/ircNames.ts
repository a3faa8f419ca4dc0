import { createHash } from 'node:crypto';
import { nameProblem, roomProblem } from '../../protocol';
import { ircLower } from './casemap';

/**
 * Nicks and channels as IRC sees the chat's names and rooms.
 *
 * A nick is a chat name that IRC can carry: ASCII letters, digits and
 * `- _ \ ` ^ { | }`, not starting with a digit or '-', and acceptable to
 * nameProblem (so no brackets, no reserved words). An IRC user's nick is
 * therefore always their chat name, unchanged. A chat name that is not a nick
 * (spaces, accents, other scripts) is shown to IRC under a nick derived from
 * it (nickForName); the server keeps that mapping for the session.
 *
 * A channel is `#` and a room name; rooms are lower-case, and channel names
 * compare under CASEMAPPING=ascii, so `#General` is the room `general`.
 */

/** The longest nick: the same 32 characters as a chat name (nameProblem). */
export const NICK_MAX = 32;
/** The longest room name (roomProblem). */
export const ROOM_MAX = 32;
/** The longest channel name: '#' and a room name. */
export const CHANNEL_MAX = ROOM_MAX + 1;
/** The only channel type: rooms are shared across the whole server. */
export const CHANNEL_PREFIX = '#';

const NICK = /^[A-Za-z_\\`^{|}][A-Za-z0-9_\\`^{|}-]*$/;

/** Why a nick is refused (the text for ERR_ERRONEUSNICKNAME), or undefined when it is fine. */
export function nickProblem(nick: string): string | undefined {
  if (nick.length < 1 || nick.length > NICK_MAX) return `a nick has 1 to ${NICK_MAX} characters`;
  if (!NICK.test(nick)) return 'a nick is ASCII letters, digits and - _ \\ ` ^ { | }, and does not start with a digit or -';
  return nameProblem(nick);
}

/** True when a message target names a channel rather than a nick. */
export function isChannelName(target: string): boolean {
  return target.startsWith(CHANNEL_PREFIX);
}

/** The room a channel name stands for, or why there can be none (the text for ERR_NOSUCHCHANNEL). */
export function roomForChannel(channel: string): { room: string } | { problem: string } {
  if (!isChannelName(channel)) return { problem: `a channel name starts with ${CHANNEL_PREFIX}` };
  const room = ircLower(channel.slice(1));
  const problem = roomProblem(room);
  return problem === undefined ? { room } : { problem };
}

/** The channel name of a room. */
export function channelForRoom(room: string): string {
  return CHANNEL_PREFIX + room;
}

/**
 * The nick under which IRC sees a chat name: the name itself when it is a
 * valid nick, otherwise a readable ASCII form ("Zoë Chen" → "Zoe_Chen"). When
 * that is taken by someone else (`taken`), a numbered one ("Zoe_Chen_2"); a
 * name with nothing readable in ASCII gets a stable hash ("u1a2b3c4d").
 */
export function nickForName(name: string, taken: (nick: string) => boolean = () => false): string {
  if (nickProblem(name) === undefined && !taken(name)) return name;
  let base = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ /g, '_')
    .replace(/[^A-Za-z0-9_\\`^{|}-]/g, '');
  if (/^[0-9-]/.test(base)) base = `_${base}`;
  base = base.slice(0, NICK_MAX);
  if (base === '' || nickProblem(base) !== undefined) base = `u${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  if (!taken(base)) return base;
  for (let n = 2; n < 100; n++) {
    const suffix = `_${n}`;
    const nick = base.slice(0, NICK_MAX - suffix.length) + suffix;
    if (nickProblem(nick) === undefined && !taken(nick)) return nick;
  }
  // A hundred people with one name: hashes of the name and a count, still stable for the same inputs.
  let nick = base;
  for (let n = 0; n < 1000 && taken(nick); n++) nick = `u${createHash('sha256').update(`${name}\0${n}`).digest('hex').slice(0, 12)}`;
  return nick;
}

/** Looks up who is who across the two name spaces; the server's registry implements it. */
export interface NickDirectory {
  /** The nick IRC sees for a chat name that is online. */
  nickOf(name: string): string;
  /** The chat name behind a nick, or undefined when nobody online has it. */
  nameOf(nick: string): string | undefined;
}
