import type { ClientFrame, ServerFrame } from './protocol';

/** Default cap on one line, in bytes, excluding the newline. */
export const DEFAULT_MAX_LINE = 64 * 1024;

/** What a LineDecoder reports. */
export interface LineSink {
  /** One complete line, decoded as UTF-8, without `\n` or a trailing `\r`. */
  line(text: string): void;
  /** A line grew past the cap; nothing more will be reported. */
  overflow(bytes: number): void;
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into newline-terminated lines.
 * It works on Buffers, not strings, so a multi-byte character split across
 * chunks is never cut; it keeps the partial tail and caps its length so a
 * peer that never sends `\n` cannot grow our memory.
 */
export class LineDecoder {
  /** Pieces of an unfinished line; made when a chunk ends mid-line. */
  private parts?: Buffer[];
  private partLen = 0;
  private dead = false;
  private paused = false;
  /** Bytes received while paused (or left over when a line paused us), replayed by resume(). */
  private held?: Buffer;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLine = DEFAULT_MAX_LINE,
  ) {}

  /**
   * Feed one chunk from the socket. The decoder may keep a view of it while
   * paused, so the caller must not write into it afterwards (a socket never
   * does: each read is a fresh Buffer).
   */
  push(chunk: Buffer): void {
    if (this.dead) return;
    if (this.paused) {
      this.held = this.held ? Buffer.concat([this.held, chunk]) : chunk;
      return;
    }
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) break;
      const lineLen = this.partLen + (nl - start);
      if (lineLen > this.maxLine + 1) return this.fail(lineLen);
      let bytes: Buffer;
      if (this.partLen === 0) {
        bytes = chunk.subarray(start, nl);
      } else {
        const parts = this.parts ?? [];
        parts.push(chunk.subarray(start, nl));
        bytes = Buffer.concat(parts, lineLen);
        this.parts = undefined;
        this.partLen = 0;
      }
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === CR) end--;
      if (end > this.maxLine) return this.fail(end);
      start = nl + 1;
      if (end > 0) {
        this.sink.line(bytes.toString('utf8', 0, end));
        if (this.dead) return;
        if (this.paused) {
          // Keep a view of the rest, not a copy: a pause every few lines must not copy the chunk each time.
          if (start < chunk.length) this.held = chunk.subarray(start);
          return;
        }
      }
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      // +1 leaves room for a `\r` that may precede the coming `\n`.
      if (this.partLen + rest > this.maxLine + 1) return this.fail(this.partLen + rest);
      // Copy: the socket may reuse the chunk's memory.
      (this.parts ??= []).push(Buffer.from(chunk.subarray(start)));
      this.partLen += rest;
    }
  }

  /** Bytes held for an unfinished line. */
  get pending(): number {
    return this.partLen;
  }

  /** Stop reporting lines, from within a line() callback or between pushes, until resume(). */
  pause(): void {
    this.paused = true;
  }

  /** Report the lines held since pause(), then carry on. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = undefined;
    if (held) this.push(held);
  }

  /** Stop reporting; used when the connection closes. */
  stop(): void {
    this.dead = true;
    this.parts = undefined;
    this.partLen = 0;
    this.held = undefined;
  }

  private fail(bytes: number): void {
    this.stop();
    this.sink.overflow(bytes);
  }
}

/** Serialize a frame once, ready to write to any number of sockets. */
export function encodeFrame(frame: ServerFrame | ClientFrame): Buffer {
  return Buffer.from(JSON.stringify(frame) + '\n', 'utf8');
}
