import type { ChatMessage, JoinedFrame } from '../../../protocol';
import { ircEquals } from '../casemap';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, roomForChannel } from '../ircNames';
import { parseJoin } from '../ircToChat';
import {
  errChanOPrivsNeeded,
  errNeedMoreParams,
  errNoSuchChannel,
  errNoSuchNick,
  errNotOnChannel,
  errUnknownMode,
  errUserNotInChannel,
  errUserOnChannel,
  errUmodeUnknownFlag,
  errUsersDontMatch,
  namesReplies,
  rplChannelModeIs,
  rplEndOfBanList,
  rplEndOfNames,
  rplList,
  rplListEnd,
  rplListStart,
  rplNoTopic,
  rplUmodeIs,
} from '../numerics';
import { NO_ROOM_OPERATORS, ROOM_FEATURES } from '../roomFeatures';
import { chathistoryBatch } from '../serverReplies';

/** `JOIN #a,#b [keys]` or `JOIN 0`: each room through the server, which answers with the room's members and history. */
export async function join(c: IrcCodec, m: IrcMessage): Promise<void> {
  const req = parseJoin(m.params);
  if (!req) return c.send(errNeedMoreParams(c.reply(), 'JOIN'));
  if (req.kind === 'leave_all') {
    for (const room of [...c.session.rooms]) await c.request({ type: 'leave', room }, { kind: 'part', channel: channelForRoom(room) });
    return;
  }
  for (const r of req.rooms) {
    if (r.room === undefined) {
      c.send(errNoSuchChannel(c.reply(), r.channel, r.problem));
      continue;
    }
    if (c.session.rooms.has(r.room)) continue; // already there: servers ignore it
    await c.request({ type: 'join', room: r.room }, { kind: 'join', channel: channelForRoom(r.room) });
  }
}

/** The server's answer to a join: JOIN, the members (NAMES), and what was said lately. */
export function joinedReplies(c: IrcCodec, f: JoinedFrame): IrcMessage[] {
  return joinLines(c, f.room, f.history);
}

/**
 * What a client sees when it is in a room: its own JOIN, the names, and the
 * room's recent history, replayed for a client with server-time (so the
 * lines carry their real time) that does not fetch it with CHATHISTORY.
 */
export function joinLines(c: IrcCodec, room: string, history: readonly ChatMessage[]): IrcMessage[] {
  const channel = channelForRoom(room);
  const params = c.caps.has('extended-join') ? [channel, c.profile.account ?? '*', c.profile.realname] : [channel];
  const out: IrcMessage[] = [{ source: c.mask(), command: 'JOIN', params }, ...namesOf(c, room)];
  if (history.length > 0 && c.caps.has('server-time') && !c.caps.has('draft/chathistory')) out.push(...chathistoryBatch(c, channel, history));
  return out;
}

/** NAMES for one room: everyone in it, panel and terminal users included. */
function namesOf(c: IrcCodec, room: string): IrcMessage[] {
  const full = c.caps.has('userhost-in-names');
  const entries = c.view.members(room).map((name) => (full ? c.gateway.maskOf(name) : c.gateway.nickOf(name)));
  return namesReplies(c.reply(), '=', channelForRoom(room), entries);
}

export async function part(c: IrcCodec, m: IrcMessage): Promise<void> {
  const reason = m.params[1];
  for (const channel of m.params[0].split(',').filter((x) => x !== '')) {
    const r = roomForChannel(channel);
    if ('problem' in r) {
      c.send(errNoSuchChannel(c.reply(), channel, r.problem));
      continue;
    }
    if (!c.session.rooms.has(r.room)) {
      c.send(errNotOnChannel(c.reply(), channel));
      continue;
    }
    await c.request({ type: 'leave', room: r.room }, { kind: 'part', channel: channelForRoom(r.room), ...(reason && { reason }) });
  }
}

/** NAMES [#room]: one room (TARGMAX NAMES:1), or without a parameter the client's own rooms. */
export function names(c: IrcCodec, m: IrcMessage): void {
  const asked = m.params[0]?.split(',')[0];
  if (asked === undefined || asked === '') {
    for (const room of c.session.rooms) c.send(...namesOf(c, room));
    return;
  }
  const r = roomForChannel(asked);
  if ('problem' in r || !c.view.rooms().some((x) => x.name === r.room)) return c.send(rplEndOfNames(c.reply(), asked));
  c.send(...namesOf(c, r.room));
}

/** LIST [#a,#b]: the rooms the server keeps, with how many people are in each. */
export function list(c: IrcCodec, m: IrcMessage): void {
  const only = m.params[0] && isChannelName(m.params[0]) ? m.params[0].split(',') : undefined;
  const rooms = c.view.rooms().filter((r) => !only || only.some((ch) => ircEquals(ch, channelForRoom(r.name))));
  c.send(rplListStart(c.reply()), ...rooms.map((r) => rplList(c.reply(), channelForRoom(r.name), r.count, '')), rplListEnd(c.reply()));
}

