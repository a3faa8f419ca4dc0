import { foldName } from '../../../stores/store';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { MAX_REASON_CHARS } from '../../../protocol';
import { errNicknameInUse, rplNowAway, rplUnaway, standardReply } from '../numerics';
import { oneLineText } from '../roomFeatures';
import { safeRealname } from './registration';

/** True when a nick is someone else's: held as a chat name, or shown as the made-up nick of another name. */
export function nickInUse(c: IrcCodec, nick: string): boolean {
  const mine = c.registered ? foldName(c.session.name) : undefined;
  if (mine !== undefined && foldName(nick) === mine) return false; // a change of case
  if (c.view.isTaken(nick)) return true;
  return c.gateway.nicks.isTakenFor(nick, c.registered ? c.session.name : nick);
}

/** NICK after registration: the chat rename. Everyone who can see the client, the client too, gets the NICK line. */
export async function renameTo(c: IrcCodec, nick: string): Promise<void> {
  if (nick === c.nick) return;
  if (nickInUse(c, nick)) return c.send(errNicknameInUse(c.reply(), nick));
  await c.request({ type: 'nick', name: nick }, { kind: 'nick', nick });
  c.nick = c.gateway.nickOf(c.session.name);
}

export function quit(c: IrcCodec, m: IrcMessage): void {
  const reason = m.params[0];
  c.quit(reason ? `Quit: ${safeRealname(reason)}` : 'Quit');
}

/** PING from the client goes through the server, which answers PONG: the connection is alive, and its idle clock starts over. */
export async function ping(c: IrcCodec, m: IrcMessage): Promise<void> {
  await c.request({ type: 'ping', id: m.params[0].slice(0, 64) }, { kind: 'ping' });
}

/** The client's answer to the server's PING: any line counts as life, so there is nothing else to do. */
export function pong(): void {}

/** AWAY :message marks the client away (306), AWAY alone back (305); the panel hears it in its people list, IRC clients with away-notify that share a channel as AWAY. */
export async function away(c: IrcCodec, m: IrcMessage): Promise<void> {
  const message = m.params[0] === undefined ? '' : oneLineText(m.params[0], MAX_REASON_CHARS);
  await c.request(message === '' ? { type: 'away' } : { type: 'away', message }, { kind: 'away' });
  c.send(message === '' ? rplUnaway(c.reply()) : rplNowAway(c.reply()));
}

/** SETNAME (IRCv3 setname): a new real name, told to the client and to IRC people with setname who share a channel with it. */
export function setname(c: IrcCodec, m: IrcMessage): void {
  const realname = safeRealname(m.params[0]);
  if (realname === '') return c.send(standardReply(c.gateway.serverName, 'FAIL', 'SETNAME', 'INVALID_REALNAME', [], 'Your real name cannot be empty or only control characters'));
  c.profile.realname = realname;
  const line: IrcMessage = { source: c.mask(), command: 'SETNAME', params: [realname] };
  if (c.caps.has('setname')) c.send(line);
  for (const other of c.gateway.codecs) {
    if (other === c || !other.registered || !other.caps.has('setname')) continue;
    if ([...other.session.rooms].some((r) => c.session.rooms.has(r))) other.send(line);
  }
}
