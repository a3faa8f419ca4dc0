import { ChatServer, ListenError } from '../engine/server/chatServer';
import { exposureWarning } from '../engine/exposure';
import type { Bus } from '../engine/buses/bus';
import { openBus } from '../engine/buses/openBus';
import { FileStore } from '../engine/stores/fileStore';
import { openStore } from '../engine/stores/openStore';
import { DEFAULT_RETENTION, type Store } from '../engine/stores/store';
import { redactUrl } from '../engine/redactUrl';
import { CertificateError, defaultDataDir, loadCertificate, loadOrCreateCertificate, type TlsMaterial } from '../engine/certificate';
import { IrcProtocol } from '../engine/codecs/irc/ircProtocol';
import { isLoopback } from '../engine/exposure';
import { PasswordError, readPassword } from './password';

/** How the terminal says to add each safeguard the exposure warning asks for. */
export const CLI_FIXES = { tls: 'add --tls', password: 'add --password-file' } as const;

/** Flags of `tcp-chat serve`, already checked. */
export interface ServeArgs {
  host?: string;
  port?: number;
  data?: string;
  maxLine?: number;
  rate?: number;
  burst?: number;
  maxClients?: number;
  maxQueue?: number;
  handshakeTimeout?: number;
  idleTimeout?: number;
  retention?: number;
  history?: number;
  quiet: boolean;
  /** Serve TLS: with cert and key from files, or with a certificate made once in the data directory. */
  tls?: boolean;
  cert?: string;
  key?: string;
  /** File holding the password; TCP_CHAT_PASSWORD is read when absent. */
  passwordFile?: string;
  /** Also speak IRC on this port (0 picks a free one). */
  ircPort?: number;
  /** Shared history in PostgreSQL (postgres://…); TCP_CHAT_STORE is read when absent. */
  store?: string;
  /** The other nodes of a cluster through Redis (redis://…); TCP_CHAT_BUS is read when absent. Needs a shared store. */
  bus?: string;
  /** How welcomes name this node. */
  nodeName?: string;
  maxRooms?: number;
  maxRoomsPerPerson?: number;
  /** Admit only people who prove an identity key: guests get `identity_required`. */
  requireIdentity?: boolean;
}

