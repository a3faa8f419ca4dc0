import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { ownedFrameworkClient, ownedLineClient } from '../support/ownedIrcClients';

/**
 * TOPIC, MODE, KICK, INVITE and AWAY over the room model, with irc-framework
 * (a client library nobody here wrote) and JSON clients in the same rooms:
 * what one side sets, the other side sees, and refusals are numerics.
 */
describe('IRC gateway rooms: topics, modes, kicks, invites, away', function () {
  this.timeout(30_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const framework = (ircPort: number, nick: string) => ownedFrameworkClient(h, ircPort, nick);

  const line = (ircPort: number, nick: string, caps: string[] = []) => ownedLineClient(h, ircPort, nick, caps);

  it('makes the IRC user who creates a room its operator; topics and modes go both ways', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const ann = await framework(ircPort, 'ann');
    await ann.join('#dev');
    const names = await ann.waitFor('userlist', (e) => e.channel === '#dev');
    assert.deepEqual((names.users as Array<{ nick: string; modes: string[] }>).map((u) => [u.nick, u.modes]), [['ann', ['o']]], 'the creator is @ann');

    const jay = await h.raw(port, 'jay');
    jay.client.send({ type: 'join', room: 'dev' });
    const joined = await jay.client.waitFor((f) => f.type === 'joined' && f.room === 'dev');
    assert.deepEqual(joined.ops, ['ann'], 'the panel sees the IRC creator as operator');

    ann.client.raw('TOPIC', '#dev', 'release \x02friday\x02');
    const topic = await jay.client.waitFor((f) => f.type === 'topic' && f.room === 'dev');
    assert.equal(topic.text, 'release friday', 'formatting codes are not part of a topic');
    assert.equal(topic.by, 'ann');
    await ann.waitFor('topic', (e) => e.channel === '#dev' && e.topic === 'release friday' && e.nick === 'ann');

    // +t is on: jay (not an operator) is refused; after +o jay may.
    jay.client.send({ type: 'topic', id: 't1', room: 'dev', topic: 'no' });
    assert.equal((await jay.client.waitFor((f) => f.type === 'error' && f.ref === 't1')).code, 'not_operator');
    ann.client.raw('MODE', '#dev', '+o-t', 'jay');
    const mode = await ann.waitFor('mode', (e) => e.target === '#dev');
    assert.deepEqual(mode.modes, [
      { mode: '+o', param: 'jay' },
      { mode: '-t', param: null },
    ]);
    const jayMode = await jay.client.waitFor((f) => f.type === 'mode' && f.room === 'dev');
    assert.deepEqual(jayMode.changes, [{ mode: '+o', arg: 'jay' }, { mode: '-t' }]);

    // From the panel to IRC: a topic, a mode with a key.
    jay.client.send({ type: 'topic', room: 'dev', topic: 'set from the panel' });
    await ann.waitFor('topic', (e) => e.channel === '#dev' && e.topic === 'set from the panel' && e.nick === 'jay');
    jay.client.send({ type: 'mode', room: 'dev', changes: [{ mode: '+k', arg: 's3cret' }, { mode: '+l', arg: '5' }] });
    const keyed = await ann.waitFor('mode', (e) => e.target === '#dev' && e.nick === 'jay');
    assert.deepEqual(keyed.modes, [
      { mode: '+k', param: 's3cret' },
      { mode: '+l', param: '5' },
    ]);

    // TOPIC and MODE queries read the stored settings.
    const q = await line(ircPort, 'quinn');
    q.send('TOPIC #dev');
    assert.equal((await q.numeric('332')).params[2], 'set from the panel');
    assert.deepEqual((await q.numeric('333')).params.slice(1, 3), ['#dev', 'jay']);
    q.send('MODE #dev');
    assert.deepEqual((await q.numeric('324')).params.slice(1), ['#dev', '+nkl', '<key>', '5'], 'no key for someone outside the room');
    ann.client.raw('MODE', '#dev');
    const info = await ann.waitFor('channel info', (e) => e.channel === '#dev' && Array.isArray(e.modes));
    assert.deepEqual([info.raw_modes, info.raw_params], ['+nkl', ['s3cret', '5']], 'members see the key');
    q.send('LIST #dev');
    assert.equal((await q.numeric('322')).params[3], 'set from the panel');
  });

  it('keys, limits, bans, kicks and invites, with the numerics the spec gives', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const ann = await line(ircPort, 'ann');
    ann.send('JOIN #ops');
    await ann.until((m) => m.command === '366');
    const bob = await framework(ircPort, 'bob');
    const jay = await h.raw(port, 'jay');

    ann.send('MODE #ops +k hunter2');
    await ann.waitFor((m) => m.command === 'MODE' && m.params[1] === '+k');
    bob.client.join('#ops');
    await bob.waitFor('irc error', (e) => e.error === 'bad_channel_key' && e.channel === '#ops');
    bob.client.join('#ops', 'hunter2');
    await bob.waitFor('join', (e) => e.channel === '#ops' && e.nick === 'bob');
    await ann.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('bob!') === true);

    // Kick: bob sees it, and so does the panel (jay joins with the key).
    jay.client.send({ type: 'join', room: 'ops', key: 'hunter2' });
    await jay.client.waitFor((f) => f.type === 'joined' && f.room === 'ops');
    ann.send('KICK #ops bob :\x0304off\x03 topic');
    const kicked = await bob.waitFor('kick', (e) => e.channel === '#ops');
    assert.equal(kicked.kicked, 'bob');
    assert.equal(kicked.nick, 'ann');
    assert.equal(kicked.message, 'off topic');
    const jayKick = await jay.client.waitFor((f) => f.type === 'kick' && f.room === 'ops');
    assert.deepEqual([jayKick.name, jayKick.by, jayKick.reason], ['bob', 'ann', 'off topic']);

    // A ban as irssi's /ban makes it (user and host): it names bob, and only bob, never everyone;
    // one that matches nobody bans nobody, and says so.
    ann.send('MODE #ops +b *!*@elsewhere.example');
    assert.match((await ann.waitFor((m) => m.command === 'NOTICE' && m.params[1].includes('*!*@elsewhere.example'))).params[1], /nothing was banned/);
    ann.send('MODE #ops +b *!*bob@irc', 'MODE #ops b');
    const bans = await ann.until((m) => m.command === '368');
    assert.deepEqual(
      bans.filter((m) => m.command === '367').map((m) => m.params.slice(1, 4)),
      [['#ops', 'bob!*@*', 'ann']],
    );
    bob.client.join('#ops', 'hunter2');
    await bob.waitFor('irc error', (e) => e.error === 'banned_from_channel' && e.channel === '#ops');

    // Invite-only: without the ban, bob is still kept out until invited.
    ann.send('MODE #ops -b+i bob!*@*');
    await ann.waitFor((m) => m.command === 'MODE' && m.params[1] === '-b+i');
    bob.client.join('#ops', 'hunter2');
    await bob.waitFor('irc error', (e) => e.error === 'invite_only_channel' && e.channel === '#ops');
    ann.send('INVITE bob #ops');
    assert.deepEqual((await ann.numeric('341')).params.slice(1), ['bob', '#ops']);
    await bob.waitFor('invite', (e) => e.channel === '#ops' && e.nick === 'ann' && e.invited === 'bob');
    bob.client.join('#ops');
    await bob.waitFor('join', (e) => e.channel === '#ops' && e.nick === 'bob' && bob.events.filter((x) => x.name === 'join' && x.arg.channel === '#ops').length === 2);

    // +l below the count keeps the next one out; bob, not an operator, gets 482 for what needs one.
    ann.send('MODE #ops -i+l 3');
    await ann.waitFor((m) => m.command === 'MODE' && m.params[1] === '-i+l');
    const cy = await line(ircPort, 'cy');
    ann.send('INVITE cy #ops');
    await ann.numeric('341');
    // The invite lets cy past nothing but +i and +k: the limit (3: ann, jay, bob) holds.
    cy.send('JOIN #ops');
    assert.deepEqual((await cy.numeric('471')).params.slice(1, 2), ['#ops']);
    bob.client.raw('KICK', '#ops', 'ann');
    await bob.waitFor('irc error', (e) => e.error === 'chanop_privs_needed');
    ann.send('KICK #ops nobody', 'MODE #ops +o nobody', 'MODE #ops +l lots', 'MODE #ops +k a,b');
    assert.deepEqual((await ann.numeric('441')).params.slice(1, 3), ['nobody', '#ops']);
    assert.deepEqual((await ann.numeric('441')).params.slice(1, 3), ['nobody', '#ops']);
    assert.match((await ann.numeric('696')).params[4], /whole number/);
    assert.deepEqual((await ann.numeric('525')).params.slice(1, 2), ['#ops']);
  });

  it('+m leaves only operators and voiced members writing (404 for the others), and +v gives a voice', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    jay.client.send({ type: 'join', room: 'stage' });
    await jay.client.waitFor((f) => f.type === 'joined' && f.room === 'stage');
    const ann = await line(ircPort, 'ann', ['multi-prefix']);
    ann.send('JOIN #stage');
    await ann.until((m) => m.command === '366');
    jay.client.send({ type: 'mode', room: 'stage', changes: [{ mode: '+m' }] });
    await ann.waitFor((m) => m.command === 'MODE' && m.params[1] === '+m' && m.source?.startsWith('jay!') === true);
    ann.send('PRIVMSG #stage :can I speak?');
    assert.match((await ann.numeric('404')).params[2], /moderated/);
    jay.client.send({ type: 'mode', room: 'stage', changes: [{ mode: '+v', arg: 'ann' }, { mode: '+o', arg: 'ann' }] });
    assert.deepEqual((await ann.waitFor((m) => m.command === 'MODE' && m.params[1] === '+vo')).params.slice(2), ['ann', 'ann']);
    ann.send('NAMES #stage');
    assert.deepEqual((await ann.numeric('353')).params[3].split(' ').sort(), ['@+ann', '@jay'], 'multi-prefix shows every prefix');
    ann.send('WHO #stage');
    const who = await ann.until((m) => m.command === '315');
    assert.deepEqual(who.filter((m) => m.command === '352').map((m) => `${m.params[5]} ${m.params[6]}`).sort(), ['ann H@+', 'jay H@']);
    ann.send('PRIVMSG #stage :thanks');
    const said = await jay.client.waitFor((f) => f.type === 'message' && f.sender === 'ann');
    assert.equal(said.text, 'thanks');
  });

  it('AWAY marks an IRC user away for everyone: 306/305, away-notify, 301 to who writes, WHOIS, WHO and USERHOST', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const ann = await framework(ircPort, 'ann');
    const bob = await line(ircPort, 'bob', ['away-notify']);
    ann.client.raw('AWAY', 'at lunch');
    await ann.waitFor('away', (e) => e.self === true && e.nick === 'ann');
    const away = await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'away');
    assert.deepEqual([away.name, away.message], ['ann', 'at lunch']);
    assert.deepEqual((await bob.waitFor((m) => m.command === 'AWAY')).params, ['at lunch']);

    bob.send('PRIVMSG ann :hi', 'WHOIS ann', 'WHO ann', 'USERHOST ann');
    assert.deepEqual((await bob.numeric('301')).params.slice(1), ['ann', 'at lunch'], '301 for the message');
    assert.deepEqual((await bob.numeric('301')).params.slice(1), ['ann', 'at lunch'], '301 in WHOIS');
    assert.equal((await bob.numeric('352')).params[6], 'G');
    assert.match((await bob.numeric('302')).params[1], /^ann=-/);

    // The panel's away reaches IRC too.
    jay.client.send({ type: 'away', message: 'in a meeting' });
    const jayAway = await bob.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('jay!') === true);
    assert.deepEqual(jayAway.params, ['in a meeting']);
    await ann.waitFor('away', (e) => e.nick === 'jay' && e.message === 'in a meeting');

    ann.client.raw('AWAY');
    await ann.waitFor('back', (e) => e.self === true);
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'back' && f.name === 'ann');
    assert.deepEqual((await bob.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('ann!') === true)).params, []);
  });

  it('sends AWAY (away-notify) only to clients that share a channel with the person, and announces an away person who joins', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const [ann, bob, cy] = await Promise.all(['ann', 'bob', 'cy'].map((n) => line(ircPort, n, ['away-notify'])));
    // bob shares no channel with anyone; cy shares #general.
    bob.send('PART #general', 'JOIN #side');
    await bob.waitFor((m) => m.command === '366' && m.params[1] === '#side');
    /** Every line bob got up to the answer to a PING sent now, which his queue holds after anything sent to him before. */
    const bobSawSoFar = async (): Promise<string[]> => {
      bob.send('PING :mark');
      return (await bob.until((m) => m.command === 'PONG')).filter((m) => m.command === 'AWAY').map((m) => m.source ?? '');
    };

    ann.send('AWAY :at lunch');
    assert.deepEqual((await cy.waitFor((m) => m.command === 'AWAY')).params, ['at lunch'], 'cy shares #general with ann');
    jay.client.send({ type: 'away', message: 'in a meeting' });
    assert.deepEqual((await cy.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('jay!') === true)).params, ['in a meeting']);
    assert.deepEqual(await bobSawSoFar(), [], 'bob shares no channel with ann or jay');

    // ann joins bob's channel while away: bob sees her JOIN, then her AWAY.
    ann.send('JOIN #side');
    const joined = await bob.until((m) => m.command === 'AWAY');
    assert.deepEqual(joined.slice(-2).map((m) => [m.command, ...m.params]), [['JOIN', '#side'], ['AWAY', 'at lunch']]);
    ann.send('AWAY');
    assert.deepEqual((await bob.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('ann!') === true)).params, [], 'now they share #side');
    jay.client.send({ type: 'away' });
    await cy.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('jay!') === true && m.params.length === 0);
    assert.deepEqual(await bobSawSoFar(), [], 'still nothing of jay');
  });
});
