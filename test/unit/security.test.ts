import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createHmac, scrypt } from 'node:crypto';
import * as fc from 'fast-check';
import { Harness, nextEvent } from '../support/harness';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { ClientOptions } from '../../src/engine/client/clientOptions';
import { ConnectError } from '../../src/engine/client/connectError';
import { ListenError, type ServerEvent, type ServerOptions } from '../../src/engine/server/chatServer';
import { generateCertificate, fingerprintOf } from '../../src/engine/certificate';
import { AuthThrottle, authProof, deriveKey, throttleKey } from '../../src/engine/auth';
import { nameProblem } from '../../src/engine/protocol';

/** Cheap scrypt so the suite stays fast on two shared cores; the exchange is the same. */
const KDF = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse battery staple';

describe('security', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  let certA: { cert: string; key: string };
  let certB: { cert: string; key: string };
  before(async () => {
    [certA, certB] = await Promise.all([generateCertificate({ commonName: 'a.test' }), generateCertificate({ commonName: 'b.test' })]);
  });

  function client(port: number, opts: Partial<ClientOptions> = {}): ChatClient {
    const c = new ChatClient({ host: '127.0.0.1', port, name: 'alice', reconnect: false, connectTimeout: 5000, ...opts });
    h.own(() => c.dispose());
    return c;
  }

  async function refusal(p: Promise<unknown>): Promise<ConnectError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
      return err;
    }
    assert.fail('the connection was accepted');
  }

  function events(server: { onEvent: (l: (e: ServerEvent) => void) => unknown }): ServerEvent[] {
    const seen: ServerEvent[] = [];
    server.onEvent((e) => seen.push(e));
    return seen;
  }

  // ---------------------------------------------------------------- TLS

  describe('TLS', () => {
    it('handshakes (TLS 1.3 by default) and carries chat between pinned clients', async () => {
      const { server, port } = await h.server({ tls: certA });
      assert.equal(server.fingerprint, fingerprintOf(certA.cert));
      assert.match(server.fingerprint!, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const a = client(port, { name: 'alice', tls: { fingerprint: server.fingerprint!.toLowerCase().replace(/:/g, '') } });
      const b = client(port, { name: 'bob', tls: { fingerprint: server.fingerprint } });
      await a.connect();
      await b.connect();
      assert.equal(a.fingerprint, server.fingerprint);
      const got = nextEvent(b.onMessage, (m) => m.text === 'over TLS');
      a.send('over TLS');
      assert.equal((await got).sender, 'alice');

      const probe = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      h.own(() => void probe.destroy());
      await new Promise((r) => probe.once('secureConnect', r));
      assert.equal(probe.getProtocol(), 'TLSv1.3');
    });

    it('refuses TLS older than 1.2', async () => {
      const { port } = await h.server({ tls: certA });
      const old = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      h.own(() => void old.destroy());
      const outcome = await new Promise<string>((resolve) => {
        old.once('secureConnect', () => resolve('connected'));
        old.once('error', (e) => resolve(`error ${e.message}`));
        old.once('close', () => resolve('closed'));
      });
      assert.notEqual(outcome, 'connected');
    });

    it('trust on first use: asks verify() with the fingerprint, host and port, and keeps the answer for reconnects', async () => {
      const { server, port } = await h.server({ tls: certA });
      const asked: unknown[][] = [];
      const c = client(port, {
        reconnect: true,
        minBackoff: 20,
        maxBackoff: 50,
        tls: {
          verify: (...args) => {
            asked.push(args);
            return true;
          },
        },
      });
      await c.connect();
      assert.deepEqual(asked, [[server.fingerprint, '127.0.0.1', port]]);
      // A reconnect to the same certificate does not ask again.
      const back = nextEvent(c.onWelcome, () => true, 5000);
      for (const s of (server as unknown as { conns: Map<number, { socket: net.Socket }> }).conns.values()) s.socket.destroy();
      await back;
      assert.equal(asked.length, 1);
    });

    it("a person slower than the server's handshake timeout is not punished: the client connects again, pinned", async () => {
      const { server, port } = await h.server({ tls: certA, handshakeTimeout: 200 });
      const seen = events(server);
      let asked = 0;
      const timedOut = nextEvent(server.onEvent, (e) => e.type === 'closed' && e.code === 'handshake_timeout', 5000);
      const c: ChatClient = client(port, {
        tls: {
          verify: async () => {
            asked++;
            // The person decides only after the server's sweep closed the socket, and the client has seen it close.
            await timedOut;
            const socket = (c as unknown as { dialer: { connection?: { socket: net.Socket } } }).dialer.connection?.socket;
            if (socket && !socket.closed) await new Promise((r) => socket.once('close', r));
            return true;
          },
        },
      });
      const w = await c.connect();
      assert.equal(w.name, 'alice');
      assert.equal(asked, 1);
      assert.equal(c.fingerprint, server.fingerprint);
      assert.ok(seen.some((e) => e.type === 'closed' && e.code === 'handshake_timeout'), 'the first socket timed out');
    });

    it('disconnect() while a person decides ends the attempt', async () => {
      const { port } = await h.server({ tls: certA });
      let c: ChatClient | undefined = undefined;
      c = client(port, {
        tls: {
          verify: async () => {
            c!.disconnect();
            return true;
          },
        },
      });
      const err = await refusal(c.connect());
      assert.equal(err.code, 'disconnected');
      assert.equal(c.state, 'closed');
    });

    it('a person who says no gets cert_rejected; no verify and no pin gets cert_unknown', async () => {
      const { server, port } = await h.server({ tls: certA });
      const no = await refusal(client(port, { tls: { verify: async () => false } }).connect());
      assert.equal(no.code, 'cert_rejected');
      assert.equal(no.fingerprint, server.fingerprint);
      const unknown = await refusal(client(port, { tls: {} }).connect());
      assert.equal(unknown.code, 'cert_unknown');
      assert.ok(unknown.message.includes(server.fingerprint!));
    });

    it('a pin mismatch is refused before anything is sent, with both fingerprints', async () => {
      const { server, port } = await h.server({ tls: certA });
      const seen = events(server);
      const pinnedB = fingerprintOf(certB.cert);
      const err = await refusal(client(port, { tls: { fingerprint: pinnedB } }).connect());
      assert.equal(err.code, 'cert_changed');
      assert.equal(err.expected, pinnedB);
      assert.equal(err.fingerprint, server.fingerprint);
      assert.match(err.message, /CHANGED/);
      // Wait for the server to see the refused socket close: had anything been sent, it would have been read by then.
      for (const c of (server as unknown as { conns: Map<number, { socket: net.Socket }> }).conns.values()) {
        if (!c.socket.destroyed) await new Promise((r) => c.socket.once('close', r));
      }
      assert.equal(server.connectionCount, 0);
      assert.deepEqual(server.users(), []);
      assert.ok(!seen.some((e) => e.type === 'online'));
    });

    it('a certificate that changes between reconnects stops the client with onRefused(cert_changed)', async () => {
      const first = await h.server({ tls: certA });
      const c = client(first.port, { reconnect: true, minBackoff: 20, maxBackoff: 50, tls: { fingerprint: first.server.fingerprint } });
      await c.connect();
      const refused = nextEvent(c.onRefused, () => true, 8000);
      await h.stop(first.server);
      await h.server({ tls: certB, port: first.port });
      const err = await refused;
      assert.equal(err.code, 'cert_changed');
      assert.equal(err.expected, fingerprintOf(certA.cert));
      assert.equal(err.fingerprint, fingerprintOf(certB.cert));
      assert.equal(c.state, 'closed');
    });

    it('a plain-TCP client at a TLS server is told to turn TLS on, quickly', async () => {
      const { server, port } = await h.server({ tls: certA });
      const seen = events(server);
      const t0 = Date.now();
      const err = await refusal(client(port).connect());
      assert.equal(err.code, 'tls_required');
      assert.match(err.message, /expects TLS: turn TLS on/);
      assert.ok(Date.now() - t0 < 2000);
      // What a person with nc sees: one readable line, then the close.
      const raw = await h.rawNoHello(port);
      raw.send({ type: 'hello', v: 1, name: 'nc' });
      const line = await raw.waitFor((f) => f.type === 'error');
      assert.equal(line.code, 'tls_required');
      await raw.waitClosed();
      assert.ok(seen.some((e) => e.type === 'closed' && e.code === 'tls_required'));
    });

    it('a plain client at some other TLS server (which resets or sends an alert) is pointed at TLS', async () => {
      const other = tls.createServer({ ...certA }, (s) => s.end());
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      h.own(() => new Promise<void>((r) => other.close(() => r())));
      const err = await refusal(client((other.address() as net.AddressInfo).port).connect());
      // OpenSSL may answer a plain line with an alert (tls_required) or just a reset; both name TLS.
      assert.ok(err.code === 'tls_required' || err.code === 'ECONNRESET', err.code);
      assert.match(err.message, /TLS/);
    });

    it('a TLS client at a plain server is told to turn TLS off, quickly', async () => {
      const { server, port } = await h.server();
      const seen = events(server);
      const t0 = Date.now();
      const err = await refusal(client(port, { tls: { verify: () => true } }).connect());
      assert.equal(err.code, 'tls_unsupported');
      assert.match(err.message, /does not speak TLS: turn TLS off/);
      assert.ok(Date.now() - t0 < 2000);
      assert.ok(seen.some((e) => e.type === 'closed' && e.code === 'tls_unexpected'));
    });

    it('an unusable certificate makes listen() reject with a ListenError', async () => {
      await assert.rejects(h.server({ tls: { cert: certA.cert, key: 'not a key' } }), (e) => e instanceof ListenError && e.code === 'ETLSCONFIG');
    });
  });

  // ---------------------------------------------------------------- password

  describe('password', () => {
    const opts = (extra: ServerOptions = {}): ServerOptions => ({ password: PASSWORD, passwordKdf: KDF, ...extra });

    it('computes the example proof documented in docs/protocol.md', async () => {
      const key = await deriveKey('hunter2', Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'), { N: 1024, r: 8, p: 1, keylen: 32 });
      assert.equal(key.toString('hex').slice(0, 6), '0d7046');
      assert.equal(authProof(key, Buffer.alloc(32)), 'd2a8d599374a8984de47af5c230892d44caf181feee0ede8e3e55ade10a03f81');
    });

    it('the right password gets the welcome (plain or async source)', async () => {
      const { server, port } = await h.server(opts());
      assert.equal(server.requiresPassword, true);
      const w = await client(port, { password: PASSWORD }).connect();
      assert.equal(w.name, 'alice');
      const w2 = await client(port, { name: 'bob', password: async () => PASSWORD }).connect();
      assert.equal(w2.name, 'bob');
    });

    it('a wrong password gets auth_failed after the delay, and the message never holds a password', async () => {
      const { port } = await h.server(opts({ authThrottle: { baseDelay: 300 } }));
      const t0 = Date.now();
      const err = await refusal(client(port, { password: 'Tr0ub4dor&3' }).connect());
      const took = Date.now() - t0;
      assert.equal(err.code, 'auth_failed');
      assert.ok(took >= 280, `answered after ${took} ms`);
      assert.ok(!err.message.includes('Tr0ub4dor') && !err.message.includes(PASSWORD));
    });

    it('no password configured: auth_required with a clear message', async () => {
      const { port } = await h.server(opts());
      const err = await refusal(client(port).connect());
      assert.equal(err.code, 'auth_required');
      assert.match(err.message, /needs a password/);
    });

    it('passwords work over TLS too', async () => {
      const { server, port } = await h.server(opts({ tls: certA }));
      const w = await client(port, { password: PASSWORD, tls: { fingerprint: server.fingerprint } }).connect();
      assert.equal(w.name, 'alice');
    });

    it('an empty password is refused by listen()', async () => {
      await assert.rejects(h.server({ password: '' }), (e) => e instanceof ListenError && e.code === 'EPASSWORD');
    });

    it('the name is claimed only after the password', async () => {
      const { server, port } = await h.server(opts());
      const raw = await h.rawNoHello(port);
      raw.send({ type: 'hello', v: 1, name: 'alice' });
      await raw.waitFor((f) => f.type === 'challenge');
      assert.deepEqual(server.users(), []);
      const w = await client(port, { password: PASSWORD }).connect();
      assert.equal(w.name, 'alice');
    });

    it('brute force: one address backs off exponentially, another still connects at once', async () => {
      const { server, port } = await h.server(opts({ authThrottle: { baseDelay: 250, maxDelay: 4000 } }));
      const attacker = '127.0.0.2';
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await attempt(port, attacker, 'guess' + i);
        times.push(Date.now() - t0);
        assert.equal(r.code, 'auth_failed', JSON.stringify(r));
        assert.equal(r.message, 'wrong password');
      }
      // 250, 500, 1000 ms: each answer waits twice as long as the one before.
      assert.ok(times[0] >= 240 && times[1] >= 490 && times[2] >= 990, `waits ${times.join(', ')}`);
      assert.ok(times[2] > times[1] && times[1] > times[0]);

      // A fourth guess is held for 2 s, and the address is locked meanwhile: parallel
      // attempts, even with the right password, are refused at once without being checked.
      let checked = () => undefined as void;
      const fourthChecked = new Promise<void>((r) => (checked = r));
      const held = attempt(port, attacker, 'guess3', checked);
      await fourthChecked;
      const t1 = Date.now();
      const burst = await Promise.all([PASSWORD, 'x', 'y', 'z', 'w'].map((p) => attempt(port, attacker, p)));
      for (const r of burst) {
        assert.equal(r.code, 'auth_failed');
        assert.match(String(r.message), /too many wrong passwords/);
        assert.ok(Number(r.retryAfter) > 0);
      }
      assert.ok(Date.now() - t1 < 1000, `locked refusals took ${Date.now() - t1} ms`);

      // Meanwhile someone else is not slowed at all.
      const t2 = Date.now();
      await client(port, { name: 'bob', password: PASSWORD }).connect();
      assert.ok(Date.now() - t2 < 1000, `another address waited ${Date.now() - t2} ms`);
      const fourth = await held;
      assert.equal(fourth.message, 'wrong password');

      // The right password, tried after the answer, works and forgives the address.
      const ok = await attempt(port, attacker, PASSWORD);
      assert.equal(ok.type, 'welcome');
      assert.equal((server as unknown as { handshake: { throttle: AuthThrottle } }).handshake.throttle.failures(attacker), 0);
    });

    it('the password never appears in any byte the client sends', async () => {
      const { server, port } = await h.server(opts());
      const seen = events(server);
      const sent: Buffer[] = [];
      const proxy = net.createServer((inbound) => {
        const outbound = net.connect(port, '127.0.0.1');
        inbound.on('data', (d: Buffer) => sent.push(Buffer.from(d)));
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('error', () => outbound.destroy());
        outbound.on('error', () => inbound.destroy());
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      h.own(() => new Promise<void>((r) => proxy.close(() => r())));
      const proxyPort = (proxy.address() as net.AddressInfo).port;

      const c = client(proxyPort, { password: PASSWORD });
      await c.connect();
      c.send('hello everyone');
      await nextEvent(c.onMessage, (m) => m.text === 'hello everyone');
      const wrong = await refusal(client(proxyPort, { name: 'mallory', password: PASSWORD + '!' }).connect());
      assert.equal(wrong.code, 'auth_failed');

      const wire = Buffer.concat(sent);
      assert.ok(wire.includes('"type":"auth"'), 'the capture holds the handshake');
      const pw = Buffer.from(PASSWORD, 'utf8');
      const forms = [
        pw,
        Buffer.from(PASSWORD, 'utf16le'),
        Buffer.from(pw.toString('hex')),
        Buffer.from(pw.toString('hex').toUpperCase()),
        Buffer.from(pw.toString('base64')),
        Buffer.from(pw.toString('base64url')),
        Buffer.from(JSON.stringify(PASSWORD).slice(1, -1)),
        Buffer.from(encodeURIComponent(PASSWORD)),
        Buffer.from('horse battery'),
      ];
      for (const form of forms) assert.ok(!wire.includes(form), `the password appears on the wire as ${form.toString().slice(0, 40)}`);
      // Nor in anything the server reports to its operator.
      assert.ok(!JSON.stringify(seen).includes('horse'));
    });

    it('fuzz: random frames and bytes during the challenge never crash the server, which still answers ping', async () => {
      const { server, port } = await h.server(opts({ authThrottle: { baseDelay: 1, maxDelay: 4 } }));
      const frame = fc.oneof(
        fc.record({ type: fc.constant('auth'), proof: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{64}$/), fc.integer(), fc.constant(null), fc.array(fc.string())) }, { requiredKeys: ['type'] }),
        fc.record({ type: fc.constantFrom('hello', 'auth', 'message', 'join', 'nick', 'who', 'ping', 'history', 'search', 'file_offer', 'challenge', 'welcome'), id: fc.string(), name: fc.string(), v: fc.integer(), room: fc.string(), text: fc.string() }, { requiredKeys: ['type'] }),
        fc.jsonValue(),
      );
      const chunk = fc.oneof(
        frame.map((f) => Buffer.from(JSON.stringify(f) + '\n')),
        fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
        fc.string().map((s) => Buffer.from(s + '\n')),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 12 }), async (chunks) => {
          const raw = await h.rawNoHello(port);
          raw.send({ type: 'hello', v: 1, name: 'fuzz' });
          await raw.waitFor((f) => f.type === 'challenge');
          for (const c of chunks) raw.sendRaw(c);
          raw.sendRaw('\n');
          raw.send({ type: 'ping', id: 'alive' });
          // Either the connection still answers, or it was closed with a reason (a wrong proof, bytes that broke the line limit).
          const answer = await Promise.race([raw.waitFor((f) => f.type === 'pong' && f.id === 'alive', 4000).then(() => 'pong'), raw.waitClosed(4000).then(() => 'closed')]);
          if (answer === 'closed') assert.ok(raw.frames.some((f) => f.type === 'error'), `closed without a reason: ${JSON.stringify(raw.frames)}`);
          raw.close();
          // And the server as a whole is fine.
          const probe = await h.rawNoHello(port);
          probe.send({ type: 'ping', id: 'p' });
          await probe.waitFor((f) => f.type === 'pong');
          probe.close();
        }),
        { numRuns: 40 },
      );
      assert.deepEqual(server.users(), []);
      // The last wrong guesses may have locked this address for a few ms: wait that out, exactly.
      const throttle = (server as unknown as { handshake: { throttle: AuthThrottle } }).handshake.throttle;
      await new Promise((r) => setTimeout(r, throttle.lockedFor('127.0.0.1')));
      const w = await client(port, { password: PASSWORD }).connect();
      assert.equal(w.name, 'alice');
    });
  });

  // ---------------------------------------------------------------- throttle and names

  describe('throttle', () => {
    it('doubles up to the cap and forgives after a quiet period', () => {
      const t = new AuthThrottle({ baseDelay: 1000, maxDelay: 8000, forgiveAfter: 60_000 });
      const now = 1_000_000;
      assert.deepEqual([1, 2, 3, 4, 5].map((i) => t.fail('10.0.0.1', now + i)), [1000, 2000, 4000, 8000, 8000]);
      assert.ok(t.lockedFor('10.0.0.1', now + 6) > 7000);
      assert.equal(t.lockedFor('10.0.0.2', now + 6), 0);
      assert.equal(t.fail('10.0.0.1', now + 100_000), 1000, 'forgiven after a quiet minute');
      t.succeed('10.0.0.1');
      assert.equal(t.failures('10.0.0.1'), 0);
    });

    it('counts IPv6 by /64 and IPv4-mapped addresses as IPv4', () => {
      assert.equal(throttleKey('::ffff:10.1.2.3'), '10.1.2.3');
      assert.equal(throttleKey('2001:db8:1:2:aaaa::1'), throttleKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
      assert.notEqual(throttleKey('2001:db8:1:2::1'), throttleKey('2001:db8:1:3::1'));
      assert.equal(throttleKey('::1'), '0:0:0:0::/64');
    });

    it('forgets the stalest address when full', () => {
      const t = new AuthThrottle({ maxEntries: 3 });
      for (const a of ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4']) t.fail(a);
      assert.equal(t.failures('1.1.1.1'), 0);
      assert.equal(t.failures('4.4.4.4'), 1);
    });
  });

  describe('names', () => {
    const refused = [
      '',
      ' ',
      ' alice',
      'alice ',
      '\u3164',
      '\u200b',
      '\u0301\u0301',
      'ali\u0000ce',
      'ali\u001bce',
      'ali\u202ece',
      'ali\u2066ce',
      'ali\u200bce',
      'ali\u00adce',
      'ali\u061cce',
      'a\u{e0041}',
      'ali\nce',
      'a  b',
      'a\tb',
      'server',
      'System',
      'ＳＥＲＶＥＲ',
      '* bob',
      '- bob',
      '!bob',
      '<bob>',
      'bob> hi <eve',
      '[12:00]',
      '@bob',
      '#general',
      'a,b',
      'x'.repeat(33),
    ];
    const accepted = ['alice', 'Zoë', '李雷', "O'Brien", 'Anne Marie', 'dev-bot', 'ß', '🦊', 'x'.repeat(32)];
    for (const n of refused) it(`refuses ${JSON.stringify(n)}`, () => assert.notEqual(nameProblem(n), undefined));
    it('accepts ordinary names in any script', () => {
      for (const n of accepted) assert.equal(nameProblem(n), undefined, n);
    });
  });
});

