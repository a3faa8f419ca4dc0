import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { IRC_DECODER_CAP_BYTES, IRC_MAX_LINE_BYTES, createIrcLineDecoder } from '../../src/engine/codecs/irc/ircLineDecoder';
import {
  MAX_CLIENT_TAG_DATA_BYTES,
  escapeTagValue,
  parseIrcMessage,
  serializeIrcMessage,
  unescapeTagValue,
  type IrcMessage,
  type IrcParseResult,
} from '../../src/engine/codecs/irc/ircMessage';
import { FUZZ } from '../support/ircFuzz';

function parsed(line: unknown): IrcMessage {
  const r = parseIrcMessage(line);
  assert.ok(r.ok, `parses: ${JSON.stringify(line)} → ${JSON.stringify(r)}`);
  return r.message;
}

function failure(r: IrcParseResult): string {
  assert.ok(!r.ok, 'fails');
  return r.error.code;
}

describe('IRC messages: parsing', () => {
  it('reads tags, source, command and parameters, with the trailing one as an ordinary last parameter', () => {
    assert.deepEqual(parsed('@time=2024-01-02T03:04:05.678Z;+draft/reply=42;flag :ann!a@host PRIVMSG #general :hello there: friend'), {
      tags: { time: '2024-01-02T03:04:05.678Z', '+draft/reply': '42', flag: '' },
      source: 'ann!a@host',
      command: 'PRIVMSG',
      params: ['#general', 'hello there: friend'],
    });
    assert.deepEqual(parsed('PING'), { command: 'PING', params: [] });
    assert.deepEqual(parsed(':srv JOIN #chan'), parsed(':srv JOIN :#chan'), 'a last parameter with or without ":" is the same');
    assert.deepEqual(parsed('NICK me').params, ['me']);
  });

  it('keeps an empty or colon-led trailing parameter, and its inner spaces', () => {
    assert.deepEqual(parsed('TOPIC #a :').params, ['#a', '']);
    assert.deepEqual(parsed('PRIVMSG #a ::-)').params, ['#a', ':-)']);
    assert.deepEqual(parsed('PRIVMSG #a :  two  spaces ').params, ['#a', '  two  spaces ']);
  });

  it('tolerates runs of spaces and a trailing space, as real servers send them', () => {
    assert.deepEqual(parsed(':srv 432  #x :Erroneous'), { source: 'srv', command: '432', params: ['#x', 'Erroneous'] });
    assert.deepEqual(parsed(':srv MODE #c +o nick  ').params, ['#c', '+o', 'nick']);
    assert.deepEqual(parsed('AWAY ').params, []);
  });

  it('upper-cases the command and accepts three-digit numerics only', () => {
    assert.equal(parsed('privmsg #a :x').command, 'PRIVMSG');
    assert.equal(parsed(':s 001 me :hi').command, '001');
    assert.equal(failure(parseIrcMessage('PRIV-MSG #a :x')), 'bad_command');
    assert.equal(failure(parseIrcMessage('0001 x')), 'bad_command');
    const r = parseIrcMessage('FOO1 x');
    assert.ok(!r.ok && r.error.command === 'FOO1', 'the readable command travels with the error, for 421');
  });

  it('unescapes tag values one character at a time, drops stray and final backslashes, and lets later duplicates win', () => {
    assert.deepEqual(parsed('@a=x\\:y\\sz\\\\w\\r\\n;b=v\\\\ntest;c=v\\1;d=end\\ CMD').tags, { a: 'x;y z\\w\r\n', b: 'v\\ntest', c: 'v1', d: 'end' });
    assert.deepEqual(parsed('@a=1;b=2;a=3;vendor.example/a=4 CMD').tags, { a: '3', b: '2', 'vendor.example/a': '4' });
    assert.deepEqual(parsed('@a=;b CMD').tags, { a: '', b: '' }, 'an empty value equals no value');
  });

  it('refuses malformed tag keys, CR/LF/NUL inside a line, and a missing command', () => {
    assert.equal(failure(parseIrcMessage('@__proto__=x CMD')), 'bad_tag');
    assert.equal(failure(parseIrcMessage('@a b=c CMD')), 'bad_command', '"b=c" is not a command');
    assert.equal(failure(parseIrcMessage('PRIVMSG #a :one\rQUIT')), 'bad_char');
    assert.equal(failure(parseIrcMessage('PRIVMSG #a :nul\0here')), 'bad_char');
    assert.equal(failure(parseIrcMessage('@tags-only')), 'empty');
    assert.equal(failure(parseIrcMessage(':source-only')), 'empty');
    assert.equal(failure(parseIrcMessage('   ')), 'empty');
    assert.equal(failure(parseIrcMessage(': CMD')), 'bad_source');
  });

  it('strips one CRLF or LF at the end, and reads bytes as UTF-8', () => {
    assert.deepEqual(parsed('PING :x\r\n'), parsed('PING :x'));
    assert.deepEqual(parsed(Buffer.from('PRIVMSG #a :héllo 🎉\n')).params, ['#a', 'héllo 🎉']);
    assert.equal(parsed(Buffer.from([0x50, 0x49, 0x4e, 0x47, 0x20, 0xff])).params[0], '\ufffd', 'invalid UTF-8 becomes U+FFFD');
    assert.equal(failure(parseIrcMessage(42)), 'not_text');
    assert.equal(failure(parseIrcMessage({ command: 'PING' })), 'not_text');
  });

  it('enforces 512 bytes for the body and the tag limit separately', () => {
    const body = (n: number): string => `PRIVMSG #a :${'x'.repeat(n - 'PRIVMSG #a :'.length - 2)}`;
    assert.ok(parseIrcMessage(body(512)).ok, '510 bytes + CRLF fits');
    const long = parseIrcMessage(body(513));
    assert.equal(failure(long), 'line_too_long');
    assert.ok(!long.ok && long.error.command === 'PRIVMSG', 'the command is known, for the 417 reply');
    const tags = (n: number): string => `@a=${'t'.repeat(n - 2)} `;
    assert.ok(parseIrcMessage(tags(8189) + body(512)).ok, 'tag data of 8189 bytes (8191 with @ and space) plus a full body fits');
    assert.equal(failure(parseIrcMessage(tags(8190) + 'PING')), 'tags_too_long');
    assert.equal(failure(parseIrcMessage(tags(MAX_CLIENT_TAG_DATA_BYTES + 1) + 'PING', { maxTagDataBytes: MAX_CLIENT_TAG_DATA_BYTES })), 'tags_too_long');
    assert.equal(failure(parseIrcMessage(`PRIVMSG #a :${'é'.repeat(250)}`)), 'line_too_long', 'bytes, not characters, count');
  });
});

