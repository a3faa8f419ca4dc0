import type { ChatMessage, JoinedFrame, RoomStateView, Topic } from '../../../protocol';
import type { RoomSettingsView } from '../../../server/serverView';
import { foldName } from '../../../stores/store';
import { ircEquals } from '../casemap';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, roomForChannel } from '../ircNames';
import { parseJoin } from '../ircToChat';
import { errNeedMoreParams, errNoSuchChannel, errNotOnChannel, namesReplies, rplEndOfNames, rplList, rplListEnd, rplListStart, rplNoTopic, rplTopic, rplTopicWhoTime } from '../numerics';
import { memberPrefix } from '../roomFeatures';
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
    await c.request({ type: 'join', room: r.room, ...(r.key !== undefined && { key: r.key }) }, { kind: 'join', channel: channelForRoom(r.room) });
  }
}

/** The server's answer to a join: JOIN, the topic, the members (NAMES), and what was said lately. */
export function joinedReplies(c: IrcCodec, f: JoinedFrame): IrcMessage[] {
  return joinLines(c, f.room, f.history, f.modes ? f : undefined);
}

/**
 * What a client sees when it is in a room: its own JOIN, the names, and the
 * room's recent history, replayed for a client with server-time (so the
 * lines carry their real time) that does not fetch it with CHATHISTORY.
 */
export function joinLines(c: IrcCodec, room: string, history: readonly ChatMessage[], settings?: Partial<RoomStateView>): IrcMessage[] {
  const channel = channelForRoom(room);
  const params = c.caps.has('extended-join') ? [channel, c.session.guest ? '*' : c.session.id, c.profile.realname] : [channel];
  const out: IrcMessage[] = [{ source: c.mask(), command: 'JOIN', params }, ...topicReplies(c, channel, settings?.topic, false), ...namesOf(c, room, settings)];
  if (history.length > 0 && c.caps.has('server-time') && !c.caps.has('draft/chathistory')) out.push(...chathistoryBatch(c, channel, history));
  return out;
}

/** NAMES for one room: everyone in it, panel and terminal users included, operators with @ and voiced members with +. */
function namesOf(c: IrcCodec, room: string, settings?: Pick<Partial<RoomStateView>, 'ops' | 'voiced'>): IrcMessage[] {
  const full = c.caps.has('userhost-in-names');
  const multi = c.caps.has('multi-prefix');
  const ops = new Set((settings?.ops ?? []).map(foldName));
  const voiced = new Set((settings?.voiced ?? []).map(foldName));
  const entries = c.view.members(room).map((name) => memberPrefix(foldName(name), ops, voiced, multi) + (full ? c.gateway.maskOf(name) : c.gateway.nickOf(name)));
  return namesReplies(c.reply(), '=', channelForRoom(room), entries);
}

/** 332 and 333 for a topic; 331 when there is none and `always` (TOPIC asks; a JOIN says nothing). */
export function topicReplies(c: IrcCodec, channel: string, topic: Topic | undefined, always: boolean): IrcMessage[] {
  if (!topic) return always ? [rplNoTopic(c.reply(), channel)] : [];
  return [rplTopic(c.reply(), channel, topic.text), rplTopicWhoTime(c.reply(), channel, c.gateway.nickOf(topic.by), Math.floor(Date.parse(topic.at) / 1000))];
}

/** A room's settings for a reply; undefined (and the operator told) when the store cannot be read, so the reply goes without them. */
export async function settingsOf(c: IrcCodec, room: string): Promise<RoomSettingsView | undefined> {
  try {
    return await c.view.roomSettings(room, c.session.rooms.has(room));
  } catch (err) {
    c.view.warn(`the settings of ${room} could not be read: ${(err as Error).message}`);
    return undefined;
  }
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
export async function names(c: IrcCodec, m: IrcMessage): Promise<void> {
  const asked = m.params[0]?.split(',')[0];
  if (asked === undefined || asked === '') {
    for (const room of [...c.session.rooms]) c.send(...namesOf(c, room, await settingsOf(c, room)));
    return;
  }
  const r = roomForChannel(asked);
  if ('problem' in r || !c.view.rooms().some((x) => x.name === r.room)) return c.send(rplEndOfNames(c.reply(), asked));
  c.send(...namesOf(c, r.room, await settingsOf(c, r.room)));
}

/** LIST [#a,#b]: the rooms the server keeps, with how many people are in each and their topics. */
export async function list(c: IrcCodec, m: IrcMessage): Promise<void> {
  const only = m.params[0] && isChannelName(m.params[0]) ? m.params[0].split(',') : undefined;
  const rooms = c.view.rooms().filter((r) => !only || only.some((ch) => ircEquals(ch, channelForRoom(r.name))));
  const topics = await Promise.all(rooms.map(async (r) => (await settingsOf(c, r.name))?.topic?.text ?? ''));
  c.send(rplListStart(c.reply()), ...rooms.map((r, i) => rplList(c.reply(), channelForRoom(r.name), r.count, topics[i])), rplListEnd(c.reply()));
}
