import * as fs from 'node:fs';
import { appendLine, parseJson, readLines } from './jsonLines';
import { foldName, StoreError } from './store';

/**
 * Who owns which name, kept in one append-only JSON Lines file
 * (`<dir>/names.jsonl`): `{"claim":NAME,"identity":ID}` or `{"release":NAME}`,
 * names folded (see foldName). Replaying the lines in order gives the owners.
 * Claims and releases are rare (releases are the operator's), so the file is
 * never compacted. Each line is written synchronously before the call
 * resolves, like a message.
 *
 * Another process may append to the file while a server has it open: the
 * operator's `tcp-chat names release` does. So every read first replays what
 * was appended since the last one (one stat when nothing was), and a release
 * takes effect on a running server at the next arrival, without a restart.
 * Both write whole lines with O_APPEND, so lines never interleave.
 */
export class NameClaimsFile {
  private readonly owners = new Map<string, string>();
  private fd: number | undefined;
  private torn = false;
  /** Bytes of the file replayed so far: up to the end of its last complete line. */
  private replayed = 0;
  /** Lines that could not be read (a torn last line, for example). */
  skipped = 0;

  private constructor(private readonly file: string) {}

  /** Read the claims kept so far (none when the file does not exist yet). */
  static load(file: string): NameClaimsFile {
    const claims = new NameClaimsFile(file);
    claims.torn = claims.catchUp();
    // The cut-short last line (a crash mid-write) is read, and skipped, once a later line ends it.
    if (claims.torn) claims.skipped++;
    return claims;
  }

  get size(): number {
    this.refresh();
    return this.owners.size;
  }

  /** Every claimed name (folded) with its owner, in the order first claimed. */
  entries(): Array<[name: string, identity: string]> {
    this.refresh();
    return [...this.owners];
  }

  owner(name: string): string | undefined {
    this.refresh();
    return this.owners.get(foldName(name));
  }

  claim(name: string, identity: string): string {
    this.refresh();
    const key = foldName(name);
    const owner = this.owners.get(key);
    if (owner !== undefined) return owner;
    this.write({ claim: key, identity });
    this.owners.set(key, identity);
    return identity;
  }

  release(name: string): boolean {
    this.refresh();
    const key = foldName(name);
    if (!this.owners.has(key)) return false;
    this.write({ release: key });
    this.owners.delete(key);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Replay the complete lines appended since the last call (this process's
   * own lines too: replaying them again gives the same owners, in file order).
   * True when the file ends mid-line.
   */
  private catchUp(): boolean {
    let data: Buffer;
    try {
      const size = fs.statSync(this.file).size;
      if (size <= this.replayed) return false;
      const fd = fs.openSync(this.file, 'r');
      try {
        data = Buffer.alloc(size - this.replayed);
        let off = 0;
        while (off < data.length) {
          const n = fs.readSync(fd, data, off, data.length - off, this.replayed + off);
          if (n === 0) break;
          off += n;
        }
        data = data.subarray(0, off);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    // Only whole lines: a line being written right now is read complete next time.
    const end = data.lastIndexOf(10) + 1;
    readLines(data.subarray(0, end), (line) => this.replay(parseJson(line)));
    this.replayed += end;
    return end < data.length;
  }

  /** Before each read or write, what other processes appended. A file that cannot be read now keeps the owners known. */
  private refresh(): void {
    try {
      this.catchUp();
    } catch {
      // Read again at the next call; the claims already known still hold.
    }
  }

  private replay(line: unknown): void {
    const l = line as { claim?: unknown; identity?: unknown; release?: unknown } | undefined;
    if (l && typeof l.claim === 'string' && typeof l.identity === 'string') this.owners.set(l.claim, l.identity);
    else if (l && typeof l.release === 'string') this.owners.delete(l.release);
    else this.skipped++;
  }

  private write(entry: object): void {
    try {
      this.fd ??= fs.openSync(this.file, 'a', 0o600);
      appendLine(this.fd, JSON.stringify(entry), this.torn);
      this.torn = false;
    } catch (err) {
      this.torn = true;
      throw new StoreError(`could not save the name claim: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
    }
  }
}
