import * as assert from 'node:assert/strict';
import { IrcEncoder } from '../../src/engine/codecs/irc/ircEncoder';
import type { IrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import { msgidFor } from '../../src/engine/codecs/irc/messageRefs';
import type { ServerFrame } from '../../src/engine/protocol';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { ownedLineClient } from '../support/ownedIrcClients';

const ALL = ['server-time', 'message-tags', 'echo-message', 'batch', 'labeled-response', 'account-tag', 'extended-join', 'draft/chathistory', 'userhost-in-names', 'multi-prefix', 'setname'];

/** IRCv3 capabilities through the gateway, and each shared message written once per capability set. */
describe('IRC gateway capabilities', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const line = (ircPort: number, nick: string, caps: string[] = []) => ownedLineClient(h, ircPort, nick, caps);

  it('tags messages with time, msgid and the echo, and labels replies: one line, a batch, or ACK', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann', ALL);
    c.send('@label=L1 PRIVMSG #general :hello');
    const echo = await c.waitFor((m) => m.command === 'PRIVMSG');
    const stored = await jay.client.waitFor((f) => f.type === 'message');
    assert.equal(echo.tags?.label, 'L1');
    assert.equal(echo.tags?.msgid, msgidFor({ room: 'general', seq: stored.seq as number }));
    assert.equal(echo.tags?.time, stored.ts);
    assert.equal(echo.source, 'ann!~ann@irc');

    c.send('@label=L2 WHOIS jay');
    const open = await c.waitFor((m) => m.command === 'BATCH');
    assert.deepEqual([open.tags?.label, open.params[1]], ['L2', 'labeled-response']);
    const ref = open.params[0].slice(1);
    const inside = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${ref}`);
    assert.ok(inside.slice(0, -1).every((m) => m.tags?.batch === ref));
    assert.deepEqual(inside.filter((m) => /^\d+$/.test(m.command)).map((m) => m.command), ['311', '319', '312', '317', '318']);

    c.send('@label=L3 PING :x');
    const pong = await c.waitFor((m) => m.command === 'PONG');
    assert.equal(pong.tags?.label, 'L3');
    c.send('@label=L4 JOIN #general');
    const ack = await c.waitFor((m) => m.command === 'ACK');
    assert.equal(ack.tags?.label, 'L4', 'a command with no reply is acknowledged');

    jay.client.send({ type: 'message', id: 'j1', text: 'from jay' });
    const fromJay = await c.waitFor((m) => m.command === 'PRIVMSG' && m.source?.startsWith('jay!') === true);
    assert.ok(fromJay.tags?.time && fromJay.tags.msgid);
    assert.equal(fromJay.tags.label, undefined);
  });

  it('echoes each message to its sender in its place in the room, among messages from others sent at the same time', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const ann = await line(ircPort, 'ann', ['echo-message']);
    const bob = await line(ircPort, 'bob', ['echo-message']);
    const carl = await line(ircPort, 'carl');
    ann.send('PRIVMSG #general :a1', 'PRIVMSG #general :a2', 'PRIVMSG #general :a3');
    bob.send('PRIVMSG #general :b1', 'PRIVMSG #general :b2');
    const texts = ['a1', 'a2', 'a3', 'b1', 'b2'];
    // The room's order is the order of seqs, as the JSON client gets them.
    const room: string[] = [];
    while (room.length < texts.length) room.push(String((await jay.client.waitFor((f) => f.type === 'message' && texts.includes(String(f.text)))).text));
    const privmsgs = async (c: IrcLineClient): Promise<{ from: string; text: string }[]> => {
      const got: { from: string; text: string }[] = [];
      while (got.length < texts.length) {
        const m = await c.waitFor((l) => l.command === 'PRIVMSG' && texts.includes(l.params[1]));
        got.push({ from: m.source?.split('!')[0] ?? '', text: m.params[1] });
      }
      return got;
    };
    const fromOf = (t: string): string => (t.startsWith('a') ? 'ann' : 'bob');
    const everything = room.map((text) => ({ from: fromOf(text), text }));
    assert.deepEqual(await privmsgs(ann), everything, 'ann: her own three in their places');
    assert.deepEqual(await privmsgs(bob), everything, 'bob: his own two in their places');
    assert.deepEqual(await privmsgs(carl), everything, 'carl (no echo-message) gets them all once');
  });

  it('labeled-response: the echo carries the label and comes once, several replies come in one labeled batch, no reply is ACK', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann', ALL);
    const quiet = await line(ircPort, 'quiet', ['labeled-response', 'batch', 'message-tags']);
    /** Every line up to the answer to an unlabeled PING sent now: what the server sent before it, in order. */
    const upToPong = async (who: IrcLineClient): Promise<IrcMessage[]> => {
      who.send('PING :mark');
      return (await who.until((m) => m.command === 'PONG')).slice(0, -1);
    };
    const labeledBatch = async (label: string): Promise<IrcMessage[]> => {
      const open = await c.waitFor((m) => m.command === 'BATCH' && m.params[0].startsWith('+') && m.tags?.label === label);
      assert.equal(open.params[1], 'labeled-response');
      const ref = open.params[0].slice(1);
      const inside = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${ref}`);
      assert.ok(inside.slice(0, -1).every((m) => m.tags?.batch === ref && m.tags.label === undefined), 'the label is on the batch only');
      return inside.slice(0, -1);
    };

    // A direct message with echo-message: one echo, labeled.
    c.send('@label=dm PRIVMSG jay :psst');
    await jay.client.waitFor((f) => f.type === 'message' && f.text === 'psst');
    const dmLines = (await upToPong(c)).filter((m) => m.command === 'PRIVMSG' || m.command === 'ACK');
    assert.deepEqual(dmLines.map((m) => [m.command, m.tags?.label, ...m.params]), [['PRIVMSG', 'dm', 'jay', 'psst']]);
    // A room message: the same.
    c.send('@label=room PRIVMSG #general :hello all');
    await jay.client.waitFor((f) => f.type === 'message' && f.text === 'hello all');
    const roomLines = (await upToPong(c)).filter((m) => m.command === 'PRIVMSG' || m.command === 'ACK');
    assert.deepEqual(roomLines.map((m) => [m.command, m.tags?.label, ...m.params]), [['PRIVMSG', 'room', '#general', 'hello all']]);

    // Two targets: two echoes, in one labeled batch.
    c.send('@label=two PRIVMSG #general,jay :to both');
    assert.deepEqual((await labeledBatch('two')).map((m) => [m.command, m.params[0]]), [['PRIVMSG', '#general'], ['PRIVMSG', 'jay']]);
    // A long message the server splits: its pieces in one labeled batch.
    c.send(`@label=long PRIVMSG #general :${'word '.repeat(97).trim()}`);
    const pieces = await labeledBatch('long');
    assert.ok(pieces.length > 1 && pieces.every((m) => m.command === 'PRIVMSG'));
    assert.equal((await upToPong(c)).filter((m) => m.command === 'PRIVMSG').length, 0, 'no unlabeled copy after the batch');

    // No reply at all: ACK. Without echo-message a message has none; neither does PONG.
    quiet.send('@label=q1 PRIVMSG #general :no echo for me', '@label=q2 PONG :irc.tcp-chat', '@label=q3 NOTICE jay :psst');
    for (const label of ['q1', 'q2', 'q3']) {
      const ack = await quiet.waitFor((m) => m.tags?.label === label);
      assert.deepEqual([ack.command, ack.params], ['ACK', []], label);
    }
    // An error is the labeled reply.
    c.send('@label=err PRIVMSG nobody :hi');
    const err = await c.waitFor((m) => m.tags?.label === 'err');
    assert.equal(err.command, '401');

    // A multiline batch is one command: labeled on its opening line, answered (no ACK before) when it closes.
    const ml = await line(ircPort, 'ml', ['batch', 'draft/multiline', 'message-tags', 'echo-message', 'labeled-response']);
    ml.send('@label=ml BATCH +x draft/multiline #general', '@batch=x PRIVMSG #general :one', '@batch=x PRIVMSG #general :two', 'BATCH -x');
    const mlLines = await upToPong(ml);
    assert.deepEqual(mlLines.filter((m) => m.tags?.label !== undefined || m.command === 'ACK').map((m) => [m.command, m.tags?.label, ...m.params]), [['BATCH', 'ml', mlLines[0].params[0], 'labeled-response']]);
    assert.deepEqual(mlLines.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]), ['one', 'two']);
    assert.equal(mlLines.at(-1)?.params[0], `-${mlLines[0].params[0].slice(1)}`, 'the echo inside the labeled batch');
    ml.send('@label=bad BATCH +y draft/multiline #nowhere', '@batch=y PRIVMSG #nowhere :lost', 'BATCH -y');
    const failed = (await upToPong(ml)).filter((m) => m.tags?.label !== undefined || m.command === 'ACK');
    assert.deepEqual(failed.map((m) => [m.command, m.tags?.label, m.params[1]]), [['404', 'bad', '#nowhere']]);
  });

  it('encodes each room message once per capability set, however many IRC people get it', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const plain = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((n) => line(ircPort, n)));
    const timed = await Promise.all(['t1', 't2', 't3', 't4'].map((n) => line(ircPort, n, ['server-time'])));
    const seen = new Map<IrcEncoder, number>();
    const original = IrcEncoder.prototype.encode;
    IrcEncoder.prototype.encode = function (this: IrcEncoder, frame: ServerFrame) {
      if (frame.type === 'message') seen.set(this, (seen.get(this) ?? 0) + 1);
      return original.call(this, frame);
    };
    h.own(() => {
      IrcEncoder.prototype.encode = original;
    });
    jay.client.send({ type: 'message', id: 'a', text: 'one' });
    jay.client.send({ type: 'message', id: 'b', text: 'two' });
    for (const c of [...plain, ...timed]) {
      for (const text of ['one', 'two']) await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === text);
    }
    assert.deepEqual([...seen.values()], [2, 2], 'two encoders, each wrote each message once');
    assert.ok(timed.every((c) => c.raw.some((l) => l.startsWith('@time=') && l.endsWith(' :two'))));
    assert.ok(plain.every((c) => c.raw.every((l) => !l.startsWith('@'))));
  });

  it('splits long lines at UTF-8 boundaries within 512 bytes, and sends multi-line messages as lines or a multiline batch', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const plain = await line(ircPort, 'plain');
    const ml = await line(ircPort, 'ml', ['batch', 'draft/multiline', 'message-tags']);
    const long = 'żółw '.repeat(300).trim();
    jay.client.send({ type: 'message', id: 'long', text: long });
    const pieces = await plain.until((m) => m.command === 'PRIVMSG' && m.params[1].endsWith('żółw') && plain.received.indexOf(m) >= 0 && m.params[1].length < 400);
    const texts = pieces.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]);
    assert.ok(texts.length > 1, 'split');
    assert.equal(texts.join(''), long, 'nothing lost, no character cut');
    assert.ok(plain.raw.every((l) => Buffer.byteLength(l) + 2 <= 512));

    jay.client.send({ type: 'message', id: 'multi', text: 'first\n\nthird' });
    assert.equal((await plain.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'first')).params[0], '#general');
    await plain.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'third');
    const third = await ml.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'third');
    const ref = third.tags?.batch;
    assert.ok(ref, 'inside a batch');
    assert.ok(ml.received.some((m) => m.command === 'BATCH' && m.params[0] === `+${ref}` && m.params[1] === 'draft/multiline'), 'a multiline batch');
    assert.deepEqual([...ml.received.filter((m) => m.tags?.batch === ref).map((m) => m.params[1]), 'third'], ['first', '', 'third'], 'blank lines kept inside the batch');
  });

  it('takes a client multiline batch as one chat message, and /me both ways', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann', ['batch', 'draft/multiline', 'message-tags', 'echo-message']);
    c.send('BATCH +x draft/multiline #general', '@batch=x PRIVMSG #general :line one', '@batch=x PRIVMSG #general :line two', '@batch=x;draft/multiline-concat PRIVMSG #general : continued', 'BATCH -x');
    const m = await jay.client.waitFor((f) => f.type === 'message' && f.sender === 'ann');
    assert.equal(m.text, 'line one\nline two continued');
    c.send('PRIVMSG #general :\x01ACTION waves\x01');
    assert.equal((await jay.client.waitFor((f) => f.type === 'message' && f.sender === 'ann')).text, '/me waves');
    jay.client.send({ type: 'message', id: 'me', text: '/me nods' });
    assert.equal((await c.waitFor((x) => x.command === 'PRIVMSG' && x.source?.startsWith('jay!') === true)).params[1], '\x01ACTION nods\x01');
    c.send('BATCH +y draft/multiline #general', '@batch=y PRIVMSG #elsewhere :wrong target', 'BATCH -y');
    assert.equal((await c.waitFor((x) => x.command === 'FAIL')).params[1], 'MULTILINE_INVALID_TARGET');
  });

  it('shows a snippet as a header and its lines, a file as a NOTICE, and lets no CR, LF or NUL through', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann');
    jay.client.send({ type: 'message', id: 's', text: 'look:', snippet: { lang: 'typescript', file: 'hello.ts', startLine: 3, endLine: 4, code: 'function hi() {\n\treturn 1;' } });
    await c.waitFor((m) => m.params[1] === 'look:');
    await c.waitFor((m) => m.params[1] === '[snippet hello.ts:3-4 typescript]');
    await c.waitFor((m) => m.params[1] === 'function hi() {');
    await c.waitFor((m) => m.params[1] === '    return 1;');
    jay.client.send({ type: 'file_offer', id: 'f', name: 'report.pdf', size: 1536, sha256: 'a'.repeat(64) });
    const notice = await c.waitFor((m) => m.command === 'NOTICE' && m.source?.startsWith('jay!') === true);
    assert.equal(notice.params[0], '#general');
    assert.match(notice.params[1], /^\[file\] report\.pdf \(1\.5 KiB\): open it in the TCP Chat panel/);
    jay.client.send({ type: 'message', id: 'evil', text: 'a\r\nQUIT :pwned\rJOIN #x\u0000\u0001DCC SEND x\u0001 end' });
    await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1].includes('end'));
    // eslint-disable-next-line no-control-regex
    assert.ok(c.raw.every((l) => !/[\0\r\x01]/.test(l)), 'no NUL, CR or CTCP marker inside a line');
    assert.ok(!c.raw.some((l) => /^(:\S+ )?(QUIT|JOIN #x)/.test(l)), 'text never became a command');
  });

  it('serves CHATHISTORY from the store by msgid and by timestamp', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    for (let i = 1; i <= 6; i++) {
      jay.client.send({ type: 'message', id: `h${i}`, text: `m${i}` });
      await jay.client.waitFor((f) => f.type === 'message' && f.id === `h${i}`);
    }
    const c = await line(ircPort, 'ann', ['batch', 'server-time', 'message-tags', 'draft/chathistory']);
    const page = async (cmd: string): Promise<string[]> => {
      c.send(cmd);
      const open = await c.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'chathistory');
      const ref = open.params[0].slice(1);
      const lines = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${ref}`);
      return lines.filter((m) => m.command === 'PRIVMSG' && m.tags?.batch === ref).map((m) => m.params[1]);
    };
    assert.deepEqual(await page('CHATHISTORY LATEST #general * 3'), ['m4', 'm5', 'm6']);
    const id3 = msgidFor({ room: 'general', seq: 3 });
    assert.deepEqual(await page(`CHATHISTORY BEFORE #general msgid=${id3} 10`), ['m1', 'm2']);
    assert.deepEqual(await page(`CHATHISTORY AFTER #general msgid=${id3} 2`), ['m4', 'm5']);
    assert.deepEqual(await page(`CHATHISTORY AROUND #general msgid=${id3} 3`), ['m2', 'm3', 'm4']);
    assert.deepEqual(await page(`CHATHISTORY BETWEEN #general msgid=${msgidFor({ room: 'general', seq: 1 })} msgid=${msgidFor({ room: 'general', seq: 5 })} 10`), ['m2', 'm3', 'm4']);
    assert.deepEqual(await page(`CHATHISTORY LATEST #general msgid=${msgidFor({ room: 'general', seq: 4 })} 10`), ['m5', 'm6']);
    jay.client.send({ type: 'history', id: 'q', room: 'general', limit: 10 });
    const all = (await jay.client.waitFor((f) => f.type === 'history')).messages as Array<{ ts: string; text: string }>;
    const t4 = all.find((m) => m.text === 'm4')!.ts;
    // Messages sent within one millisecond share a time: the expected pages follow the stored times.
    const at = (t: string) => Date.parse(t);
    assert.deepEqual(await page(`CHATHISTORY AFTER #general timestamp=${t4} 10`), all.filter((m) => at(m.ts) > at(t4)).map((m) => m.text));
    assert.deepEqual(await page(`CHATHISTORY BEFORE #general timestamp=${t4} 10`), all.filter((m) => at(m.ts) < at(t4)).map((m) => m.text));
    const first = all[0].ts;
    assert.deepEqual(await page(`CHATHISTORY BEFORE #general timestamp=${first} 10`), [], 'nothing is older than the first');
    c.send('CHATHISTORY LATEST #secret * 10');
    assert.equal((await c.waitFor((m) => m.command === 'FAIL')).params[1], 'INVALID_TARGET');
    c.send(`CHATHISTORY BEFORE #general msgid=${msgidFor({ room: 'other', seq: 1 })} 10`);
    assert.equal((await c.waitFor((m) => m.command === 'FAIL')).params[1], 'INVALID_MSGREFTYPE');
  });

  it('replays recent history on join to a client with server-time, with the stored times', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    jay.client.send({ type: 'message', id: 'old', text: 'said before you came' });
    const stored = await jay.client.waitFor((f) => f.type === 'message');
    const c = await IrcLineClient.connect(ircPort);
    h.own(() => c.close());
    c.send('CAP LS 302', 'CAP REQ :server-time batch', 'NICK ann', 'USER ann 0 * :Ann', 'CAP END');
    const replay = await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'said before you came');
    assert.equal(replay.tags?.time, stored.ts);
    assert.ok(replay.tags?.batch, 'inside a chathistory batch');
  });
});
