import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { ownedLineClient } from '../support/ownedIrcClients';

/** The gateway's replies line by line: registration, numerics for bad input, queries. */
describe('IRC gateway replies', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const line = (ircPort: number, nick: string, caps: string[] = []) => ownedLineClient(h, ircPort, nick, caps);

  it('registers with 001-005, LUSERS and MOTD, and ISUPPORT tells the limits the server enforces', async () => {
    const { ircPort } = await gatewayServer(h, { maxRoomsPerPerson: 7 });
    const c = await IrcLineClient.connect(ircPort);
    h.own(() => c.close());
    c.send('NICK ann', 'USER ann 0 * :Ann Example');
    const burst = await c.until((m) => m.command === '366');
    const codes = burst.map((m) => m.command);
    for (const code of ['001', '002', '003', '004', '005', '251', '375', '372', '376', 'JOIN', '353', '366']) assert.ok(codes.includes(code), `${code} in the burst`);
    const tokens = burst.filter((m) => m.command === '005').flatMap((m) => m.params.slice(1, -1));
    for (const t of ['CHANLIMIT=#:7', 'NICKLEN=32', 'LINELEN=512', 'CASEMAPPING=ascii', 'CHANTYPES=#', 'UTF8ONLY', 'CHATHISTORY=100', 'MAXTARGETS=4']) assert.ok(tokens.includes(t), `${t} in ${tokens.join(' ')}`);
    // The room model's modes and limits, as the server enforces them (roomFrames.ts).
    for (const t of ['CHANMODES=b,k,l,imnt', 'PREFIX=(ov)@+', 'TOPICLEN=390', 'AWAYLEN=300', 'KICKLEN=300', 'MAXLIST=b:100', 'MODES=20']) assert.ok(tokens.includes(t), `${t} in ${tokens.join(' ')}`);
    assert.deepEqual(burst.find((m) => m.command === '004')?.params.slice(3), ['i', 'biklmnotv', 'bklov']);
    assert.equal(burst.find((m) => m.command === '001')?.params[0], 'ann');
    const join = burst.find((m) => m.command === 'JOIN');
    assert.equal(join?.source, 'ann!~ann@irc');
    assert.deepEqual(join?.params, ['#general']);
  });

  it('answers bad input with the numerics of the modern spec, and stays connected', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    // #elsewhere exists (jay is in it) and ann is not in it; #nowhere does not exist.
    jay.client.send({ type: 'join', room: 'elsewhere' });
    await jay.client.waitFor((f) => f.type === 'joined' && f.room === 'elsewhere');
    const early = await IrcLineClient.connect(ircPort);
    h.own(() => early.close());
    early.send('JOIN #general');
    assert.equal((await early.numeric('451')).params[0], '*');
    early.send('NICK jay');
    assert.equal((await early.numeric('433')).params[1], 'jay', 'a JSON user holds jay');
    early.send('NICK 9lives');
    assert.match((await early.numeric('432')).params[2], /does not start with a digit/);

    const c = await line(ircPort, 'ann');
    const cases: Array<[string, string]> = [
      ['FOO bar', '421'],
      ['NICK jay', '433'],
      ['NICK a,b', '432'],
      ['JOIN', '461'],
      ['USER x 0 * :x', '462'],
      ['JOIN #Bad!Name', '403'],
      ['PRIVMSG', '411'],
      ['PRIVMSG #general', '412'],
      ['PRIVMSG #elsewhere :hi', '404'],
      ['PRIVMSG nobody :hi', '401'],
      ['PART #elsewhere', '442'],
      ['WHOIS nobody', '401'],
      ['MODE #general +t', '482'],
      ['MODE #general +z', '472'],
      ['MODE jay +i', '502'],
      ['TOPIC #general :new', '482'],
      ['KICK #general jay', '482'],
      ['PRIVMSG a,b,c,d,e :hi', '407'],
      ['HELP NOSUCH', '524'],
      ['TOPIC #nowhere :x', '403'],
      ['MODE #nowhere', '403'],
      ['KICK #nowhere jay', '403'],
      ['TOPIC #elsewhere :x', '442'],
      ['MODE #elsewhere +t', '442'],
      ['KICK #elsewhere jay', '442'],
      ['INVITE nobody #general', '401'],
      ['INVITE jay #general', '443'],
      ['MODE #general +o nobody', '482'],
      [`PRIVMSG #general :${'x'.repeat(600)}`, '417'],
    ];
    for (const [i, [input, code]] of cases.entries()) {
      c.send(input, `PING :case${i}`);
      const got = (await c.until((m) => m.command === 'PONG' && m.params[1] === `case${i}`)).filter((m) => /^\d{3}$/.test(m.command));
      assert.equal(got[0]?.command, code, `${input.slice(0, 40)} → ${code}, got ${got.map((m) => `${m.command} ${m.params.join(' ')}`).join('; ')}`);
    }
    // A NOTICE never earns an error.
    c.send('NOTICE nobody :hi', 'PING :still-here');
    const next = await c.waitFor((m) => /^\d{3}$/.test(m.command) || m.command === 'PONG');
    assert.equal(next.command, 'PONG');
    assert.deepEqual(next.params, ['irc.tcp-chat', 'still-here']);
  });

  it('answers the queries: WHOIS, WHO, NAMES, LIST, ISON, USERHOST, LUSERS, VERSION, TIME, INFO, HELP, MODE', async () => {
    const { port, ircPort } = await gatewayServer(h);
    await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann');
    c.send('WHOIS jay');
    const whois = await c.until((m) => m.command === '318');
    assert.deepEqual(whois.find((m) => m.command === '311')?.params.slice(1), ['jay', 'chat', 'tcp-chat', '*', 'jay']);
    assert.equal(whois.find((m) => m.command === '319')?.params[2], '#general');
    assert.match(whois.find((m) => m.command === '312')?.params[3] ?? '', /panel or terminal/);
    assert.ok(whois.some((m) => m.command === '317'));

    c.send('WHO #general');
    const who = await c.until((m) => m.command === '315');
    assert.deepEqual(who.filter((m) => m.command === '352').map((m) => `${m.params[5]} ${m.params[6]}`).sort(), ['ann H', 'jay H@'], 'jay made #general, so jay is its operator');
    c.send('NAMES #general');
    assert.deepEqual((await c.numeric('353')).params[3].split(' ').sort(), ['@jay', 'ann']);
    await c.numeric('366');
    c.send('LIST');
    const list = await c.until((m) => m.command === '323');
    assert.deepEqual(list.find((m) => m.command === '322')?.params.slice(1, 3), ['#general', '2']);
    c.send('ISON jay nobody ANN');
    assert.equal((await c.numeric('303')).params[1], 'jay ann');
    c.send('USERHOST jay');
    assert.equal((await c.numeric('302')).params[1], 'jay=+chat@tcp-chat');
    c.send('LUSERS');
    assert.match((await c.numeric('251')).params[1], /There are 2 users/);
    c.send('VERSION');
    assert.match((await c.numeric('351')).params[1], /^tcp-chat-/);
    c.send('TIME');
    const t = await c.numeric('391');
    assert.ok(Math.abs(Number(t.params[2]) - Date.now() / 1000) < 60);
    c.send('INFO');
    await c.numeric('374');
    c.send('HELP JOIN');
    assert.match((await c.numeric('704')).params[2], /JOIN/);
    c.send('MODE #general');
    assert.deepEqual((await c.numeric('324')).params.slice(1), ['#general', '+nt']);
    c.send('MODE ann +i');
    assert.deepEqual((await c.waitFor((m) => m.command === 'MODE')).params, ['ann', '+i']);
    c.send('MODE ann');
    assert.equal((await c.numeric('221')).params[1], '+i');
  });

  it('JOIN takes several rooms and JOIN 0 leaves them all; PART says why; QUIT ends with ERROR', async () => {
    const { port, ircPort } = await gatewayServer(h);
    const jay = await h.raw(port, 'jay');
    const c = await line(ircPort, 'ann');
    c.send('JOIN #a,#B');
    await c.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#a');
    await c.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#b');
    c.send('PART #a :done here');
    assert.deepEqual((await c.waitFor((m) => m.command === 'PART')).params, ['#a', 'done here']);
    c.send('JOIN 0');
    const parts = [await c.waitFor((m) => m.command === 'PART'), await c.waitFor((m) => m.command === 'PART')];
    assert.deepEqual(parts.map((p) => p.params[0]).sort(), ['#b', '#general']);
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.name === 'ann' && f.room === 'general');
    c.send('QUIT :see you');
    assert.match((await c.waitFor((m) => m.command === 'ERROR')).params[0], /see you/);
    await c.closed;
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'ann');
  });
});
