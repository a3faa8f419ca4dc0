import {
  DEFAULT_ROOM,
  MAX_BANS,
  MAX_MEMBER_LIMIT,
  MAX_OPS,
  keyProblem,
  maskProblem,
  type Ban,
  type ErrorCode,
  type ModeChange,
  type RoomModes,
  type RoomStateView,
} from '../protocol';
import { foldName, type RoomState } from '../stores/store';

/**
 * The rules of room moderation as pure functions over a RoomState: who may
 * join, who may write, what a mode change does. No I/O, so they are tested
 * on their own; server/roomStates.ts and server/roomCommands.ts apply them
 * to stored state. A state is never changed in place (the bus freezes what
 * it carries): every change returns a new one.
 */

/** Someone as the rules see them: a name, and an identity once the handshake proves one (issue 10). */
export interface Person {
  name: string;
  id?: string;
}

/** Why something is refused: an error code and a sentence for a person. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

/** Invites one room keeps open at once; the oldest goes first. */
const MAX_INVITES = 100;

/** The state of a room nobody has set anything on (and of one from before room settings existed). */
export function emptyRoomState(): RoomState {
  return { modes: { t: true, i: false, m: false }, ops: [], voiced: [], bans: [], invites: [] };
}

/** A room made now: +nt, with its maker as operator. */
export function newRoomState(creator: string): RoomState {
  return { ...emptyRoomState(), ops: [creator] };
}

/** A stored state read defensively (a file edited by hand, an older writer): anything malformed is left out. */
export function parseRoomState(v: unknown): RoomState {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const m = (typeof o.modes === 'object' && o.modes !== null ? o.modes : {}) as Record<string, unknown>;
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  const t = o.topic as Record<string, unknown> | undefined;
  const state: RoomState = {
    modes: { t: m.t !== false, i: m.i === true, m: m.m === true },
    ops: strings(o.ops),
    voiced: strings(o.voiced),
    bans: Array.isArray(o.bans) ? o.bans.filter((b): b is Ban => typeof b === 'object' && b !== null && typeof b.mask === 'string' && typeof b.by === 'string' && typeof b.at === 'string') : [],
    invites: strings(o.invites),
  };
  if (typeof m.k === 'string') state.modes.k = m.k;
  if (Number.isSafeInteger(m.l) && (m.l as number) > 0) state.modes.l = m.l as number;
  if (t && typeof t.text === 'string' && typeof t.by === 'string' && typeof t.at === 'string') state.topic = { text: t.text, by: t.by, at: t.at };
  return state;
}

/** True when `list` holds `name`, compared folded. */
function holds(list: readonly string[], name: string): boolean {
  const key = foldName(name);
  return list.some((n) => foldName(n) === key);
}

export function isOp(state: RoomState, name: string): boolean {
  return holds(state.ops, name);
}

export function isVoiced(state: RoomState, name: string): boolean {
  return holds(state.voiced, name);
}

/** The modes as the protocol shows them; the key only to members. */
export function modesView(state: RoomState, member: boolean): RoomModes {
  const { t, i, m, k, l } = state.modes;
  return { n: true, t, i, m, ...(k !== undefined && member && { k }), ...(l !== undefined && { l }) };
}

/** What a welcome or a `joined` reply says about a room. */
export function stateView(state: RoomState, member: boolean): RoomStateView {
  return { ...(state.topic && { topic: state.topic }), modes: modesView(state, member), ops: [...state.ops], voiced: [...state.voiced] };
}

/**
 * A glob over a folded name: `*` any run of characters, `?` one. Iterative
 * with one backtrack point, so a pattern full of stars costs at most
 * O(pattern × name), never the exponential time a regular expression can.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = [...pattern];
  const s = [...text];
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** The first ban that matches a person: `id:<identity>` their identity, any other mask their folded name. */
export function banOf(state: RoomState, person: Person): Ban | undefined {
  const name = foldName(person.name);
  return state.bans.find((b) => (b.mask.startsWith('id:') ? person.id !== undefined && b.mask.slice(3) === person.id : globMatch(b.mask, name)));
}

/**
 * Why a person may not join a room, or undefined. Operators always may; an
 * invite lets one past +i and +k (not past a ban or the limit). `general`
 * is everyone's: nobody is kept out of it (a ban there silences instead).
 */
export function joinRefusal(state: RoomState, person: Person, room: string, key: string | undefined, count: number): Refusal | undefined {
  if (room === DEFAULT_ROOM || isOp(state, person.name)) return undefined;
  const invited = state.invites.includes(foldName(person.name));
  const ban = banOf(state, person);
  if (ban) return { code: 'banned', message: `you are banned from ${room} (${ban.mask})` };
  if (state.modes.i && !invited) return { code: 'invite_only', message: `${room} is invite-only: ask one of its operators for an invite` };
  if (state.modes.k !== undefined && key !== state.modes.k && !invited) return { code: 'bad_key', message: key === undefined ? `${room} needs a key to join` : `that is not the key of ${room}` };
  if (state.modes.l !== undefined && count >= state.modes.l) return { code: 'room_full', message: `${room} is full (${state.modes.l} members)` };
  return undefined;
}

/** Why a member may not write to a room, or undefined: a ban silences, +m leaves only operators and voiced members. */
export function writeRefusal(state: RoomState, person: Person, room: string): Refusal | undefined {
  if (isOp(state, person.name)) return undefined;
  const ban = banOf(state, person);
  if (ban) return { code: 'banned', message: `you are banned from ${room} (${ban.mask}), so you cannot write to it` };
  if (state.modes.m && !isVoiced(state, person.name)) return { code: 'moderated', message: `${room} is moderated: only its operators and voiced members write to it` };
  return undefined;
}

