import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runServe } from './serve';
import { runConnect } from './connect';
import { runIdentity } from './identityCommand';
import { runNames } from './names';
import { VERSION } from '../engine/version';
import { AddressError, parseHostPorts } from '../engine/address';
import { defaultDataDir } from '../engine/certificate';
import { InviteError, parseInvite } from '../shared/inviteLink';

const HELP = `tcp-chat: a team chat over TCP you run yourself

Usage:
  tcp-chat serve   [options]            run a chat server
  tcp-chat connect HOST:PORT[,HOST:PORT...] [options]  chat from this terminal
  tcp-chat connect 'tcp-chat://HOST:PORT/ROOM#FINGERPRINT'   the same, from an invite
  tcp-chat names list --data DIR        who owns which name on a server
  tcp-chat names release NAME --data DIR   free a name (its owner lost their key)
  tcp-chat identity show                your identity key's fingerprint
  tcp-chat identity export FILE         seal your identity in FILE with a passphrase
  tcp-chat identity import FILE         use an exported identity on this machine
  tcp-chat --help | --version

serve options:
  --host H            address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --port P            port to listen on (default 12345; 0 picks a free one)
  --data DIR          keep history in DIR as JSON Lines (default: memory only)
  --max-line BYTES    longest accepted line (default 65536)
  --rate-limit N      steady messages per second per connection (default 10; 0 turns it off)
  --burst N           messages allowed in a burst (default 30)
  --max-clients N     connections at once (default 10000)
  --max-queue BYTES   output queued for a slow reader before it is cut (default 8388608)
  --handshake-timeout MS  time to complete the handshake (default 10000)
  --idle-timeout MS   close a connection silent this long; a ping goes out at half (default 90000)
  --retention N       messages kept per room (default 100000; 0 keeps all)
  --history N         messages of history sent on welcome and join (default 50)
  --quiet             do not log joins and leaves
  --tls               require TLS; on first start a self-signed certificate is made in
                      the data directory (--data, or ~/.tcp-chat) and its fingerprint shown
  --cert FILE --key FILE  use this PEM certificate and key instead (implies --tls)
  --password-file FILE    require the password in FILE (or set TCP_CHAT_PASSWORD)
  --irc-port P        also speak IRC on port P (6667 is usual; off by default): any IRC
                      client joins the same rooms; with --tls it speaks TLS too (6697)
  --max-rooms N       rooms kept at once (default 1000)
  --max-rooms-per-person N  rooms one person may be in at once (default 50)

  Several servers as one (docs/scaling.md):
  --store URL         keep history in PostgreSQL, postgres://USER[:PASS]@HOST:PORT/DB
                      (or set TCP_CHAT_STORE; a password may come from PGPASSWORD)
  --bus URL           share rooms with the other nodes through Redis,
                      redis://[:PASS@]HOST:PORT[/DB] (or set TCP_CHAT_BUS); needs --store
  --node-name NAME    how welcomes name this node (default HOST:PORT)
  --require-identity  admit only people who prove an identity key (no guests)

connect options:
  --name NAME         your display name (default: your login name; when a server would
                      refuse it, as it refuses root, you are asked, or told what is used)
  --identity FILE     your identity key (default ~/.tcp-chat/identity, made on first use);
                      the first key to use a name on a server owns it there
  --guest             connect without a key: only names nobody has claimed, marked guest
  --tls               connect with TLS; the server's certificate is pinned on first use
  --fingerprint FP    trust exactly this SHA-256 certificate fingerprint (implies --tls)
  --trust-new         the pinned certificate changed and you know why: ask again
  --known-hosts FILE  where pins are kept (default ~/.tcp-chat/known_hosts)
  --password-file FILE    the server's password (or set TCP_CHAT_PASSWORD)

names options:
  --data DIR          the server's data directory (stop the server, or restart it after)

identity options:
  --identity FILE     the key file (default ~/.tcp-chat/identity)
  --passphrase-file FILE  read the export passphrase from FILE instead of asking

Passwords and passphrases are never taken as a flag: anyone on the machine can read
flags with ps.

In the terminal client, type a line to send it to the current room, or:
  /join ROOM [KEY]  switch to ROOM (joining it; KEY for a keyed room)
  /leave ROOM   leave ROOM
  /msg NAME TEXT  send a direct message ("double quotes" around a name with spaces)
  /reply N TEXT   answer message [N] (the number printed before each message)
  /react N EMOJI  react to message [N] with an emoji or :shortcode: (/react N off EMOJI takes it back)
  /edit N TEXT    replace the text of your message [N]
  /delete N       delete your message [N]
  /who [PREFIX] who is online (guests are marked); with PREFIX, who in this room starts with it; @ then Tab completes a name
  /whois NAME   show the identity key fingerprint behind a name
  /nick NAME    change your name
  /history      show earlier messages of the current room
  /search TEXT  search the history
  /topic [TEXT]  show the current room's topic, or set it (/topic -delete clears it)
  /mode [MODES ARGS]  show the room's modes, or change them: /mode +i, /mode +k KEY,
                /mode +l 20, /mode +o NAME, /mode -t (operators only)
  /kick NAME [REASON]  put someone out of the current room (operators only)
  /ban MASK, /unban MASK  ban names matching MASK (* and ? allowed) from the room
  /invite NAME [ROOM]  invite someone to the current room, or to ROOM
  /away [MESSAGE]  mark yourself away with MESSAGE, or back without one
  /quit         leave
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`tcp-chat ${VERSION}\n`);
    return 0;
  }
  try {
    if (command === 'serve') {
      const { values } = parseArgs({
        args: rest,
        options: {
          host: { type: 'string' },
          port: { type: 'string' },
          data: { type: 'string' },
          'max-line': { type: 'string' },
          'rate-limit': { type: 'string' },
          burst: { type: 'string' },
          'max-clients': { type: 'string' },
          'max-queue': { type: 'string' },
          'handshake-timeout': { type: 'string' },
          'idle-timeout': { type: 'string' },
          retention: { type: 'string' },
          history: { type: 'string' },
          quiet: { type: 'boolean' },
          tls: { type: 'boolean' },
          cert: { type: 'string' },
          key: { type: 'string' },
          'password-file': { type: 'string' },
          'irc-port': { type: 'string' },
          store: { type: 'string' },
          bus: { type: 'string' },
          'node-name': { type: 'string' },
          'max-rooms': { type: 'string' },
          'max-rooms-per-person': { type: 'string' },
          'require-identity': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      const nodeName = values['node-name'];
      // eslint-disable-next-line no-control-regex -- control characters are what is refused
      if (nodeName !== undefined && (nodeName.trim() === '' || nodeName.length > 64 || /[\u0000-\u001f\u007f]/.test(nodeName))) throw new UsageError('--node-name takes 1 to 64 printable characters');
      if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together: give both, or neither to use a generated certificate');
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      return await runServe({
        host: values.host,
        port: int(values.port, '--port', 0, 65535),
        data: values.data,
        maxLine: int(values['max-line'], '--max-line', 64, 64 * 1024 * 1024),
        rate: int(values['rate-limit'], '--rate-limit', 0, 1_000_000),
        burst: int(values.burst, '--burst', 1, 1_000_000),
        maxClients: int(values['max-clients'], '--max-clients', 1, 1_000_000),
        maxQueue: int(values['max-queue'], '--max-queue', 1024, 2 ** 40),
        handshakeTimeout: int(values['handshake-timeout'], '--handshake-timeout', 100, 3_600_000),
        idleTimeout: int(values['idle-timeout'], '--idle-timeout', 100, 86_400_000),
        retention: int(values.retention, '--retention', 0, 1e9),
        history: int(values.history, '--history', 0, 500),
        quiet: values.quiet ?? false,
        tls: values.tls === true || values.cert !== undefined,
        cert: values.cert,
        key: values.key,
        passwordFile: values['password-file'],
        ircPort: int(values['irc-port'], '--irc-port', 0, 65535),
        store: values.store,
        bus: values.bus,
        nodeName,
        maxRooms: int(values['max-rooms'], '--max-rooms', 1, 1_000_000),
        maxRoomsPerPerson: int(values['max-rooms-per-person'], '--max-rooms-per-person', 1, 10_000),
        requireIdentity: values['require-identity'] ?? false,
      });
    }
    if (command === 'connect') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          name: { type: 'string' },
          tls: { type: 'boolean' },
          fingerprint: { type: 'string' },
          'trust-new': { type: 'boolean' },
          'known-hosts': { type: 'string' },
          'password-file': { type: 'string' },
          identity: { type: 'string' },
          guest: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      if (values.guest && values.identity !== undefined) throw new UsageError('--guest connects without a key, so it does not go with --identity: give one or the other');
      if (positionals.length !== 1) throw new UsageError('connect needs one HOST:PORT (or a list of a cluster\'s nodes, HOST:PORT,HOST:PORT), for example: tcp-chat connect 127.0.0.1:12345 --name alice');
      // An invite (tcp-chat://HOST:PORT/ROOM#FINGERPRINT) carries the room and the certificate to expect.
      const invite = /^tcp-chat:/i.test(positionals[0]) ? parseInvite(positionals[0]) : undefined;
      const [{ host, port }, ...servers] = invite ? [invite] : parseHostPorts(positionals[0]);
      return await runConnect({
        host,
        port,
        servers,
        name: values.name,
        room: invite?.room,
        tls: values.tls === true || values.fingerprint !== undefined || invite?.fingerprint !== undefined,
        fingerprint: values.fingerprint ?? invite?.fingerprint,
        trustNew: values['trust-new'] ?? false,
        knownHosts: values['known-hosts'],
        passwordFile: values['password-file'],
        identityFile: values.guest ? undefined : (values.identity ?? defaultIdentityFile()),
      });
    }
    if (command === 'names') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      const [action, name, ...extra] = positionals;
      const usage = 'use: tcp-chat names list --data DIR, or tcp-chat names release NAME --data DIR';
      if (values.data === undefined) throw new UsageError(`names needs the server's --data directory; ${usage}`);
      if (action === 'list' && name === undefined) return await runNames({ action: 'list', data: values.data });
      if (action === 'release' && name !== undefined && extra.length === 0) return await runNames({ action: 'release', name, data: values.data });
      throw new UsageError(usage + ' (a name with spaces in quotes)');
    }
    if (command === 'identity') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { identity: { type: 'string' }, 'passphrase-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      const [action, file, ...extra] = positionals;
      const ok = extra.length === 0 && ((action === 'show' && file === undefined) || ((action === 'export' || action === 'import') && file !== undefined));
      if (!ok) throw new UsageError('use: tcp-chat identity show, tcp-chat identity export FILE, or tcp-chat identity import FILE');
      return await runIdentity({ action, file, identityFile: values.identity ?? defaultIdentityFile(), passphraseFile: values['passphrase-file'] });
    }
    throw new UsageError(`unknown command "${command}"; try tcp-chat --help`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof AddressError || err instanceof InviteError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tcp-chat: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

class UsageError extends Error {}

/** Where the terminal client keeps its identity key unless told. */
function defaultIdentityFile(): string {
  return path.join(defaultDataDir(), 'identity');
}

function int(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tcp-chat: ${(err as Error).message ?? err}\n`);
    process.exitCode = 1;
  },
);
