import { MAX_REASON_CHARS, MAX_TOPIC_CHARS } from '../../../protocol';
import { ircEquals } from '../casemap';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, roomForChannel } from '../ircNames';
import {
  errNoSuchChannel,
  errNoSuchNick,
  errNotOnChannel,
  errUmodeUnknownFlag,
  errUnknownMode,
  errUserOnChannel,
  errUsersDontMatch,
  rplBanList,
  rplChannelModeIs,
  rplEndOfBanList,
  rplUmodeIs,
} from '../numerics';
import { banMaskToIrc, modeString, oneLineText, parseModeRequest } from '../roomFeatures';
import { settingsOf, topicReplies } from './channels';

/**
 * TOPIC, MODE, KICK and INVITE over the chat's room model (server/roomCommands.ts):
 * queries read the room's settings through the ServerView; changes are the
 * server's topic, mode, kick and invite frames, so they are checked,
 * stored and announced exactly as the panel's are, and their refusals come
 * back as numerics (serverReplies.ts).
 */

/** A channel the client named, as a room; 403 (and undefined) when it is not a valid name or no such room exists. */
function roomOf(c: IrcCodec, channel: string): string | undefined {
  const r = roomForChannel(channel);
  if (!('room' in r)) {
    c.send(errNoSuchChannel(c.reply(), channel, r.problem));
    return undefined;
  }
  if (c.session.rooms.has(r.room) || c.view.rooms().some((x) => x.name === r.room)) return r.room;
  c.send(errNoSuchChannel(c.reply(), channel));
  return undefined;
}

/** True when the client is in the room; otherwise 442. */
function inRoom(c: IrcCodec, room: string): boolean {
  if (c.session.rooms.has(room)) return true;
  c.send(errNotOnChannel(c.reply(), channelForRoom(room)));
  return false;
}

/** TOPIC #room reads the topic (332 and 333, or 331); TOPIC #room :text sets it, and an empty text clears it. */
export async function topic(c: IrcCodec, m: IrcMessage): Promise<void> {
  const room = roomOf(c, m.params[0]);
  if (room === undefined) return;
  const channel = channelForRoom(room);
  if (m.params.length < 2) {
    const settings = await settingsOf(c, room);
    return c.send(...topicReplies(c, channel, settings?.topic, true));
  }
  if (!inRoom(c, room)) return;
  await c.request({ type: 'topic', room, topic: oneLineText(m.params[1], MAX_TOPIC_CHARS) }, { kind: 'room', command: 'TOPIC', channel });
}

/** MODE #room [changes args…] or MODE nick [+-i]. */
export async function mode(c: IrcCodec, m: IrcMessage): Promise<void> {
  const [target, changes, ...args] = m.params;
  if (!isChannelName(target)) return userMode(c, target, changes);
  const room = roomOf(c, target);
  if (room === undefined) return;
  const channel = channelForRoom(room);
  if (changes === undefined) {
    const settings = await settingsOf(c, room);
    const { modes, args: shown } = modeString(settings?.modes ?? { n: true, t: true, i: false, m: false }, settings?.keyed);
    return c.send(rplChannelModeIs(c.reply(), channel, modes, ...shown));
  }
  const req = parseModeRequest(changes, args, {
    nameOf: (nick) => c.gateway.nicks.nameOf(nick),
    masks: () => c.view.users().map((name) => ({ name, mask: c.gateway.maskOf(name) })),
  });
  if (req.kind === 'change' || req.kind === 'empty') {
    for (const mask of req.unmatched) {
      c.send({ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, `Nobody online matches the ban mask ${mask}, so nothing was banned: bans here match names, so ban nick!*@* (a nick or a pattern such as bob*!*@*)`] });
    }
  }
  switch (req.kind) {
    case 'unknown':
      return c.send(errUnknownMode(c.reply(), req.letter));
    case 'empty':
      return;
    case 'list_bans': {
      const bans = (await settingsOf(c, room))?.bans ?? [];
      const ctx = c.reply();
      return c.send(...bans.map((b) => rplBanList(ctx, channel, banMaskToIrc(b.mask), c.gateway.nickOf(b.by), Math.floor(Date.parse(b.at) / 1000))), rplEndOfBanList(ctx, channel));
    }
    case 'change': {
      if (!inRoom(c, room)) return;
      const nick = req.changes.find((x) => x.mode[1] === 'o' || x.mode[1] === 'v')?.arg;
      await c.request({ type: 'mode', room, changes: req.changes }, { kind: 'room', command: 'MODE', channel, ...(nick !== undefined && { nick: c.gateway.nickOf(nick) }), modes: changes });
    }
  }
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

/** KICK #room nick [:reason]: one nick (TARGMAX KICK:1); the room's operators only. */
export async function kick(c: IrcCodec, m: IrcMessage): Promise<void> {
  const room = roomOf(c, m.params[0]);
  if (room === undefined || !inRoom(c, room)) return;
  const nick = m.params[1].split(',')[0];
  const name = c.gateway.nicks.nameOf(nick) ?? nick;
  const reason = m.params[2] === undefined ? undefined : oneLineText(m.params[2], MAX_REASON_CHARS);
  await c.request({ type: 'kick', room, name, ...(reason && { reason }) }, { kind: 'room', command: 'KICK', channel: channelForRoom(room), nick });
}

/** INVITE nick #room: lets them past +i and +k once; 341 to the inviter, INVITE to the one invited. */
export async function invite(c: IrcCodec, m: IrcMessage): Promise<void> {
  const [nick, channel] = m.params;
  const name = c.gateway.nicks.nameOf(nick);
  if (name === undefined) return c.send(errNoSuchNick(c.reply(), nick));
  const room = roomOf(c, channel);
  if (room === undefined || !inRoom(c, room)) return;
  if (c.view.members(room).includes(name)) return c.send(errUserOnChannel(c.reply(), nick, channelForRoom(room)));
  await c.request({ type: 'invite', room, name }, { kind: 'room', command: 'INVITE', channel: channelForRoom(room), nick });
}