/** The environment variables that stand in for --store and --bus. */
export const STORE_ENV = 'TCP_CHAT_STORE';
export const BUS_ENV = 'TCP_CHAT_BUS';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Runs a server until SIGINT or SIGTERM. Resolves with the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  // Certificate and password first: a mistake there should not leave a store open.
  let material: TlsMaterial | undefined;
  let password: string | undefined;
  try {
    if (a.tls) {
      material = a.cert !== undefined && a.key !== undefined ? loadCertificate(a.cert, a.key) : await loadOrCreateCertificate(a.data ?? defaultDataDir());
      if (material.generated) log(`made a self-signed TLS certificate: ${material.certFile} (key ${material.keyFile}, mode 0600)`);
      for (const w of material.warnings) log(`warning: ${w}`);
    }
    const secret = readPassword(a.passwordFile);
    password = secret.password;
    for (const w of secret.warnings) log(`warning: ${w}`);
  } catch (err) {
    if (!(err instanceof CertificateError || err instanceof PasswordError)) throw err;
    process.stderr.write(`tcp-chat: ${err.message}\n`);
    return 1;
  }
  const storeUrl = a.store ?? nonEmpty(process.env[STORE_ENV]);
  const busUrl = a.bus ?? nonEmpty(process.env[BUS_ENV]);
  const refusal = sharedProblem(a, storeUrl, busUrl);
  if (refusal) {
    process.stderr.write(`tcp-chat: ${refusal}\n`);
    return 2;
  }
  const retention = { ...DEFAULT_RETENTION, ...(a.retention !== undefined && { maxPerRoom: a.retention }) };
  let store: Store | undefined;
  let bus: Bus | undefined;
  const warnFrom = (what: string) => (message: string) => log(`warning: ${what}: ${message}`);
  try {
    if (a.data) {
      const files = await FileStore.open(a.data, { retention });
      const r = files.recovery;
      log(`history: ${r.messages} messages in ${r.rooms} rooms from ${a.data} (${r.ms} ms${r.skipped ? `, ${r.skipped} unreadable lines skipped` : ''})`);
      store = files;
    } else if (storeUrl) {
      // Only ever logged through redactUrl: the URL may hold the password.
      if (a.store !== undefined && hasPassword(storeUrl)) log(`warning: the --store URL holds a password, which anyone on this machine can read with ps: set ${STORE_ENV} or PGPASSWORD instead`);
      store = await openStore(storeUrl, { retention, onWarning: warnFrom('PostgreSQL') });
      log(`history: shared, in PostgreSQL at ${redactUrl(storeUrl)} (history id ${store.id})`);
    }
    if (busUrl) {
      if (a.bus !== undefined && hasPassword(busUrl)) log(`warning: the --bus URL holds a password, which anyone on this machine can read with ps: set ${BUS_ENV} instead`);
      bus = await openBus(busUrl, { onWarning: warnFrom('Redis') });
      log(`cluster: other nodes through Redis at ${redactUrl(busUrl)}`);
    }
  } catch (err) {
    // Both openers name the server without its password.
    process.stderr.write(`tcp-chat: ${(err as Error).message}\n`);
    await Promise.all([store?.close(), bus?.close()]);
    return 1;
  }
  const server = new ChatServer({
    host: a.host,
    port: a.port,
    maxLine: a.maxLine,
    rate: a.rate,
    burst: a.burst,
    maxClients: a.maxClients,
    maxQueue: a.maxQueue,
    handshakeTimeout: a.handshakeTimeout,
    idleTimeout: a.idleTimeout,
    historyOnJoin: a.history,
    maxRooms: a.maxRooms,
    maxRoomsPerPerson: a.maxRoomsPerPerson,
    nodeName: a.nodeName,
    store,
    bus,
    ...(material && { tls: { cert: material.cert, key: material.key } }),
    ...(password !== undefined && { password }),
    requireIdentity: a.requireIdentity === true,
    ...(a.ircPort !== undefined && { extraPorts: [{ port: a.ircPort, protocol: new IrcProtocol() }] }),
  });
  server.onEvent((e) => {
    if (e.type === 'warn') return log(`warning: ${e.message}`);
    if (a.quiet) return;
    switch (e.type) {
      case 'online':
        return log(`+ ${e.name} connected from ${e.address}`);
      case 'offline':
        return log(`- ${e.name} left (${e.reason})`);
      case 'join':
        return log(`${e.name} joined #${e.room}`);
      case 'leave':
        return log(`${e.name} left #${e.room}`);
      case 'rename':
        return log(`${e.from} is now ${e.name}`);
      case 'closed':
        if (e.code !== 'bye') log(`closed ${e.address}: ${e.reason}`);
        return;
    }
  });
  let addr;
  try {
    addr = await server.listen();
  } catch (err) {
    process.stderr.write(`tcp-chat: ${err instanceof ListenError ? err.message : String(err)}\n`);
    await Promise.all([store?.close(), bus?.close()]);
    return 1;
  }
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log(`tcp-chat serving on ${shown}:${addr.port} (${server.secure ? 'TLS' : 'plain TCP'}, ${server.requiresPassword ? 'password required' : 'no password'}, ${a.requireIdentity ? 'identity keys required' : 'guests welcome'})`);
  if (server.fingerprint) log(`TLS certificate SHA-256 fingerprint: ${server.fingerprint}`);
  const irc = server.addresses().find((x) => x.protocol === 'irc')?.address;
  if (irc) {
    log(`IRC gateway on ${shown}:${irc.port} (${server.secure ? 'TLS' : 'plain TCP'}): point any IRC client at it and /join #general`);
    if (server.requiresPassword && !server.secure && !isLoopback(addr.address)) {
      log('warning: IRC clients send the password in the clear, so over plain TCP only those on this machine can log in; add --tls');
    }
  }
  if (bus) log(`this node is ${server.nodeName}`);
  const warning = exposureWarning(addr.address, { tls: server.secure, password: server.requiresPassword }, CLI_FIXES);
  if (warning) log(`warning: ${warning}`);
  const local = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : shown;
  if (server.secure || server.requiresPassword || a.requireIdentity) {
    const flags = [server.fingerprint && `--fingerprint ${server.fingerprint}`, server.requiresPassword && '--password-file FILE'].filter(Boolean).join(' ');
    log(`try: tcp-chat connect ${local}:${addr.port}${flags ? ' ' + flags : ''}`);
  } else {
    log(`try: nc ${local} ${addr.port}   then type {"type":"hello","v":1,"name":"you"}`);
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: closing ${server.connectionCount} connections`);
      server.close('server shutting down').then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Why these storage options cannot work together, or undefined. */
function sharedProblem(a: ServeArgs, storeUrl: string | undefined, busUrl: string | undefined): string | undefined {
  if (a.data !== undefined && a.store !== undefined) return '--data and --store both say where history goes: give one of them';
  if (busUrl !== undefined && (a.data !== undefined || storeUrl === undefined)) {
    return `--bus (${BUS_ENV}) joins other nodes, which must share one history: add --store postgres://USER@HOST:PORT/DB (or set ${STORE_ENV}); with --data or in memory the nodes' histories would diverge`;
  }
  return undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}
