import type { ChatMessage, ErrorFrame, HistoryFrame, ServerFrame } from '../../protocol';
import { wrapBatch } from './batches';
import { foldName } from '../../stores/store';
import type { IrcCodec, Request } from './ircCodec';
import { joinedReplies } from './ircCommands/channels';
import { changeFailReplies } from './ircCommands/messageChanges';
import { welcomeReplies } from './ircCommands/registration';
import type { IrcMessage } from './ircMessage';
import { channelForRoom } from './ircNames';
import {
  ERR,
  errBadChannelKey,
  errBannedFromChan,
  errCannotSendToChan,
  errChanOPrivsNeeded,
  errChannelIsFull,
  errInvalidKey,
  errInvalidModeParam,
  errInviteOnlyChan,
  errUserNotInChannel,
  errUserOnChannel,
  rplInviting,
  errErroneusNickname,
  errNicknameInUse,
  errNoSuchChannel,
  errNoSuchNick,
  errNotOnChannel,
  errPasswdMismatch,
  numeric,
  standardReply,
} from './numerics';

/** The IRC lines for a frame the server sent this connection alone, and whether they answer the command being handled. */
export function answerFrame(c: IrcCodec, frame: ServerFrame): { messages: IrcMessage[]; reply: boolean } {
  switch (frame.type) {
    case 'welcome':
      return { messages: welcomeReplies(c, frame), reply: true };
    case 'challenge':
      c.challenge = frame; // answered by the registration, which is waiting for it
      return { messages: [], reply: true };
    case 'joined':
      return { messages: joinedReplies(c, frame), reply: true };
    case 'left': {
      const about = c.current;
      const reason = about?.kind === 'part' ? about.reason : undefined;
      const params = reason ? [channelForRoom(frame.room), reason] : [channelForRoom(frame.room)];
      return { messages: [{ source: c.mask(), command: 'PART', params }], reply: true };
    }
    case 'message':
      return ownMessage(c, frame);
    case 'error':
      return { messages: errorReplies(c, frame), reply: true };
    case 'history':
      return { messages: historyBatch(c, frame), reply: true };
    case 'pong':
      return { messages: [{ source: c.gateway.serverName, command: 'PONG', params: [c.gateway.serverName, String(frame.id ?? c.gateway.serverName)] }], reply: true };
    case 'ping':
      return { messages: [{ command: 'PING', params: [c.gateway.serverName] }], reply: false };
    case 'presence':
    case 'people':
    case 'typing':
    case 'file_offer':
    case 'update':
      return { messages: c.variant.lines(frame), reply: false };
    case 'invite':
      // To the one invited, an INVITE; to the inviter, 341 as the acknowledgement.
      if (foldName(frame.name) === foldName(c.session.name)) {
        return { messages: [{ source: c.gateway.maskOf(frame.by), command: 'INVITE', params: [c.nick, channelForRoom(frame.room)] }], reply: false };
      }
      return { messages: [rplInviting(c.reply(), c.gateway.nickOf(frame.name), channelForRoom(frame.room))], reply: true };
    default:
      return { messages: [], reply: false };
  }
}

/** The last lines before the server closes the connection. */
export function farewell(c: IrcCodec, frame: ServerFrame): IrcMessage[] {
  const reason = frame.type === 'error' ? frame.message : frame.type === 'bye' ? frame.reason : 'closing';
  const error: IrcMessage = { command: 'ERROR', params: [`Closing link: ${c.nick} (${reason})`] };
  if (frame.type === 'error' && frame.code === 'auth_failed') return [errPasswdMismatch(c.reply(), frame.message), error];
  return [error];
}

/**
 * The client's own message back from the server: with echo-message, as its
 * channel sees it (plus the label of the command that sent it); without,
 * nothing. A NOTICE comes back as a NOTICE.
 */
function ownMessage(c: IrcCodec, m: ChatMessage): { messages: IrcMessage[]; reply: boolean } {
  const about = c.pending.get(m.id);
  c.pending.delete(m.id);
  if (!c.caps.has('echo-message')) return { messages: [], reply: true };
  let lines = c.variant.message(m, { batchRef: c.batchRef() });
  if (about?.command === 'NOTICE') lines = lines.map((l) => (l.command === 'PRIVMSG' ? { ...l, command: 'NOTICE' } : l));
  // Its command is over already (another node's bus was slower): the echo carries the label by itself.
  if (about?.label !== undefined && about.label !== c.labelNow) return { messages: c.labeled(about.label, lines), reply: false };
  return { messages: lines, reply: true };
}

