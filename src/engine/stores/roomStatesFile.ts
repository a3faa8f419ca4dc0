import * as fs from 'node:fs';
import { appendLine, parseJson, readLines } from './jsonLines';
import { StoreError, type RoomState, type VersionedRoomState } from './store';

/** Lines past those needed (one per room) that the file may hold before it is rewritten. */
const SLACK_LINES = 1000;

/**
 * Room settings (topic, modes, operators, bans, invites) in one append-only
 * JSON Lines file (`<dir>/room-states.jsonl`): each change writes the room's
 * whole state as `{"room":R,"version":V,"state":{...}}`, and replaying the
 * lines keeps the highest version per room. Changes are rare (a topic, a
 * ban), so a line per change is cheap; when the file holds many more lines
 * than rooms it is rewritten with one line each. Each line is written
 * synchronously before the call resolves, like a message.
 */
export class RoomStatesFile {
  private readonly states = new Map<string, VersionedRoomState>();
  private fd: number | undefined;
  private torn = false;
  private lines = 0;
  /** Lines that could not be read (a torn last line, for example). */
  skipped = 0;

  private constructor(private readonly file: string) {}

  /** Read the states kept so far (none when the file does not exist yet). */
  static load(file: string): RoomStatesFile {
    const f = new RoomStatesFile(file);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return f;
      throw err;
    }
    const read = readLines(data, (line) => f.replay(parseJson(line)));
    f.torn = read.torn;
    f.lines = read.lines;
    return f;
  }

  get size(): number {
    return this.states.size;
  }

  get(room: string): VersionedRoomState | undefined {
    return this.states.get(room);
  }

  /** Compare-and-set (see Store.setRoomState). */
  set(room: string, state: RoomState, expected: number): boolean {
    if ((this.states.get(room)?.version ?? 0) !== expected) return false;
    const entry = { version: expected + 1, state };
    this.write({ room, ...entry });
    this.states.set(room, entry);
    if (this.lines > this.states.size + SLACK_LINES) this.compact();
    return true;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private replay(line: unknown): void {
    const l = line as { room?: unknown; version?: unknown; state?: unknown } | undefined;
    if (!l || typeof l.room !== 'string' || !Number.isSafeInteger(l.version) || (l.version as number) < 1 || typeof l.state !== 'object' || l.state === null) {
      this.skipped++;
      return;
    }
    const version = l.version as number;
    if (version > (this.states.get(l.room)?.version ?? 0)) this.states.set(l.room, { version, state: l.state as RoomState });
  }

  private write(entry: object): void {
    try {
      this.fd ??= fs.openSync(this.file, 'a', 0o600);
      appendLine(this.fd, JSON.stringify(entry), this.torn);
      this.torn = false;
      this.lines++;
    } catch (err) {
      this.torn = true;
      throw new StoreError(`could not save the room's settings: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
    }
  }

  /** One line per room, through a temporary file renamed over the old one (a crash leaves one or the other whole). */
  private compact(): void {
    const tmp = this.file + '.tmp';
    try {
      const text = [...this.states].map(([room, s]) => JSON.stringify({ room, ...s }) + '\n').join('');
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch {
      // Compaction is an optimisation; the full log still holds everything.
      fs.rmSync(tmp, { force: true });
      return;
    }
    this.close();
    this.lines = this.states.size;
    this.torn = false;
  }
}
