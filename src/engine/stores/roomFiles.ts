import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { isDmKey } from '../protocol';
import { appendLine } from './jsonLines';

interface RoomFile {
  fd: number;
  lines: number;
  /** The last write failed, maybe part-way: start the next one on a fresh line. */
  torn: boolean;
}

/** Opens a room file for appending and returns its descriptor. */
export type OpenFile = (file: string) => number;

export const openForAppend: OpenFile = (file) => fs.openSync(file, 'a', 0o600);

/** The room files under `<dir>/rooms/`: one append-only JSON Lines file per room. */
export class RoomFiles {
  private readonly files = new Map<string, RoomFile>();

  constructor(
    readonly dir: string,
    private readonly openFile: OpenFile = openForAppend,
  ) {}

  /** Room names are safe file names; DM keys hold arbitrary names, so they are hashed. */
  pathOf(room: string): string {
    const base = isDmKey(room) ? 'dm-' + createHash('sha256').update(room).digest('hex').slice(0, 24) : room;
    return path.join(this.dir, base + '.jsonl');
  }

  /** What recovery found in a room's file. */
  found(room: string, lines: number, torn: boolean): void {
    this.files.set(room, { fd: this.openFile(this.pathOf(room)), lines, torn });
  }

  /** Lines in a room's file. */
  lines(room: string): number {
    return this.files.get(room)?.lines ?? 0;
  }

  /** Append one line to a room's file; throws the system error when it cannot. */
  write(room: string, text: string): void {
    let f = this.files.get(room);
    if (!f) {
      f = { fd: this.openFile(this.pathOf(room)), lines: 0, torn: false };
      this.files.set(room, f);
    }
    try {
      appendLine(f.fd, text, f.torn);
    } catch (err) {
      f.torn = true;
      throw err;
    }
    f.torn = false;
    f.lines++;
  }

  /** Replace a room's file with these lines: write a temporary file, then rename it over. */
  rewrite(room: string, lines: string[]): void {
    const f = this.files.get(room);
    if (!f) return;
    const file = this.pathOf(room);
    const tmp = file + '.tmp';
    try {
      fs.writeFileSync(tmp, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
      fs.renameSync(tmp, file);
      fs.closeSync(f.fd);
      this.files.set(room, { fd: this.openFile(file), lines: lines.length, torn: false });
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  closeAll(): void {
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
