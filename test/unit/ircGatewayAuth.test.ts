import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { generateCertificate, fingerprintOf } from '../../src/engine/certificate';
import { idOfCertificate } from '../../src/engine/identity';
import { authenticateChunks, plainPayload } from '../../src/engine/codecs/irc/sasl';
import { Harness } from '../support/harness';
import { IrcFrameworkClient } from '../support/ircFrameworkClient';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';

const FAST_KDF = { N: 1024 };

/** Passwords (PASS, SASL PLAIN), TLS, and identities proven with a client certificate (SASL EXTERNAL). */
describe('IRC gateway: passwords, TLS and SASL', function () {
  this.timeout(30_000);
  const h = new Harness();
  afterEach(() => h.cleanup());
  let serverCert: { cert: string; key: string };
  let clientCert: { cert: string; key: string };
  before(async () => {
    [serverCert, clientCert] = await Promise.all([generateCertificate({ commonName: 'server.test' }), generateCertificate({ commonName: 'ann' })]);
  });

  it('takes the server password with PASS, and refuses a wrong or missing one with 464', async () => {
    const { port, ircPort } = await gatewayServer(h, { password: 'open sesame', passwordKdf: FAST_KDF, authThrottle: { baseDelay: 10 } });
    const good = await IrcLineClient.connect(ircPort);
    h.own(() => good.close());
    good.send('PASS :open sesame', 'NICK ann', 'USER ann 0 * :Ann');
    await good.numeric('001');
    const bad = await IrcLineClient.connect(ircPort);
    h.own(() => bad.close());
    bad.send('PASS :guess', 'NICK bob', 'USER bob 0 * :Bob');
    assert.match((await bad.numeric('464')).params[1], /Password incorrect/);
    await bad.waitFor((m) => m.command === 'ERROR');
    await bad.closed;
    const none = await IrcLineClient.connect(ircPort);
    h.own(() => none.close());
    none.send('NICK cy', 'USER cy 0 * :Cy');
    assert.match((await none.numeric('464')).params[1], /PASS|SASL PLAIN/);
    await none.closed;
    // The JSON port still asks for the same password its own way.
    const jay = await h.rawNoHello(port);
    jay.send({ type: 'hello', v: 1, name: 'jay' });
    assert.equal((await jay.waitFor((f) => f.type === 'challenge')).type, 'challenge');
  });

  it('takes the server password with SASL PLAIN (irc-framework), and answers a wrong one with 904', async () => {
    const { ircPort } = await gatewayServer(h, { password: 'open sesame', passwordKdf: FAST_KDF, authThrottle: { baseDelay: 10 } });
    const ann = await IrcFrameworkClient.connect({ host: '127.0.0.1', port: ircPort }, 'ann', { account: { account: 'ann', password: 'open sesame' } });
    h.own(() => ann.close());
    assert.ok(ann.lines.some((l) => / 903 /.test(l)), 'SASL success');
    const c = await IrcLineClient.connect(ircPort);
    h.own(() => c.close());
    c.send('CAP LS 302');
    const ls = await c.waitFor((m) => m.command === 'CAP' && m.params[1] === 'LS');
    assert.match(ls.params[2], /sasl=PLAIN(\s|$)/, 'PLAIN only: no client certificate, so no EXTERNAL');
    c.send('CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await c.waitFor((m) => m.command === 'AUTHENTICATE' && m.params[0] === '+');
    for (const chunk of authenticateChunks(plainPayload('ann', 'wrong'))) c.send(`AUTHENTICATE ${chunk}`);
    await c.numeric('904');
  });

  it('refuses a password over plain TCP from another machine, saying to use TLS', async function () {
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!address) return this.skip(); // a machine with only loopback cannot be reached from "another machine"
    const { ircPort } = await gatewayServer(h, { host: '0.0.0.0', password: 'open sesame', passwordKdf: FAST_KDF });
    const c = await IrcLineClient.connect(ircPort, undefined, address);
    h.own(() => c.close());
    c.send('PASS :open sesame');
    const notice = await c.waitFor((m) => m.command === 'NOTICE');
    assert.match(notice.params[1], /not encrypted.*TLS/);
    await c.numeric('464');
    await c.closed;
  });

  it('speaks TLS on the IRC port with the server certificate, and turns a plain client away with an ERROR line', async () => {
    const { server, ircPort } = await gatewayServer(h, { tls: serverCert });
    const c = await IrcLineClient.connect(ircPort, {});
    h.own(() => c.close());
    assert.equal((c.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256, server.fingerprint);
    c.send('NICK ann', 'USER ann 0 * :Ann');
    await c.numeric('001');
    const plain = await IrcLineClient.connect(ircPort);
    h.own(() => plain.close());
    plain.send('NICK bob');
    assert.match((await plain.waitFor((m) => m.command === 'ERROR')).params[0], /requires TLS/);
  });

  it('proves an identity with SASL EXTERNAL and a client certificate: 900, the account in WHOIS, account-tag and extended-join', async () => {
    const { ircPort } = await gatewayServer(h, { tls: serverCert });
    const account = idOfCertificate(fingerprintOf(clientCert.cert));
    const ann = await IrcFrameworkClient.connect({ host: '127.0.0.1', port: ircPort }, 'ann', {
      tls: true,
      rejectUnauthorized: false,
      sasl_mechanism: 'EXTERNAL',
      client_certificate: { private_key: clientCert.key, certificate: clientCert.cert },
    });
    h.own(() => ann.close());
    const loggedIn = await ann.waitFor('loggedin', () => true);
    assert.equal(loggedIn.account, account);
    const bob = await IrcLineClient.register(ircPort, 'bob', ['account-tag', 'extended-join'], {});
    h.own(() => bob.close());
    bob.send('WHOIS ann');
    assert.deepEqual((await bob.numeric('330')).params.slice(1, 3), ['ann', account]);
    ann.say('#general', 'signed, ann');
    assert.equal((await bob.waitFor((m) => m.command === 'PRIVMSG')).tags?.account, account);
    await ann.join('#certs');
    bob.send('JOIN #certs');
    await bob.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('bob!') === true);
    await ann.close();
    // A client without a certificate is not offered EXTERNAL and cannot use it.
    const guest = await IrcLineClient.connect(ircPort, {});
    h.own(() => guest.close());
    guest.send('CAP LS 302');
    const ls = await guest.waitFor((m) => m.command === 'CAP' && m.params[1] === 'LS');
    assert.doesNotMatch(ls.params[2], /sasl/);
    guest.send('CAP REQ :sasl');
    assert.equal((await guest.waitFor((m) => m.command === 'CAP')).params[1], 'NAK');
  });
});