describe('IRC messages: serializing', () => {
  it('writes the canonical form, the last parameter always after ":"', () => {
    const r = serializeIrcMessage({ tags: { time: 'T', flag: '', esc: 'a; b\\c' }, source: 'srv', command: 'PRIVMSG', params: ['#a', 'hi'] });
    assert.deepEqual(r, { ok: true, line: '@time=T;flag;esc=a\\:\\sb\\\\c :srv PRIVMSG #a :hi' });
    assert.deepEqual(serializeIrcMessage({ command: 'PING', params: [] }), { ok: true, line: 'PING' });
  });

  it('refuses, with a typed error, anything it could not write faithfully', () => {
    const code = (m: IrcMessage): string => {
      const r = serializeIrcMessage(m);
      assert.ok(!r.ok);
      return r.error.code;
    };
    assert.equal(code({ command: 'PRIVMSG', params: ['#a', 'one\r\nQUIT :bye'] }), 'bad_char');
    assert.equal(code({ command: 'PRIVMSG', params: ['#a', 'nul\0'] }), 'bad_char');
    assert.equal(code({ command: 'PRIVMSG', params: ['#a b', 'x'] }), 'bad_param');
    assert.equal(code({ command: 'PRIVMSG', params: [':#a', 'x'] }), 'bad_param');
    assert.equal(code({ command: 'PRIVMSG', params: ['', 'x'] }), 'bad_param');
    assert.equal(code({ command: 'PRIV MSG', params: [] }), 'bad_command');
    assert.equal(code({ source: 'a b', command: 'PING', params: [] }), 'bad_source');
    assert.equal(code({ tags: { 'bad key': 'x' }, command: 'PING', params: [] }), 'bad_tag');
    assert.equal(code({ tags: { k: 'nul\0' }, command: 'PING', params: [] }), 'bad_tag');
    assert.equal(code({ command: 'PRIVMSG', params: ['#a', 'x'.repeat(510)] }), 'line_too_long');
    assert.equal(code({ tags: { k: 'v'.repeat(8200) }, command: 'PING', params: [] }), 'tags_too_long');
  });

  it('escapes and unescapes tag values as inverses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', size: 'medium' }), (v) => unescapeTagValue(escapeTagValue(v)) === v),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