/** What applyModes needs from the server. */
export interface ModeContext {
  room: string;
  by: string;
  /** The canonical name of a member of the room (local or on another node), or undefined. */
  member(name: string): string | undefined;
  /** Whether `id:` masks can match anyone yet (identities, issue 10). */
  identities: boolean;
  now: string;
}

/**
 * Apply mode changes: all of them, or none with a refusal. Returns the new
 * state and the changes that changed something (setting a mode that is set
 * already is left out, as IRC servers do), with arguments as stored.
 */
export function applyModes(state: RoomState, changes: readonly ModeChange[], ctx: ModeContext): { state: RoomState; applied: ModeChange[] } | Refusal {
  const next: RoomState = { ...state, modes: { ...state.modes }, ops: [...state.ops], voiced: [...state.voiced], bans: [...state.bans] };
  const applied: ModeChange[] = [];
  const bad = (message: string): Refusal => ({ code: 'bad_mode', message });
  for (const c of changes) {
    const on = c.mode[0] === '+';
    const letter = c.mode[1];
    const arg = c.arg;
    switch (letter) {
      case 'n':
        if (!on) return bad('n cannot be turned off: only members write to a room');
        break;
      case 't':
      case 'i':
      case 'm':
        if (on && letter === 'i' && ctx.room === DEFAULT_ROOM) return bad(`${DEFAULT_ROOM} is everyone's: it cannot be invite-only`);
        if (next.modes[letter] === on) break;
        next.modes[letter] = on;
        applied.push({ mode: c.mode });
        break;
      case 'k':
        if (!on) {
          if (next.modes.k === undefined) break;
          delete next.modes.k;
          applied.push({ mode: '-k' });
          break;
        }
        if (ctx.room === DEFAULT_ROOM) return bad(`${DEFAULT_ROOM} is everyone's: it cannot have a key`);
        if (keyProblem(arg ?? '')) return bad(keyProblem(arg ?? '')!);
        next.modes.k = arg;
        applied.push({ mode: '+k', arg });
        break;
      case 'l': {
        if (!on) {
          if (next.modes.l === undefined) break;
          delete next.modes.l;
          applied.push({ mode: '-l' });
          break;
        }
        if (ctx.room === DEFAULT_ROOM) return bad(`${DEFAULT_ROOM} is everyone's: it cannot have a member limit`);
        const n = /^[0-9]{1,6}$/.test(arg ?? '') ? Number(arg) : NaN;
        if (!(n >= 1 && n <= MAX_MEMBER_LIMIT)) return bad(`a member limit is a whole number from 1 to ${MAX_MEMBER_LIMIT}`);
        if (next.modes.l === n) break;
        next.modes.l = n;
        applied.push({ mode: '+l', arg: String(n) });
        break;
      }
      case 'o':
      case 'v': {
        const list = letter === 'o' ? next.ops : next.voiced;
        if (on) {
          const who = ctx.member(arg ?? '');
          if (who === undefined) return { code: 'user_not_in_room', message: `${arg} is not in ${ctx.room}` };
          if (holds(list, who)) break;
          if (list.length >= MAX_OPS) return bad(`${ctx.room} already has ${MAX_OPS} ${letter === 'o' ? 'operators' : 'voiced members'}`);
          list.push(who);
          applied.push({ mode: c.mode, arg: who });
        } else {
          const key = foldName(arg ?? '');
          const i = list.findIndex((n) => foldName(n) === key);
          if (i === -1) break;
          applied.push({ mode: c.mode, arg: list[i] });
          list.splice(i, 1);
        }
        break;
      }
      case 'b': {
        const why = maskProblem(arg ?? '');
        if (why) return bad(why);
        const isId = arg!.startsWith('id:');
        if (on && isId && !ctx.identities) return bad('bans by identity (id:…) need identity keys, which this server does not have yet: ban a name mask');
        if (on && isId && arg!.startsWith('id:guest:')) return bad('a guest id names one session only: ban the name instead');
        // Name masks are kept folded, the form they are matched in; an identity is kept as given.
        const mask = isId ? arg! : foldName(arg!);
        const i = next.bans.findIndex((b) => b.mask === mask);
        if (on) {
          if (i !== -1) break;
          if (next.bans.length >= MAX_BANS) return bad(`${ctx.room} already has ${MAX_BANS} bans, the most it keeps: lift one first`);
          next.bans.push({ mask, by: ctx.by, at: ctx.now });
        } else {
          if (i === -1) break;
          next.bans.splice(i, 1);
        }
        applied.push({ mode: c.mode, arg: mask });
        break;
      }
    }
  }
  return { state: next, applied };
}

/** The state with an open invite for a name (the oldest dropped past the cap). */
export function withInvite(state: RoomState, name: string): RoomState {
  const key = foldName(name);
  const invites = [...state.invites.filter((n) => n !== key), key].slice(-MAX_INVITES);
  return { ...state, invites };
}

/** The state with a name's invite used up, or undefined when it had none. */
export function withoutInvite(state: RoomState, name: string): RoomState | undefined {
  const key = foldName(name);
  if (!state.invites.includes(key)) return undefined;
  return { ...state, invites: state.invites.filter((n) => n !== key) };
}

/** The state after someone renamed: their operator and voice entries follow them; undefined when they had none. */
export function withRename(state: RoomState, from: string, to: string): RoomState | undefined {
  const key = foldName(from);
  const swap = (list: string[]) => list.map((n) => (foldName(n) === key ? to : n));
  if (!holds(state.ops, from) && !holds(state.voiced, from)) return undefined;
  return { ...state, ops: swap(state.ops), voiced: swap(state.voiced) };
}
