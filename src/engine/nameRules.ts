/**
 * The rules every implementation of wire protocol v1 applies to names, room
 * names, DM keys and offered file names (docs/protocol.md). Servers check
 * what clients ask for with them; clients use them to say what is wrong
 * before sending. Re-exported by protocol.ts.
 */
// Bidirectional overrides and isolates let a name reorder the text around it;
// format (Cf), control (Cc), private-use (Co) and lone surrogate (Cs) characters
// are invisible or render differently per font, so a name could hide behind them.
const FORBIDDEN_NAME_CHARS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;
// Characters that take space but draw nothing, beyond what \s and \p{M} cover.
const BLANK_LOOKING = /[\s\p{M}\u115f\u1160\u2800\u3164\uffa0]/gu;
const RESERVED_NAMES = new Set(['server', 'system', 'admin', 'tcp-chat', 'chat', 'root', 'moderator']);

/**
 * Why a display name is refused, or undefined when it is acceptable.
 * The rules (docs/security.md, "Names"): 1-32 characters; not blank or
 * invisible; no control, format, bidi or zero-width characters; no `@ # , : * [ ] < >`
 * (they build DM keys, mentions and the terminal's `<name>` prefix); single
 * inner spaces only; and nothing that could pass for a system line, such as a
 * reserved word (compared after NFKC folding, so full-width letters do not
 * help) or a leading `- * = ~ !`.
 */
export function nameProblem(name: string): string | undefined {
  if ([...name].length < 1 || [...name].length > 32) return 'a name has 1 to 32 characters';
  if (name.trim() !== name || name.replace(BLANK_LOOKING, '').length === 0) return 'a name cannot be blank or start or end with spaces';
  if (FORBIDDEN_NAME_CHARS.test(name)) return 'a name cannot hold control, zero-width or bidirectional-override characters';
  if (/[@#,:\s*[\]<>]/u.test(name.replace(/ /g, ''))) return 'a name cannot hold "@", "#", ",", ":", "*", "<", ">", brackets or whitespace other than single spaces';
  if (/ {2}/.test(name)) return 'a name cannot hold two spaces in a row';
  const folded = name.normalize('NFKC').toLowerCase();
  if (RESERVED_NAMES.has(folded) || /^[-*=~!]/.test(folded)) return 'that name could pass for a system line';
  return undefined;
}

/** Why a room name is refused, or undefined when it is acceptable. */
export function roomProblem(room: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(room)) return 'a room name is 1-32 characters of a-z, 0-9, "-" and "_", starting with a letter or digit';
  return undefined;
}

/** The room key under which a direct conversation between two names is kept. */
export function dmKey(a: string, b: string): string {
  return a < b ? `@${a},${b}` : `@${b},${a}`;
}

/**
 * The other person in a DM key, seen from `me`: `me` again for a conversation
 * with yourself; undefined when `me` is not in it, or it is not a DM key.
 */
export function dmPeer(key: string, me: string): string | undefined {
  const both = dmParticipants(key);
  if (!both) return undefined;
  if (both[0] === me) return both[1];
  if (both[1] === me) return both[0];
  return undefined;
}

/** True when a room key names a direct conversation. */
export function isDmKey(room: string): boolean {
  return room.startsWith('@');
}

/**
 * The two participants of a DM key (`@a,b`), or undefined when the key is not
 * one. Names cannot hold "," (see nameProblem), so the first comma splits it.
 */
export function dmParticipants(key: string): [string, string] | undefined {
  if (!isDmKey(key)) return undefined;
  const comma = key.indexOf(',');
  if (comma === -1) return undefined;
  return [key.slice(1, comma), key.slice(comma + 1)];
}

/** Raw bytes per file chunk: base64 of this fits well inside the default 64 KiB line. */
export const FILE_CHUNK_BYTES = 32 * 1024;

const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;

/**
 * A file name that is safe to offer in a save dialog: no directories, no
 * `..`, no control or bidi characters, no Windows device names.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  let clean = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff<>:"|?*]/gu, '')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .trim();
  if (DEVICE_NAMES.test(clean)) clean = '_' + clean;
  while (new TextEncoder().encode(clean).length > 200) clean = [...clean].slice(0, -1).join('');
  return clean || 'file';
}
