import { MAX_MODE_CHANGES, type ModeChange, type ModeLetter, type RoomModes } from '../../protocol';
import { ircLower } from './casemap';
import { globMatch } from '../../server/roomRules';
import { stripIrcFormatting } from './ircFormatting';

/**
 * The chat's room model as IRC sees it (roomFrames.ts uses IRC's letters,
 * so the mapping is one to one): what 004, ISUPPORT and MODE say, and the
 * translation of MODE strings to the server's mode changes and back.
 */
export const ROOM_FEATURES = {
  /** By CHANMODES type: bans (a list), the key, the member limit, then the flags; +n is always on. */
  channelModes: { list: 'b', alwaysParam: 'k', paramWhenSet: 'l', flags: 'imnt' },
  /** Room operators and voiced members, most privileged first. */
  memberModes: { modes: 'ov', prefixes: '@+' },
  /** The user modes a client may set: +i. */
  userModes: 'i',
} as const;

/** Every channel mode letter the server knows. */
const KNOWN = 'biklmnotv';
/** Letters that take a parameter when set, and when unset. */
const PARAM_ON_SET = 'bklov';
const PARAM_ON_UNSET = 'bov';

/** `+int` and its parameters, as 324 RPL_CHANNELMODEIS shows them; a key hidden from non-members shows as `<key>` (as InspIRCd does). */
export function modeString(modes: RoomModes, keyed = modes.k !== undefined): { modes: string; args: string[] } {
  let flags = '+';
  const args: string[] = [];
  for (const letter of ['i', 'm', 'n', 't'] as const) if (modes[letter]) flags += letter;
  if (keyed) {
    flags += 'k';
    args.push(modes.k ?? '<key>');
  }
  if (modes.l !== undefined) {
    flags += 'l';
    args.push(String(modes.l));
  }
  return { modes: flags, args };
}

/** What a client's `MODE #room <changes> <args…>` asks for. */
export type ModeRequest =
  /** `MODE #room b` or `+b` without a mask: list the bans. */
  | { kind: 'list_bans' }
  | { kind: 'change'; changes: ModeChange[]; unmatched: string[] }
  /** A letter the server does not know (472). */
  | { kind: 'unknown'; letter: string }
  /** Nothing to change: letters missing their parameters (ignored, as IRC servers do), or ban masks that matched nobody. */
  | { kind: 'empty'; unmatched: string[] };

/** What parseModeRequest asks about people. */
export interface ModePeople {
  /** The chat name of a nick, or undefined. */
  nameOf(nick: string): string | undefined;
  /** Everyone online, with the `nick!user@host` IRC shows for them. */
  masks(): Array<{ name: string; mask: string }>;
}

/**
 * Parses IRC mode changes: `+tk key`, `-o+v ann bob`, `+b`. Nick parameters
 * of o and v are mapped to chat names (an unknown nick is kept as typed, so
 * the server answers 441); ban masks become chat bans (banMasksToChat), and
 * `unmatched` lists the masks that matched nobody. A letter whose parameter
 * is missing is skipped, as IRC servers do; more than MAX_MODE_CHANGES are cut.
 */
export function parseModeRequest(text: string, params: readonly string[], people: ModePeople): ModeRequest {
  const args = [...params];
  let on = true;
  const changes: ModeChange[] = [];
  const unmatched: string[] = [];
  if (/^\+?b$/.test(text) && args.length === 0) return { kind: 'list_bans' };
  for (const ch of text) {
    if (ch === '+' || ch === '-') {
      on = ch === '+';
      continue;
    }
    if (!KNOWN.includes(ch)) return { kind: 'unknown', letter: ch };
    const letter = ch as ModeLetter;
    const sign: '+' | '-' = on ? '+' : '-';
    const takes = (on ? PARAM_ON_SET : PARAM_ON_UNSET).includes(ch);
    if (!takes) {
      changes.push({ mode: `${sign}${letter}` });
      continue;
    }
    const arg = args.shift();
    if (arg === undefined || arg === '') continue;
    if (letter === 'b') {
      const bans = banMasksToChat(arg, people.masks);
      if (bans.length === 0) unmatched.push(arg);
      for (const b of bans) changes.push({ mode: `${sign}b`, arg: b });
      continue;
    }
    changes.push({ mode: `${sign}${letter}`, arg: letter === 'o' || letter === 'v' ? (people.nameOf(arg) ?? arg) : arg });
  }
  if (changes.length === 0) return { kind: 'empty', unmatched };
  return { kind: 'change', changes: changes.slice(0, MAX_MODE_CHANGES), unmatched };
}

/**
 * An IRC ban mask as chat bans, which match names only. A mask with nothing
 * but wildcards past the nick (`ann*!*@*`, `ann*`) is that name pattern. A
 * mask about the user or host (`*!*bob@irc`, what irssi's /ban makes) names
 * the people online whose IRC mask it matches, each banned by name, so it
 * never turns into `*` and bans everyone; it may match nobody. `id:<identity>`
 * stays as it is.
 */
export function banMasksToChat(mask: string, people: () => Array<{ name: string; mask: string }>): string[] {
  if (mask.startsWith('id:')) return [mask];
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@', bang + 1);
  const nick = bang === -1 ? (at === -1 ? mask : mask.slice(0, at)) : mask.slice(0, bang);
  const user = bang === -1 ? '*' : mask.slice(bang + 1, at === -1 ? undefined : at);
  const host = at === -1 ? '*' : mask.slice(at + 1);
  if (/^\**$/.test(user) && /^\**$/.test(host)) return [ircLower(nick === '' ? '*' : nick)];
  const full = `${nick || '*'}!${user || '*'}@${host || '*'}`;
  const pattern = ircLower(full);
  return [...new Set(people().filter((p) => globMatch(pattern, ircLower(p.mask))).map((p) => ircLower(p.name)))];
}

/** A chat ban as an IRC mask: a name pattern becomes `pattern!*@*`. */
export function banMaskToIrc(mask: string): string {
  return mask.startsWith('id:') ? mask : `${mask}!*@*`;
}

/**
 * Applied mode changes as one MODE line's mode string and parameters
 * (`+o-v ann bob`); o and v names become nicks, bans IRC masks.
 */
export function modeLine(changes: readonly ModeChange[], nickOf: (name: string) => string): { modes: string; args: string[] } {
  let out = '';
  let sign = '';
  const args: string[] = [];
  for (const c of changes) {
    if (c.mode[0] !== sign) out += (sign = c.mode[0]);
    out += c.mode[1];
    if (c.arg === undefined) continue;
    const letter = c.mode[1];
    args.push(letter === 'o' || letter === 'v' ? nickOf(c.arg) : letter === 'b' ? banMaskToIrc(c.arg) : c.arg);
  }
  return { modes: out, args };
}

/** The NAMES prefix of a member: `@` for operators, `+` for voiced; both with multi-prefix. */
export function memberPrefix(name: string, ops: ReadonlySet<string>, voiced: ReadonlySet<string>, multi: boolean): string {
  const o = ops.has(name) ? '@' : '';
  const v = voiced.has(name) ? '+' : '';
  return multi ? o + v : o || v;
}

/**
 * IRC text for a topic, kick reason or away message: one plain line the
 * room model accepts (lineTextProblem): formatting and control characters
 * out, line and direction controls out, cut to `max` characters as IRC
 * servers cut to TOPICLEN, never inside a character.
 */
export function oneLineText(raw: string, max: number): string {
  const plain = stripIrcFormatting(raw).replace(/[\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '');
  let out = '';
  for (const ch of plain) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out.trim();
}
