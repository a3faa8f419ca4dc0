import { ircEquals } from './casemap';
import { ircToMarkdown } from './ircFormatting';
import type { IrcMessage } from './ircMessage';
import { isChannelName, roomForChannel, type NickDirectory } from './ircNames';
import { replyTarget } from './messageRefs';
import { errNoRecipient, errNoSuchChannel, errNoSuchNick, errNoTextToSend, errTooManyTargets, type ReplyContext } from './numerics';

/**
 * IRC → chat: what a PRIVMSG or NOTICE from an IRC client asks the chat to
 * deliver.
 *
 * Text from IRC can never become a command on the chat side: formatting codes
 * become Markdown, every other control character is dropped, a CTCP request
 * (VERSION, PING, DCC...) is reported apart and never delivered as text, and
 * a plain line that reads like our `/me` action is escaped (`\/me`), which the
 * panel shows as the "/me" that was typed.
 */

/** Where a message goes on the chat side: a room, or a person by chat name. */
export type ChatTarget = { room: string } | { to: string };

/** One thing to do for an incoming PRIVMSG or NOTICE. */
export type IrcInbound =
  /** Deliver `text` (panel Markdown; an action starts with "/me "). */
  | { kind: 'message'; target: ChatTarget; text: string; notice: boolean; replyTo?: string }
  /** A CTCP request other than ACTION; the server may answer VERSION, PING, TIME or CLIENTINFO itself, and drops the rest. */
  | { kind: 'ctcp'; target: ChatTarget; command: string; args: string; notice: boolean }
  /** A numeric to send back to the IRC client. */
  | { kind: 'error'; reply: IrcMessage };

/** The text of one IRC message as the chat sees it. */
export type ChatText = { kind: 'text'; text: string } | { kind: 'ctcp'; command: string; args: string } | { kind: 'empty' };

const CTCP = '\x01';

/** One line of IRC message text (PRIVMSG or NOTICE) for the chat. */
export function ircTextToChat(text: string): ChatText {
  if (text.startsWith(CTCP)) {
    const body = text.endsWith(CTCP) && text.length > 1 ? text.slice(1, -1) : text.slice(1);
    const space = body.indexOf(' ');
    const command = (space === -1 ? body : body.slice(0, space)).toUpperCase();
    const args = space === -1 ? '' : body.slice(space + 1);
    if (command !== 'ACTION') return { kind: 'ctcp', command: ircToMarkdown(command).slice(0, 32), args: ircToMarkdown(args).slice(0, 400) };
    const action = ircToMarkdown(args).trim();
    return action === '' ? { kind: 'empty' } : { kind: 'text', text: `/me ${action}` };
  }
  const converted = ircToMarkdown(text);
  if (converted.trim() === '') return { kind: 'empty' };
  return { kind: 'text', text: /^\/me(?: |$)/.test(converted) ? `\\${converted}` : converted };
}

/** Several lines (a draft/multiline batch) as one chat text; an action is not a thing in a batch, so CTCP stays text. */
export function ircLinesToChat(lines: readonly string[]): ChatText {
  const text = lines.map((l) => ircToMarkdown(l)).join('\n');
  if (text.trim() === '') return { kind: 'empty' };
  return { kind: 'text', text: /^\/me(?: |$)/.test(text) ? `\\${text}` : text };
}

/**
 * A PRIVMSG or NOTICE as things to deliver, one per target, or the numerics
 * it earns: 411 without a target, 412 without text, 407 over `maxTargets`,
 * 403 for a channel name that cannot be a room, 401 for a nick nobody has.
 * A NOTICE never earns a reply (RFC 2812: no automatic replies to a NOTICE);
 * its bad targets are dropped silently.
 */
export function privmsgToChat(message: IrcMessage, ctx: ReplyContext, directory: NickDirectory, maxTargets: number): IrcInbound[] {
  const notice = message.command === 'NOTICE';
  const error = (reply: IrcMessage): IrcInbound[] => (notice ? [] : [{ kind: 'error', reply }]);
  const [targetList, text] = message.params;
  if (targetList === undefined || targetList === '') return error(errNoRecipient(ctx, message.command));
  if (text === undefined || text === '') return error(errNoTextToSend(ctx));
  const targets: string[] = [];
  for (const t of targetList.split(',')) if (t !== '' && !targets.some((seen) => ircEquals(seen, t))) targets.push(t);
  if (targets.length > maxTargets) return error(errTooManyTargets(ctx, targetList, maxTargets));
  const content = ircTextToChat(text);
  if (content.kind === 'empty') return error(errNoTextToSend(ctx));
  const replyTo = replyTarget(message);

  const out: IrcInbound[] = [];
  for (const t of targets) {
    let target: ChatTarget;
    if (isChannelName(t)) {
      const r = roomForChannel(t);
      if ('problem' in r) {
        out.push(...error(errNoSuchChannel(ctx, t, r.problem)));
        continue;
      }
      target = { room: r.room };
    } else {
      const name = directory.nameOf(t);
      if (name === undefined) {
        out.push(...error(errNoSuchNick(ctx, t)));
        continue;
      }
      target = { to: name };
    }
    if (content.kind === 'ctcp') out.push({ kind: 'ctcp', target, command: content.command, args: content.args, notice });
    else out.push(replyTo === undefined ? { kind: 'message', target, text: content.text, notice } : { kind: 'message', target, text: content.text, notice, replyTo });
  }
  return out;
}

/** What a JOIN asks for: rooms with their keys, or `JOIN 0` (leave every room). */
export type JoinRequest = { kind: 'leave_all' } | { kind: 'join'; rooms: { channel: string; room?: string; problem?: string; key?: string }[] };

/** Reads `JOIN <channel>{,<channel>} [<key>{,<key>}]`; each channel that cannot be a room carries its problem (for 403). */
export function parseJoin(params: readonly string[]): JoinRequest | undefined {
  const [channels, keys] = params;
  if (channels === undefined || channels === '') return undefined;
  if (channels === '0') return { kind: 'leave_all' };
  const keyList = keys === undefined ? [] : keys.split(',');
  const rooms = channels
    .split(',')
    .filter((c) => c !== '')
    .map((channel, i) => {
      const r = roomForChannel(channel);
      const key = keyList[i] || undefined;
      const entry: { channel: string; room?: string; problem?: string; key?: string } = 'room' in r ? { channel, room: r.room } : { channel, problem: r.problem };
      if (key !== undefined) entry.key = key;
      return entry;
    });
  return rooms.length > 0 ? { kind: 'join', rooms } : undefined;
}
