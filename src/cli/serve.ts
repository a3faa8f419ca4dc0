import { ChatServer, ListenError } from '../engine/chatServer';
import { FileStore, StoreError } from '../engine/fileStore';
import { DEFAULT_RETENTION } from '../engine/store';

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
  retention?: number;
  history?: number;
  quiet: boolean;
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Runs a server until SIGINT or SIGTERM. Resolves with the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  let store: FileStore | undefined;
  if (a.data) {
    try {
      store = FileStore.open(a.data, { ...DEFAULT_RETENTION, ...(a.retention !== undefined && { maxPerRoom: a.retention }) });
    } catch (err) {
      process.stderr.write(`tcp-chat: ${err instanceof StoreError ? err.message : String(err)}\n`);
      return 1;
    }
    const r = store.recovery;
    log(`history: ${r.messages} messages in ${r.rooms} rooms from ${a.data} (${r.ms} ms${r.skipped ? `, ${r.skipped} unreadable lines skipped` : ''})`);
  }
  const server = new ChatServer({
    host: a.host,
    port: a.port,
    maxLine: a.maxLine,
    rate: a.rate,
    burst: a.burst,
    maxClients: a.maxClients,
    maxQueue: a.maxQueue,
    historyOnJoin: a.history,
    store,
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
    await store?.close();
    return 1;
  }
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log(`tcp-chat serving on ${shown}:${addr.port} (plain TCP, no password)`);
  if (!isLoopback(addr.address)) {
    log('warning: this server is reachable from other machines, and traffic is neither encrypted nor authenticated');
  }
  log(`try: nc ${shown === '0.0.0.0' ? '127.0.0.1' : shown} ${addr.port}   then type {"type":"hello","v":1,"name":"you"}`);
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

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}
