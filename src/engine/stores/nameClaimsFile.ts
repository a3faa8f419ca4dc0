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
 */
export class NameClaimsFile {
  private readonly owners = new Map<string, string>();
  private fd: number | undefined;
  private torn = false;
  /** Lines that could not be read (a torn last line, for example). */
  skipped = 0;

  private constructor(private readonly file: string) {}

  /** Read the claims kept so far (none when the file does not exist yet). */
  static load(file: string): NameClaimsFile {
    const claims = new NameClaimsFile(file);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return claims;
      throw err;
    }
    claims.torn = readLines(data, (line) => claims.replay(parseJson(line))).torn;
    return claims;
  }

  get size(): number {
    return this.owners.size;
  }

  owner(name: string): string | undefined {
    return this.owners.get(foldName(name));
  }

  claim(name: string, identity: string): string {
    const key = foldName(name);
    const owner = this.owners.get(key);
    if (owner !== undefined) return owner;
    this.write({ claim: key, identity });
    this.owners.set(key, identity);
    return identity;
  }

  release(name: string): boolean {
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
