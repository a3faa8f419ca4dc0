import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { ownedFrameworkClient } from '../support/ownedIrcClients';

/**
 * The IRC gateway against irc-framework (a client library nobody here
 * wrote), over real sockets, with JSON clients in the same rooms: the
 * mapping of rooms, names, messages and direct messages both ways.
 */
describe('IRC gateway with irc-framework', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const framework = (ircPort: number, nick: string, options = {}) => ownedFrameworkClient(h, ircPort, nick, options);

  it('puts an IRC user in #general with the JSON users, both ways: messages, names, who', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const ann = await framework(ircPort, 'ann');
    // The server puts everyone in #general; the IRC client is told so, with the JSON user in NAMES.
    await ann.waitFor('join', (e) => e.channel === '#general' && e.nick === 'ann');
    const names = await ann.waitFor('userlist', (e) => e.channel === '#general');
    assert.deepEqual((names.users as Array<{ nick: string }>).map((u) => u.nick).sort(), ['ann', 'jay']);
    // The JSON side sees the IRC user arrive and in its who list.
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'ann');
    jay.client.send({ type: 'who', id: 'w1' });
    assert.ok(((await jay.client.waitFor((f) => f.type === 'users')).users as string[]).includes('ann'));

    jay.client.send({ type: 'message', id: 'm1', text: 'hello **everyone**' });
    const got = await ann.waitFor('privmsg', (e) => e.nick === 'jay');
    assert.equal(got.target, '#general');
    assert.equal(got.message, 'hello \x02everyone\x02', 'Markdown bold arrives as IRC bold');

    ann.say('#general', 'hi \x02jay\x02');
    const m = await jay.client.waitFor((f) => f.type === 'message' && f.sender === 'ann');
    assert.equal(m.text, 'hi **jay**', 'IRC bold arrives as Markdown');
    assert.equal(m.room, 'general');
  });

  it('carries direct messages both ways, and a nick change and a quit reach the JSON side', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const ann = await framework(ircPort, 'ann');
    jay.client.send({ type: 'message', id: 'd1', to: 'ann', text: 'psst' });
    const dm = await ann.waitFor('privmsg', (e) => e.nick === 'jay');
    assert.equal(dm.target, 'ann');
    assert.equal(dm.message, 'psst');
    ann.say('jay', 'psst back');
    const back = await jay.client.waitFor((f) => f.type === 'message' && f.sender === 'ann');
    assert.equal(back.to, 'jay');
    assert.equal(back.text, 'psst back');

    await ann.changeNick('anna');
    const rename = await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    assert.deepEqual([rename.from, rename.name], ['ann', 'anna']);
    await ann.close();
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'anna');
  });

  it('shows a panel name that is not a nick under a nick made from it, and /msg to that nick reaches them', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const zoe = await h.raw(port, 'Zoë Chen');
    const ann = await framework(ircPort, 'ann');
    const names = await ann.waitFor('userlist', (e) => e.channel === '#general');
    assert.ok((names.users as Array<{ nick: string }>).some((u) => u.nick === 'Zoe_Chen'));
    zoe.client.send({ type: 'message', id: 'z1', text: 'hi from the panel' });
    await ann.waitFor('privmsg', (e) => e.nick === 'Zoe_Chen' && e.message === 'hi from the panel');
    ann.say('Zoe_Chen', 'hello Zoë');
    const dm = await zoe.client.waitFor((f) => f.type === 'message' && f.sender === 'ann');
    assert.equal(dm.to, 'Zoë Chen');
  });

  it('two IRC users see each other: messages, actions, joins and parts of other rooms', async () => {
    const { ircPort } = await gatewayServer(h);
    const ann = await framework(ircPort, 'ann');
    const bob = await framework(ircPort, 'bob');
    ann.client.action('#general', 'waves');
    await bob.waitFor('action', (e) => e.nick === 'ann' && e.message === 'waves' && e.target === '#general');
    await ann.join('#dev');
    await bob.join('#dev');
    await ann.waitFor('join', (e) => e.channel === '#dev' && e.nick === 'bob');
    bob.say('#dev', 'in dev');
    await ann.seesMessage('bob', '#dev', 'in dev');
    bob.client.part('#dev', 'bye');
    await ann.waitFor('part', (e) => e.channel === '#dev' && e.nick === 'bob');
  });
});
