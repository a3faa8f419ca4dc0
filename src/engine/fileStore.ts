import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { isDmKey, type ChatMessage } from './protocol';
import { DEFAULT_RETENTION, MemoryStore, type RetentionOptions } from './store';

/** What recovery found on disk. */
export interface RecoveryReport {
  rooms: number;
  messages: number;
  /** Lines that could not be read (a torn last line after a crash, for example). */
  skipped: number;
  ms: number;
}

/** Thrown when a message cannot be written; the server answers `store_failed`. */
export class StoreError extends Error {
  constructor(
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'StoreError';
  }
}

interface RoomFile {
  fd: number;
  lines: number;
  /** The last write failed part-way: start the next one on a fresh line. */
  torn: boolean;
}

/**
 * History in append-only JSON Lines files, one per room, under `<dir>/rooms/`.
 * Each append is written with one synchronous write() before the message is
 * acknowledged, so a killed process loses nothing it acknowledged (the page
 * cache keeps it). Memory holds the retained window for fast reads.
 */
export class FileStore extends MemoryStore {
  private readonly files = new Map<string, RoomFile>();
  private readonly roomDir: string;
  recovery: RecoveryReport = { rooms: 0, messages: 0, skipped: 0, ms: 0 };

  private constructor(dir: string, retention: RetentionOptions) {
    super(retention);
    this.roomDir = path.join(dir, 'rooms');
  }

  /** Open (creating if needed) a data directory and replay its history. */
  static open(dir: string, retention: RetentionOptions = DEFAULT_RETENTION): FileStore {
    const store = new FileStore(dir, retention);
    try {
      fs.mkdirSync(store.roomDir, { recursive: true });
      fs.accessSync(store.roomDir, fs.constants.W_OK);
    } catch (err) {
      throw new StoreError(`cannot write to data directory ${dir}: ${(err as Error).message}. Pick another --data directory or fix its permissions`, err);
    }
    store.recover();
    store.id = store.loadId(dir);
    return store;
  }

  /** The history id lives beside the logs, so it survives restarts and changes with the directory. */
  private loadId(dir: string): string {
    const file = path.join(dir, 'history-id');
    try {
      const id = fs.readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f-]{36}$/.test(id)) return id;
    } catch {
      // first start in this directory
    }
    fs.writeFileSync(file, this.id + '\n', { mode: 0o600 });
    return this.id;
  }

  private fileName(room: string): string {
    // Room names are safe file names; DM keys hold arbitrary names, so hash them.
    const base = isDmKey(room) ? 'dm-' + createHash('sha256').update(room).digest('hex').slice(0, 24) : room;
    return path.join(this.roomDir, base + '.jsonl');
  }

  private recover(): void {
    const t0 = performance.now();
    for (const entry of fs.readdirSync(this.roomDir)) {
      if (!entry.endsWith('.jsonl')) continue;
      const file = path.join(this.roomDir, entry);
      const data = fs.readFileSync(file);
      let lines = 0;
      let start = 0;
      let room: string | undefined;
      while (start < data.length) {
        let nl = data.indexOf(10, start);
        if (nl === -1) nl = data.length;
        if (nl > start) {
          lines++;
          const msg = parseStored(data.toString('utf8', start, nl));
          if (msg && (room === undefined || msg.room === room)) {
            room = msg.room;
            this.remember(msg);
            this.recovery.messages++;
          } else {
            this.recovery.skipped++;
          }
        }
        start = nl + 1;
      }
      if (room !== undefined) {
        this.recovery.rooms++;
        const torn = data.length > 0 && data[data.length - 1] !== 10;
        this.files.set(room, { fd: fs.openSync(file, 'a', 0o600), lines, torn });
        if (this.retention.maxPerRoom > 0 && lines > this.retention.maxPerRoom * 2) this.compact(room);
      }
    }
    this.recovery.ms = Math.round(performance.now() - t0);
  }

  override append(msg: ChatMessage): void {
    let f = this.files.get(msg.room);
    try {
      if (!f) {
        f = { fd: fs.openSync(this.fileName(msg.room), 'a', 0o600), lines: 0, torn: false };
        this.files.set(msg.room, f);
      }
      const line = (f.torn ? '\n' : '') + JSON.stringify(msg) + '\n';
      const buf = Buffer.from(line, 'utf8');
      let off = 0;
      try {
        while (off < buf.length) off += fs.writeSync(f.fd, buf, off);
      } catch (err) {
        if (off > 0) f.torn = true;
        throw err;
      }
      f.torn = false;
      f.lines++;
    } catch (err) {
      throw new StoreError(`could not save message to history: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
    }
    this.remember(msg);
    if (this.retention.maxPerRoom > 0 && f.lines > this.retention.maxPerRoom * 2) this.compact(msg.room);
  }

  /** Rewrite a room's file with only the retained messages (write, then rename). */
  private compact(room: string): void {
    const f = this.files.get(room);
    if (!f) return;
    const page = this.history(room, { limit: this.retention.maxPerRoom });
    const file = this.fileName(room);
    const tmp = file + '.tmp';
    try {
      fs.writeFileSync(tmp, page.messages.map((m) => JSON.stringify(m) + '\n').join(''), { mode: 0o600 });
      fs.renameSync(tmp, file);
      fs.closeSync(f.fd);
      this.files.set(room, { fd: fs.openSync(file, 'a', 0o600), lines: page.messages.length, torn: false });
    } catch {
      // Compaction is an optimisation; the full log still holds everything.
      fs.rmSync(tmp, { force: true });
    }
  }

  override async close(): Promise<void> {
    for (const f of this.files.values()) {
      try {
        fs.closeSync(f.fd);
      } catch {
        // already closed
      }
    }
    this.files.clear();
  }
}

function parseStored(line: string): ChatMessage | undefined {
  try {
    const m = JSON.parse(line) as ChatMessage;
    if (m && m.type === 'message' && typeof m.room === 'string' && Number.isSafeInteger(m.seq) && typeof m.text === 'string' && typeof m.sender === 'string' && typeof m.id === 'string') return m;
  } catch {
    // a torn or corrupt line
  }
  return undefined;
}
