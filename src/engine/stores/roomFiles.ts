import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { isDmKey } from '../protocol';
import { appendLine } from './jsonLines';

interface RoomFile {
  lines: number;
  /** The last write failed, maybe part-way: start the next one on a fresh line. */
  torn: boolean;
}

/** Opens a room file for appending and returns its descriptor. */
export type OpenFile = (file: string) => number;

export const openForAppend: OpenFile = (file) => fs.openSync(file, 'a', 0o600);

/** Room files open at once by default: far below the process limit, enough for the rooms people are talking in. */
export const DEFAULT_MAX_OPEN_FILES = 64;

/**
 * The room files under `<dir>/rooms/`: one append-only JSON Lines file per
 * room. Only the most recently written `maxOpen` files stay open (one
 * connection once made 5,000 rooms and the server held a descriptor for
 * each); the others are reopened when written to.
 */
export class RoomFiles {
  private readonly files = new Map<string, RoomFile>();
  /** Open descriptors by room, least recently written first (a Map keeps insertion order). */
  private readonly open = new Map<string, number>();

  private readonly maxOpen: number;

  constructor(
    readonly dir: string,
    maxOpen = DEFAULT_MAX_OPEN_FILES,
    private readonly openFile: OpenFile = openForAppend,
  ) {
    // At least the file being written must stay open.
    this.maxOpen = Math.max(1, maxOpen);
  }

  /** Room names are safe file names; DM keys hold arbitrary names, so they are hashed. */
  pathOf(room: string): string {
    const base = isDmKey(room) ? 'dm-' + createHash('sha256').update(room).digest('hex').slice(0, 24) : room;
    return path.join(this.dir, base + '.jsonl');
  }

  /** What recovery found in a room's file. Nothing is opened until the room is written to. */
  found(room: string, lines: number, torn: boolean): void {
    this.files.set(room, { lines, torn });
  }

  /** Lines in a room's file. */
  lines(room: string): number {
    return this.files.get(room)?.lines ?? 0;
  }

  /** Append one line to a room's file; throws the system error when it cannot. */
  write(room: string, text: string): void {
    let f = this.files.get(room);
    if (!f) {
      f = { lines: 0, torn: false };
      this.files.set(room, f);
    }
    const fd = this.descriptor(room);
    try {
      appendLine(fd, text, f.torn);
    } catch (err) {
      f.torn = true;
      // Whatever went wrong, the next write starts from a fresh open.
      this.close(room);
      throw err;
    }
    f.torn = false;
    f.lines++;
  }

  /**
   * Replace a room's file with these lines: write a temporary file, then
   * rename it over. The descriptor of the old file is closed and forgotten
   * at once; the next write opens the new file. (Reopening here, and keeping
   * the closed number when that failed, let a later write land in whatever
   * file reused the number.)
   */
  rewrite(room: string, lines: string[]): void {
    const f = this.files.get(room);
    if (!f) return;
    const file = this.pathOf(room);
    const tmp = file + '.tmp';
    try {
      fs.writeFileSync(tmp, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    this.close(room);
    f.lines = lines.length;
    f.torn = false;
  }

  closeAll(): void {
    for (const room of [...this.open.keys()]) this.close(room);
  }

  /** The room's open descriptor, opening it (and closing the least recently written one) when needed. */
  private descriptor(room: string): number {
    const fd = this.open.get(room);
    if (fd !== undefined) {
      // Move to the most recent end.
      this.open.delete(room);
      this.open.set(room, fd);
      return fd;
    }
    const opened = this.openFile(this.pathOf(room));
    this.open.set(room, opened);
    if (this.open.size > this.maxOpen) this.close(this.open.keys().next().value as string);
    return opened;
  }

  private close(room: string): void {
    const fd = this.open.get(room);
    if (fd === undefined) return;
    this.open.delete(room);
    try {
      fs.closeSync(fd);
    } catch {
      // Already unusable; it is forgotten either way.
    }
  }
}
