/**
 * One IRC message, parsed from and serialized to a line, per the modern IRC
 * client protocol (modern.ircdocs.horse) and IRCv3 message tags.
 *
 * Both directions are total: bad input comes back as a typed error, never as
 * an exception. The serializer rejects (never strips) what it cannot write
 * faithfully, so it can never emit CR, LF or NUL inside a line, nor a
 * parameter that would change the message's shape. Turning user text into
 * safe parameters is the translation layer's job (chatToIrc.ts), which
 * splits lines and drops control characters before anything reaches here.
 */

/** A parsed IRC message. The trailing parameter is an ordinary parameter: the last one. */
export interface IrcMessage {
  /** IRCv3 tags, unescaped. A tag sent without a value maps to ''. Absent when the line had none. */
  tags?: Record<string, string>;
  /** Where it came from (`server.name` or `nick!user@host`), without the leading ':'. */
  source?: string;
  /** Upper-case letters or three digits. */
  command: string;
  params: string[];
}

/** Why a line could not be parsed, or a message could not be serialized. */
export type IrcMessageErrorCode =
  /** The input was neither a string nor bytes. */
  | 'not_text'
  /** Nothing but spaces (or only tags). */
  | 'empty'
  /** The part after the tags is over 512 bytes with CRLF (ERR_INPUTTOOLONG). */
  | 'line_too_long'
  /** The tag section is over its limit (ERR_INPUTTOOLONG). */
  | 'tags_too_long'
  /** A tag key that breaks the grammar, or a NUL in a tag value. */
  | 'bad_tag'
  /** A source that is empty or holds a space. */
  | 'bad_source'
  /** A command that is not letters or three digits. */
  | 'bad_command'
  /** A parameter that cannot be written: a middle one that is empty, holds a space or starts with ':'. */
  | 'bad_param'
  /** CR, LF or NUL inside the line. */
  | 'bad_char';

/** A typed parse or serialize failure; `command` is set when the command was readable (for 421 or 417). */
export interface IrcMessageError {
  code: IrcMessageErrorCode;
  message: string;
  command?: string;
}

export type IrcParseResult = { ok: true; message: IrcMessage } | { ok: false; error: IrcMessageError };
export type IrcSerializeResult = { ok: true; line: string } | { ok: false; error: IrcMessageError };

/** The part of a line after the tags, CRLF included, is at most this many bytes. */
export const MAX_BODY_BYTES = 512;
/** The tag section, its leading '@' and trailing space included, is at most this many bytes. */
export const MAX_TAG_SECTION_BYTES = 8191;
/** Clients may send at most this many bytes of tag data (without '@' and the space). */
export const MAX_CLIENT_TAG_DATA_BYTES = 4094;

/** Limits a parser enforces; the defaults are the protocol's. */
export interface IrcParseLimits {
  /** Bytes of tag data, without '@' and the trailing space. A server reading clients passes MAX_CLIENT_TAG_DATA_BYTES. */
  maxTagDataBytes?: number;
}

// key = [ '+' ] [ vendor '/' ] name; vendor is a host name; name is letters, digits and '-'.
const TAG_KEY = /^\+?(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\/)?[A-Za-z0-9-]+$/;
const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
const CR_LF_NUL = /[\r\n\0]/;

/** True when `key` is a well-formed tag key (client prefix and vendor allowed). */
export function isTagKey(key: string): boolean {
  return TAG_KEY.test(key);
}

/** Escapes a tag value for the wire: `\` `;` space CR LF become `\\` `\:` `\s` `\r` `\n`. */
export function escapeTagValue(value: string): string {
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case ';': out += '\\:'; break;
      case ' ': out += '\\s'; break;
      case '\r': out += '\\r'; break;
      case '\n': out += '\\n'; break;
      default: out += ch;
    }
  }
  return out;
}

/**
 * Reverses escapeTagValue, one character at a time so `\\n` stays a backslash
 * and an `n`. A backslash before any other character is dropped, and so is
 * one at the very end (as the spec asks).
 */
export function unescapeTagValue(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = raw[++i];
    if (next === undefined) break;
    switch (next) {
      case ':': out += ';'; break;
      case 's': out += ' '; break;
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      default: out += next; // covers '\\' too
    }
  }
  return out;
}

