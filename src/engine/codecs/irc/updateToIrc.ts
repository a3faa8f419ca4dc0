import { isDmKey, type ChatMessage, type UpdateEvent } from '../../protocol';
import { foldName } from '../../stores/store';
import { MAX_BODY_BYTES, overheadBytes, type IrcMessage } from './ircMessage';
import { channelForRoom } from './ircNames';
import { msgidFor, quotedText, quoteText, reactionToIrc, redactionToIrc } from './messageRefs';

/** What updateToIrc asks about people. */
export interface UpdatePeople {
  nickOf(name: string): string;
  maskOf(name: string): string;
}

/** Longest edited text a fallback line carries, in bytes (less when the source and target are long). */
const EDIT_TEXT_BYTES = 400;

/**
 * A change to a message (an `update` with its `change`) as the IRC lines one
 * set of capabilities gets:
 *
 * - a reaction: `TAGMSG` with `+draft/reply` and `+draft/react` (or
 *   `+draft/unreact`) with message-tags; otherwise a NOTICE from the one who
 *   reacted, `reacted 👍 to ann's message: "first words…"`;
 * - a delete: `REDACT <target> <msgid>` with draft/message-redaction (and
 *   message-tags, which gives the msgids it names); otherwise a NOTICE
 *   `deleted a message` (`… from ann` when an operator deleted it);
 * - an edit: IRC has no standard edit, so everyone gets a NOTICE from the
 *   author, `[edit] the new text`, tagged `+draft/reply` with the original's
 *   msgid when the client has message-tags.
 *
 * Every fallback is one NOTICE (never answered automatically) of one line,
 * its quotes cleaned and cut by quoteText, so chat text cannot add a line, a
 * CTCP or a bidi override. An update without `change` (from a server that
 * predates it) says nothing on IRC.
 */
export function updateToIrc(u: UpdateEvent, caps: ReadonlySet<string>, people: UpdatePeople): IrcMessage[] {
  const change = u.change;
  if (!change) return [];
  const m = u.message;
  const source = people.maskOf(change.by);
  const target = targetFor(m, change.by, people);
  const msgid = msgidFor({ room: m.room, seq: m.seq });
  const tags = caps.has('message-tags');
  const time = caps.has('server-time') ? { time: new Date().toISOString() } : undefined;
  const notice = (text: string, extra?: Record<string, string>): IrcMessage[] => {
    const line: IrcMessage = { source, command: 'NOTICE', params: [target, text] };
    if (time || extra) line.tags = { ...time, ...extra };
    return [line];
  };
  const whose = people.nickOf(m.sender);

  switch (change.kind) {
    case 'react': {
      const emoji = quoteText(change.emoji, 64);
      if (emoji === '') return [];
      if (tags) return [withTime(reactionToIrc(source, target, { msgid, emoji, remove: !change.on }), time)];
      const quote = quoteText(quotedText(m));
      const about = quote === '' ? `${whose}'s message` : `${whose}'s message: "${quote}"`;
      return notice(change.on ? `reacted ${emoji} to ${about}` : `took back ${emoji} on ${about}`);
    }
    case 'delete':
      if (tags && caps.has('draft/message-redaction')) return [withTime(redactionToIrc(source, { target, msgid }), time)];
      return notice(foldName(change.by) === foldName(m.sender) ? 'deleted a message' : `deleted a message from ${whose}`);
    case 'edit': {
      const prefix = '[edit] ';
      const room = MAX_BODY_BYTES - overheadBytes(source, 'NOTICE', [target]) - Buffer.byteLength(prefix);
      const text = quoteText(quotedText(m), Math.min(EDIT_TEXT_BYTES, room));
      return notice(`${prefix}${text}`, tags ? { '+draft/reply': msgid } : undefined);
    }
  }
}

/**
 * Where the line goes: a room's channel; in a direct conversation, the other
 * person from the one who made the change (as a DM's PRIVMSG names its
 * recipient, for the echo as for the one it reaches).
 */
function targetFor(m: ChatMessage, by: string, people: UpdatePeople): string {
  if (!isDmKey(m.room)) return channelForRoom(m.room);
  const other = foldName(by) === foldName(m.sender) ? (m.to ?? '') : m.sender;
  return people.nickOf(other);
}

function withTime(line: IrcMessage, time: { time: string } | undefined): IrcMessage {
  if (time) line.tags = { ...line.tags, ...time };
  return line;
}
