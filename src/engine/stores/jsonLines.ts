import * as fs from 'node:fs';

/**
 * Append one line to a file opened for appending, with synchronous writes
 * (a killed process loses nothing that was acknowledged: the page cache
 * keeps it). `fresh` first ends a line that an earlier failed write may have
 * cut short; if nothing had been written then, this only adds an empty line,
 * which readers skip. Throws the system error; the caller must then treat
 * the file as possibly ending mid-line.
 */
export function appendLine(fd: number, text: string, fresh: boolean): void {
  const buf = Buffer.from((fresh ? '\n' : '') + text + '\n', 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off);
}

/** What reading a JSON Lines file found. */
export interface LinesRead {
  /** Non-empty lines. */
  lines: number;
  /** The file ends without a newline: its last line was cut short (a crash mid-write). */
  torn: boolean;
}

/** Call `onLine` for every non-empty line of a file's bytes (split on bytes, so no character is cut). */
export function readLines(data: Buffer, onLine: (line: string) => void): LinesRead {
  let lines = 0;
  let start = 0;
  while (start < data.length) {
    let nl = data.indexOf(10, start);
    if (nl === -1) nl = data.length;
    if (nl > start) {
      lines++;
      onLine(data.toString('utf8', start, nl));
    }
    start = nl + 1;
  }
  return { lines, torn: data.length > 0 && data[data.length - 1] !== 10 };
}

/** A line parsed as JSON, or undefined for a torn or corrupt one. */
export function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
