import * as fc from 'fast-check';
import { generateIdentity } from '../../src/engine/identity';

/**
 * Generators of hostile client lines for the fuzz tests. Each value is the
 * bytes of one line without its newline: a Buffer, because invalid UTF-8 and
 * deep nesting cannot be built with JSON.stringify.
 */

export interface FuzzFrame {
  bytes: Buffer;
  /** Longer than the server's line cap: the server closes the connection on it. */
  oversize?: boolean;
}

const raw = (s: string): FuzzFrame => ({ bytes: Buffer.from(s, 'utf8') });

/** Every client frame type and its fields with a well-typed sample value. */
const SCHEMA: Record<string, Record<string, unknown>> = {
  hello: { v: 1, name: 'fz', session: 'abcdefghijklmnopqrstuvwx', key: generateIdentity().publicKey, insist: true },
  auth: { proof: 'aa', signature: 'A'.repeat(86) },
  message: { id: 'm1', room: 'general', text: 'hi', snippet: { lang: 'ts', file: 'a.ts', startLine: 1, endLine: 2, code: 'x' } },
  join: { room: 'fuzz' },
  leave: { room: 'fuzz' },
  typing: { room: 'general' },
  history: { id: 'h1', room: 'general', before: 5, after: 1, limit: 10 },
  search: { id: 's1', query: 'hi', room: 'general', limit: 5 },
  nick: { name: 'fz2' },
  who: { id: 'w1' },
  ping: { id: 'p1' },
  pong: { id: 'p1' },
  file_offer: { id: 'f1', name: 'a.txt', size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', room: 'general' },
  file_chunk: { id: 'f1', index: 0, data: 'YWJj' },
};
const TYPES = Object.keys(SCHEMA);

/** Number literals JSON.parse accepts but that are no safe integer, as raw text. */
const HUGE_NUMBERS = ['1e999', '-1e999', '123456789012345678901234567890', '1.7976931348623157e308', '-0', '5e-324', '9007199254740993', '-9007199254740993', '0.5', '-1', '1e-999'];

/** Byte sequences that are not valid UTF-8. */
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // encoded surrogate
  [0xe2, 0x82], // truncated
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0x80],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
].map((b) => Buffer.from(b));

/** A JSON value of any type, as raw text, including kinds JSON.stringify cannot make. */
const anyValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: fc.constantFrom(...HUGE_NUMBERS) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  { weight: 1, arbitrary: fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u202e"', '""', '"__proto__"', '{"__proto__":{"x":1}}', '"constructor"') },
);

/** A frame of a known type with one field replaced by a value of any (usually wrong) type. */
const wrongField: fc.Arbitrary<FuzzFrame> = fc
  .tuple(fc.constantFrom(...TYPES), fc.nat(), anyValueText, fc.boolean())
  .map(([type, i, value, keepOthers]) => {
    const fields = Object.keys(SCHEMA[type]);
    const field = [...fields, 'type', 'extra'][i % (fields.length + 2)];
    const parts: string[] = [];
    if (field !== 'type') parts.push('"type":' + JSON.stringify(type));
    if (keepOthers) for (const [k, v] of Object.entries(SCHEMA[type])) if (k !== field) parts.push(JSON.stringify(k) + ':' + JSON.stringify(v));
    parts.push(JSON.stringify(field) + ':' + value);
    return raw('{' + parts.join(',') + '}');
  });

/** A well-typed frame with random but plausible contents: reaches the handlers past validation. */
const validish: fc.Arbitrary<FuzzFrame> = fc
  .tuple(fc.constantFrom(...TYPES), fc.string({ maxLength: 40 }), fc.constantFrom('general', 'fuzz', 'a', 'Bad Room', '', 'x'.repeat(40), '@a,b'), fc.integer({ min: 0, max: 1_000_000 }))
  .map(([type, s, room, n]) => {
    const f: Record<string, unknown> = { type, ...SCHEMA[type] };
    if ('name' in f) f.name = s || 'fz';
    if ('room' in f) f.room = room;
    if ('text' in f) f.text = s;
    if ('query' in f) f.query = s;
    if ('id' in f) f.id = type === 'message' ? `m${n}` : s || 'x';
    if ('limit' in f) f.limit = n % 1000;
    if ('before' in f) f.before = n;
    if (type === 'message' && n % 3 === 0) delete f.snippet;
    if (type === 'message' && n % 5 === 0) {
      delete f.room;
      f.to = s || 'nobody';
    }
    return raw(JSON.stringify(f));
  });

/** Invalid UTF-8 spliced into a frame, inside a string or outside one. */
const badUtf8: fc.Arbitrary<FuzzFrame> = fc.tuple(fc.constantFrom(...TYPES), fc.nat(BAD_UTF8.length - 1), fc.boolean()).map(([type, i, inString]) => {
  const bad = BAD_UTF8[i];
  const field = type === 'hello' || type === 'nick' ? 'name' : type === 'message' ? 'text' : type === 'search' ? 'query' : 'room';
  const head = Buffer.from(`{"type":"${type}","v":1,"id":"u${i}","${field}":${inString ? '"a' : ''}`);
  const tail = Buffer.from(`${inString ? 'b"' : ''}}`);
  return { bytes: Buffer.concat([head, bad, tail]) };
});