/** A server error as the numeric the IRC command that caused it expects. */
function errorReplies(c: IrcCodec, e: ErrorFrame): IrcMessage[] {
  const ctx = c.reply();
  const byRef = e.ref === undefined ? undefined : c.pending.get(e.ref);
  if (e.ref !== undefined) c.pending.delete(e.ref);
  const about = byRef ?? c.current;
  const notice = (text: string): IrcMessage[] => [{ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, text] }];
  switch (about?.kind) {
    case 'message':
      if (about.command === 'NOTICE') return []; // a NOTICE never earns a reply
      if (e.code === 'not_in_room') return [errCannotSendToChan(ctx, about.target, `join ${about.target} first`)];
      if (e.code === 'banned' || e.code === 'moderated') return [errCannotSendToChan(ctx, about.target, e.message)];
      if (e.code === 'no_such_user') return [errNoSuchNick(ctx, about.target)];
      return notice(`Your message to ${about.target} was not sent: ${e.message}`);
    case 'join':
      if (e.code === 'too_many_rooms') return [numeric(ctx, ERR.TOOMANYCHANNELS, about.channel, e.message)];
      if (e.code === 'bad_room') return [errNoSuchChannel(ctx, about.channel, e.message)];
      if (e.code === 'banned') return [errBannedFromChan(ctx, about.channel)];
      if (e.code === 'invite_only') return [errInviteOnlyChan(ctx, about.channel)];
      if (e.code === 'bad_key') return [errBadChannelKey(ctx, about.channel)];
      if (e.code === 'room_full') return [errChannelIsFull(ctx, about.channel)];
      return notice(`Cannot join ${about.channel}: ${e.message}`);
    case 'part':
      if (e.code === 'not_in_room') return [errNotOnChannel(ctx, about.channel)];
      return notice(`Cannot leave ${about.channel}: ${e.message}`);
    case 'nick':
    case 'register': {
      if (about.kind === 'register') c.pre.registering = false;
      // Nothing this connection can do now would change the answer (SASL is over): the registration closes it.
      if (about.kind === 'register' && e.code === 'identity_required') c.pre.turnedAway = e.message;
      const nick = about.kind === 'nick' ? about.nick : (c.pre.nick ?? '*');
      // A nick someone else holds, or one that belongs to another identity: 433, with the reason when it is a claim.
      if (e.code === 'name_claimed' || (e.code === 'bad_name' && /claimed|belongs to/.test(e.message))) return [errNicknameInUse(ctx, nick, e.message)];
      if (e.code === 'bad_name') return [/taken/.test(e.message) ? errNicknameInUse(ctx, nick) : errErroneusNickname(ctx, nick, e.message)];
      return notice(e.message);
    }
    case 'room':
      return roomErrorReplies(c, about, e);
    case 'change':
      return changeFailReplies(c, about, e);
    case 'history':
      return [standardReply(c.gateway.serverName, 'FAIL', 'CHATHISTORY', e.code === 'not_in_room' ? 'INVALID_TARGET' : 'MESSAGE_ERROR', [about.target], e.message)];
    default:
      return notice(e.message);
  }
}

/** A refused TOPIC, MODE, KICK or INVITE as its numeric. */
function roomErrorReplies(c: IrcCodec, about: Extract<Request, { kind: 'room' }>, e: ErrorFrame): IrcMessage[] {
  const ctx = c.reply();
  const nick = about.nick ?? '*';
  switch (e.code) {
    case 'not_in_room':
      return [errNotOnChannel(ctx, about.channel)];
    case 'not_operator':
      return [errChanOPrivsNeeded(ctx, about.channel)];
    case 'user_not_in_room':
      return [errUserNotInChannel(ctx, nick, about.channel)];
    case 'user_in_room':
      return [errUserOnChannel(ctx, nick, about.channel)];
    case 'no_such_user':
      return [errNoSuchNick(ctx, nick)];
    case 'bad_mode': {
      if (/key/.test(e.message) && about.modes?.includes('k')) return [errInvalidKey(ctx, about.channel)];
      const letter = about.modes?.replace(/[+-]/g, '')[0] ?? '*';
      return [errInvalidModeParam(ctx, about.channel, letter, '*', e.message)];
    }
    default:
      return [{ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, `${about.command} ${about.channel}: ${e.message}`] }];
  }
}

/** A page of history for CHATHISTORY, in a `chathistory` batch. */
function historyBatch(c: IrcCodec, h: HistoryFrame): IrcMessage[] {
  const about = c.current;
  if (about?.kind !== 'history') return chathistoryBatch(c, channelForRoom(h.room), h.messages);
  const { above = 0, below = Infinity } = about;
  return chathistoryBatch(c, about.target, h.messages.filter((m) => m.seq > above && m.seq < below));
}

/** Messages from the store as a `chathistory` batch (plain lines for a client without batch). */
export function chathistoryBatch(c: IrcCodec, target: string, messages: readonly ChatMessage[]): IrcMessage[] {
  const lines = messages.flatMap((m) => c.variant.message(m, { batchRef: c.batchRef() }));
  if (!c.caps.has('batch')) return lines;
  return wrapBatch(c.gateway.serverName, c.batchRef(), 'chathistory', [target], lines);
}
