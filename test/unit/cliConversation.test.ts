import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import { MessageLines, describeUpdate, quoteLine, reactionsLine } from '../../src/cli/messageLines';
import { parseCommand } from '../../src/cli/parseCommand';
import { ensureCliBuilt, spawnCli, waitForOutput } from '../support/cliProcess';
import { Harness } from '../support/harness';

describe('Terminal client: /reply, /react, /edit, /delete by the number beside each message', function () {
  this.timeout(60_000);
  const h = new Harness();
  before(() => ensureCliBuilt());
  afterEach(() => h.cleanup());

  it('numbers messages, and acts on the numbered one over a real server', async () => {
    const { port } = await h.server();
    const bob = (await h.raw(port, 'bob')).client;
    const p = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'alice'], true);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    await waitForOutput(p, /\* \d+ online: /, 15_000);
    const shown = waitForOutput(p, /\[(\d+)\] \d\d:\d\d <bob \(guest\)> ship it\?/, 10_000);
    bob.send({ type: 'message', id: 'b1', room: 'general', text: 'ship it?' });
    const n = (await shown)[1];
    const b1 = await bob.waitFor((f) => f.type === 'message' && f.id === 'b1');

    p.stdin!.write(`/react ${n} 👍\n`);
    const reacted = await bob.waitFor((f) => f.type === 'update');
    assert.deepEqual((reacted.message as ChatMessage).reactions, [{ emoji: '👍', count: 1, people: ['alice'] }]);

    const quoted = waitForOutput(p, new RegExp(`↪ \\[${n}\\] bob: ship it\\?\\r?\\n\\[(\\d+)\\] \\d\\d:\\d\\d <alice> yes, today`), 10_000);
    p.stdin!.write(`/reply [${n}] yes, today\n`);
    const reply = await bob.waitFor((f) => f.type === 'message' && f.text === 'yes, today');
    assert.equal(reply.replyTo, b1.seq);
    const mine = (await quoted)[1];

    const refused = waitForOutput(p, new RegExp(`! \\[${n}\\] is not your message`), 10_000);
    p.stdin!.write(`/edit ${n} not mine to edit\n`);
    await refused;

    const edited = waitForOutput(p, new RegExp(`\\* \\[${n}\\] bob edited: ship it now\\? \\(edited\\)`), 10_000);
    bob.send({ type: 'edit', id: 'e1', room: 'general', seq: b1.seq, text: 'ship it now?' });
    await edited;

    const deleted = waitForOutput(p, new RegExp(`\\* \\[${mine}\\] alice's message was deleted`), 10_000);
    p.stdin!.write(`/delete ${mine}\n`);
    const gone = await bob.waitFor((f) => f.type === 'update' && (f.message as ChatMessage).deleted === true);
    assert.equal((gone.message as ChatMessage).seq, reply.seq);
    await deleted;

    const notHere = waitForOutput(p, /! no message \[999\] here/, 10_000);
    p.stdin!.write('/react 999 👍\n');
    await notHere;
    const serverSays = waitForOutput(p, /! .*deleted.* \(bad_target\)/, 10_000);
    p.stdin!.write(`/react ${mine} 👍\n`);
    await serverSays;
    p.stdin!.end();
  });
});

describe('Terminal client: message lines', () => {
  const msg = (over: Partial<ChatMessage>): ChatMessage => ({ type: 'message', id: 'x', seq: 1, room: 'general', sender: 'bob', text: 'hi', ts: '2026-01-01T00:00:00.000Z', ...over });

  it('parses the commands that take a message number', () => {
    assert.deepEqual(parseCommand('/reply 12 sounds good'), { kind: 'reply', n: 12, text: 'sounds good' });
    assert.deepEqual(parseCommand('/reply [12] sounds good'), { kind: 'reply', n: 12, text: 'sounds good' });
    assert.deepEqual(parseCommand('/react 3 👍'), { kind: 'react', n: 3, emoji: '👍', on: true });
    assert.deepEqual(parseCommand('/react 3 off 👍'), { kind: 'react', n: 3, emoji: '👍', on: false });
    assert.deepEqual(parseCommand('/edit 4 fixed text'), { kind: 'edit', n: 4, text: 'fixed text' });
    assert.deepEqual(parseCommand('/delete 5'), { kind: 'delete', n: 5 });
    for (const line of ['/reply', '/reply 12', '/reply x hi', '/react 3', '/react x 👍', '/react 3 off', '/edit 4', '/delete', '/delete 5 now', '/delete -1']) {
      assert.equal(parseCommand(line).kind, 'usage', line);
    }
  });

  it('gives each (room, seq) one number for the session, whatever room is current', () => {
    const lines = new MessageLines();
    const a = lines.number(msg({ seq: 7 }));
    const b = lines.number(msg({ seq: 7, room: 'dev' }));
    assert.notEqual(a, b);
    assert.equal(lines.number(msg({ seq: 7, text: 'edited' })), a);
    assert.equal(lines.find(a)?.text, 'edited');
    assert.equal(lines.numberIfSeen('dev', 7), b);
    assert.equal(lines.numberIfSeen('dev', 8), undefined);
  });

  it('keeps hostile quotes and reaction names from repainting the terminal', () => {
    const hostile = 'evil\u001b[2J\u001b]0;pwned\u0007\u202eright-to-left';
    const q = quoteLine(msg({ seq: 2, replyTo: 1, reply: { seq: 1, sender: hostile, excerpt: `line one\n${hostile}` } }), () => 1);
    // eslint-disable-next-line no-control-regex -- control characters are what must not get through
    assert.ok(q && !/[\u0000-\u001f\u202e]/.test(q), JSON.stringify(q));
    const r = reactionsLine([{ emoji: '👍', count: 2, people: [hostile, 'carol'] }]);
    // eslint-disable-next-line no-control-regex -- control characters are what must not get through
    assert.ok(r && !/[\u0000-\u001f\u202e]/.test(r), JSON.stringify(r));
    assert.equal(quoteLine(msg({ replyTo: 1, reply: { seq: 1, sender: 'bob', deleted: true } }), () => undefined), '  ↪ (message deleted)');
    assert.equal(describeUpdate(3, msg({ deleted: true, text: '' }), msg({})), "* [3] bob's message was deleted");
    assert.equal(describeUpdate(3, msg({ reactions: [{ emoji: ':tada:', count: 1, people: ['al'] }] }), msg({})), '* [3] reactions: :tada: 1 (al)');
  });
});
