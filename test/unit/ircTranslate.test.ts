import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { chatLines, chatMessageToIrc, fileOfferToIrc, formatSize, sanitizeChatText, snippetHeader, type IrcDelivery } from '../../src/engine/codecs/irc/chatToIrc';
import { IrcEncoder, type PeopleLookup } from '../../src/engine/codecs/irc/ircEncoder';
import { IRC } from '../../src/engine/codecs/irc/ircFormatting';
import { MAX_BODY_BYTES, parseIrcMessage, serializeIrcMessage, type IrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import type { NickDirectory } from '../../src/engine/codecs/irc/ircNames';
import { ircLinesToChat, ircTextToChat, parseJoin, privmsgToChat, type IrcInbound } from '../../src/engine/codecs/irc/ircToChat';
import { updateToIrc } from '../../src/engine/codecs/irc/updateToIrc';
import type { ChatMessage, UpdateChange } from '../../src/engine/protocol';
import { HOSTILE_PAYLOADS } from '../support/hostilePayloads';
import { FUZZ } from '../support/ircFuzz';

const TS = '2024-05-06T07:08:09.010Z';
const plain = (over: Partial<IrcDelivery> = {}): IrcDelivery => ({ source: 'ann!ann@tcp-chat', target: '#general', caps: new Set(), ...over });

/** Serializes every line, failing the test on any line the serializer refuses. */
function wire(messages: IrcMessage[]): string[] {
  return messages.map((m) => {
    const s = serializeIrcMessage(m);
    assert.ok(s.ok, `serializes: ${JSON.stringify(m)} ${JSON.stringify(s)}`);
    return s.line;
  });
}

describe('chat → IRC', () => {
  it('sends one PRIVMSG per line, leaving out blank lines, with bold and italics as IRC codes', () => {
    assert.deepEqual(wire(chatMessageToIrc({ text: 'hi **all**\n\n  *really*  \n', ts: TS }, plain())), [
      `:ann!ann@tcp-chat PRIVMSG #general :hi ${IRC.bold}all${IRC.bold}`,
      `:ann!ann@tcp-chat PRIVMSG #general :  ${IRC.italic}really${IRC.italic}  `,
    ]);
    assert.deepEqual(chatMessageToIrc({ text: ' \n\t\n', ts: TS }, plain()), [], 'nothing to say, nothing sent');
  });

  it('shows a snippet under a header with its file, lines and language', () => {
    const snippet = { lang: 'typescript', file: 'hello.ts', startLine: 3, endLine: 9, code: 'function hi() {\n\treturn "**not bold**";\n}' };
    assert.equal(snippetHeader(snippet), '[snippet hello.ts:3-9 typescript]');
    assert.equal(snippetHeader({ ...snippet, endLine: 3, lang: '' }), '[snippet hello.ts:3]');
    assert.deepEqual(
      chatMessageToIrc({ text: 'look:', snippet, ts: TS }, plain()).map((m) => m.params[1]),
      ['look:', '[snippet hello.ts:3-9 typescript]', 'function hi() {', '    return "**not bold**";', '}'],
    );
  });

  it('maps /me to a CTCP ACTION, and nothing else a person types becomes CTCP', () => {
    assert.deepEqual(chatMessageToIrc({ text: '/me waves', ts: TS }, plain())[0].params, ['#general', '\x01ACTION waves\x01']);
    assert.deepEqual(chatMessageToIrc({ text: '\x01DCC SEND x 2130706433 6667 10\x01', ts: TS }, plain())[0].params, ['#general', 'DCC SEND x 2130706433 6667 10']);
    assert.deepEqual(chatMessageToIrc({ text: '/mentions /me', ts: TS }, plain())[0].params[1], '/mentions /me');
  });

  it('turns every line break into a new message, so no text can inject a command', () => {
    const lines = wire(chatMessageToIrc({ text: 'a\r\nQUIT :bye\rJOIN #x\u2028KICK #general bob\nb', ts: TS }, plain()));
    assert.deepEqual(lines.map((l) => parseIrcMessage(l)).map((r) => r.ok && [r.message.command, r.message.params[1]]), [
      ['PRIVMSG', 'a'],
      ['PRIVMSG', 'QUIT :bye'],
      ['PRIVMSG', 'JOIN #x'],
      ['PRIVMSG', 'KICK #general bob'],
      ['PRIVMSG', 'b'],
    ]);
  });

  it('does not send the spaces that spill over at the end of a long line as a message of their own', () => {
    const room = 510 - Buffer.byteLength(':ann!ann@tcp-chat PRIVMSG #general :');
    const out = chatMessageToIrc({ text: `${'a'.repeat(room)}   `, ts: TS }, plain());
    assert.deepEqual(out.map((m) => m.params[1]), ['a'.repeat(room)]);
  });

  it('splits a long line to fit 512 bytes with the real source and target counted', () => {
    const source = `${'n'.repeat(32)}!${'u'.repeat(20)}@${'h'.repeat(63)}`;
    const target = `#${'r'.repeat(32)}`;
    const text = 'é🎉 word '.repeat(200);
    const out = wire(chatMessageToIrc({ text, ts: TS }, plain({ source, target })));
    assert.ok(out.length > 3);
    for (const l of out) assert.ok(Buffer.byteLength(l) + 2 <= MAX_BODY_BYTES, `${Buffer.byteLength(l) + 2} bytes`);
    assert.equal(out.map((l) => (parseIrcMessage(l) as { message: IrcMessage }).message.params[1]).join(''), text, 'nothing lost, nothing doubled');
  });

  it('tags what the recipient negotiated: server-time and account on every line, msgid and label on the first', () => {
    const d = plain({ caps: new Set(['server-time', 'message-tags', 'account-tag']), msgid: '7~Z2VuZXJhbA', account: 'cert:ab12', firstTags: { label: 'L1' } });
    const out = chatMessageToIrc({ text: 'one\ntwo', ts: TS }, d);
    assert.deepEqual(out[0].tags, { time: TS, account: 'cert:ab12', msgid: '7~Z2VuZXJhbA', label: 'L1' });
    assert.deepEqual(out[1].tags, { time: TS, account: 'cert:ab12' });
    assert.equal(chatMessageToIrc({ text: 'x', ts: TS }, plain({ msgid: 'm' }))[0].tags, undefined, 'no tags without the capabilities');
  });

  it('sends a draft/multiline batch to a client that negotiated it, with long lines glued by multiline-concat', () => {
    const d = plain({ caps: new Set(['batch', 'draft/multiline', 'server-time', 'message-tags']), msgid: 'm1', batchRef: 'b7' });
    const long = 'x'.repeat(600);
    const out = chatMessageToIrc({ text: `first\n\n${long}`, ts: TS }, d);
    wire(out);
    assert.deepEqual(out[0], { source: d.source, command: 'BATCH', params: ['+b7', 'draft/multiline', '#general'], tags: { time: TS, msgid: 'm1' } });
    assert.deepEqual(out[out.length - 1], { source: d.source, command: 'BATCH', params: ['-b7'] });
    const body = out.slice(1, -1);
    assert.deepEqual(body.map((m) => m.params[1]).slice(0, 2), ['first', ''], 'a blank line inside a batch is kept');
    assert.ok(body.every((m) => m.tags?.batch === 'b7'));
    assert.equal(body.filter((m) => m.tags && 'draft/multiline-concat' in m.tags).length, body.length - 3);
    assert.equal(body.slice(2).map((m) => m.params[1]).join(''), long);
    assert.equal(chatMessageToIrc({ text: 'short', ts: TS }, d)[0].command, 'PRIVMSG', 'one short line needs no batch');
  });

  it('announces a file with a NOTICE: its safe name, its size and where to get it', () => {
    const out = wire(fileOfferToIrc({ name: '../../etc/\u202Eevil\r\ntxt.exe', size: 1536, ts: TS }, plain(), 'open it in the TCP Chat panel or with tcp-chat connect'));
    assert.deepEqual(out, [':ann!ann@tcp-chat NOTICE #general :[file] eviltxt.exe (1.5 KiB): open it in the TCP Chat panel or with tcp-chat connect']);
    assert.deepEqual([formatSize(0), formatSize(1023), formatSize(10 * 1024 * 1024), formatSize(3 * 1024 ** 4)], ['0 B', '1023 B', '10.0 MiB', '3.0 TiB']);
  });

  it('drops every control character from chat text and expands tabs to the next stop of four', () => {
    assert.equal(sanitizeChatText('a\tb\u0000c\u0007d\u001be\u0085f\u007fg\r\nh'), 'a   bcdefg\nh');
    assert.equal(sanitizeChatText('\tx\tyy\tz'), '    x   yy  z');
  });

  it('never throws, and every line it writes is one well-formed PRIVMSG or NOTICE within 512 bytes', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '*', '_', '`', '\n', '\r', '\0', '\x01', '\x02', '\x03', '\u2028', ':', '/', 'é', '🎉', '\t', '#', '[', ']', '(', ')'), maxLength: 1500, size: 'large' });
    const caps = fc.subarray(['batch', 'draft/multiline', 'server-time', 'message-tags', 'account-tag']);
    fc.assert(
      fc.property(text, caps, fc.boolean(), (t, c, withSnippet) => {
        const snippet = withSnippet ? { lang: 'ts\n', file: 'a\r\nb.ts', startLine: 1, endLine: 2, code: t } : undefined;
        checkLines(chatMessageToIrc({ text: t, snippet, ts: TS }, plain({ caps: new Set(c), msgid: 'm', account: 'a' })));
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
    // The shared hostile texts (64 KiB lines, 10,000 combining marks, nested emphasis...), each once, both ways of sending.
    for (const p of HOSTILE_PAYLOADS) {
      checkLines(chatMessageToIrc({ text: p.text, ts: TS }, plain()));
      checkLines(chatMessageToIrc({ text: p.text, ts: TS }, plain({ caps: new Set(['batch', 'draft/multiline']) })));
    }

    function checkLines(out: IrcMessage[]): void {
        for (const line of wire(out)) {
          assert.ok(Buffer.byteLength(line.replace(/^@\S+ /, '')) + 2 <= MAX_BODY_BYTES);
          const m = (parseIrcMessage(line) as { message: IrcMessage }).message;
          assert.ok(['PRIVMSG', 'BATCH'].includes(m.command), m.command);
          if (m.command === 'PRIVMSG') {
            assert.equal(m.params.length, 2);
            const body = m.params[1];
            const ctcp = body.startsWith('\x01ACTION ') && body.endsWith('\x01') ? body.slice(8, -1) : body;
            assert.ok(!/[\x00\x01\x03-\x1c\x1e\x1f\x7f-\x9f]/.test(ctcp), `only bold and italics codes: ${JSON.stringify(body)}`); // eslint-disable-line no-control-regex
          }
        }
    }
  });
});

