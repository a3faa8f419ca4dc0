/** One line typed into the terminal client, understood. */
export type Command =
  | { kind: 'empty' }
  /** Plain text for the current room. */
  | { kind: 'say'; text: string }
  | { kind: 'quit' }
  | { kind: 'join'; room: string }
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
  /** A known command used wrongly: `usage` says how to use it. */
  | { kind: 'usage'; usage: string }
  | { kind: 'unknown'; command: string };

/** The commands, for the hint after an unknown one. */
export const COMMANDS = ['/join', '/leave', '/msg', '/who', '/whois', '/nick', '/history', '/search', '/quit'] as const;

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
    case '/join':
      return rest ? { kind: 'join', room: rest } : { kind: 'usage', usage: 'usage: /join ROOM' };
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
    default:
      return { kind: 'unknown', command: word };
  }
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
