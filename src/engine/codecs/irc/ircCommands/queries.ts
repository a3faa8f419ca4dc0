import { VERSION } from '../../../version';
import { ircEquals, ircLower } from '../casemap';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, roomForChannel } from '../ircNames';
import { isupportReplies } from '../isupport';
import {
  rplAway,
  errHelpNotFound,
  errNoSuchNick,
  fitList,
  rplEndOfHelp,
  rplEndOfInfo,
  rplEndOfMotd,
  rplEndOfWho,
  rplEndOfWhois,
  rplHelpStart,
  rplHelpTxt,
  rplInfo,
  rplIson,
  rplLocalUsers,
  rplGlobalUsers,
  rplLuserChannels,
  rplLuserClient,
  rplLuserMe,
  rplLuserUnknown,
  rplMotd,
  rplMotdStart,
  rplTime,
  rplUserhost,
  rplVersion,
  rplWhoisAccount,
  rplWhoisCertfp,
  rplWhoisChannels,
  rplWhoisIdle,
  rplWhoisSecure,
  rplWhoisServer,
  rplWhoisUser,
  rplWhoReply,
} from '../numerics';
import { foldName } from '../../../stores/store';
import { memberPrefix } from '../roomFeatures';
import { settingsOf } from './channels';
import { HELP } from './help';
import { isupport } from './registration';

/** Most people one WHO mask lists, so a `WHO *` on a big server stays bounded. */
const MAX_WHO = 500;

/** `user` and `host` of someone's mask, for WHO and WHOIS. */
function userHost(c: IrcCodec, name: string): [string, string] {
  const mask = c.gateway.maskOf(name);
  const at = mask.indexOf('@');
  return [mask.slice(mask.indexOf('!') + 1, at), mask.slice(at + 1)];
}

/** WHO #room, WHO nick, or WHO with a mask (`*`, `ann*`) over everyone online who is not invisible to the asker. */
export async function who(c: IrcCodec, m: IrcMessage): Promise<void> {
  const mask = m.params[0] ?? '*';
  const ctx = c.reply();
  // Flags: H here or G gone (away), then @ or + in the room asked about.
  const line = (channel: string, name: string, prefix = '') => {
    const [user, host] = userHost(c, name);
    const flags = (c.view.awayOf(name) === undefined ? 'H' : 'G') + prefix;
    return rplWhoReply(ctx, channel, user, host, c.gateway.serverName, c.gateway.nickOf(name), flags, c.gateway.realnameOf(name));
  };
  if (isChannelName(mask)) {
    const r = roomForChannel(mask);
    if (!('room' in r)) return c.send(rplEndOfWho(ctx, mask));
    const settings = await settingsOf(c, r.room);
    const ops = new Set((settings?.ops ?? []).map(foldName));
    const voiced = new Set((settings?.voiced ?? []).map(foldName));
    const multi = c.caps.has('multi-prefix');
    const channel = channelForRoom(r.room);
    c.send(...c.view.members(r.room).slice(0, MAX_WHO).map((n) => line(channel, n, memberPrefix(foldName(n), ops, voiced, multi))), rplEndOfWho(ctx, mask));
    return;
  }
  const re = globToRegExp(mask);
  const found = c.view
    .users()
    .filter((n) => re.test(ircLower(c.gateway.nickOf(n))) && visible(c, n))
    .slice(0, MAX_WHO);
  c.send(...found.map((n) => line(firstSharedChannel(c, n), n)), rplEndOfWho(ctx, mask));
}

/** Someone with +i shows up in a mask search only for those who share a room with them. */
function visible(c: IrcCodec, name: string): boolean {
  if (!c.gateway.profileOf(name)?.invisible) return true;
  return ircEquals(c.gateway.nickOf(name), c.nick) || firstSharedChannel(c, name) !== '*';
}

function firstSharedChannel(c: IrcCodec, name: string): string {
  const rooms = c.view.person(name)?.rooms ?? [];
  const shared = rooms.find((r) => c.session.rooms.has(r));
  return shared === undefined ? '*' : channelForRoom(shared);
}

