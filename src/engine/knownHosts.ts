import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHostPort } from './address';
import { normalizeFingerprint } from './certificate';

/**
 * Pinned server certificates, one `host:port FINGERPRINT` line each (IPv6
 * hosts in brackets), like SSH's known_hosts. Comments (`#`) and lines this
 * version does not understand are kept as they are when the file is saved.
 */
export class KnownHosts {
  private lines: string[];

  private constructor(
    readonly file: string,
    text: string,
  ) {
    this.lines = text.split(/\r?\n/);
    if (this.lines[this.lines.length - 1] === '') this.lines.pop();
  }

  /** Read the file; a missing file is an empty list. */
  static load(file: string): KnownHosts {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new KnownHosts(file, text);
  }

  /** The pinned fingerprint for host:port, if any. */
  get(host: string, port: number): string | undefined {
    const want = hostKey(host, port);
    for (const line of this.lines) {
      const entry = parseLine(line);
      if (entry && entry.key === want) return entry.fingerprint;
    }
    return undefined;
  }

  /** Pin a fingerprint for host:port, replacing an earlier pin. Call save() to keep it. */
  set(host: string, port: number, fingerprint: string): void {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new Error(`"${fingerprint.slice(0, 100)}" is not a SHA-256 fingerprint`);
    const key = hostKey(host, port);
    const line = `${key} ${fp}`;
    const i = this.lines.findIndex((l) => parseLine(l)?.key === key);
    if (i === -1) this.lines.push(line);
    else this.lines[i] = line;
  }

  /** Write the file atomically, readable only by its owner (it says which servers you talk to). */
  save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, this.lines.map((l) => l + '\n').join(''), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}

/** The key a pin is stored under: `host:port`, IPv6 in brackets, host in lowercase. */
export function hostKey(host: string, port: number): string {
  return formatHostPort({ host: host.toLowerCase(), port });
}

function parseLine(line: string): { key: string; fingerprint: string } | undefined {
  const t = line.trim();
  if (!t || t.startsWith('#')) return undefined;
  const m = /^(\S+)\s+(\S+)/.exec(t);
  if (!m) return undefined;
  // Pins written by hand or by another tool may use any case, drop the colons or carry a SHA256: prefix.
  const fingerprint = normalizeFingerprint(m[2]);
  return fingerprint ? { key: m[1].toLowerCase(), fingerprint } : undefined;
}
