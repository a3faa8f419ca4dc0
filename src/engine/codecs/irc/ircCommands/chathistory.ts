import { dmKey, isDmKey, type ChatMessage } from '../../../protocol';
import { wrapBatch } from '../batches';
import type { IrcCodec } from '../ircCodec';
import type { IrcMessage } from '../ircMessage';
import { channelForRoom, isChannelName, nickProblem, roomForChannel } from '../ircNames';
import { parseMsgid } from '../messageRefs';
import { standardReply } from '../numerics';
import { CHATHISTORY_MAX } from './registration';

type Fail = { fail: string; context: string[]; text: string };

/**
 * CHATHISTORY (IRCv3 draft/chathistory) from the store: LATEST, BEFORE,
 * AFTER, AROUND and BETWEEN, by msgid (a message's room and seq) or by
 * timestamp (found by a binary search over seqs, since a room's times never
 * go back), and TARGETS for the client's rooms. The page itself is asked for
 * with a history frame, so it is rate-limited and checked like the panel's.
 */
export async function chathistory(c: IrcCodec, m: IrcMessage): Promise<void> {
  const sub = m.params[0].toUpperCase();
  const failed = await run(c, sub, m.params.slice(1));
  if (failed) c.send(standardReply(c.gateway.serverName, 'FAIL', 'CHATHISTORY', failed.fail, failed.context, failed.text));
}

async function run(c: IrcCodec, sub: string, p: string[]): Promise<Fail | undefined> {
  if (sub === 'TARGETS') return targets(c, p);
  if (!['LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BETWEEN'].includes(sub)) return { fail: 'INVALID_PARAMS', context: [sub], text: 'Unknown CHATHISTORY subcommand' };
  const needed = sub === 'BETWEEN' ? 4 : 3;
  if (p.length < needed) return { fail: 'NEED_MORE_PARAMS', context: [sub], text: 'Not enough parameters' };
  const target = p[0];
  let room: string | undefined;
  try {
    room = await roomOf(c, target);
  } catch {
    return { fail: 'MESSAGE_ERROR', context: [sub, target], text: 'The server cannot read its name claims right now; try again later' };
  }
  if (room === undefined || !c.view.canSee(c.session, room)) return { fail: 'INVALID_TARGET', context: [sub, target], text: 'You cannot read the history of that target' };
  const limit = Number(p[needed - 1]);
  if (!Number.isSafeInteger(limit) || limit < 0) return { fail: 'INVALID_PARAMS', context: [sub, p[needed - 1]], text: 'The limit is a whole number' };
  const n = Math.min(limit, CHATHISTORY_MAX);
  const ask = (query: { before?: number; after?: number; limit: number }, keep?: { above?: number; below?: number }) =>
    c.request({ type: 'history', room, ...query }, { kind: 'history', target, ...keep });

  if (sub === 'LATEST') {
    if (p[1] === '*') return void (await ask({ limit: n }));
    const ref = await seqOf(c, room, p[1], 'after');
    if (typeof ref !== 'number') return ref;
    return void (await ask({ limit: n }, { above: ref }));
  }
  if (sub === 'BEFORE' || sub === 'AFTER') {
    const ref = await seqOf(c, room, p[1], sub === 'BEFORE' ? 'before' : 'after');
    if (typeof ref !== 'number') return ref;
    return void (await ask(sub === 'BEFORE' ? { before: ref, limit: n } : { after: ref, limit: n }));
  }
  if (sub === 'AROUND') {
    const ref = await seqOf(c, room, p[1], 'before');
    if (typeof ref !== 'number') return ref;
    const half = Math.floor(n / 2);
    const older = (await c.view.history(room, { before: ref, limit: half })).messages;
    const newer = (await c.view.history(room, { after: ref - 1, limit: n - older.length })).messages;
    return void c.send(...page(c, target, [...older, ...newer]));
  }
  const a = await seqOf(c, room, p[1], 'after');
  if (typeof a !== 'number') return a;
  const b = await seqOf(c, room, p[2], 'before');
  if (typeof b !== 'number') return b;
  // BETWEEN goes from the first reference towards the second, whichever is older.
  if (a <= b) return void (await ask({ after: a, limit: n }, { below: b }));
  const bAfter = await seqOf(c, room, p[2], 'after');
  if (typeof bAfter !== 'number') return bAfter;
  const aBefore = await seqOf(c, room, p[1], 'before');
  if (typeof aBefore !== 'number') return aBefore;
  return void (await ask({ before: aBefore, limit: n }, { above: bAfter }));
}