function fail(code: IrcMessageErrorCode, message: string, command?: string): { ok: false; error: IrcMessageError } {
  return { ok: false, error: command === undefined ? { code, message } : { code, message, command } };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Parses one line (with or without its CRLF) into a message. Accepts a string
 * or the line's bytes (decoded as UTF-8, invalid bytes becoming U+FFFD); the
 * byte limits are checked on the UTF-8 form. Runs of spaces between parts are
 * tolerated, as real servers and clients send them.
 */
export function parseIrcMessage(input: unknown, limits: IrcParseLimits = {}): IrcParseResult {
  let line: string;
  if (typeof input === 'string') line = input;
  else if (input instanceof Uint8Array) line = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  else return fail('not_text', 'an IRC line is text');
  if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (CR_LF_NUL.test(line)) return fail('bad_char', 'a line cannot hold CR, LF or NUL');

  let pos = 0;
  let tags: Record<string, string> | undefined;
  if (line.startsWith('@')) {
    const space = line.indexOf(' ');
    if (space === -1) return fail('empty', 'tags without a command');
    const data = line.slice(1, space);
    const dataBytes = Buffer.byteLength(data);
    const maxData = limits.maxTagDataBytes ?? MAX_TAG_SECTION_BYTES - 2;
    if (dataBytes > maxData) return fail('tags_too_long', `tags are ${dataBytes} bytes; the limit is ${maxData}`);
    const parsed = parseTags(data);
    if (typeof parsed === 'string') return fail('bad_tag', parsed);
    if (Object.keys(parsed).length > 0) tags = parsed;
    pos = space + 1;
  }
  while (line[pos] === ' ') pos++;
  const bodyBytes = Buffer.byteLength(line) - Buffer.byteLength(line.slice(0, pos));
  if (bodyBytes > MAX_BODY_BYTES - 2) {
    const command = /^(?::\S+ +)?([A-Za-z]+|[0-9]{3})(?: |$)/.exec(line.slice(pos))?.[1]?.toUpperCase();
    return fail('line_too_long', `the line is ${bodyBytes + 2} bytes with CRLF; the limit is ${MAX_BODY_BYTES}`, command);
  }

  let source: string | undefined;
  if (line[pos] === ':') {
    const end = line.indexOf(' ', pos);
    source = line.slice(pos + 1, end === -1 ? line.length : end);
    if (source === '') return fail('bad_source', 'an empty source');
    if (end === -1) return fail('empty', 'a source without a command');
    pos = end;
    while (line[pos] === ' ') pos++;
  }

  const cmdEnd = line.indexOf(' ', pos);
  const command = line.slice(pos, cmdEnd === -1 ? line.length : cmdEnd);
  if (command === '') return fail('empty', 'no command');
  if (!COMMAND.test(command)) return fail('bad_command', `"${clip(command)}" is not a command`, command);
  pos = cmdEnd === -1 ? line.length : cmdEnd;

  const params: string[] = [];
  for (;;) {
    while (line[pos] === ' ') pos++;
    if (pos >= line.length) break;
    if (line[pos] === ':') {
      params.push(line.slice(pos + 1));
      break;
    }
    const end = line.indexOf(' ', pos);
    params.push(line.slice(pos, end === -1 ? line.length : end));
    if (end === -1) break;
    pos = end;
  }

  const message: IrcMessage = { command: command.toUpperCase(), params };
  if (tags) message.tags = tags;
  if (source !== undefined) message.source = source;
  return { ok: true, message };
}

/** Tags from their wire form, or why they are malformed. Later duplicates win; empty items are skipped. */
function parseTags(data: string): Record<string, string> | string {
  const tags: Record<string, string> = {};
  for (const item of data.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (!TAG_KEY.test(key)) return `"${clip(key)}" is not a tag key`;
    tags[key] = eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1));
  }
  return tags;
}

/**
 * Writes a message as one line, without its CRLF. The last parameter always
 * takes the ':' form, as ngIRCd writes it: every client reads it, and simple
 * parsers that look for the text after " :" need it. Fails, with the reason,
 * when a part cannot be written as it is or the line would break the 512-byte
 * or tag limits.
 */
export function serializeIrcMessage(message: IrcMessage): IrcSerializeResult {
  const { command, params, source, tags } = message;
  if (!COMMAND.test(command)) return fail('bad_command', `"${clip(command)}" is not a command`, command);
  let head = '';
  if (tags) {
    const items: string[] = [];
    for (const [key, value] of Object.entries(tags)) {
      if (!TAG_KEY.test(key)) return fail('bad_tag', `"${clip(key)}" is not a tag key`, command);
      if (value.includes('\0')) return fail('bad_tag', `the value of tag "${clip(key)}" holds NUL`, command);
      items.push(value === '' ? key : `${key}=${escapeTagValue(value)}`);
    }
    if (items.length > 0) {
      head = `@${items.join(';')} `;
      const bytes = Buffer.byteLength(head);
      if (bytes > MAX_TAG_SECTION_BYTES) return fail('tags_too_long', `tags take ${bytes} bytes; the limit is ${MAX_TAG_SECTION_BYTES}`, command);
    }
  }
  let body = '';
  if (source !== undefined) {
    if (source === '' || source.includes(' ') || CR_LF_NUL.test(source)) return fail('bad_source', 'a source is non-empty, without spaces, CR, LF or NUL', command);
    body = `:${source} `;
  }
  body += command;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (CR_LF_NUL.test(p)) return fail('bad_char', `parameter ${i + 1} holds CR, LF or NUL`, command);
    if (i === params.length - 1) {
      body += ` :${p}`;
    } else {
      if (p === '' || p.includes(' ') || p.startsWith(':')) return fail('bad_param', `parameter ${i + 1} is empty, holds a space or starts with ':'`, command);
      body += ` ${p}`;
    }
  }
  const bodyBytes = Buffer.byteLength(body) + 2;
  if (bodyBytes > MAX_BODY_BYTES) return fail('line_too_long', `the line would be ${bodyBytes} bytes with CRLF; the limit is ${MAX_BODY_BYTES}`, command);
  return { ok: true, line: head + body };
}

/** Bytes that a source, command and leading parameters take before the text of the last parameter, CRLF included. */
export function overheadBytes(source: string | undefined, command: string, leading: readonly string[]): number {
  let n = source === undefined ? 0 : Buffer.byteLength(source) + 2; // ':' and ' '
  n += command.length;
  for (const p of leading) n += Buffer.byteLength(p) + 1;
  return n + 2 + 2; // ' :' before the last parameter, and CRLF
}