// Arbitrary messages, within the grammar: what the round trip must preserve.
const label = '[a-z](?:[a-z0-9-]{0,6}[a-z0-9])?';
const tagKey = fc.stringMatching(new RegExp(`^\\+?(${label}(\\.${label}){0,2}\\/)?[A-Za-z0-9-]{1,12}$`));
const middle = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !/[ \r\n\0]/.test(s) && !s.startsWith(':'));
const anyText = fc.string({ unit: 'grapheme', maxLength: 120, size: 'medium' });
const message: fc.Arbitrary<IrcMessage> = fc
  .record(
    {
      tags: fc.dictionary(tagKey, anyText.map((s) => s.replace(/\0/g, '')), { maxKeys: 4, minKeys: 1 }),
      source: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !/[ \r\n\0]/.test(s)),
      command: fc.oneof(fc.stringMatching(/^[A-Z]{1,10}$/), fc.stringMatching(/^[0-9]{3}$/)),
      params: fc.tuple(fc.array(middle, { maxLength: 6 }), fc.option(anyText.map((s) => s.replace(/[\r\n\0]/g, '')), { nil: undefined })).map(([m, last]) => (last === undefined ? m : [...m, last])),
    },
    { requiredKeys: ['command', 'params'] },
  )
  // fast-check builds dictionaries without a prototype; the parser returns plain objects.
  .map((m) => ({ ...m, ...(m.tags ? { tags: { ...m.tags } } : {}) }) as IrcMessage);

describe('IRC messages: properties', () => {
  it('parse(serialize(m)) gives m back for every message the serializer accepts', () => {
    let written = 0;
    fc.assert(
      fc.property(message, (m) => {
        const s = serializeIrcMessage(m);
        if (!s.ok) return s.error.code === 'line_too_long' || s.error.code === 'tags_too_long';
        written++;
        const back = parseIrcMessage(s.line);
        assert.ok(back.ok, s.line);
        assert.deepEqual(back.message, m);
        return true;
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
    assert.ok(written > FUZZ.runs / 2, `most generated messages fit (${written})`);
  });

  it('never writes CR, LF or NUL, whatever it is given, and never throws', () => {
    const hostile = fc.string({ unit: fc.constantFrom('a', ' ', ':', '\r', '\n', '\0', '@', ';', '\\', 'é', '🎉'), maxLength: 30 });
    fc.assert(
      fc.property(fc.record({ tags: fc.dictionary(hostile, hostile, { maxKeys: 3 }), source: fc.option(hostile, { nil: undefined }), command: hostile, params: fc.array(hostile, { maxLength: 5 }) }), (m) => {
        const s = serializeIrcMessage(m as IrcMessage);
        return !s.ok || !/[\r\n\0]/.test(s.line);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it('parses any string or bytes without throwing, and a success always serializes again', () => {
    const input = fc.oneof(
      fc.string({ unit: fc.constantFrom('@', ':', ' ', 'a', 'Z', '1', ';', '=', '\\', '\r', '\n', '\0', '+', '/', 'é'), maxLength: 60, size: 'medium' }),
      fc.uint8Array({ maxLength: 600, size: 'large' }),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (x) => {
        const r = parseIrcMessage(x);
        if (!r.ok) return typeof r.error.message === 'string';
        const s = serializeIrcMessage(r.message);
        return s.ok || s.error.code === 'line_too_long';
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

describe('IRC line decoder (LineDecoder with IRC limits)', () => {
  function decoder(): { push(b: Buffer): void; lines: string[]; overflows: number[] } {
    const lines: string[] = [];
    const overflows: number[] = [];
    const d = createIrcLineDecoder({ line: (t) => lines.push(t), overflow: (n) => overflows.push(n) });
    return { push: (b) => d.push(b), lines, overflows };
  }

  it('splits CRLF and bare LF lines, skips empty ones, and keeps UTF-8 across chunks', () => {
    const d = decoder();
    const bytes = Buffer.from('NICK ann\r\n\r\nUSER a 0 * :Ann 🎉\nPING :x\r\n');
    for (let i = 0; i < bytes.length; i++) d.push(bytes.subarray(i, i + 1));
    assert.deepEqual(d.lines, ['NICK ann', 'USER a 0 * :Ann 🎉', 'PING :x']);
    assert.deepEqual(d.lines.map((l) => parsed(l).command), ['NICK', 'USER', 'PING']);
  });

  it('hands an over-long line to the parser (for 417) and cuts off only a peer far past the limit', () => {
    const d = decoder();
    d.push(Buffer.from(`PRIVMSG #a :${'x'.repeat(IRC_MAX_LINE_BYTES)}\r\nPING :still here\r\n`));
    assert.equal(d.lines.length, 2);
    assert.equal(failure(parseIrcMessage(d.lines[0])), 'line_too_long');
    assert.equal(parsed(d.lines[1]).command, 'PING', 'the connection carries on');
    const flood = decoder();
    flood.push(Buffer.alloc(IRC_DECODER_CAP_BYTES + 2, 0x61));
    assert.equal(flood.overflows.length, 1, 'a line with no end in sight stops the decoder');
  });
});
