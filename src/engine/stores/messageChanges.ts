import { MAX_DISTINCT_REACTIONS, MAX_EXCERPT_CHARS, MAX_REACTION_PEOPLE, type ChatMessage, type Reaction, type ReplyQuote } from '../protocol';
import type { Change, MutateResult } from './store';

/**
 * What every store does to a message when it changes: one pure function, so
 * the memory, file and PostgreSQL stores cannot drift apart. The stores keep
 * the reactor ids (who may take a reaction back) beside the message; the
 * message itself carries only counts and names.
 */

/** Who reacted with one emoji, in the order they did: identity id and the name they had then. */
export interface Reactors {
  emoji: string;
  by: Array<[id: string, name: string]>;
}

/** A change applied: the new state and its reactor sets, or the store's refusal. */
export type Applied = { ok: true; message: ChatMessage; reactors: Reactors[]; changed: boolean } | Extract<MutateResult, { ok: false }>;

/**
 * The message after `change`, stamped with `rev` when it changed. Refuses
 * any change to a deleted message (`bad_target`) and a new emoji past
 * MAX_DISTINCT_REACTIONS (`too_many_reactions`). Never mutates its input.
 */
export function applyChange(message: ChatMessage, reactors: readonly Reactors[], change: Change, actor: string, rev: number): Applied {
  if (message.deleted) return { ok: false, code: 'bad_target', reason: `message ${message.seq} was deleted` };
  switch (change.kind) {
    case 'edit': {
      const next: ChatMessage = { ...message, text: change.text, edited: change.ts, rev };
      return { ok: true, message: next, reactors: [...reactors], changed: true };
    }
    case 'delete':
      return { ok: true, message: deletedState(message, rev), reactors: [], changed: true };
    case 'react': {
      const sets = reactors.map((r) => ({ emoji: r.emoji, by: [...r.by] }));
      const i = sets.findIndex((r) => r.emoji === change.emoji);
      if (change.on) {
        if (i >= 0 && sets[i].by.some(([id]) => id === actor)) return unchanged(message, reactors);
        if (i < 0 && sets.length >= MAX_DISTINCT_REACTIONS) {
          return { ok: false, code: 'too_many_reactions', reason: `a message has at most ${MAX_DISTINCT_REACTIONS} different reactions` };
        }
        if (i >= 0) sets[i].by.push([actor, change.name]);
        else sets.push({ emoji: change.emoji, by: [[actor, change.name]] });
      } else {
        const j = i < 0 ? -1 : sets[i].by.findIndex(([id]) => id === actor);
        if (j < 0) return unchanged(message, reactors);
        sets[i].by.splice(j, 1);
        if (sets[i].by.length === 0) sets.splice(i, 1);
      }
      return { ok: true, message: withReactions({ ...message, rev }, sets), reactors: sets, changed: true };
    }
  }
}

/** What is left of a deleted message: who sent it where and when, and that it answered another; no text, snippet or reactions. */
export function deletedState(m: ChatMessage, rev: number): ChatMessage {
  return {
    type: 'message',
    id: m.id,
    seq: m.seq,
    room: m.room,
    sender: m.sender,
    ...(m.author !== undefined && { author: m.author }),
    text: '',
    ts: m.ts,
    ...(m.to !== undefined && { to: m.to }),
    ...(m.replyTo !== undefined && { replyTo: m.replyTo }),
    deleted: true,
    rev,
  };
}

/** The message with its public `reactions` made from the reactor sets (none when empty). */
export function withReactions(m: ChatMessage, sets: readonly Reactors[]): ChatMessage {
  const { reactions: _old, ...rest } = m;
  const reactions = publicReactions(sets);
  return reactions.length > 0 ? { ...rest, reactions } : rest;
}

/** Reactor sets as clients see them: a count and the first names. */
export function publicReactions(sets: readonly Reactors[]): Reaction[] {
  return sets.filter((r) => r.by.length > 0).map((r) => ({ emoji: r.emoji, count: r.by.length, people: r.by.slice(0, MAX_REACTION_PEOPLE).map(([, name]) => name) }));
}

/** The quote of the message `seq` as it reads now; `original` undefined when it is not kept (any more). */
export function quoteOf(seq: number, original: ChatMessage | undefined): ReplyQuote {
  if (!original) return { seq, sender: '', deleted: true };
  if (original.deleted) return { seq, sender: original.sender, deleted: true };
  const chars = [...original.text];
  const excerpt = chars.length > MAX_EXCERPT_CHARS ? chars.slice(0, MAX_EXCERPT_CHARS - 1).join('') + '…' : original.text;
  return { seq, sender: original.sender, excerpt };
}

/** Reactor sets read back from storage (a file line, a jsonb column); anything malformed is dropped, not trusted. */
export function parseReactors(v: unknown): Reactors[] {
  if (!Array.isArray(v)) return [];
  const out: Reactors[] = [];
  for (const r of v as unknown[]) {
    if (typeof r !== 'object' || r === null) continue;
    const { emoji, by } = r as { emoji?: unknown; by?: unknown };
    if (typeof emoji !== 'string' || !Array.isArray(by)) continue;
    const people = by.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
    if (people.length > 0) out.push({ emoji, by: people });
  }
  return out;
}

function unchanged(message: ChatMessage, reactors: readonly Reactors[]): Applied {
  return { ok: true, message, reactors: [...reactors], changed: false };
}
