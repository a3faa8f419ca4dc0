import { dmKey, dmPeer, reactionProblem, type ErrorFrame } from '../../../protocol';
import type { IrcCodec, Request } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { isChannelName, nickProblem, roomForChannel } from '../ircNames';
import { parseMsgid, readReaction, readRedaction, type MessageRef } from '../messageRefs';
import { standardReply } from '../numerics';

/**
 * IRC → chat for changes to messages (issue 15): `REDACT` becomes a delete,
 * a TAGMSG with `+draft/react` or `+draft/unreact` a reaction, and a
 * `+draft/reply` on a PRIVMSG the message it answers. Each is the same frame
 * the panel sends, so the server decides who may do what (only the author
 * edits, the author or a room operator deletes; by identity, not name) and
 * charges it against the same limits.
 *
 * A message the client may not see is answered exactly as one that does not
 * exist (UNKNOWN_MSGID): msgids are guessable, so any other answer would tell
 * what a room the client is not in holds.
 */

type ChangeRequest = Extract<Request, { kind: 'change' }>;

/** `REDACT <target> <msgid> [:reason]` (draft/message-redaction). The chat keeps no reason, so none is relayed. */
export async function redact(c: IrcCodec, m: IrcMessage): Promise<void> {
  const read = readRedaction(m);
  if (!read.ok) {
    if (read.code === 'NEED_MORE_PARAMS') return c.send(fail(c, 'REDACT', 'NEED_MORE_PARAMS', [], 'Not enough parameters'));
    return c.send(unknownMsgid(c, { kind: 'change', command: 'REDACT', target: m.params[0], msgid: m.params[1] }));
  }
  const { target, msgid } = read.redaction;
  const about: ChangeRequest = { kind: 'change', command: 'REDACT', target, msgid };
  if (!isTarget(target)) return c.send(fail(c, 'REDACT', 'INVALID_TARGET', [target], `You cannot delete messages from ${target}`));
  const ref = messageIn(c, target, msgid);
  if (!ref) return c.send(unknownMsgid(c, about));
  await c.request({ type: 'delete', room: ref.room, seq: ref.seq }, about);
}

/**
 * A TAGMSG's reaction, if it carries one: true when it did (answered or
 * handed to the server), false when the TAGMSG is about something else.
 */
export async function react(c: IrcCodec, m: IrcMessage): Promise<boolean> {
  const tags = m.tags ?? {};
  if (tags['+draft/react'] === undefined && tags['+draft/unreact'] === undefined) return false;
  const target = m.params[0];
  const msgid = tags['+draft/reply'] ?? '';
  const about: ChangeRequest = { kind: 'change', command: 'TAGMSG', target, msgid };
  const reaction = readReaction(m);
  const problem = reaction ? reactionProblem(reaction.emoji) : 'a reaction needs +draft/reply and one emoji';
  if (!reaction || problem !== undefined) return send(c, fail(c, 'TAGMSG', 'INVALID_REACTION', [target], `Reaction not sent: ${problem}`));
  if (!isTarget(target)) return send(c, fail(c, 'TAGMSG', 'INVALID_TARGET', [target], `You cannot react to messages in ${target}`));
  const ref = messageIn(c, target, reaction.msgid);
  if (!ref) return send(c, unknownMsgid(c, about));
  await c.request({ type: 'react', room: ref.room, seq: ref.seq, emoji: reaction.emoji, on: !reaction.remove }, about);
  return true;
}

function send(c: IrcCodec, line: IrcMessage): true {
  c.send(line);
  return true;
}

/**
 * The seq a `+draft/reply` names, when it is a message of the conversation
 * the PRIVMSG goes to; undefined otherwise (client tags are best effort: the
 * message then goes out as it would without the tag).
 */
export function replySeq(c: IrcCodec, target: string, msgid: string): number | undefined {
  return messageIn(c, target, msgid)?.seq;
}

/** A refused REDACT or reaction as a FAIL (see standard replies). */
export function changeFailReplies(c: IrcCodec, about: ChangeRequest, e: ErrorFrame): IrcMessage[] {
  switch (e.code) {
    case 'bad_target':
    case 'not_in_room':
      return [unknownMsgid(c, about)];
    case 'not_allowed':
      return [fail(c, about.command, 'REDACT_FORBIDDEN', [about.target, about.msgid], 'You are not authorised to delete this message')];
    case 'too_many_reactions':
      return [fail(c, about.command, 'TOO_MANY_REACTIONS', [about.target, about.msgid], e.message)];
    case 'rate_limited':
      return [fail(c, about.command, 'RATE_LIMITED', [about.target], e.message)];
    default:
      return [fail(c, about.command, 'MESSAGE_ERROR', [about.target], e.message)];
  }
}

function unknownMsgid(c: IrcCodec, about: ChangeRequest): IrcMessage {
  return fail(c, about.command, 'UNKNOWN_MSGID', [about.target ?? '*', about.msgid || '*'], 'This message does not exist or you cannot see it');
}

function fail(c: IrcCodec, command: string, code: string, context: string[], text: string): IrcMessage {
  // A context parameter is a middle parameter: it cannot be empty or hold a space (the writer would refuse the line).
  const safe = context.map((p) => (p === '' || /[\s\0:]/.test(p) || p.length > 100 ? '*' : p));
  return standardReply(c.gateway.serverName, 'FAIL', command, code, safe, text);
}

/** A channel name, or a nick, as a target of a change. */
function isTarget(target: string): boolean {
  return isChannelName(target) ? 'room' in roomForChannel(target) : nickProblem(target) === undefined;
}

/**
 * The message a msgid names, when it belongs to the conversation `target`
 * names for this client: the channel's room, or a direct conversation of
 * this client with that nick. Whether the client may see it is the server's
 * to say.
 */
function messageIn(c: IrcCodec, target: string, msgid: string): MessageRef | undefined {
  const ref = parseMsgid(msgid);
  if (!ref) return undefined;
  if (isChannelName(target)) {
    const r = roomForChannel(target);
    return 'room' in r && r.room === ref.room ? ref : undefined;
  }
  const me = c.session.id;
  if (dmPeer(ref.room, me) === undefined) return undefined;
  // Someone on this node: the conversation must be the one with them (on another node, the server's check is all there is).
  const name = c.gateway.nicks.nameOf(target);
  const peer = name === undefined ? undefined : c.view.session(name);
  if (peer && dmKey(me, peer.id) !== ref.room) return undefined;
  return ref;
}