describe('chat → IRC: replies, reactions, edits and deletes', () => {
  const lookup: PeopleLookup = {
    nickOf: (n) => n.replace(/ /g, '_'),
    maskOf: (n) => `${n.replace(/ /g, '_')}!chat@tcp-chat`,
    accountOf: () => undefined,
    realnameOf: (n) => n,
    linesOf: (m) => chatLines(m),
    sharesChannel: () => true,
    awayOf: () => undefined,
    warn: (m) => assert.fail(m),
  };
  const original = (text: string, dm = false): ChatMessage => ({ type: 'message', id: 'a1', seq: 7, room: dm ? '@id-a,id-b' : 'general', sender: 'ann', text, ts: TS, ...(dm && { to: 'bob' }) });
  // Controls (IRC formatting codes too), line and paragraph separators, bidi embeddings, overrides and isolates, invisible spaces.
  const UNSAFE = /[\p{Cc}\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

  /** Every line serializes, fits 512 bytes, and its text holds nothing unsafe. */
  function checkLines(out: IrcMessage[], allowFormatting = false): void {
    for (const line of wire(out)) {
      assert.ok(Buffer.byteLength(line.replace(/^@\S+ /, '')) + 2 <= MAX_BODY_BYTES, line);
      const m = (parseIrcMessage(line) as { message: IrcMessage }).message;
      const text = m.params.slice(1).join(' ').replace(allowFormatting ? /[\x02\x1d]/g : /^$/, ''); // eslint-disable-line no-control-regex
      assert.ok(!UNSAFE.test(text), `nothing unsafe in ${JSON.stringify(line)}`);
      for (const v of Object.values(m.tags ?? {})) assert.ok(!UNSAFE.test(v), `nothing unsafe in a tag: ${JSON.stringify(v)}`);
    }
  }

  it('writes each change as its capability set expects it', () => {
    const m = original('lunch at noon?');
    const on = (change: UpdateChange, caps: string[], message = m) => wire(updateToIrc({ type: 'update', room: message.room, rev: 1, message, change }, new Set(caps), lookup));
    assert.deepEqual(on({ kind: 'react', by: 'bob', emoji: '👍', on: true }, ['message-tags']), ['@+draft/reply=7~Z2VuZXJhbA;+draft/react=👍 :bob!chat@tcp-chat TAGMSG :#general']);
    assert.deepEqual(on({ kind: 'react', by: 'bob', emoji: '👍', on: false }, []), [`:bob!chat@tcp-chat NOTICE #general :took back 👍 on ann's message: "lunch at noon?"`]);
    assert.deepEqual(on({ kind: 'delete', by: 'ann' }, ['message-tags', 'draft/message-redaction']), [':ann!chat@tcp-chat REDACT #general :7~Z2VuZXJhbA']);
    assert.deepEqual(on({ kind: 'delete', by: 'Op Er' }, ['draft/message-redaction']), [':Op_Er!chat@tcp-chat NOTICE #general :deleted a message from ann'], 'no msgids without message-tags');
    assert.deepEqual(on({ kind: 'edit', by: 'ann' }, []), [':ann!chat@tcp-chat NOTICE #general :[edit] lunch at noon?']);
    // In a direct conversation the line names the other person, as a PRIVMSG names its recipient.
    assert.deepEqual(on({ kind: 'react', by: 'bob', emoji: '🎉', on: true }, [], original('hi', true)), [`:bob!chat@tcp-chat NOTICE ann :reacted 🎉 to ann's message: "hi"`]);
    assert.deepEqual(on({ kind: 'edit', by: 'ann' }, [], original('hi', true)), [':ann!chat@tcp-chat NOTICE bob :[edit] hi']);
    assert.deepEqual(updateToIrc({ type: 'update', room: 'general', rev: 1, message: m }, new Set(), lookup), [], 'an update that does not say what changed says nothing');
  });

  it('never lets a quote, a reaction or an edit inject a line, a control or a bidi character, however long', () => {
    const hostile = fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '\r\n', '\0', '\x01', '\x02', '\x03', '\x7f', '\x85', '\u2028', '\u202e', '\u2066', '\u200b', '\ufeff', 'é', '🎉', '👍🏽', ':', '\t', 'QUIT'), maxLength: 4000, size: 'large' });
    const caps = fc.subarray(['message-tags', 'server-time', 'draft/message-redaction', 'batch', 'draft/multiline']);
    fc.assert(
      fc.property(hostile, hostile, caps, fc.constantFrom('react', 'edit', 'delete'), fc.boolean(), (text, emoji, c, kind, dm) => {
        const m = original(text, dm);
        const change: UpdateChange = kind === 'react' ? { kind, by: 'bob', emoji, on: true } : { kind, by: 'bob' };
        const lines = updateToIrc({ type: 'update', room: m.room, rev: 1, message: m, change }, new Set(c), lookup);
        assert.ok(lines.length <= 1, 'a change is at most one line');
        checkLines(lines);
        const reply = new IrcEncoder(new Set(c), lookup).message({ ...m, seq: 8, text: 'ok', replyTo: 7, reply: { seq: 7, sender: 'ann', excerpt: text } });
        checkLines(reply, true);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
    for (const p of HOSTILE_PAYLOADS) {
      const m = original(p.text);
      checkLines(updateToIrc({ type: 'update', room: 'general', rev: 1, message: m, change: { kind: 'edit', by: 'ann' } }, new Set(), lookup));
      checkLines(new IrcEncoder(new Set(), lookup).message({ ...m, seq: 8, text: 'ok', replyTo: 7, reply: { seq: 7, sender: 'ann', excerpt: p.text } }), true);
    }
  });
});

const people: NickDirectory = {
  nickOf: (name) => name.replace(/ /g, '_'),
  nameOf: (nick) => ({ bob: 'bob', ann_lee: 'Ann Lee' })[nick.toLowerCase()],
};
const ctx = { server: 'irc.test', nick: 'zed' };

function inbound(line: string, maxTargets = 4): IrcInbound[] {
  const r = parseIrcMessage(line);
  assert.ok(r.ok);
  return privmsgToChat(r.message, ctx, people, maxTargets);
}

function numerics(result: IrcInbound[]): string[] {
  return result.map((r) => (r.kind === 'error' ? `${r.reply.command} ${r.reply.params.slice(1, -1).join(' ')}`.trim() : r.kind));
}

describe('IRC → chat', () => {
  it('delivers to rooms and people, with IRC formatting as Markdown', () => {
    assert.deepEqual(inbound(`PRIVMSG #General,ann_lee :${IRC.bold}hi${IRC.bold} there`), [
      { kind: 'message', target: { room: 'general' }, text: '**hi** there', notice: false },
      { kind: 'message', target: { to: 'Ann Lee' }, text: '**hi** there', notice: false },
    ]);
  });

  it('answers bad input with the right numeric: 411, 412, 407, 403, 401', () => {
    assert.deepEqual(numerics(inbound('PRIVMSG')), ['411']);
    assert.deepEqual(numerics(inbound('PRIVMSG #general')), ['412']);
    assert.deepEqual(numerics(inbound('PRIVMSG #general :')), ['412']);
    assert.deepEqual(numerics(inbound(`PRIVMSG #general :${IRC.bold}${IRC.bold}`)), ['412'], 'formatting alone is no text');
    assert.deepEqual(numerics(inbound('PRIVMSG a,b,c :x', 2)), ['407 a,b,c']);
    assert.deepEqual(numerics(inbound('PRIVMSG #no.dots,nobody,bob :x')), ['403 #no.dots', '401 nobody', 'message']);
  });

  it('never replies to a NOTICE, and drops its bad targets silently', () => {
    assert.deepEqual(inbound('NOTICE nobody :x'), []);
    assert.deepEqual(inbound('NOTICE'), []);
    assert.deepEqual(inbound('NOTICE #general :hey'), [{ kind: 'message', target: { room: 'general' }, text: 'hey', notice: true }]);
  });

  it('sends each target once, whatever its case', () => {
    assert.equal(inbound('PRIVMSG #general,#GENERAL,BOB,bob :x').length, 2);
  });

  it('maps CTCP ACTION to /me, reports other CTCP apart, and escapes a typed "/me"', () => {
    assert.deepEqual(ircTextToChat('\x01ACTION waves\x01'), { kind: 'text', text: '/me waves' });
    assert.deepEqual(ircTextToChat('\x01ACTION waves'), { kind: 'text', text: '/me waves' }, 'the closing \\x01 is optional');
    assert.deepEqual(ircTextToChat('\x01VERSION\x01'), { kind: 'ctcp', command: 'VERSION', args: '' });
    assert.deepEqual(ircTextToChat('\x01DCC SEND evil.exe 1 2 3\x01'), { kind: 'ctcp', command: 'DCC', args: 'SEND evil.exe 1 2 3' });
    assert.deepEqual(ircTextToChat('/me is not an action here'), { kind: 'text', text: '\\/me is not an action here' });
    assert.deepEqual(ircTextToChat('\x01ACTION\x01'), { kind: 'empty' });
    assert.deepEqual(inbound('PRIVMSG bob :\x01PING 123\x01'), [{ kind: 'ctcp', target: { to: 'bob' }, command: 'PING', args: '123', notice: false }]);
  });

  it('carries a +draft/reply tag along as the message it answers', () => {
    assert.deepEqual(inbound('@+draft/reply=3~Z2VuZXJhbA PRIVMSG #general :yes'), [
      { kind: 'message', target: { room: 'general' }, text: 'yes', notice: false, replyTo: '3~Z2VuZXJhbA' },
    ]);
  });

  it('joins multiline batch lines with newlines', () => {
    assert.deepEqual(ircLinesToChat(['one', `${IRC.italic}two${IRC.italic}`, '']), { kind: 'text', text: 'one\n*two*\n' });
    assert.deepEqual(ircLinesToChat(['', ' ']), { kind: 'empty' });
  });

  it('reads JOIN lists with keys, JOIN 0, and names the bad channels', () => {
    assert.deepEqual(parseJoin(['#a,#B,#c', 'k1,,k3']), {
      kind: 'join',
      rooms: [
        { channel: '#a', room: 'a', key: 'k1' },
        { channel: '#B', room: 'b' },
        { channel: '#c', room: 'c', key: 'k3' },
      ],
    });
    assert.deepEqual(parseJoin(['0']), { kind: 'leave_all' });
    assert.equal(parseJoin([]), undefined);
    const bad = parseJoin(['general,#ok']);
    assert.ok(bad?.kind === 'join' && bad.rooms[0].problem !== undefined && bad.rooms[1].room === 'ok');
  });

  it('never throws, and what reaches the chat holds no control character and no unrequested action', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\x01', '\x02', '\x03', '4', ',', '\x0f', '\x1d', '\x16', '\x07', '\x1b', '/', 'm', 'e', '*', 'ACTION '), maxLength: 80, size: 'medium' });
    fc.assert(
      fc.property(fc.constantFrom('PRIVMSG', 'NOTICE'), fc.string({ unit: fc.constantFrom('#', 'a', 'b', 'o', ',', 'B'), maxLength: 12 }), text, (command, targets, t) => {
        const out = privmsgToChat({ command, params: [targets, t] }, ctx, people, 4);
        for (const r of out) {
          if (r.kind === 'error') assert.ok(serializeIrcMessage(r.reply).ok);
          if (r.kind === 'message') {
            assert.ok(!/[\x00-\x1f\x7f-\x9f]/.test(r.text), JSON.stringify(r.text)); // eslint-disable-line no-control-regex
            if (r.text.startsWith('/me ')) assert.ok(t.startsWith('\x01ACTION '), `only CTCP ACTION becomes /me: ${JSON.stringify(t)}`);
          }
        }
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it('a message makes the round trip chat → IRC → chat with its text intact', () => {
    // No run of spaces long enough to fill a whole split piece: a blank piece is not a message on IRC.
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '🎉', '.', '?', '-'), minLength: 1, maxLength: 1200, size: 'large' }).filter((s) => s.trim() !== '' && !/ {50}/.test(s));
    fc.assert(
      fc.property(text, (t) => {
        const lines = chatMessageToIrc({ text: t, ts: TS }, plain()).map((m) => m.params[1]);
        const back = lines.map((l) => ircTextToChat(l)).map((r) => (r.kind === 'text' ? r.text : `<${r.kind}>`)).join('');
        // All of it arrives, but for spaces at the very end that spilled into a piece of their own (not sent).
        for (const got of [lines.join(''), back]) assert.ok(t.startsWith(got) && t.slice(got.length).trim() === '', JSON.stringify(got));
        assert.equal(back.trimEnd(), t.trimEnd());
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});