/** Deep nesting: a whole line, inside a field, or as an extra field of a message's snippet (which is kept). */
const deepNest: fc.Arbitrary<FuzzFrame> = fc.tuple(fc.integer({ min: 100, max: 30_000 }), fc.nat(2), fc.constantFrom(...TYPES)).map(([d, where, type]) => {
  const deep = '['.repeat(d) + ']'.repeat(d);
  if (where === 0) return raw(deep);
  if (where === 1) return raw(`{"type":"${type}","room":${deep}}`);
  return raw(`{"type":"message","id":"deep${d}","text":"t","snippet":{"lang":"a","file":"f","startLine":1,"endLine":2,"code":"c","x":${deep}}}`);
});

/** A huge string in some field (still under the line cap). */
const hugeString: fc.Arbitrary<FuzzFrame> = fc
  .tuple(fc.constantFrom(...TYPES), fc.integer({ min: 1000, max: 60_000 }), fc.constantFrom('x', 'é', '😀', '\\n', '\\"'))
  .map(([type, n, ch]) => {
    const field = type === 'ping' || type === 'pong' || type === 'who' ? 'id' : type === 'hello' || type === 'nick' ? 'name' : type === 'message' ? 'text' : type === 'search' ? 'query' : 'room';
    const body = ch.repeat(Math.floor(n / Buffer.byteLength(ch)));
    const f = `{"type":"${type}","v":1,"id":"big","room":"general","${field}":"${body}"}`;
    return raw(f);
  });

/** Keys that look almost right: wrong length, wrong alphabet, not a point on the curve (all 0xff), an empty string. */
const ODD_KEYS = ['', 'A'.repeat(42), 'A'.repeat(44), '!'.repeat(43), '_'.repeat(43), 'A'.repeat(43) + '=', Buffer.alloc(32, 0xff).toString('base64url'), Buffer.alloc(32).toString('base64')];

/**
 * The identity handshake's own frames: hellos with a real key (which get a
 * challenge) or an odd one, then auth frames with signatures that cannot
 * verify, of the wrong length or type, twice, or with a password proof too.
 */
const identityHandshake: fc.Arbitrary<FuzzFrame> = fc
  .tuple(fc.nat(9), fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 100 }), fc.boolean())
  .map(([kind, oddKey, s, insist]) => {
    switch (kind) {
      case 0:
      case 1:
        return raw(JSON.stringify({ type: 'hello', v: 1, name: `id${s.length}`, key: generateIdentity().publicKey, ...(insist && { insist }) }));
      case 2:
        return raw(JSON.stringify({ type: 'hello', v: 1, name: 'idodd', key: oddKey, insist }));
      case 3:
        return raw(JSON.stringify({ type: 'auth', signature: s }));
      case 4:
        return raw(JSON.stringify({ type: 'auth', signature: Buffer.alloc(64, s.length).toString('base64url') }));
      case 5:
        return raw(JSON.stringify({ type: 'auth', proof: 'ab'.repeat(32), signature: 'A'.repeat(86) }));
      case 6:
        return raw(`{"type":"auth","signature":${JSON.stringify(s)},"signature":7}`);
      case 7:
        return raw(JSON.stringify({ type: 'hello', v: 1, name: 'alice', key: generateIdentity().publicKey, insist: true }));
      default:
        return raw(JSON.stringify({ type: 'auth' }));
    }
  });

/** Lines that are not one JSON object. */
const junk: fc.Arbitrary<FuzzFrame> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => ({ bytes: Buffer.from(a) })),
  fc.string({ maxLength: 100 }).map(raw),
  fc.jsonValue({ maxDepth: 2 }).map((v) => raw(JSON.stringify(v) ?? 'null')),
  fc.constantFrom('', ' ', '\r', '{', '}', '{"type":', 'null', '[]', '"hello"', '{"type":"hello"', '\u2028', '{"type":null}', '{"type":"HELLO","v":1,"name":"x"}').map(raw),
);

/** A line just over the cap: the documented answer is frame_too_large and a close. */
export const oversize = (maxLine: number): fc.Arbitrary<FuzzFrame> => fc.integer({ min: maxLine + 1, max: maxLine + 5000 }).map((n) => ({ bytes: Buffer.alloc(n, 0x61), oversize: true }));

/** The mix used by every fuzz test. */
export function fuzzFrame(): fc.Arbitrary<FuzzFrame> {
  return fc.oneof(
    { weight: 30, arbitrary: wrongField },
    { weight: 25, arbitrary: validish },
    { weight: 10, arbitrary: badUtf8 },
    { weight: 10, arbitrary: junk },
    { weight: 8, arbitrary: identityHandshake },
    { weight: 1, arbitrary: hugeString },
    { weight: 1, arbitrary: deepNest },
  );
}

/**
 * One batch: frames, their line endings, byte offsets to cut the stream at,
 * and sometimes an oversize line at the end (it ends the connection, so it
 * goes last to let the rest of the batch be read).
 */
export function fuzzBatch(size: number, maxLine: number) {
  return fc.record({
    frames: fc.array(fc.tuple(fuzzFrame(), lineEnd), { minLength: size, maxLength: size }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
    hello: fc.boolean(),
    tail: fc.tuple(fc.nat(9), oversize(maxLine)).map(([n, f]) => (n === 0 ? f : null)),
  });
}

/** Line endings: \n, \r\n, or several blank lines. */
export const lineEnd = fc.constantFrom('\n', '\n', '\n', '\r\n', '\n\n\n');
