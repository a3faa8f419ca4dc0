import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { chatMessageToIrc } from '../../src/engine/codecs/irc/chatToIrc';
import { parseIrcMessage, serializeIrcMessage, type IrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import { ircLinesToChat } from '../../src/engine/codecs/irc/ircToChat';
import { msgidFor, quoteText, replyPrefix, parseMsgid, reactionToIrc, readReaction, readRedaction, redactionToIrc, replyTarget } from '../../src/engine/codecs/irc/messageRefs';
import { DEFAULT_MULTILINE_LIMITS, MultilineAssembler, multilineCapValue, type MultilineOutcome } from '../../src/engine/codecs/irc/multilineAssembler';
import { FUZZ } from '../support/ircFuzz';

function feed(a: MultilineAssembler, lines: string[]): MultilineOutcome[] {
  return lines.map((l) => {
    const r = parseIrcMessage(l);
    assert.ok(r.ok, l);
    return a.offer(r.message);
  });
}

describe('client multiline batches (draft/multiline)', () => {
  it('assembles a batch: lines joined by newlines, multiline-concat glued, the opening tags kept', () => {
    const out = feed(new MultilineAssembler(), [
      '@+draft/reply=1~Zw;label=x BATCH +b1 draft/multiline #general',
      '@batch=b1 PRIVMSG #general hello',
      '@batch=b1 privmsg #GENERAL :how is ',
      '@batch=b1;draft/multiline-concat PRIVMSG #general :everyone?',
      '@batch=b1 PRIVMSG #general :',
      'BATCH -b1',
    ]);
    assert.deepEqual(out.slice(0, -1).map((o) => o.kind), ['taken', 'taken', 'taken', 'taken', 'taken']);
    assert.deepEqual(out[out.length - 1], { kind: 'done', target: '#general', lines: ['hello', 'how is everyone?', ''], tags: { '+draft/reply': '1~Zw', label: 'x' } });
  });

  it('lets anything outside a batch pass, even while one is open', () => {
    const a = new MultilineAssembler();
    assert.deepEqual(feed(a, ['PRIVMSG #general :plain']), [{ kind: 'pass' }]);
    feed(a, ['BATCH +b draft/multiline #general']);
    assert.equal(a.collecting, true);
    assert.deepEqual(feed(a, ['PONG :x']), [{ kind: 'pass' }]);
  });

  it('fails with the spec’s codes and swallows the rest of a failed batch', () => {
    const codes = (lines: string[], limits = DEFAULT_MULTILINE_LIMITS): string[] =>
      feed(new MultilineAssembler(limits), lines).map((o) => (o.kind === 'fail' ? `${o.code} ${o.context.join(' ')}`.trim() : o.kind));
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b PRIVMSG #b :x', '@batch=b PRIVMSG #a :y', 'BATCH -b']), ['taken', 'MULTILINE_INVALID_TARGET #a #b', 'taken', 'taken']);
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b PRIVMSG #a :12345', '@batch=b PRIVMSG #a :6', 'BATCH -b'], { maxBytes: 6, maxLines: 10 }), ['taken', 'taken', 'MULTILINE_MAX_BYTES 6', 'taken']);
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b PRIVMSG #a :1', '@batch=b PRIVMSG #a :2', 'BATCH -b'], { maxBytes: 99, maxLines: 1 }), ['taken', 'taken', 'MULTILINE_MAX_LINES 1', 'taken']);
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b NOTICE #a :x']), ['taken', 'MULTILINE_INVALID']);
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b;draft/multiline-concat PRIVMSG #a :x']), ['taken', 'MULTILINE_INVALID'], 'concat needs a line before it');
    assert.deepEqual(codes(['BATCH +b draft/multiline #a', '@batch=b PRIVMSG #a :', '@batch=b PRIVMSG #a : ', 'BATCH -b']), ['taken', 'taken', 'taken', 'MULTILINE_INVALID'], 'only blank lines');
    assert.deepEqual(codes(['BATCH +b chathistory #a']), ['MULTILINE_INVALID']);
    assert.deepEqual(codes(['BATCH -nope']), ['MULTILINE_INVALID']);
    assert.deepEqual(codes(['@batch=zz PRIVMSG #a :x']), ['MULTILINE_INVALID']);
  });

  it('advertises its limits as the capability value', () => {
    assert.equal(multilineCapValue(DEFAULT_MULTILINE_LIMITS), 'max-bytes=4096,max-lines=100');
  });

  it('takes back what the gateway sends: a chat message through a multiline batch and the assembler arrives whole', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '🎉', ' ', '\n', 'b', '.'), maxLength: 1500, size: 'large' }).filter((t) => t.trim() !== '' && !/ {50}/.test(t));
    fc.assert(
      fc.property(text, (t) => {
        const sent = chatMessageToIrc({ text: t, ts: '2024-01-01T00:00:00.000Z' }, { source: 'a!a@h', target: '#general', caps: new Set(['batch', 'draft/multiline']), batchRef: 'r' });
        const a = new MultilineAssembler({ maxBytes: 100_000, maxLines: 1000 });
        // A client sends the same lines without a source; the server's lines parse as a client's would.
        const outcomes = sent.map((m) => a.offer(reparse({ ...m, source: undefined })));
        const last = outcomes[outcomes.length - 1];
        if (sent[0].command === 'PRIVMSG') return assert.equal(sent.length, 1);
        assert.equal(last.kind, 'done');
        const lines = (last as { lines: string[] }).lines;
        const chat = ircLinesToChat(lines);
        const blankTrimmed = t.split('\n');
        while (blankTrimmed.length && blankTrimmed[0].trim() === '') blankTrimmed.shift();
        while (blankTrimmed.length && blankTrimmed[blankTrimmed.length - 1].trim() === '') blankTrimmed.pop();
        assert.deepEqual(chat, { kind: 'text', text: blankTrimmed.join('\n') });
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

function reparse(m: IrcMessage): IrcMessage {
  const s = serializeIrcMessage(m);
  assert.ok(s.ok);
  const r = parseIrcMessage(s.line);
  assert.ok(r.ok);
  return r.message;
}

describe('message ids, replies, reactions and redactions', () => {
  it('names a chat message by room and seq, and reads that back only', () => {
    assert.equal(msgidFor({ room: 'general', seq: 42 }), '42~Z2VuZXJhbA');
    assert.deepEqual(parseMsgid('42~Z2VuZXJhbA'), { room: 'general', seq: 42 });
    for (const bad of ['', '42', '~Z2Vu', '0~Z2VuZXJhbA', '01~Z2VuZXJhbA', '42~Z2VuZXJhbA=', '42~Z2VuZXJhbB', 'x~y', '99999999999999999~YQ']) assert.equal(parseMsgid(bad), undefined, bad);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (room, seq) => {
        const id = msgidFor({ room, seq });
        assert.match(id, /^[0-9]+~[A-Za-z0-9_-]+$/, 'safe as a tag value and as a middle parameter');
        assert.deepEqual(parseMsgid(id), { room, seq });
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it('writes and reads reactions as TAGMSG with +draft/react or +draft/unreact', () => {
    const m = reactionToIrc('ann!a@h', '#general', { msgid: '3~Zw', emoji: '👍🏽', remove: false });
    assert.deepEqual(reparse(m), { source: 'ann!a@h', command: 'TAGMSG', params: ['#general'], tags: { '+draft/reply': '3~Zw', '+draft/react': '👍🏽' } });
    assert.deepEqual(readReaction(reparse(m)), { msgid: '3~Zw', emoji: '👍🏽', remove: false });
    assert.deepEqual(readReaction(reactionToIrc('a', '#g', { msgid: '3~Zw', emoji: '👍', remove: true })), { msgid: '3~Zw', emoji: '👍', remove: true });
    assert.equal(readReaction({ command: 'TAGMSG', params: ['#g'], tags: { '+draft/react': 'x' } }), undefined, 'a reaction needs its message');
    assert.equal(readReaction({ command: 'TAGMSG', params: ['#g'], tags: { '+draft/reply': '1~Zw', '+draft/react': 'x'.repeat(33) } }), undefined);
    assert.equal(readReaction({ command: 'TAGMSG', params: ['#g'], tags: { '+draft/reply': '1~Zw', '+draft/react': 'a\x07' } }), undefined);
    assert.equal(replyTarget({ command: 'PRIVMSG', params: ['#g', 'x'], tags: { '+draft/reply': '1~Zw' } }), '1~Zw');
  });

  it('writes and reads REDACT, refusing a msgid we never made', () => {
    assert.deepEqual(reparse(redactionToIrc('op!o@h', { target: '#general', msgid: '3~Zw', reason: 'spam, sorry' })).params, ['#general', '3~Zw', 'spam, sorry']);
    assert.deepEqual(readRedaction({ command: 'REDACT', params: ['#general', '3~Zw'] }), { ok: true, redaction: { target: '#general', msgid: '3~Zw' } });
    assert.deepEqual(readRedaction({ command: 'REDACT', params: ['#general'] }), { ok: false, code: 'NEED_MORE_PARAMS' });
    assert.deepEqual(readRedaction({ command: 'REDACT', params: ['#general', 'forged'] }), { ok: false, code: 'UNKNOWN_MSGID' });
  });

  it('quotes chat text on one short line: no breaks, controls or bidi, cut between graphemes', () => {
    assert.equal(quoteText(`first line\r\nsecond\u2028third ${'x'.repeat(80)}`), `first line second third ${'x'.repeat(33)}…`);
    assert.equal(quoteText('a\x00b\x01ACTION c\x02d\u202eevil\u2066e\u200bf'), 'abACTION cdevilef');
    assert.equal(quoteText('👍🏽'.repeat(20), 20), '👍🏽👍🏽…', 'an emoji with its skin tone is never cut');
    assert.ok(Buffer.byteLength(quoteText('é'.repeat(100))) <= 60);
    assert.equal(replyPrefix({ seq: 3, sender: 'Zoë', excerpt: 'shall we\nship?' }, (n) => n.normalize('NFD').replace(/\p{M}/gu, '')), '(re Zoe: "shall we ship?") ');
    assert.equal(replyPrefix({ seq: 3, sender: 'ann', deleted: true }, (n) => n), '(re a deleted message from ann) ');
    assert.equal(replyPrefix(undefined, (n) => n), '(re an earlier message) ');
  });
});
