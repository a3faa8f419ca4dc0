import { authProof, deriveKey } from '../../../auth';
import { idOfCertificate } from '../../../identity';
import { MAX_BANS, MAX_MODE_CHANGES, MAX_REASON_CHARS, MAX_TOPIC_CHARS, PROTOCOL_VERSION, type WelcomeFrame } from '../../../protocol';
import { VERSION } from '../../../version';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { nickProblem } from '../ircNames';
import { isupportReplies, isupportTokens } from '../isupport';
import {
  errAlreadyRegistered,
  errErroneusNickname,
  errNicknameInUse,
  errNoNicknameGiven,
  errPasswdMismatch,
  errSaslAlready,
  errSaslFail,
  numeric,
  RPL,
  rplCreated,
  rplSaslSuccess,
  rplWelcome,
  rplYourHost,
  type ReplyContext,
} from '../numerics';
import { ROOM_FEATURES } from '../roomFeatures';
import { saslReplies, saslSuccessReplies } from '../sasl';
import { joinLines } from './channels';
import { lusersReplies, motdReplies } from './queries';
import { nickInUse, renameTo } from './session';

/** Most targets of one PRIVMSG or NOTICE (ISUPPORT MAXTARGETS). */
export const MAX_TARGETS = 4;
/** Most messages one CHATHISTORY request returns (ISUPPORT CHATHISTORY). */
export const CHATHISTORY_MAX = 100;

/** `CAP LS|LIST|REQ|END`: the mechanisms SASL can use are known once TLS is up, so they are offered at the first CAP. */
export async function cap(c: IrcCodec, m: IrcMessage): Promise<void> {
  if (!c.pre.saslOffered) {
    c.pre.saslOffered = true;
    const mechanisms = saslMechanisms(c);
    if (mechanisms.length > 0) c.caps.offer([{ name: 'sasl', value: mechanisms.join(',') }], c.reply());
  }
  const sub = m.params[0]?.toUpperCase();
  const result = c.caps.handle(m.params, c.reply(), c.registered);
  c.send(...result.replies);
  if (sub === 'REQ') c.capsChanged();
  if (sub === 'END') c.sasl.abandon();
  if (result.released) await tryRegister(c);
}

/** PLAIN needs the server password and a connection it may cross; EXTERNAL needs a client certificate. */
function saslMechanisms(c: IrcCodec): string[] {
  const out: string[] = [];
  if (c.view.requiresPassword && (c.context.secure || c.context.loopback)) out.push('PLAIN');
  if (c.context.clientCertificate() !== undefined) out.push('EXTERNAL');
  return out;
}

export async function nick(c: IrcCodec, m: IrcMessage): Promise<void> {
  const wanted = m.params[0];
  if (wanted === undefined || wanted === '') return c.send(errNoNicknameGiven(c.reply()));
  const why = nickProblem(wanted);
  if (why) return c.send(errErroneusNickname(c.reply(), wanted, why));
  if (c.registered) return renameTo(c, wanted);
  if (nickInUse(c, wanted)) return c.send(errNicknameInUse(c.reply(), wanted));
  c.pre.nick = wanted;
  await tryRegister(c);
}

export async function user(c: IrcCodec, m: IrcMessage): Promise<void> {
  if (c.registered || c.pre.user) return c.send(errAlreadyRegistered(c.reply()));
  c.profile.user = safeUser(m.params[0]);
  c.profile.realname = safeRealname(m.params[3]) || c.profile.user;
  c.pre.user = true;
  await tryRegister(c);
}

/** A user name IRC can show in a mask: letters, digits and `._-`, at most 10. */
function safeUser(raw: string): string {
  return raw.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 10) || 'user';
}

/** A real name without control characters, at most 64 characters. */
export function safeRealname(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return [...raw.replace(/[\x00-\x1f\x7f-\x9f]/g, '')].slice(0, 64).join('').trim();
}

export function pass(c: IrcCodec, m: IrcMessage): void {
  if (c.registered) return c.send(errAlreadyRegistered(c.reply()));
  if (!c.view.requiresPassword) return; // nothing to check: ignored, as servers without a password do
  if (!c.context.secure && !c.context.loopback) return refusePlainPassword(c);
  c.pre.password = m.params[0];
}

/**
 * A password must not cross the network in the clear: on plain TCP from
 * another machine it is refused, with what to do instead.
 */
function refusePlainPassword(c: IrcCodec): void {
  const why = 'this connection is not encrypted, so the server will not take a password over it: connect with TLS (the server runs with --tls)';
  c.send({ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, why] }, errPasswdMismatch(c.reply(), why));
  c.quit('password refused over plain TCP');
}