/**
 * One password attempt from a given local address, speaking only the
 * documented frames (and computing the proof with plain node:crypto), so the
 * test checks the wire exchange, not the engine's own helpers.
 */
async function attempt(port: number, localAddress: string, password: string, checked?: () => void): Promise<Record<string, unknown>> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  const frames: Record<string, unknown>[] = [];
  let buf = '';
  let wake = () => undefined as void;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      frames.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
    wake();
  });
  socket.on('close', () => wake());
  const next = async (match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const f = frames.find(match);
      if (f) return f;
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
  };
  const send = (f: unknown) => socket.write(JSON.stringify(f) + '\n');
  try {
    await new Promise((r) => socket.once('connect', r));
    send({ type: 'hello', v: 1, name: 'mallory' });
    const c = await next((f) => f.type === 'challenge');
    const kdf = c.kdf as { N: number; r: number; p: number; keylen: number };
    const key = await new Promise<Buffer>((res, rej) =>
      scrypt(Buffer.from(password), Buffer.from(String(c.salt), 'hex'), kdf.keylen, { N: kdf.N, r: kdf.r, p: kdf.p }, (e, k) => (e ? rej(e) : res(k))),
    );
    send({ type: 'auth', proof: createHmac('sha256', key).update(Buffer.from(String(c.nonce), 'hex')).digest('hex') });
    if (checked) {
      // Frames are handled in order, so the pong says the proof has been checked (its answer may be held back).
      send({ type: 'ping', id: 'checked' });
      await next((f) => f.type === 'pong' || f.type === 'error' || f.type === 'welcome');
      checked();
    }
    return await next((f) => f.type === 'welcome' || f.type === 'error');
  } finally {
    socket.destroy();
  }
}
