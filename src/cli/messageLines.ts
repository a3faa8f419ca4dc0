import type { ChatMessage, Reaction } from '../engine/protocol';
import { clean } from './terminalText';

/** Messages the terminal remembers by number; older ones can no longer be addressed. */
const MAX_REMEMBERED = 10_000;


/**
 * The numbers the terminal client prints beside messages (`[12]`), which
 * /reply, /react, /edit and /delete take. A number names one message of one
 * room or DM for the whole session, whatever room is current, so a number
 * typed is never read against another room. The last state shown is kept to
 * say what an update changed.
 */
export class MessageLines {
  private readonly byKey = new Map<string, number>();
  private readonly byNumber = new Map<number, ChatMessage>();
  private next = 1;

  /** The number of a message, given on first sight. */
  number(m: ChatMessage): number {
    const key = m.room + '\n' + m.seq;
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.next++;
      this.byKey.set(key, n);
      const old = this.byNumber.get(n - MAX_REMEMBERED);
      if (old) {
        this.byKey.delete(old.room + '\n' + old.seq);
        this.byNumber.delete(n - MAX_REMEMBERED);
      }
    }
    this.byNumber.set(n, m);
    return n;
  }

  /** The number a message was printed with, or undefined when it was not shown here. */
  numberIfSeen(room: string, seq: number): number | undefined {
    return this.byKey.get(room + '\n' + seq);
  }

  /** The message printed with number `n`, as last seen. */
  find(n: number): ChatMessage | undefined {
    return this.byNumber.get(n);
  }

  /** The state shown before this one, if any. */
  previous(m: ChatMessage): ChatMessage | undefined {
    const n = this.byKey.get(m.room + '\n' + m.seq);
    return n === undefined ? undefined : this.byNumber.get(n);
  }
}

/** How a message's body reads in the terminal: the text, "(edited)", or "message deleted". */
export function bodyOf(m: ChatMessage): string {
  if (m.deleted) return '(message deleted)';
  const body = m.snippet ? `${m.text}\n${m.snippet.code}` : m.text;
  return clean(body) + (m.edited ? ' (edited)' : '');
}

/** The quote line above a reply: who said what, or that it was deleted. */
export function quoteLine(m: ChatMessage, numberOf: (room: string, seq: number) => number | undefined): string | undefined {
  if (m.replyTo === undefined) return undefined;
  const n = numberOf(m.room, m.replyTo);
  const ref = n === undefined ? '' : `[${n}] `;
  const q = m.reply;
  if (!q || q.deleted) return `  ↪ ${ref}(message deleted)`;
  return `  ↪ ${ref}${clean(q.sender)}: ${clean(q.excerpt ?? '').replace(/\n/g, ' ')}`;
}

/** The reactions line below a message: `👍 2 (bob, carol)  :tada: 1 (bob)`, or undefined when none. */
export function reactionsLine(reactions: readonly Reaction[] | undefined): string | undefined {
  if (!reactions || reactions.length === 0) return undefined;
  return '    ' + reactions.map((r) => `${clean(r.emoji)} ${r.count} (${r.people.map(clean).join(', ')}${r.count > r.people.length ? ', …' : ''})`).join('  ');
}

/** What an update changed, for one line: edited, deleted, or the reactions now. */
export function describeUpdate(n: number, m: ChatMessage, before: ChatMessage | undefined): string {
  const who = clean(m.sender);
  if (m.deleted) return `* [${n}] ${who}'s message was deleted`;
  if (before && m.text !== before.text) return `* [${n}] ${who} edited: ${bodyOf(m)}`;
  return `* [${n}] reactions:${reactionsLine(m.reactions)?.slice(3) ?? ' none'}`;
}
