import { ircEquals } from './casemap';
import type { IrcMessage } from './ircMessage';

/**
 * Collects a draft/multiline batch sent by a client into one message
 * (IRCv3 multiline): `BATCH +ref draft/multiline <target>`, PRIVMSG lines
 * tagged `batch=ref` (with `draft/multiline-concat` to glue a line to the one
 * before), then `BATCH -ref`.
 *
 * Errors are the spec's FAIL BATCH codes. A failed batch is thrown away, but
 * its remaining lines are still swallowed until it closes, so they never
 * arrive as separate messages.
 */

/** The limits this server advertises in its draft/multiline capability value. */
export interface MultilineLimits {
  maxBytes: number;
  maxLines: number;
}

/** Defaults: room for a long message, and well inside the chat's 16,000-character cap. */
export const DEFAULT_MULTILINE_LIMITS: MultilineLimits = { maxBytes: 4096, maxLines: 100 };

/** The capability value for these limits: `max-bytes=4096,max-lines=100`. */
export function multilineCapValue(limits: MultilineLimits): string {
  return `max-bytes=${limits.maxBytes},max-lines=${limits.maxLines}`;
}

/** What became of one message offered to the assembler. */
export type MultilineOutcome =
  /** Not part of a multiline batch: handle it as usual. */
  | { kind: 'pass' }
  /** Taken into the open batch (or swallowed by a failed one). */
  | { kind: 'taken' }
  /** The batch closed: deliver `lines` (already joined where concat asked) to `target`, with the opening line's client tags. */
  | { kind: 'done'; target: string; lines: string[]; tags: Record<string, string> }
  /** The batch failed: send `FAIL BATCH <code> <context...> :<description>`. */
  | { kind: 'fail'; code: string; context: string[]; description: string };

interface Open {
  ref: string;
  target: string;
  tags: Record<string, string>;
  lines: string[];
  bytes: number;
  failed: boolean;
}

/** Per-connection state for client-sent multiline batches. */
export class MultilineAssembler {
  private open?: Open;

  constructor(private readonly limits: MultilineLimits = DEFAULT_MULTILINE_LIMITS) {}

  /** True while a batch is open; the server should hold other commands' side effects in order. */
  get collecting(): boolean {
    return this.open !== undefined;
  }

  /** The `label` of the open batch `ref`, given on its opening line (labeled-response answers the batch when it closes). */
  labelOf(ref: string): string | undefined {
    return this.open?.ref === ref ? this.open.tags.label : undefined;
  }

  /** Offers one parsed message from the client. */
  offer(message: IrcMessage): MultilineOutcome {
    if (message.command === 'BATCH') return this.batch(message);
    const ref = message.tags?.batch;
    if (ref === undefined) return { kind: 'pass' };
    const open = this.open;
    if (open === undefined || ref !== open.ref) return this.fail('MULTILINE_INVALID', [], `no open batch ${ref}`);
    if (open.failed) return { kind: 'taken' };
    if (message.command !== 'PRIVMSG') return this.failOpen('MULTILINE_INVALID', [], 'a multiline batch holds only PRIVMSG');
    const [target, text = ''] = message.params;
    if (target === undefined || !ircEquals(target, open.target)) return this.failOpen('MULTILINE_INVALID_TARGET', [open.target, target ?? '*'], 'Invalid multiline target');
    const concat = message.tags !== undefined && 'draft/multiline-concat' in message.tags;
    if (concat && (text === '' || open.lines.length === 0)) return this.failOpen('MULTILINE_INVALID', [], 'draft/multiline-concat needs text and a line before it');
    if (open.lines.length >= this.limits.maxLines && !concat) {
      return this.failOpen('MULTILINE_MAX_LINES', [String(this.limits.maxLines)], 'Multiline batch max-lines exceeded');
    }
    open.bytes += Buffer.byteLength(text) + (concat || open.lines.length === 0 ? 0 : 1);
    if (open.bytes > this.limits.maxBytes) return this.failOpen('MULTILINE_MAX_BYTES', [String(this.limits.maxBytes)], 'Multiline batch max-bytes exceeded');
    if (concat) open.lines[open.lines.length - 1] += text;
    else open.lines.push(text);
    return { kind: 'taken' };
  }

  private batch(message: IrcMessage): MultilineOutcome {
    const [refParam, type, target] = message.params;
    if (refParam === undefined || refParam.length < 2) return this.fail('MULTILINE_INVALID', [], 'BATCH needs +ref or -ref');
    const ref = refParam.slice(1);
    if (refParam.startsWith('+')) {
      if (type !== 'draft/multiline') return this.fail('MULTILINE_INVALID', [], 'the only batch a client may open is draft/multiline');
      if (target === undefined || target === '') return this.fail('MULTILINE_INVALID', [], 'a multiline batch needs a target');
      if (this.open) return this.failOpen('MULTILINE_INVALID', [], 'a multiline batch is already open');
      const tags = { ...message.tags };
      this.open = { ref, target, tags, lines: [], bytes: 0, failed: false };
      return { kind: 'taken' };
    }
    if (!refParam.startsWith('-')) return this.fail('MULTILINE_INVALID', [], 'BATCH needs +ref or -ref');
    const open = this.open;
    if (open === undefined || open.ref !== ref) return this.fail('MULTILINE_INVALID', [], `no open batch ${ref}`);
    this.open = undefined;
    if (open.failed) return { kind: 'taken' };
    if (open.lines.every((l) => l.trim() === '')) return this.fail('MULTILINE_INVALID', [], 'a multiline message cannot be only blank lines');
    return { kind: 'done', target: open.target, lines: open.lines, tags: open.tags };
  }

  /** Fails the open batch and keeps swallowing its lines until it closes. */
  private failOpen(code: string, context: string[], description: string): MultilineOutcome {
    if (this.open) {
      this.open.failed = true;
      this.open.lines = [];
    }
    return this.fail(code, context, description);
  }

  private fail(code: string, context: string[], description: string): MultilineOutcome {
    return { kind: 'fail', code, context, description };
  }
}
