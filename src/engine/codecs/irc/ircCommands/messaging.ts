import { VERSION } from '../../../version';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, roomForChannel } from '../ircNames';
import { ircLinesToChat, privmsgToChat, type ChatTarget } from '../ircToChat';
import { rplAway, standardReply } from '../numerics';
import { react, replySeq } from './messageChanges';
import { MAX_TARGETS } from './registration';

/** PRIVMSG and NOTICE: one chat message per target (a room, or a person by name); CTCP requests are answered here. */
export async function privmsg(c: IrcCodec, m: IrcMessage): Promise<void> {
  const command = m.command === 'NOTICE' ? 'NOTICE' : 'PRIVMSG';
  for (const item of privmsgToChat(m, c.reply(), c.gateway.nicks, MAX_TARGETS)) {
    if (item.kind === 'error') c.send(item.reply);
    else if (item.kind === 'ctcp') answerCtcp(c, item.target, item.command, item.args, item.notice);
    else await say(c, item.target, item.text, command, item.replyTo === undefined ? undefined : replySeq(c, targetName(c, item.target), item.replyTo));
  }
}

/** Hand one chat message to the server; its echo (or the error) comes back through the codec. */
async function say(c: IrcCodec, target: ChatTarget, text: string, command: 'PRIVMSG' | 'NOTICE', replyTo?: number): Promise<void> {
  const id = c.messageId();
  const label = c.labelNow;
  const about = { kind: 'message' as const, command, target: targetName(c, target), ...(label !== undefined && { label }) };
  const frame = { type: 'message' as const, id, ...('room' in target ? { room: target.room } : { to: target.to }), text, ...(replyTo !== undefined && { replyTo }) };
  await c.request(frame, about);
  // 301 tells who writes to someone away that they are (a NOTICE never earns a reply).
  if ('to' in target && command === 'PRIVMSG') {
    const away = c.view.awayOf(target.to);
    if (away !== undefined) c.send(rplAway(c.reply(), c.gateway.nickOf(target.to), away));
  }
}

/** A chat target as IRC names it: `#room`, or a nick. */
function targetName(c: IrcCodec, target: ChatTarget): string {
  return 'room' in target ? channelForRoom(target.room) : c.gateway.nickOf(target.to);
}

/**
 * CTCP requests are never delivered as text. To a person, the server answers
 * VERSION, PING, TIME and CLIENTINFO in their place (a panel user has no IRC
 * client to answer); the rest, and anything to a room, is dropped.
 */
function answerCtcp(c: IrcCodec, target: ChatTarget, command: string, args: string, notice: boolean): void {
  if (notice || !('to' in target)) return;
  const reply = ctcpReply(command, args);
  if (reply === undefined) return;
  c.send({ source: c.gateway.maskOf(target.to), command: 'NOTICE', params: [c.nick, `\x01${reply}\x01`] });
}

function ctcpReply(command: string, args: string): string | undefined {
  switch (command) {
    case 'VERSION':
      return `VERSION TCP Chat ${VERSION} (through the IRC gateway)`;
    case 'PING':
      return `PING ${args}`.trimEnd();
    case 'TIME':
      return `TIME ${new Date().toUTCString()}`;
    case 'CLIENTINFO':
      return 'CLIENTINFO ACTION CLIENTINFO PING TIME VERSION';
    default:
      return undefined;
  }
}

/** TAGMSG: `+draft/react` and `+draft/unreact` become reactions, `+typing=active` the chat's typing notice; other client tags have nothing to carry them. */
export async function tagmsg(c: IrcCodec, m: IrcMessage): Promise<void> {
  if (await react(c, m)) return;
  if (m.tags?.['+typing'] !== 'active') return;
  const target = m.params[0];
  // A typing notice never earns an error: it is asked for as quietly as a NOTICE.
  const about = { kind: 'message' as const, command: 'NOTICE' as const, target };
  if (isChannelName(target)) {
    const r = roomForChannel(target);
    if ('room' in r && c.session.rooms.has(r.room)) await c.request({ type: 'typing', room: r.room }, about);
    return;
  }
  const to = c.gateway.nicks.nameOf(target);
  if (to !== undefined) await c.request({ type: 'typing', to }, about);
}

/** BATCH and the lines tagged with its reference: a client's draft/multiline message, delivered as one chat message. */
export async function batch(c: IrcCodec, m: IrcMessage): Promise<void> {
  if (!c.caps.has('batch') || !c.caps.has('draft/multiline')) {
    return c.send(standardReply(c.gateway.serverName, 'FAIL', 'BATCH', 'MULTILINE_INVALID', [], 'Negotiate batch and draft/multiline before sending a multiline batch'));
  }
  const outcome = c.multiline.offer(m);
  switch (outcome.kind) {
    case 'pass':
    case 'taken':
      return;
    case 'fail':
      return c.send(standardReply(c.gateway.serverName, 'FAIL', 'BATCH', outcome.code, outcome.context, outcome.description));
    case 'done': {
      const text = ircLinesToChat(outcome.lines);
      if (text.kind !== 'text') return;
      const target = resolveTarget(c, outcome.target);
      const reply = outcome.tags['+draft/reply'];
      if (target) return say(c, target, text.text, 'PRIVMSG', reply === undefined ? undefined : replySeq(c, outcome.target, reply));
      return c.send(standardReply(c.gateway.serverName, 'FAIL', 'BATCH', 'MULTILINE_INVALID_TARGET', [outcome.target], 'No such channel or nick'));
    }
  }
}

function resolveTarget(c: IrcCodec, target: string): ChatTarget | undefined {
  if (isChannelName(target)) {
    const r = roomForChannel(target);
    return 'room' in r ? { room: r.room } : undefined;
  }
  const to = c.gateway.nicks.nameOf(target);
  return to === undefined ? undefined : { to };
}
