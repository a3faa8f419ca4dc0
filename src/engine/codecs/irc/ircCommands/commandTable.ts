import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { join, list, names, part } from './channels';
import { invite, kick, mode, topic } from './moderation';
import { chathistory } from './chathistory';
import { batch, privmsg, tagmsg } from './messaging';
import { redact } from './messageChanges';
import { help, info, ison, lusers, motd, time, userhost, version, who, whois } from './queries';
import { authenticate, cap, nick, pass, user } from './registration';
import { away, ping, pong, quit, setname } from './session';

/** How one IRC command is handled. */
export interface CommandSpec {
  run(c: IrcCodec, m: IrcMessage): void | Promise<void>;
  /** Parameters it needs; fewer earn 461. */
  min?: number;
  /** Allowed before registration completes (otherwise 451). */
  early?: boolean;
}

/** Every command the gateway knows; anything else earns 421 (docs/irc.md, "Commands"). */
export const IRC_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  CAP: { run: cap, min: 1, early: true },
  NICK: { run: nick, early: true },
  USER: { run: user, min: 4, early: true },
  PASS: { run: pass, min: 1, early: true },
  AUTHENTICATE: { run: authenticate, min: 1, early: true },
  PING: { run: ping, min: 1, early: true },
  PONG: { run: pong, early: true },
  QUIT: { run: quit, early: true },
  JOIN: { run: join, min: 1 },
  PART: { run: part, min: 1 },
  PRIVMSG: { run: privmsg },
  NOTICE: { run: privmsg },
  TAGMSG: { run: tagmsg, min: 1 },
  REDACT: { run: redact },
  BATCH: { run: batch },
  NAMES: { run: names },
  LIST: { run: list },
  TOPIC: { run: topic, min: 1 },
  MODE: { run: mode, min: 1 },
  KICK: { run: kick, min: 2 },
  INVITE: { run: invite, min: 2 },
  WHO: { run: who },
  WHOIS: { run: whois, min: 1 },
  ISON: { run: ison, min: 1 },
  USERHOST: { run: userhost, min: 1 },
  LUSERS: { run: lusers },
  MOTD: { run: motd },
  VERSION: { run: version },
  TIME: { run: time },
  INFO: { run: info },
  HELP: { run: help },
  AWAY: { run: away },
  SETNAME: { run: setname, min: 1 },
  CHATHISTORY: { run: chathistory, min: 1 },
};
