import { MODE_LETTERS, type ModeChange } from '../engine/protocol';

/** One line typed into the terminal client, understood. */
export type Command =
  | { kind: 'empty' }
  /** Plain text for the current room. */
  | { kind: 'say'; text: string }
  | { kind: 'quit' }
  /** Join `room`, with its key when it is keyed (+k). */
  | { kind: 'join'; room: string; key?: string }
  /** Leave `room`, or the current room when absent. */
  | { kind: 'leave'; room?: string }
  | { kind: 'msg'; to: string; text: string }
  /** Members of the current room, the first page, or those whose names start with `prefix`. */
  | { kind: 'who'; prefix?: string }
  /** Show the identity key behind a name. */
  | { kind: 'whois'; name: string }
  | { kind: 'nick'; name: string }
  | { kind: 'history' }
  | { kind: 'search'; query: string }
  /** Answer the message printed with number `n`. */
  | { kind: 'reply'; n: number; text: string }
  /** Add (or with `off`, take back) a reaction to message `n`. */
  | { kind: 'react'; n: number; emoji: string; on: boolean }
  | { kind: 'edit'; n: number; text: string }
  | { kind: 'delete'; n: number }
  /** Show the current room's topic (`text` absent), set it, or clear it (`text` empty). */
  | { kind: 'topic'; text?: string }
  | { kind: 'kick'; name: string; reason?: string }
  /** Ban a name mask from the current room (`on`), or lift the ban. */
  | { kind: 'ban'; mask: string; on: boolean }
  /** Invite someone to `room`, or to the current room. */
  | { kind: 'invite'; name: string; room?: string }
  /** Show the current room's modes (`changes` absent), or change them. */
  | { kind: 'mode'; changes?: ModeChange[] }
  /** Go away with a message, or come back (no message). */
  | { kind: 'away'; message?: string }
  /** A known command used wrongly: `usage` says how to use it. */
  | { kind: 'usage'; usage: string }
  | { kind: 'unknown'; command: string };

/** The commands, for the hint after an unknown one. */
export const COMMANDS = ['/join', '/leave', '/msg', '/reply', '/react', '/edit', '/delete', '/who', '/whois', '/nick', '/history', '/search', '/topic', '/mode', '/kick', '/ban', '/unban', '/invite', '/away', '/quit'] as const;

/** The modes whose `+` takes an argument, and those whose `-` does (IRC's: +k key, +l limit, ±o ±v name, ±b mask). */
const ARG_ON_SET = new Set<string>(['k', 'l', 'o', 'v', 'b']);
const ARG_ON_UNSET = new Set<string>(['o', 'v', 'b']);
const MODE_USAGE = 'usage: /mode [+|-]LETTERS [ARGS...], e.g. /mode +i, /mode +k KEY, /mode +o-v NAME NAME, /mode -l (letters: t i m k l o v b)';

/**
 * Reads one line of the terminal client. A line that does not start with `/`
 * is text for the current room. The command word ends at the first
 * whitespace, and each argument is taken from what follows it, never by
 * searching the line (a name like `s` also occurs inside `/msg`). A name with
 * spaces goes in double quotes: `/msg "Ann Lee" hi`.
 */
