import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Endpoint } from '../engine/address';
import { ChatClient } from '../engine/client/chatClient';
import type { ClientTlsOptions } from '../engine/client/clientOptions';
import { ConnectError } from '../engine/client/connectError';
import { completeMember } from '../engine/client/mentionCompletion';
import { defaultDataDir, normalizeFingerprint } from '../engine/certificate';
import { KnownHosts, hostKey } from '../engine/knownHosts';
import { PasswordError, readPassword } from './password';
import { IdentityError, fingerprintOf, isGuestId, loadOrCreateIdentity, type Identity } from '../engine/identity';
import { DEFAULT_ROOM, isDmKey, type ChatMessage, type Person } from '../engine/protocol';
import { assertNever } from '../shared/assertNever';
import { NoAnswer } from './ask';
import { askTrust } from './askTrust';
import { chooseName } from './chooseName';
import { explainConnectError } from './explainConnectError';
import { KeyWatch } from './keyWatch';
import { COMMANDS, parseCommand, type Command } from './parseCommand';
import { MessageLines, bodyOf, describeUpdate, quoteLine, reactionsLine } from './messageLines';
import { awayLine, inviteLine, kickLine, modeLine, modesLine, topicChangeLine, topicLine, whoEntry } from './roomLines';
import { clean, time } from './terminalText';

/** Names `/who` prints at once. */
const WHO_SHOWN = 50;

/** Flags of `tcp-chat connect`. */
export interface ConnectArgs {
  host: string;
  port: number;
  /** More nodes of the same cluster, tried in turn after host:port. */
  servers?: Endpoint[];
  /** The name asked for; when absent, the login name, or a suggestion the person confirms (see chooseName). */
  name?: string;
  /** The identity key file (made on first use); absent for a guest, who proves no key. */
  identityFile?: string;
  /** Where names seen with keys are remembered, for changed-key warnings. Default ~/.tcp-chat/known_people.json. */
  knownPeople?: string;
  /** Speak TLS, pinning the server's certificate. */
  tls?: boolean;
  /** Trust exactly this certificate fingerprint (and pin it). */
  fingerprint?: string;
  /** Ignore the current pin and ask again (the certificate changed and you know why). */
  trustNew?: boolean;
  /** The known-hosts file. Default ~/.tcp-chat/known_hosts. */
  knownHosts?: string;
  /** File holding the password; TCP_CHAT_PASSWORD is read when absent. */
  passwordFile?: string;
  /** A room to join once connected (an invite link names one). */
  room?: string;
}

/** A name as the terminal shows it: marked when the person proved no identity key. */
function label(name: string, guest: boolean | undefined): string {
  return guest ? `${clean(name)} (guest)` : clean(name);
}

