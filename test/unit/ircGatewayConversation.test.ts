import * as assert from 'node:assert/strict';
import { ChatClient } from '../../src/engine/client/chatClient';
import { msgidFor } from '../../src/engine/codecs/irc/messageRefs';
import type { IrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import type { ChatMessage } from '../../src/engine/protocol';
import { Harness, nextEvent } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { ownedFrameworkClient, ownedLineClient } from '../support/ownedIrcClients';

const WAIT = 10_000;

/**
 * Replies, reactions, edits and deletes (issue 15) through the IRC gateway,
 * over real sockets: irc-framework (message-tags, echo-message,
 * draft/message-redaction) and a line client without capabilities on one
 * side, the engine's ChatClient (what the panel runs) on the other.
 */
describe('IRC gateway: replies, reactions, edits and deletes', function () {
  this.timeout(40_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function chat(port: number, name: string): Promise<ChatClient> {
    const c = h.chatClient(port, name);
    await c.connect();
    return c;
  }

  const framework = (ircPort: number, nick: string) => ownedFrameworkClient(h, ircPort, nick, { caps: ['echo-message', 'draft/message-redaction'] });

  const line = (ircPort: number, nick: string, caps: string[] = []) => ownedLineClient(h, ircPort, nick, caps);

  /** alice on the panel's client (first in #general, so its operator), bob on irc-framework, carol on IRC with no capabilities. */
  async function room() {
    const { port, ircPort } = await gatewayServer(h);
    const alice = await chat(port, 'alice');
    const bob = await framework(ircPort, 'bob');
    const carol = await line(ircPort, 'carol');
    return { port, ircPort, alice, bob, carol };
  }

  /** Send from the chat side and resolve with the message as stored (its seq). */
  async function say(c: ChatClient, text: string, target: { room?: string; replyTo?: number } = {}): Promise<ChatMessage> {
    const id = c.send(text, target);
    return nextEvent(c.onMessage, (m) => m.id === id, WAIT);
  }

  /** A line from `nick` with this command, waited for. */
  function from(c: IrcLineClient, nick: string, command: string, match: (m: IrcMessage) => boolean = () => true): Promise<IrcMessage> {
    return c.waitFor((m) => m.command === command && m.source?.split('!')[0] === nick && match(m), WAIT);
  }

  function fail(c: IrcLineClient, command: string): Promise<IrcMessage> {
    return c.waitFor((m) => m.command === 'FAIL' && m.params[0] === command, WAIT);
  }

  it('carries a reply both ways by msgid, and quotes the original for a client without message-tags', async () => {
    const { alice, bob, carol } = await room();
    const question = await say(alice, 'shall we ship on Friday?');
    const asked = await bob.waitFor('privmsg', (e) => e.nick === 'alice' && e.message === 'shall we ship on Friday?');
    const msgid = (asked.tags as Record<string, string>).msgid;
    assert.equal(msgid, msgidFor({ room: 'general', seq: question.seq }));

    const answered = nextEvent(alice.onMessage, (m) => m.sender === 'bob', WAIT);
    bob.client.say('#general', 'yes', { '+draft/reply': msgid });
    const answer = await answered;
    assert.equal(answer.replyTo, question.seq, 'the IRC reply answers the message its tag names');
    assert.deepEqual(answer.reply, { seq: question.seq, sender: 'alice', excerpt: 'shall we ship on Friday?' });
    assert.equal((await from(carol, 'bob', 'PRIVMSG')).params[1], '(re alice: "shall we ship on Friday?") yes');

    const back = await say(alice, 'great, Friday it is', { replyTo: answer.seq });
    const seen = await bob.waitFor('privmsg', (e) => e.nick === 'alice' && e.message === 'great, Friday it is');
    assert.equal((seen.tags as Record<string, string>)['+draft/reply'], msgidFor({ room: 'general', seq: answer.seq }));
    assert.equal((seen.tags as Record<string, string>).msgid, msgidFor({ room: 'general', seq: back.seq }));
    assert.equal((await from(carol, 'alice', 'PRIVMSG', (x) => x.params[1].includes('Friday it is'))).params[1], '(re bob: "yes") great, Friday it is');

    // A tag naming a message of another conversation is not a reply here: the message goes out as it would without it.
    const plain = nextEvent(alice.onMessage, (m) => m.sender === 'bob', WAIT);
    bob.client.say('#general', 'unrelated', { '+draft/reply': msgidFor({ room: 'dev', seq: question.seq }) });
    assert.equal((await plain).replyTo, undefined);
  });

  it('carries a reply on a draft/multiline batch both ways: the tag rides on the BATCH line', async () => {
    const { alice, ircPort } = await room();
    const dan = await line(ircPort, 'dan', ['batch', 'draft/multiline', 'message-tags']);
    const question = await say(alice, 'what changed?');
    const msgid = msgidFor({ room: 'general', seq: question.seq });
    const answered = nextEvent(alice.onMessage, (m) => m.sender === 'dan', WAIT);
    dan.send(`@+draft/reply=${msgid} BATCH +r draft/multiline #general`, '@batch=r PRIVMSG #general :two things', '@batch=r PRIVMSG #general :both small', 'BATCH -r');
    const answer = await answered;
    assert.deepEqual([answer.text, answer.replyTo], ['two things\nboth small', question.seq]);

    await say(alice, 'which?\nname them', { replyTo: answer.seq });
    const open = await from(dan, 'alice', 'BATCH');
    assert.equal(open.tags?.['+draft/reply'], msgidFor({ room: 'general', seq: answer.seq }));
  });

  it('carries reactions both ways: TAGMSG with message-tags, a readable NOTICE without', async () => {
    const { alice, bob, carol } = await room();
    const m = await say(alice, 'lunch at noon?');
    const msgid = msgidFor({ room: 'general', seq: m.seq });

    const reacted = nextEvent(alice.onUpdate, (u) => u.seq === m.seq, WAIT);
    bob.client.tagmsg('#general', { '+draft/reply': msgid, '+draft/react': '👍🏽' });
    assert.deepEqual((await reacted).reactions, [{ emoji: '👍🏽', count: 1, people: ['bob'] }]);
    assert.equal((await from(carol, 'bob', 'NOTICE')).params.join(' '), `#general reacted 👍🏽 to alice's message: "lunch at noon?"`);

    const taken = nextEvent(alice.onUpdate, (u) => u.seq === m.seq, WAIT);
    bob.client.tagmsg('#general', { '+draft/reply': msgid, '+draft/unreact': '👍🏽' });
    assert.equal((await taken).reactions, undefined, 'taken back');
    assert.equal((await from(carol, 'bob', 'NOTICE')).params[1], `took back 👍🏽 on alice's message: "lunch at noon?"`);

    // From the panel to IRC.
    const mine = nextEvent(alice.onMessage, (x) => x.sender === 'bob', WAIT);
    bob.say('#general', 'noon works');
    const bobs = await mine;
    alice.react('general', bobs.seq, '🎉');
    const tag = await bob.waitFor('tagmsg', (e) => e.nick === 'alice' && e.target === '#general');
    const tags = tag.tags as Record<string, string>;
    assert.deepEqual([tags['+draft/reply'], tags['+draft/react']], [msgidFor({ room: 'general', seq: bobs.seq }), '🎉']);
    assert.equal((await from(carol, 'alice', 'NOTICE')).params[1], `reacted 🎉 to bob's message: "noon works"`);
  });

  it('refuses a bad reaction with FAIL, and one to a message the client cannot see exactly as one to no message', async () => {
    const { alice, ircPort } = await room();
    const dan = await line(ircPort, 'dan', ['message-tags']);
    const m = await say(alice, 'in general');
    const msgid = msgidFor({ room: 'general', seq: m.seq });
    dan.send(`@+draft/reply=${msgid};+draft/react=lol TAGMSG #general`);
    assert.deepEqual((await fail(dan, 'TAGMSG')).params.slice(0, 3), ['TAGMSG', 'INVALID_REACTION', '#general']);

    alice.join('secret');
    await nextEvent(alice.onJoined, (j) => j.room === 'secret', WAIT);
    const hidden = await say(alice, 'only for #secret', { room: 'secret' });
    dan.send(`@+draft/reply=${msgidFor({ room: 'secret', seq: hidden.seq })};+draft/react=👀 TAGMSG #secret`);
    const notVisible = await fail(dan, 'TAGMSG');
    dan.send(`@+draft/reply=${msgidFor({ room: 'secret', seq: 999 })};+draft/react=👀 TAGMSG #secret`);
    const missing = await fail(dan, 'TAGMSG');
    assert.equal(notVisible.params[1], 'UNKNOWN_MSGID');
    const answer = (f: IrcMessage) => [f.params[1], f.params[2], f.params.at(-1)];
    assert.deepEqual(answer(notVisible), answer(missing), 'the same answer');
  });

  it('holds IRC reactions to the panel\'s limits: distinct emoji per message, and the message rate', async () => {
    const { port, ircPort } = await gatewayServer(h, { rate: 0.01, burst: 25 });
    const alice = await chat(port, 'alice');
    const dan = await line(ircPort, 'dan', ['message-tags']);
    const m = await say(alice, 'vote!');
    const msgid = msgidFor({ room: 'general', seq: m.seq });
    const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩'];
    for (const e of emoji) dan.send(`@+draft/reply=${msgid};+draft/react=${e} TAGMSG #general`);
    const cap = await fail(dan, 'TAGMSG');
    assert.deepEqual(cap.params.slice(0, 4), ['TAGMSG', 'TOO_MANY_REACTIONS', '#general', msgid], 'the 21st distinct emoji');
    for (let i = 0; i < 5; i++) dan.send(`@+draft/reply=${msgid};+draft/unreact=${emoji[i]} TAGMSG #general`);
    assert.deepEqual((await fail(dan, 'TAGMSG')).params.slice(0, 2), ['TAGMSG', 'RATE_LIMITED'], 'charged like messages');
  });

  it('REDACT by the author deletes the message: JSON clients get the delete, IRC clients REDACT or a NOTICE, history no text', async () => {
    const { alice, bob, carol, ircPort } = await room();
    const posted = nextEvent(alice.onMessage, (x) => x.sender === 'bob', WAIT);
    bob.say('#general', 'my password is hunter2');
    const m = await posted;
    const echo = await bob.waitFor('privmsg', (e) => e.nick === 'bob' && e.message === 'my password is hunter2');
    const msgid = (echo.tags as Record<string, string>).msgid;
    assert.equal(msgid, msgidFor({ room: 'general', seq: m.seq }), 'the echo names the message');

    const deleted = nextEvent(alice.onUpdate, (u) => u.seq === m.seq, WAIT);
    bob.client.raw(`REDACT #general ${msgid} :oops`);
    const gone = await deleted;
    assert.deepEqual([gone.deleted, gone.text], [true, '']);
    const redact = await bob.waitFor('unknown command', (e) => e.command === 'REDACT');
    assert.deepEqual(redact.params, ['#general', msgid]);
    assert.equal((await from(carol, 'bob', 'NOTICE')).params[1], 'deleted a message');

    const history = await alice.history('general');
    assert.deepEqual(history.messages.filter((x) => x.seq === m.seq).map((x) => [x.text, x.deleted]), [['', true]]);
    const reader = await line(ircPort, 'reader', ['draft/chathistory', 'batch', 'message-tags']);
    reader.send('CHATHISTORY LATEST #general * 50');
    const page = await reader.until((x) => x.command === 'BATCH' && x.params[0].startsWith('-'), WAIT);
    assert.ok(!reader.raw.some((l) => l.includes('hunter2')), 'CHATHISTORY does not replay a deleted message');
    assert.ok(!page.some((x) => x.tags?.msgid === msgid));
  });

  it('REDACT by a stranger earns FAIL REDACT_FORBIDDEN and deletes nothing; a room operator may', async () => {
    const { alice, bob, ircPort } = await room();
    const mallory = await line(ircPort, 'mallory', ['message-tags', 'draft/message-redaction']);
    const m = await say(alice, 'the plan');
    const msgid = msgidFor({ room: 'general', seq: m.seq });
    mallory.send(`REDACT #general ${msgid} :mine now`);
    assert.deepEqual((await fail(mallory, 'REDACT')).params.slice(0, 4), ['REDACT', 'REDACT_FORBIDDEN', '#general', msgid]);
    mallory.send(`REDACT #general ${msgidFor({ room: 'general', seq: 999 })}`);
    assert.deepEqual((await fail(mallory, 'REDACT')).params.slice(0, 2), ['REDACT', 'UNKNOWN_MSGID']);
    mallory.send(`REDACT #elsewhere ${msgid}`);
    assert.deepEqual((await fail(mallory, 'REDACT')).params.slice(0, 2), ['REDACT', 'UNKNOWN_MSGID'], 'a msgid of another room');
    mallory.send(`REDACT #Bad!name ${msgid}`);
    assert.deepEqual((await fail(mallory, 'REDACT')).params.slice(0, 3), ['REDACT', 'INVALID_TARGET', '#Bad!name']);
    mallory.send('REDACT #general');
    assert.deepEqual((await fail(mallory, 'REDACT')).params.slice(0, 2), ['REDACT', 'NEED_MORE_PARAMS']);
    const [kept] = (await alice.history('general', { after: m.seq - 1, limit: 1 })).messages;
    assert.equal(kept.text, 'the plan', 'nothing was deleted');

    // bob makes #ops, so operates it; alice writes there, and bob deletes it as its operator.
    await bob.join('#ops');
    alice.join('ops');
    await nextEvent(alice.onJoined, (j) => j.room === 'ops', WAIT);
    const spam = await say(alice, 'buy my stuff', { room: 'ops' });
    const deleted = nextEvent(alice.onUpdate, (u) => u.room === 'ops' && u.seq === spam.seq, WAIT);
    bob.client.raw(`REDACT #ops ${msgidFor({ room: 'ops', seq: spam.seq })} :spam`);
    assert.equal((await deleted).deleted, true);
  });

  it('does the same in a direct conversation: msgids of the DM, TAGMSG and REDACT to the other person', async () => {
    const { alice, bob } = await room();
    const id = alice.send('psst, bob', { to: 'bob' });
    const dm = await nextEvent(alice.onMessage, (m) => m.id === id, WAIT);
    const got = await bob.waitFor('privmsg', (e) => e.nick === 'alice' && e.target === 'bob');
    const msgid = (got.tags as Record<string, string>).msgid;
    assert.equal(msgid, msgidFor({ room: dm.room, seq: dm.seq }));

    const reacted = nextEvent(alice.onUpdate, (u) => u.room === dm.room, WAIT);
    bob.client.tagmsg('alice', { '+draft/reply': msgid, '+draft/react': '🤫' });
    assert.deepEqual((await reacted).reactions, [{ emoji: '🤫', count: 1, people: ['bob'] }]);

    const answered = nextEvent(alice.onMessage, (m) => m.sender === 'bob', WAIT);
    bob.client.say('alice', 'ok', { '+draft/reply': msgid });
    const answer = await answered;
    assert.equal(answer.replyTo, dm.seq);
    const echo = await bob.waitFor('privmsg', (e) => e.nick === 'bob' && e.message === 'ok');
    const deleted = nextEvent(alice.onUpdate, (u) => u.room === dm.room && u.seq === answer.seq, WAIT);
    bob.client.raw(`REDACT alice ${(echo.tags as Record<string, string>).msgid}`);
    assert.equal((await deleted).deleted, true);
    const redact = await bob.waitFor('unknown command', (e) => e.command === 'REDACT');
    assert.equal((redact.params as string[])[0], 'alice', 'the REDACT names the other person');

    alice.react(dm.room, dm.seq, '👍');
    const tag = await bob.waitFor('tagmsg', (e) => e.nick === 'alice');
    assert.equal(tag.target, 'bob', "alice's reaction names bob, as her direct messages do");
  });

  it('never lets a hostile quote, edit or reaction inject a line, a control or a bidi character over the wire', async () => {
    const { alice, bob, carol, ircPort } = await room();
    const evil = `\r\nQUIT :pwned\r\n\u202eevil\u0000\x01ACTION x\x01 ${'y'.repeat(15_000)}`;
    const m = await say(alice, evil);
    const msgid = msgidFor({ room: 'general', seq: m.seq });
    bob.client.say('#general', 'answer', { '+draft/reply': msgid });
    const quoted = await from(carol, 'bob', 'PRIVMSG', (x) => x.params[1].endsWith('answer'));
    assert.match(quoted.params[1], /^\(re alice: "QUIT :pwned evilACTION x y+…"\) answer$/);
    alice.edit('general', m.seq, `${evil}\nedited`);
    const edit = await from(carol, 'alice', 'NOTICE');
    assert.match(edit.params[1], /^\[edit\] QUIT :pwned evilACTION x y+…$/);

    const dan = await line(ircPort, 'dan', ['message-tags']);
    for (const emoji of ['\\r\\nQUIT\\s:x', '\u202e👍', '👍\\0', 'x'.repeat(200), '<b>']) {
      dan.send(`@+draft/reply=${msgid};+draft/react=${emoji} TAGMSG #general`);
      assert.deepEqual((await fail(dan, 'TAGMSG')).params.slice(0, 2), ['TAGMSG', 'INVALID_REACTION'], emoji);
    }
    dan.send('PING :done');
    await dan.waitFor((x) => x.command === 'PONG', WAIT);
    for (const c of [carol, dan]) {
      assert.ok(!c.raw.some((l) => /^(@\S+ )?(:\S+ )?QUIT/.test(l)), 'no QUIT was injected');
      // The original itself is alice's text, bidi included (as the panel shows it); what quotes or tells of it carries none.
      const told = c.raw.filter((l) => !/ PRIVMSG #general :(\u202e|y+$)/.test(l));
      assert.deepEqual(told.filter((l) => /[\u202e\0\x01]/.test(l)), [], 'no bidi override, NUL or CTCP in a quote, an edit or an answer'); // eslint-disable-line no-control-regex
    }
    const [stored] = (await alice.history('general', { after: m.seq - 1, limit: 1 })).messages;
    assert.equal(stored.reactions, undefined, 'no hostile reaction was stored');
  });

  it('shows a JSON edit to IRC: a NOTICE with the new text, tagged with the original msgid for message-tags; history has the new text', async () => {
    const { alice, bob, carol, ircPort } = await room();
    const m = await say(alice, 'the key is in teh vault');
    const msgid = msgidFor({ room: 'general', seq: m.seq });
    alice.edit('general', m.seq, 'the key is in the vault');
    assert.equal((await from(carol, 'alice', 'NOTICE')).params.join(' '), '#general [edit] the key is in the vault');
    const tagged = await bob.waitFor('notice', (e) => e.nick === 'alice' && e.message === '[edit] the key is in the vault');
    assert.equal((tagged.tags as Record<string, string>)['+draft/reply'], msgid);

    const reader = await line(ircPort, 'reader', ['draft/chathistory', 'batch', 'message-tags']);
    reader.send('CHATHISTORY LATEST #general * 50');
    const page = await reader.until((x) => x.command === 'BATCH' && x.params[0].startsWith('-'), WAIT);
    assert.deepEqual(page.filter((x) => x.tags?.msgid === msgid).map((x) => x.params[1]), ['the key is in the vault']);
    // IRC has no edit command: an IRC client cannot edit, and EDIT is unknown.
    reader.send('EDIT #general');
    assert.equal((await reader.numeric('421', WAIT)).params[1], 'EDIT');
  });
});