export function parseCommand(input: string): Command {
  const line = input.trim();
  if (line === '') return { kind: 'empty' };
  if (!line.startsWith('/')) return { kind: 'say', text: line };
  const [word, rest] = splitFirst(line);
  switch (word) {
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    case '/join': {
      const [room, key] = splitFirst(rest);
      if (!room) return { kind: 'usage', usage: 'usage: /join ROOM [KEY]' };
      return key ? { kind: 'join', room, key } : { kind: 'join', room };
    }
    case '/leave':
      return rest ? { kind: 'leave', room: rest } : { kind: 'leave' };
    case '/msg': {
      const target = takeName(rest);
      if (!target || target.rest === '') return { kind: 'usage', usage: 'usage: /msg NAME TEXT (a name with spaces in double quotes)' };
      return { kind: 'msg', to: target.name, text: target.rest };
    }
    case '/who':
      return rest ? { kind: 'who', prefix: unquote(rest) } : { kind: 'who' };
    case '/whois':
      return rest ? { kind: 'whois', name: unquote(rest) } : { kind: 'usage', usage: 'usage: /whois NAME' };
    case '/nick':
      return rest ? { kind: 'nick', name: unquote(rest) } : { kind: 'usage', usage: 'usage: /nick NAME' };
    case '/history':
      return { kind: 'history' };
    case '/search':
      return rest ? { kind: 'search', query: rest } : { kind: 'usage', usage: 'usage: /search TEXT' };
    case '/reply': {
      const [n, text] = numbered(rest);
      return n !== undefined && text ? { kind: 'reply', n, text } : { kind: 'usage', usage: 'usage: /reply N TEXT (N is the number in [brackets] before a message)' };
    }
    case '/edit': {
      const [n, text] = numbered(rest);
      return n !== undefined && text ? { kind: 'edit', n, text } : { kind: 'usage', usage: 'usage: /edit N TEXT (N is the number in [brackets] before your message)' };
    }
    case '/delete': {
      const [n, extra] = numbered(rest);
      return n !== undefined && !extra ? { kind: 'delete', n } : { kind: 'usage', usage: 'usage: /delete N (N is the number in [brackets] before the message)' };
    }
    case '/react': {
      const [n, args] = numbered(rest);
      const [first, second] = splitFirst(args);
      const off = first === '-' || first === 'off';
      const emoji = off ? second : first;
      if (n === undefined || !emoji || /\s/.test(emoji)) return { kind: 'usage', usage: 'usage: /react N EMOJI, or /react N off EMOJI to take it back (an emoji or a :shortcode:)' };
      return { kind: 'react', n, emoji, on: !off };
    }
    case '/topic':
      // irssi's spelling for clearing it; an empty argument only shows it.
      if (rest === '-delete') return { kind: 'topic', text: '' };
      return rest ? { kind: 'topic', text: rest } : { kind: 'topic' };
    case '/kick': {
      const target = takeName(rest);
      if (!target) return { kind: 'usage', usage: 'usage: /kick NAME [REASON]' };
      return target.rest ? { kind: 'kick', name: target.name, reason: target.rest } : { kind: 'kick', name: target.name };
    }
    case '/ban':
    case '/unban':
      return rest ? { kind: 'ban', mask: unquote(rest), on: word === '/ban' } : { kind: 'usage', usage: `usage: ${word} MASK (a name, * for any run of characters, ? for one)` };
    case '/invite': {
      const target = takeName(rest);
      if (!target) return { kind: 'usage', usage: 'usage: /invite NAME [ROOM]' };
      return target.rest ? { kind: 'invite', name: target.name, room: target.rest } : { kind: 'invite', name: target.name };
    }
    case '/mode': {
      if (!rest) return { kind: 'mode' };
      const changes = parseModes(rest);
      return changes ? { kind: 'mode', changes } : { kind: 'usage', usage: MODE_USAGE };
    }
    case '/away':
      return rest ? { kind: 'away', message: rest } : { kind: 'away' };
    default:
      return { kind: 'unknown', command: word };
  }
}

/** A message number (`12` or `[12]`) at the start of `s`, and the rest. */
function numbered(s: string): [number | undefined, string] {
  const [word, rest] = splitFirst(s);
  const m = /^\[?(\d{1,9})\]?$/.exec(word);
  return m ? [Number(m[1]), rest] : [undefined, rest];
}

/**
 * An IRC mode string and its arguments (`+im-t`, `+k sesame`, `+o-v bob carol`)
 * as mode changes, or undefined when it is malformed: an unknown letter, a
 * missing argument, or an argument left over. The server checks what they mean.
 */
export function parseModes(s: string): ModeChange[] | undefined {
  const [modes, rest] = splitFirst(s);
  if (!/^[+-]/.test(modes)) return undefined;
  const args: string[] = [];
  for (let left = rest; left !== ''; ) {
    const next = takeName(left);
    if (!next) return undefined;
    args.push(next.name);
    left = next.rest;
  }
  const changes: ModeChange[] = [];
  let sign: '+' | '-' = '+';
  for (const ch of modes) {
    if (ch === '+' || ch === '-') {
      sign = ch;
      continue;
    }
    if (!(MODE_LETTERS as readonly string[]).includes(ch)) return undefined;
    const mode = `${sign}${ch}` as ModeChange['mode'];
    if ((sign === '+' ? ARG_ON_SET : ARG_ON_UNSET).has(ch)) {
      const arg = args.shift();
      if (arg === undefined) return undefined;
      changes.push({ mode, arg });
    } else {
      changes.push({ mode });
    }
  }
  return changes.length > 0 && args.length === 0 ? changes : undefined;
}

/** The first word, and the rest of the line after the whitespace that follows it. */
function splitFirst(s: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(s);
  return m ? [m[1], m[2].trim()] : [s, ''];
}

/** A name at the start of `s` (quoted when it holds spaces), and what follows it. */
function takeName(s: string): { name: string; rest: string } | undefined {
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    if (end <= 1) return undefined;
    return { name: s.slice(1, end), rest: s.slice(end + 1).trim() };
  }
  const [name, rest] = splitFirst(s);
  return name ? { name, rest } : undefined;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
