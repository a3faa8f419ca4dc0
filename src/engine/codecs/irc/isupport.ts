import { CASEMAPPING } from './casemap';
import type { IrcMessage } from './ircMessage';
import { MAX_BODY_BYTES, serializeIrcMessage } from './ircMessage';
import { CHANNEL_MAX, CHANNEL_PREFIX, NICK_MAX } from './ircNames';
import { RPL, numeric, type ReplyContext } from './numerics';

/**
 * RPL_ISUPPORT (005): what this server supports, built from its real limits
 * so that the numbers a client reads are the numbers the server enforces.
 */

/** Channel modes by CHANMODES type: A (list), B (always a parameter), C (parameter when set), D (flags). */
export const CHANNEL_MODES = { list: 'b', alwaysParam: 'k', paramWhenSet: 'l', flags: 'imnt' } as const;
/** Membership modes and their prefixes, most privileged first: room operator, voice. */
export const MEMBER_MODES = { modes: 'ov', prefixes: '@+' } as const;
/** User modes: invisible. */
export const USER_MODES = 'i';

/** The limits ISUPPORT reports; the server passes the ones it enforces. */
export interface IsupportLimits {
  /** Shown by clients as the network's name. */
  network: string;
  /** Characters in a topic; undefined while topics cannot be set (no TOPICLEN). */
  topicLen?: number;
  /** Characters in an away message; undefined while away cannot be set (no AWAYLEN). */
  awayLen?: number;
  /** Characters in a kick reason; undefined while nobody can kick (no KICKLEN). */
  kickLen?: number;
  /** Rooms one person may be in. */
  maxChannels: number;
  /** Targets of one PRIVMSG or NOTICE. */
  maxTargets: number;
  /** Bans per room. */
  maxBans: number;
  /** Parameter modes in one MODE command. */
  modesPerCommand: number;
  /** Most messages one CHATHISTORY request returns; leave out while draft/chathistory is off. */
  chathistory?: number;
  /** Set once LIST can never cut a client off for its volume (it goes through the bounded output queue). */
  safelist?: boolean;
  /** The channel modes the server supports now, by CHANMODES type; default CHANNEL_MODES. */
  channelModes?: { list: string; alwaysParam: string; paramWhenSet: string; flags: string };
  /** The membership modes and prefixes the server supports now; default MEMBER_MODES. */
  memberModes?: { modes: string; prefixes: string };
}

/** Escapes an ISUPPORT value: space, backslash and '=' as \x20, \x5C and \x3D. */
export function escapeIsupportValue(value: string): string {
  return value.replace(/[\\ =]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The tokens, sorted, each `NAME` or `NAME=value`. */
export function isupportTokens(limits: IsupportLimits): string[] {
  const { list, alwaysParam, paramWhenSet, flags } = limits.channelModes ?? CHANNEL_MODES;
  const member = limits.memberModes ?? MEMBER_MODES;
  const tokens = [
    ...(limits.awayLen === undefined ? [] : [`AWAYLEN=${limits.awayLen}`]),
    `CASEMAPPING=${CASEMAPPING}`,
    `CHANLIMIT=${CHANNEL_PREFIX}:${limits.maxChannels}`,
    `CHANMODES=${list},${alwaysParam},${paramWhenSet},${flags}`,
    `CHANNELLEN=${CHANNEL_MAX}`,
    `CHANTYPES=${CHANNEL_PREFIX}`,
    ...(limits.kickLen === undefined ? [] : [`KICKLEN=${limits.kickLen}`]),
    `LINELEN=${MAX_BODY_BYTES}`,
    ...(list === '' ? [] : [`MAXLIST=${list}:${limits.maxBans}`]),
    `MAXTARGETS=${limits.maxTargets}`,
    `MODES=${limits.modesPerCommand}`,
    `NETWORK=${escapeIsupportValue(limits.network)}`,
    `NICKLEN=${NICK_MAX}`,
    member.modes === '' ? 'PREFIX=' : `PREFIX=(${member.modes})${member.prefixes}`,
    `TARGMAX=JOIN:,KICK:1,LIST:1,NAMES:1,NOTICE:${limits.maxTargets},PART:,PRIVMSG:${limits.maxTargets},WHOIS:1`,
    ...(limits.topicLen === undefined ? [] : [`TOPICLEN=${limits.topicLen}`]),
    // Lines are decoded as UTF-8 and invalid bytes replaced, so nothing else is ever relayed.
    'UTF8ONLY',
  ];
  if (limits.chathistory !== undefined) tokens.push(`CHATHISTORY=${limits.chathistory}`, 'MSGREFTYPES=msgid,timestamp');
  if (limits.safelist) tokens.push('SAFELIST');
  return tokens.sort();
}

const TEXT = 'are supported by this server';
/** A 005 reply holds at most 13 tokens (15 parameters in all). */
const MAX_TOKENS_PER_REPLY = 13;

/** The 005 replies for a set of tokens: at most 13 tokens each, and each within 512 bytes. */
export function isupportReplies(ctx: ReplyContext, tokens: readonly string[]): IrcMessage[] {
  const out: IrcMessage[] = [];
  let batch: string[] = [];
  const build = (t: readonly string[]): IrcMessage => numeric(ctx, RPL.ISUPPORT, ...t, TEXT);
  for (const token of tokens) {
    const next = [...batch, token];
    if (next.length > MAX_TOKENS_PER_REPLY || !serializeIrcMessage(build(next)).ok) {
      if (batch.length > 0) out.push(build(batch));
      batch = [token];
    } else {
      batch = next;
    }
  }
  if (batch.length > 0) out.push(build(batch));
  return out;
}