export async function authenticate(c: IrcCodec, m: IrcMessage): Promise<void> {
  if (c.registered) return c.send(errSaslAlready(c.reply()));
  if (!c.caps.has('sasl')) return c.send(errSaslFail(c.reply()));
  const step = c.sasl.step(m.params[0]);
  if (step.kind !== 'verify') return c.send(...saslReplies(c.reply(), step));
  const cred = step.credentials;
  const mask = `${c.pre.nick ?? '*'}!~${c.profile.user || 'user'}@irc`;
  if (cred.mechanism === 'PLAIN') {
    if (!c.view.requiresPassword) return saslRefused(c, 'this server has no password: use SASL EXTERNAL, or no SASL');
    if (!c.context.secure && !c.context.loopback) return refusePlainPassword(c);
    const checked = await c.view.verifyPassword(cred.password, c.context.address.replace(/:\d+$/, ''));
    if (!checked.ok) return saslRefused(c, checked.message);
    c.pre.password = cred.password;
    c.pre.key = checked.key;
    c.sasl.succeed();
    // The password opens the server; it names nobody, so there is no account (900) to announce.
    return c.send(rplSaslSuccess(c.reply()));
  }
  const fingerprint = c.context.clientCertificate();
  if (fingerprint === undefined) return saslRefused(c, 'SASL EXTERNAL needs a TLS client certificate, and this connection has none');
  const account = idOfCertificate(fingerprint);
  if (cred.authzid !== '' && cred.authzid !== account) return saslRefused(c, `your certificate proves ${account}, not ${cred.authzid}`);
  c.profile.certificate = fingerprint.replace(/:/g, '').toLowerCase();
  // The hello then proves this identity to the server, which reads it from the socket's certificate again.
  c.session.byCertificate = true;
  c.sasl.succeed();
  c.send(...saslSuccessReplies(c.reply(), mask, account));
}

function saslRefused(c: IrcCodec, why: string): void {
  c.sasl.fail();
  c.send({ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, `SASL: ${why}`] }, errSaslFail(c.reply()));
}

/**
 * Once NICK and USER are in and capability negotiation is over: check the
 * password and the nick, then hand the server a hello (answering its
 * password challenge for the client, who gave the password in the clear).
 */
async function tryRegister(c: IrcCodec): Promise<void> {
  const pre = c.pre;
  if (c.registered || pre.registering || pre.nick === undefined || !pre.user || c.caps.phase === 'negotiating') return;
  if (c.view.requiresPassword) {
    if (!c.context.secure && !c.context.loopback) return refusePlainPassword(c);
    if (pre.password === undefined) {
      c.send(errPasswdMismatch(c.reply(), 'this server needs its password: give it with PASS before NICK and USER, or with SASL PLAIN'));
      return c.quit('no password');
    }
  }
  if (nickInUse(c, pre.nick)) return c.send(errNicknameInUse(c.reply(), pre.nick));
  pre.registering = true;
  // insist: a nick that belongs to another identity earns 433, and the client picks another, as IRC clients do.
  await c.request({ type: 'hello', v: PROTOCOL_VERSION, name: pre.nick, insist: true }, { kind: 'register' });
  if (pre.turnedAway !== undefined) return c.quit('an identity is required');
  const challenge = c.challenge;
  c.challenge = undefined;
  // The gateway's hello carries no identity key (a certificate is proven by TLS), so a challenge only ever asks for the password.
  if (!challenge || c.registered || challenge.salt === undefined || challenge.kdf === undefined) return;
  const key = pre.key ?? (await deriveKey(pre.password ?? '', Buffer.from(challenge.salt, 'hex'), challenge.kdf));
  await c.request({ type: 'auth', proof: authProof(key, Buffer.from(challenge.nonce, 'hex')) }, { kind: 'register' });
}

/** The server welcomed the client: the registration burst (001-005, LUSERS, MOTD), then the rooms it is in. */
export function welcomeReplies(c: IrcCodec, w: WelcomeFrame): IrcMessage[] {
  c.registered = true;
  c.pre.registering = false;
  c.pre.password = undefined;
  c.pre.key = undefined;
  c.gateway.setProfile(c.session, c.profile);
  c.nick = c.gateway.nickOf(w.name);
  const ctx = c.reply();
  const software = `tcp-chat-${VERSION}`;
  const out: IrcMessage[] = [
    rplWelcome(ctx, c.gateway.network, c.mask()),
    rplYourHost(ctx, software),
    rplCreated(ctx, new Date(c.view.startedAt).toUTCString()),
    myInfo(ctx, software),
    ...isupportReplies(ctx, isupport(c)),
    ...lusersReplies(c),
    ...motdReplies(c),
  ];
  for (const room of w.joined) out.push(...joinLines(c, room, room === w.room ? w.history : [], room === w.room && w.modes ? w : undefined));
  // Why the name is not quite what was asked for, or not claimed (a second connection of the same identity, the claims cap).
  if (w.notice !== undefined) out.push({ source: c.gateway.serverName, command: 'NOTICE', params: [c.nick, w.notice] });
  return out;
}

/** 004: user modes, channel modes, then (when there are any) the channel modes that take a parameter. */
function myInfo(ctx: ReplyContext, software: string): IrcMessage {
  const { channelModes: m, memberModes, userModes } = ROOM_FEATURES;
  const withParam = m.list + m.alwaysParam + m.paramWhenSet + memberModes.modes;
  const all = [...new Set(m.list + m.alwaysParam + m.paramWhenSet + m.flags + memberModes.modes)].sort().join('');
  return withParam === '' ? numeric(ctx, RPL.MYINFO, ctx.server, software, userModes, all) : numeric(ctx, RPL.MYINFO, ctx.server, software, userModes, all, withParam);
}

/** The ISUPPORT tokens, from the limits the server enforces. */
export function isupport(c: IrcCodec): string[] {
  return isupportTokens({
    network: c.gateway.network,
    maxChannels: c.view.limits.maxRoomsPerPerson,
    maxTargets: MAX_TARGETS,
    maxBans: MAX_BANS,
    modesPerCommand: MAX_MODE_CHANGES,
    topicLen: MAX_TOPIC_CHARS,
    awayLen: MAX_REASON_CHARS,
    kickLen: MAX_REASON_CHARS,
    chathistory: CHATHISTORY_MAX,
    channelModes: ROOM_FEATURES.channelModes,
    memberModes: ROOM_FEATURES.memberModes,
  });
}