/** `*` and `?` as in IRC masks; everything else literal; matched against folded nicks. */
function globToRegExp(mask: string): RegExp {
  const body = ircLower(mask)
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** WHOIS [server] nick: who someone is, where they are, how long idle, what they proved. */
export function whois(c: IrcCodec, m: IrcMessage): void {
  const asked = (m.params.length > 1 ? m.params[1] : m.params[0]).split(',')[0];
  const ctx = c.reply();
  const name = c.gateway.nicks.nameOf(asked);
  const p = name === undefined ? undefined : c.view.person(name);
  if (!p) return c.send(errNoSuchNick(ctx, asked), rplEndOfWhois(ctx, asked));
  const nick = c.gateway.nickOf(p.name);
  const [user, host] = userHost(c, p.name);
  const out: IrcMessage[] = [rplWhoisUser(ctx, nick, user, host, c.gateway.realnameOf(p.name))];
  const away = c.view.awayOf(p.name);
  if (away !== undefined) out.push(rplAway(ctx, nick, away));
  const channels = p.rooms.map(channelForRoom);
  if (channels.length > 0) out.push(...fitList(channels, (slice) => rplWhoisChannels(ctx, nick, slice)));
  const via = p.protocol === 'irc' ? 'IRC' : p.protocol === 'json' ? 'the TCP Chat panel or terminal' : 'another server of this chat';
  out.push(rplWhoisServer(ctx, nick, c.gateway.serverName, `connected through ${via}`));
  if (p.secure) out.push(rplWhoisSecure(ctx, nick));
  const account = c.gateway.accountOf(p.name);
  if (account !== undefined) out.push(rplWhoisAccount(ctx, nick, account));
  const profile = c.gateway.profileOf(p.name);
  // A certificate's fingerprint is shown only to its owner.
  if (profile?.certificate !== undefined && p.session === c.session) out.push(rplWhoisCertfp(ctx, nick, profile.certificate));
  if (p.connectedAt !== undefined && p.lastActive !== undefined) {
    out.push(rplWhoisIdle(ctx, nick, Math.max(0, Math.floor((Date.now() - p.lastActive) / 1000)), Math.floor(p.connectedAt / 1000)));
  }
  out.push(rplEndOfWhois(ctx, asked));
  c.send(...out);
}

/** ISON nick…: those of them online. */
export function ison(c: IrcCodec, m: IrcMessage): void {
  const asked = m.params.flatMap((p) => p.split(' ')).filter((n) => n !== '');
  const on = asked.filter((n) => c.gateway.nicks.nameOf(n) !== undefined).map((n) => c.gateway.nickOf(c.gateway.nicks.nameOf(n) as string));
  c.send(rplIson(c.reply(), on));
}

/** USERHOST nick…: at most five, `nick=+user@host`. */
export function userhost(c: IrcCodec, m: IrcMessage): void {
  const replies: string[] = [];
  for (const n of m.params.slice(0, 5)) {
    const name = c.gateway.nicks.nameOf(n);
    if (name === undefined) continue;
    const [user, host] = userHost(c, name);
    replies.push(`${c.gateway.nickOf(name)}=${c.view.awayOf(name) === undefined ? '+' : '-'}${user}@${host}`);
  }
  c.send(rplUserhost(c.reply(), replies));
}

export function lusers(c: IrcCodec): void {
  c.send(...lusersReplies(c));
}

/** 251, 253, 254, 255, 265, 266: people, unfinished connections, rooms. */
export function lusersReplies(c: IrcCodec): IrcMessage[] {
  const ctx = c.reply();
  const everyone = c.view.users().length;
  const { open, ready } = c.view.connections();
  const out = [rplLuserClient(ctx, everyone, 0)];
  if (open > ready) out.push(rplLuserUnknown(ctx, open - ready));
  out.push(rplLuserChannels(ctx, c.view.rooms().length), rplLuserMe(ctx, ready), rplLocalUsers(ctx, ready, ready), rplGlobalUsers(ctx, everyone, everyone));
  return out;
}

export function motd(c: IrcCodec): void {
  c.send(...motdReplies(c));
}

export function motdReplies(c: IrcCodec): IrcMessage[] {
  const ctx = c.reply();
  return [rplMotdStart(ctx), ...c.gateway.motd.map((l) => rplMotd(ctx, `- ${l}`)), rplEndOfMotd(ctx)];
}

/** VERSION: the software, then ISUPPORT again (as the modern spec asks). */
export function version(c: IrcCodec): void {
  c.send(rplVersion(c.reply(), `tcp-chat-${VERSION}`, 'TCP Chat IRC gateway'), ...isupportReplies(c.reply(), isupport(c)));
}

export function time(c: IrcCodec): void {
  const now = new Date();
  c.send(rplTime(c.reply(), Math.floor(now.getTime() / 1000), now.toUTCString()));
}

export function info(c: IrcCodec): void {
  const ctx = c.reply();
  const lines = [
    `TCP Chat ${VERSION}: a chat server for a team, with a VS Code panel, a terminal client and this IRC gateway.`,
    'Everyone shares the same rooms, people and history, whichever way they connect.',
    `Up since ${new Date(c.view.startedAt).toUTCString()}.`,
  ];
  c.send(...lines.map((l) => rplInfo(ctx, l)), rplEndOfInfo(ctx));
}

/** HELP [subject]: the commands, and a few lines on each. */
export function help(c: IrcCodec, m: IrcMessage): void {
  const subject = (m.params[0] ?? '').toUpperCase();
  const ctx = c.reply();
  const text = HELP[subject || 'INDEX'];
  if (!text) return c.send(errHelpNotFound(ctx, m.params[0] ?? ''));
  const key = subject || '*';
  const [title, ...rest] = text;
  if (rest.length === 0) return c.send(rplEndOfHelp(ctx, key, title));
  c.send(rplHelpStart(ctx, key, title), ...rest.slice(0, -1).map((l) => rplHelpTxt(ctx, key, l)), rplEndOfHelp(ctx, key, rest[rest.length - 1]));
}