/** TOPIC #room: no room has a topic yet, and nobody may set one (see roomFeatures.ts). */
export function topic(c: IrcCodec, m: IrcMessage): void {
  const channel = m.params[0];
  const r = roomForChannel(channel);
  if ('problem' in r) return c.send(errNoSuchChannel(c.reply(), channel, r.problem));
  if (m.params.length < 2) return c.send(rplNoTopic(c.reply(), channelForRoom(r.room)));
  if (!c.session.rooms.has(r.room)) return c.send(errNotOnChannel(c.reply(), channel));
  c.send(errChanOPrivsNeeded(c.reply(), channelForRoom(r.room)), notice(c, `Cannot set the topic of ${channelForRoom(r.room)}: ${NO_ROOM_OPERATORS}`));
}

/** MODE #room [changes] or MODE nick [+-i]. */
export function mode(c: IrcCodec, m: IrcMessage): void {
  const [target, changes] = m.params;
  if (!isChannelName(target)) return userMode(c, target, changes);
  const r = roomForChannel(target);
  if ('problem' in r) return c.send(errNoSuchChannel(c.reply(), target, r.problem));
  const channel = channelForRoom(r.room);
  if (changes === undefined) return c.send(rplChannelModeIs(c.reply(), channel, ROOM_FEATURES.modes));
  // `MODE #room b` (or +b) with no mask lists the bans: there are none.
  if (/^[+]?b$/.test(changes)) return c.send(rplEndOfBanList(c.reply(), channel));
  for (const ch of changes.replace(/[+-]/g, '')) {
    if (!'biklmnostv'.includes(ch)) return c.send(errUnknownMode(c.reply(), ch));
  }
  c.send(errChanOPrivsNeeded(c.reply(), channel), notice(c, `Cannot change the modes of ${channel}: ${NO_ROOM_OPERATORS}`));
}

/** User modes: +i (invisible) is kept and reported; nothing else exists. */
function userMode(c: IrcCodec, target: string, changes: string | undefined): void {
  if (!ircEquals(target, c.nick)) return c.send(c.gateway.nicks.nameOf(target) === undefined ? errNoSuchNick(c.reply(), target) : errUsersDontMatch(c.reply()));
  if (changes === undefined) return c.send(rplUmodeIs(c.reply(), c.profile.invisible ? '+i' : '+'));
  let on = true;
  let changed = '';
  for (const ch of changes) {
    if (ch === '+' || ch === '-') on = ch === '+';
    else if (ch !== 'i') return c.send(errUmodeUnknownFlag(c.reply()));
    else if ((c.profile.invisible ?? false) !== on) {
      c.profile.invisible = on;
      changed = on ? '+i' : '-i';
    }
  }
  if (changed) c.send({ source: c.mask(), command: 'MODE', params: [c.nick, changed] });
}

/** KICK #room nick: nobody is a room operator yet. */
export function kick(c: IrcCodec, m: IrcMessage): void {
  const [channel, nick] = m.params;
  const r = roomForChannel(channel);
  if ('problem' in r) return c.send(errNoSuchChannel(c.reply(), channel, r.problem));
  if (!c.session.rooms.has(r.room)) return c.send(errNotOnChannel(c.reply(), channel));
  const name = c.gateway.nicks.nameOf(nick.split(',')[0]);
  if (name === undefined || !c.view.members(r.room).includes(name)) return c.send(errUserNotInChannel(c.reply(), nick, channel));
  c.send(errChanOPrivsNeeded(c.reply(), channelForRoom(r.room)), notice(c, `Cannot kick from ${channelForRoom(r.room)}: ${NO_ROOM_OPERATORS}`));
}

/** INVITE nick #room: rooms are open to all for now, so an invitation is only a pointer; nobody needs one to join. */
export function invite(c: IrcCodec, m: IrcMessage): void {
  const [nick, channel] = m.params;
  const name = c.gateway.nicks.nameOf(nick);
  if (name === undefined) return c.send(errNoSuchNick(c.reply(), nick));
  const r = roomForChannel(channel);
  if ('problem' in r) return c.send(errNoSuchChannel(c.reply(), channel, r.problem));
  if (!c.session.rooms.has(r.room)) return c.send(errNotOnChannel(c.reply(), channel));
  if (c.view.members(r.room).includes(name)) return c.send(errUserOnChannel(c.reply(), nick, channel));
  c.send(errChanOPrivsNeeded(c.reply(), channelForRoom(r.room)), notice(c, `${channelForRoom(r.room)} is open to everyone: ${nick} can join it without an invitation`));
}

function notice(c: IrcCodec, text: string): IrcMessage {
  return { source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, text] };
}