/**
 * The room or DM conversation a target names. A DM belongs to the two
 * identities (docs/security.md, "Identities"), so a nick stands for whoever
 * is online under it now, or the identity that claimed it: a guest who takes
 * a name someone left reads nothing of that person's conversations.
 */
async function roomOf(c: IrcCodec, target: string): Promise<string | undefined> {
  if (isChannelName(target)) {
    const r = roomForChannel(target);
    return 'room' in r ? r.room : undefined;
  }
  const name = c.gateway.nicks.nameOf(target) ?? (nickProblem(target) === undefined ? target : undefined);
  const peer = name === undefined ? undefined : await c.view.identityOf(name);
  return peer === undefined ? undefined : dmKey(c.session.id, peer);
}

/**
 * The seq a reference stands for, as a bound: for `before`, messages below
 * it are older than the reference; for `after`, messages above it are newer.
 * A msgid is its own seq; a timestamp falls between two seqs.
 */
async function seqOf(c: IrcCodec, room: string, ref: string, side: 'before' | 'after'): Promise<number | Fail> {
  const bad: Fail = { fail: 'INVALID_PARAMS', context: [ref], text: 'A reference is msgid=<id> or timestamp=<ISO 8601 time>' };
  if (ref.startsWith('msgid=')) {
    const id = parseMsgid(ref.slice(6));
    if (!id || id.room !== room) return { fail: 'INVALID_MSGREFTYPE', context: [ref], text: 'That msgid is not a message of this target' };
    return id.seq;
  }
  if (!ref.startsWith('timestamp=')) return bad;
  const t = Date.parse(ref.slice(10));
  if (Number.isNaN(t)) return bad;
  // First seq with a time after t (or at t, for `before`): messages below it are at or before t.
  const first = await firstSeqAfter(c, room, t, side === 'before');
  return side === 'before' ? first : first - 1;
}

/** The smallest seq whose message is later than `t` (or at `t` when `inclusive`); the room's last seq + 1 when none is. */
async function firstSeqAfter(c: IrcCodec, room: string, t: number, inclusive: boolean): Promise<number> {
  let lo = 1;
  let hi = (await c.view.lastSeq(room)) + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const msg = (await c.view.history(room, { after: mid - 1, limit: 1 })).messages[0];
    if (!msg) {
      hi = mid;
      continue;
    }
    const at = Date.parse(msg.ts);
    if (inclusive ? at >= t : at > t) hi = Math.min(mid, msg.seq);
    else lo = msg.seq + 1;
  }
  return lo;
}

/** A page already read, as the chathistory batch. */
function page(c: IrcCodec, target: string, messages: readonly ChatMessage[]): IrcMessage[] {
  const lines = messages.flatMap((msg) => c.variant.message(msg, { batchRef: c.batchRef() }));
  return c.caps.has('batch') ? wrapBatch(c.gateway.serverName, c.batchRef(), 'chathistory', [target], lines) : lines;
}

/** CHATHISTORY TARGETS: the client's rooms with a message between the two times, newest first (DM conversations are not listed: the store cannot list them yet). */
async function targets(c: IrcCodec, p: string[]): Promise<Fail | undefined> {
  if (p.length < 3) return { fail: 'NEED_MORE_PARAMS', context: ['TARGETS'], text: 'Not enough parameters' };
  const [a, b] = [p[0], p[1]].map((x) => (x.startsWith('timestamp=') ? Date.parse(x.slice(10)) : NaN));
  const limit = Number(p[2]);
  if (Number.isNaN(a) || Number.isNaN(b) || !Number.isSafeInteger(limit) || limit < 0) return { fail: 'INVALID_PARAMS', context: ['TARGETS'], text: 'TARGETS timestamp=<time> timestamp=<time> <limit>' };
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const found: Array<{ target: string; ts: string }> = [];
  for (const room of c.session.rooms) {
    if (isDmKey(room)) continue;
    const last = (await c.view.history(room, { limit: 1 })).messages[0];
    const at = last ? Date.parse(last.ts) : NaN;
    if (at > lo && at < hi) found.push({ target: channelForRoom(room), ts: last.ts });
  }
  found.sort((x, y) => (x.ts < y.ts ? 1 : -1));
  const lines: IrcMessage[] = found.slice(0, Math.min(limit, CHATHISTORY_MAX)).map((f) => ({ source: c.gateway.serverName, command: 'CHATHISTORY', params: ['TARGETS', f.target, f.ts] }));
  c.send(...(c.caps.has('batch') ? wrapBatch(c.gateway.serverName, c.batchRef(), 'draft/chathistory-targets', [], lines) : lines));
  return undefined;
}