/** An interactive terminal client. Resolves with the exit code. */
export async function runConnect(a: ConnectArgs): Promise<number> {
  const address = hostKey(a.host, a.port);
  let password: string | undefined;
  try {
    const secret = readPassword(a.passwordFile);
    password = secret.password;
    for (const w of secret.warnings) process.stderr.write(`tcp-chat: warning: ${w}\n`);
  } catch (err) {
    if (!(err instanceof PasswordError)) throw err;
    process.stderr.write(`tcp-chat: ${err.message}\n`);
    return 1;
  }
  let identity: Identity | undefined;
  if (a.identityFile !== undefined) {
    try {
      const kept = loadOrCreateIdentity(a.identityFile);
      identity = kept.identity;
      if (kept.created) process.stdout.write(`* made a new identity key in ${a.identityFile} (fingerprint ${identity.fingerprint}): it owns the names you use; tcp-chat identity export moves it to another machine\n`);
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      process.stderr.write(`tcp-chat: ${err.message} (or connect with --guest, without a key)\n`);
      return 1;
    }
  }
  let name: string;
  try {
    name = a.name ?? (await chooseName(identity));
  } catch (err) {
    if (!(err instanceof NoAnswer)) throw err;
    process.stderr.write('tcp-chat: no name chosen; give one with --name NAME\n');
    return 1;
  }
  const knownFile = a.knownHosts ?? path.join(defaultDataDir(), 'known_hosts');
  let known: KnownHosts | undefined;
  let tlsOptions: ClientTlsOptions | undefined;
  if (a.tls) {
    try {
      known = KnownHosts.load(knownFile);
    } catch (err) {
      process.stderr.write(`tcp-chat: cannot read the known-hosts file ${knownFile}: ${(err as Error).message}\n`);
      return 1;
    }
    const pinned = known.get(a.host, a.port);
    let fingerprint = a.trustNew ? undefined : pinned;
    if (a.fingerprint !== undefined) {
      fingerprint = normalizeFingerprint(a.fingerprint);
      if (!fingerprint) {
        process.stderr.write('tcp-chat: --fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons optional\n');
        return 2;
      }
    }
    // Without a terminal nobody can answer, so an unknown certificate is refused and explained.
    tlsOptions = { fingerprint, ...(process.stdin.isTTY && { verify: (fp: string) => askTrust(rl, address, fp, pinned, knownFile) }) };
  }
  const client = new ChatClient({ host: a.host, port: a.port, ...(a.servers?.length && { servers: a.servers }), name, identity, ...(password !== undefined && { password }), ...(tlsOptions && { tls: tlsOptions }) });
  let room = DEFAULT_ROOM;
  // @ then Tab: the room's members whose names start with what follows, asked of the server (a large room's list is never all here).
  const completer = (line: string, done: (err: null, result: [string[], string]) => void): void => {
    const word = /@(\S*)$/.exec(line);
    if (!word || client.state !== 'connected') return done(null, [[], line]);
    completeMember(client, room, word[1]).then(
      (names) => done(null, [names.map((u) => '@' + u), word[0]]),
      () => done(null, [[], word[0]]),
    );
  };
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY, completer });
  const print = (line: string) => {
    if (process.stdin.isTTY) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(line + '\n');
    if (process.stdin.isTTY) rl.prompt(true);
  };
  const guestByName = (n: string) => client.person(n)?.guest;
  // Everyone online, marked as guests and with their away messages.
  const everyone = () => (client.people.length > 0 ? client.people.map((p) => whoEntry(label(p.name, p.guest), client.settings.awayOf(p.name))) : client.users.map((n) => whoEntry(clean(n), client.settings.awayOf(n))));
  /** A page of a room's members from the server, those starting with `prefix` when given. */
  const whoPage = (where: string, prefix: string | undefined) =>
    client.whoPage({ room: where, limit: WHO_SHOWN, ...(prefix !== undefined && { prefix }) }).then(
      (page) => {
        const count = client.count(where) ?? page.users.length;
        const which = prefix !== undefined ? `, starting with ${clean(prefix)}` : '';
        const names = page.people?.length ? page.people.map((p) => label(p.name, p.guest)) : page.users.map(clean);
        print(`* ${count} in #${where}${which}: ${names.join(', ')}${page.more ? ', …' : ''}`);
      },
      (e: Error) => print(`! ${e.message}`),
    );
  const keys = new KeyWatch(a.knownPeople ?? path.join(defaultDataDir(), 'known_people.json'), address, (line) => print(`! ${clean(line)}`));
  const lines = new MessageLines();
  /** Ids of reactions, edits and deletes sent, until refused (or forgotten after 1,000 more). */
  const changesSent = new Set<string>();
  const numberOf = (r: string, seq: number) => lines.numberIfSeen(r, seq);
  const show = (m: ChatMessage) => {
    const mine = m.author !== undefined ? m.author === client.id : m.sender === client.name;
    const where = isDmKey(m.room) ? (mine && m.to !== undefined ? `-> ${clean(m.to)}` : '(dm)') : m.room === room ? '' : `#${m.room}`;
    const guest = m.author !== undefined ? isGuestId(m.author) : guestByName(m.sender);
    const quote = quoteLine(m, numberOf);
    if (quote) print(quote);
    print(`[${lines.number(m)}] ${time(m.ts)} ${where ? where + ' ' : ''}<${label(m.sender, guest)}> ${bodyOf(m)}`);
    const reacted = reactionsLine(m.reactions);
    if (reacted) print(reacted);
  };
  client.onMessage(show);
  // A message the server could not store (store_failed) is resent until it can: said once each way, not on every retry.
  client.onStoreWait((waiting) => print(waiting ? '! the server cannot store messages right now; yours are kept and resent until it can' : '* the server stores messages again; everything you wrote was sent'));
  client.onUpdate((m) => {
    const before = lines.previous(m);
    if (!before) return; // never shown here: nothing on screen to correct
    print(describeUpdate(lines.number(m), m, before));
  });
  /** Send a reaction, edit, delete or reply for message `n`, or say why not. */
  const act = (c: Extract<Command, { kind: 'reply' | 'react' | 'edit' | 'delete' }>) => {
    const m = lines.find(c.n);
    if (!m) return print(`! no message [${c.n}] here: use the number printed before a message`);
    const mine = m.author !== undefined && m.author === client.id;
    if (c.kind === 'reply') {
      const peer = isDmKey(m.room) ? (mine ? m.to : m.sender) : undefined;
      client.send(c.text, peer !== undefined ? { to: peer, replyTo: m.seq } : { room: m.room, replyTo: m.seq });
      return;
    }
    if (c.kind === 'edit' && !mine) return print(`! [${c.n}] is not your message: only its author can edit it`);
    const sent = c.kind === 'react' ? client.react(m.room, m.seq, c.emoji, c.on) : c.kind === 'edit' ? client.edit(m.room, m.seq, c.text) : client.deleteMessage(m.room, m.seq);
    if (sent === false) return print('! not connected: try again once reconnected');
    // A refusal names the frame; it is not a message the outbox retries, so it is printed (see onServerError).
    changesSent.add(sent);
    if (changesSent.size > 1000) changesSent.delete(changesSent.values().next().value as string);
  };
  client.onPresence((p) => {
    if (p.id !== undefined && p.event !== 'offline' && p.event !== 'leave') keys.see([{ name: p.name, id: p.id, ...(p.guest && { guest: true }) }], client.id);
    const who = label(p.name, p.guest);
    const away = awayLine(p);
    if (away) print(away);
    else if (p.event === 'online') print(`* ${who} is online`);
    else if (p.event === 'offline') print(`* ${clean(p.name)} went offline`);
    else if (p.event === 'rename') print(`* ${clean(p.from ?? '')} is now ${who}`);
    else if (p.room === room) print(`* ${who} ${p.event === 'join' ? 'joined' : 'left'} #${p.room}`);
  });
  client.onWelcome((w) => {
    if (w.notice !== undefined) print(`! ${clean(w.notice)}`);
    keys.see(client.people, client.id);
  });
  client.onJoined((j) => {
    room = j.room;
    rl.setPrompt(`${room}> `);
    print(`* now in #${j.room} with ${j.members.map((n) => label(n, guestByName(n))).join(', ')}`);
    if (j.topic) print(topicLine(j.room, j.topic));
    for (const m of j.history) show(m);
  });
  client.onTopic((t) => print(topicChangeLine(t)));
  client.onMode((m) => print(modeLine(m)));
  client.onKick((k) => {
    print(kickLine(k, client.name));
    if (k.name === client.name && k.room === room) {
      room = DEFAULT_ROOM;
      rl.setPrompt(`${room}> `);
    }
  });
  client.onInvite((i) => print(inviteLine(i, client.name)));
  // Errors about a message we sent arrive as onSendFailed (or are retried); print the rest once.
  client.onServerError((e) => {
    if (e.ref === undefined || changesSent.delete(e.ref)) print(`! ${clean(e.message)} (${e.code})`);
  });
  client.onSendFailed((f) => print(`! not sent: ${clean(f.error.message)}`));
  client.onDropped((why) => print(`! ${why}; reconnecting…`));
  client.onState((s) => {
    if (s !== 'connected' || !client.welcome) return;
    // Servers that predate identities send no id: nobody there proves a key, so nobody is marked.
    const you = client.id === undefined ? clean(client.name) : label(client.name, client.guest);
    const node = client.node !== undefined ? ` (node ${clean(client.node)})` : '';
    print(`* connected to ${client.address}${node} as ${you}${client.id !== undefined && client.guest ? ': without an identity key, only names nobody has claimed are yours to use' : ''}`);
  });

  try {
    const w = await client.connect();
    if (known && client.fingerprint) {
      if (known.get(a.host, a.port) !== client.fingerprint) {
        try {
          known.set(a.host, a.port, client.fingerprint);
          known.save();
          print(`* pinned the certificate of ${address} in ${knownFile}`);
        } catch (err) {
          print(`! could not save the pin in ${knownFile}: ${(err as Error).message}`);
        }
      }
      print(`* TLS, certificate SHA-256 ${client.fingerprint}`);
    }
    // Above the server's large-room threshold the welcome names only the people relevant to you.
    if (w.usersCount !== undefined) print(`* ${w.usersCount} online, among them ${everyone().join(', ')} (/who PREFIX finds others)`);
    else print(`* ${w.users.length} online: ${everyone().join(', ')}`);
    const general = client.settings.get(DEFAULT_ROOM)?.topic;
    if (general) print(topicLine(DEFAULT_ROOM, general));
    for (const m of w.history) show(m);
    if (a.room && a.room !== DEFAULT_ROOM) client.join(a.room);
  } catch (err) {
    rl.close();
    process.stderr.write(`tcp-chat: ${err instanceof ConnectError ? explainConnectError(err, address, knownFile) : String(err)}\n`);
    return 1;
  }
  rl.setPrompt(`${room}> `);
  rl.prompt();

  return new Promise((resolve) => {
    client.onRefused((err) => {
      print(`! ${explainConnectError(err, address, knownFile)}`);
      client.dispose();
      resolve(1);
      rl.close();
    });
    const quit = () => {
      client.dispose();
      rl.close();
      resolve(0);
    };
    rl.on('close', () => {
      client.dispose();
      resolve(0);
    });
    rl.on('line', (input) => {
      const c = parseCommand(input);
      switch (c.kind) {
        case 'empty':
          break;
        case 'say':
          client.send(c.text, { room });
          break;
        case 'quit':
          return quit();
        case 'join':
          client.join(c.room, c.key);
          break;
        case 'leave': {
          const which = c.room ?? room;
          client.leave(which);
          if (which === room) room = DEFAULT_ROOM;
          break;
        }
        case 'msg':
          client.send(c.text, { to: c.to });
          break;
        case 'who':
          // Everyone online (guests marked), unless a prefix asks, or the server is too large to list everyone: then a page of this room.
          if (c.prefix === undefined && client.welcome?.usersCount === undefined) {
            client.who().then(
              (u) => {
                keys.see(client.people, client.id);
                print(`* ${u.length} online: ${everyone().join(', ')}`);
              },
              (e: Error) => print(`! ${e.message}`),
            );
            break;
          }
          whoPage(room, c.prefix);
          break;
        case 'whois':
          print(describePerson(c.name, client.person(c.name)));
          break;
        case 'nick':
          client.rename(c.name);
          break;
        case 'history':
          client.history(room, { limit: 20 }).then(
            (h) => h.messages.forEach(show),
            (e: Error) => print(`! ${e.message}`),
          );
          break;
        case 'search':
          client.search(c.query).then(
            (r) => {
              print(`* ${r.messages.length} found`);
              r.messages.forEach(show);
            },
            (e: Error) => print(`! ${e.message}`),
          );
          break;
        case 'reply':
        case 'react':
        case 'edit':
        case 'delete':
          act(c);
          break;
        case 'topic':
          if (c.text === undefined) print(topicLine(room, client.settings.get(room)?.topic));
          else client.setTopic(room, c.text);
          break;
        case 'kick':
          client.kick(room, c.name, c.reason);
          break;
        case 'ban':
          client.setModes(room, [{ mode: c.on ? '+b' : '-b', arg: c.mask }]);
          break;
        case 'invite':
          client.invite(c.room ?? room, c.name);
          break;
        case 'mode': {
          if (c.changes) {
            client.setModes(room, c.changes);
            break;
          }
          const s = client.settings.get(room);
          print(s ? modesLine(room, s.modes, s.ops) : `! not in #${room}`);
          break;
        }
        case 'away':
          client.setAway(c.message);
          break;
        case 'usage':
          print(c.usage);
          break;
        case 'unknown':
          print(`unknown command ${clean(c.command)}: try ${COMMANDS.join(', ')}`);
          break;
        default:
          assertNever(c);
      }
      rl.setPrompt(`${room}> `);
      rl.prompt();
    });
  });
}

/** /whois: the key behind a name, for two people to compare another way. */
function describePerson(name: string, p: Person | undefined): string {
  if (!p) return `* nobody online is called ${clean(name)} (or this server does not tell identities)`;
  if (p.guest) return `* ${label(p.name, true)} proved no identity key`;
  return `* ${clean(p.name)}: identity key ${fingerprintOf(p.id)} (${p.id})`;
}
