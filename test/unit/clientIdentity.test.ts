import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { deriveKey, proofMatches } from '../../src/engine/auth';
import { generateCertificate, fingerprintOf as certFingerprint } from '../../src/engine/certificate';
import { ChatClient } from '../../src/engine/client/chatClient';
import { ConnectError } from '../../src/engine/client/connectError';
import { generateIdentity, idOfPublicKey, newGuestId, tlsBinding, verifyChallenge } from '../../src/engine/identity';
import { LineDecoder } from '../../src/engine/lineCodec';
import type { AuthFrame, ClientFrame, HelloFrame, ServerFrame, WelcomeFrame } from '../../src/engine/protocol';
import { Harness } from '../support/harness';

const KDF = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };

/** What the scripted server does with a hello. */
interface Script {
  /** Challenge a key, and the password when set, in one frame. */
  password?: string;
  /** Instead of a welcome: this error (a refusal). */
  refuse?: ServerFrame;
  /** Fields the welcome adds (a notice, other people). */
  welcome?: Partial<WelcomeFrame>;
  /** Challenge for a key even when the hello sent none (a confused server). */
  alwaysChallenge?: boolean;
}

/**
 * A server that speaks only what docs/protocol.md says of the identity
 * handshake, checking the client's side of it: one challenge for whatever it
 * needs, one auth frame carrying every proof, the signature checked against
 * the server's own end of the TLS binding. The real server's side is tested
 * over real sockets in identityServer.test.ts.
 */
class ScriptedServer {
  readonly received: ClientFrame[] = [];
  readonly verified: string[] = [];
  private readonly server: net.Server;
  private salt = randomBytes(16);

  constructor(
    private readonly script: Script,
    tlsMaterial?: { cert: string; key: string },
  ) {
    this.server = tlsMaterial ? tls.createServer({ cert: tlsMaterial.cert, key: tlsMaterial.key }, (s) => this.serve(s)) : net.createServer((s) => this.serve(s));
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const send = (f: ServerFrame) => socket.write(JSON.stringify(f) + '\n');
    let hello: HelloFrame | undefined;
    const nonce = randomBytes(32).toString('hex');
    const decoder = new LineDecoder({
      line: (text) => {
        const f = JSON.parse(text) as ClientFrame;
        this.received.push(f);
        if (f.type === 'hello') {
          hello = f;
          if (this.script.refuse) return send(this.script.refuse);
          const identity = f.key !== undefined || this.script.alwaysChallenge === true;
          if (!identity && this.script.password === undefined) return send(this.welcomeFor(f, false));
          send({
            type: 'challenge',
            nonce,
            ...(identity && { identity: true as const }),
            ...(this.script.password !== undefined && { salt: this.salt.toString('hex'), kdf: { name: 'scrypt' as const, ...KDF } }),
          });
        }
        if (f.type === 'auth' && hello) void this.check(f, hello, nonce, socket).then((ok) => send(ok ? this.welcomeFor(hello!, hello!.key !== undefined) : { type: 'error', code: 'auth_failed', message: 'the proof did not verify' }));
      },
      overflow: () => socket.destroy(),
    });
    socket.on('data', (d: Buffer) => decoder.push(d));
  }

  private async check(f: AuthFrame, hello: HelloFrame, nonce: string, socket: net.Socket): Promise<boolean> {
    if (hello.key !== undefined) {
      if (!verifyChallenge(hello.key, nonce, tlsBinding(socket), f.signature)) return false;
      this.verified.push('signature');
    }
    if (this.script.password !== undefined) {
      const key = await deriveKey(this.script.password, this.salt, KDF);
      if (!proofMatches(key, Buffer.from(nonce, 'hex'), f.proof)) return false;
      this.verified.push('password');
    }
    return true;
  }

  private welcomeFor(hello: HelloFrame, keyed: boolean): WelcomeFrame {
    const id = keyed ? idOfPublicKey(hello.key!) : newGuestId();
    return {
      type: 'welcome',
      v: 1,
      name: hello.name,
      session: 'scripted-session-0001',
      server: { version: 'scripted' },
      room: 'general',
      rooms: [{ name: 'general', count: 1, seq: 0 }],
      joined: ['general'],
      users: [hello.name],
      history: [],
      limits: { maxLine: 65536, rate: 10, burst: 30 },
      id,
      guest: !keyed,
      people: [{ name: hello.name, id, ...(!keyed && { guest: true as const }) }],
      ...this.script.welcome,
    };
  }
}

describe('ChatClient with an identity key', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function serve(script: Script, withTls = false): Promise<{ server: ScriptedServer; port: number; fingerprint?: string }> {
    const material = withTls ? await generateCertificate({ commonName: 'scripted' }) : undefined;
    const server = new ScriptedServer(script, material);
    const port = await server.start();
    h.own(() => server.close());
    return { server, port, fingerprint: material && certFingerprint(material.cert) };
  }

  function client(port: number, extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}): ChatClient {
    const c = new ChatClient({ host: '127.0.0.1', port, name: 'alice', reconnect: false, ...extra });
    h.own(() => c.dispose());
    return c;
  }

  it('over TLS, proves its key and the password in one auth frame, signed over the TLS binding, and learns who it is and who is behind each name', async () => {
    const me = generateIdentity();
    const bob = generateIdentity();
    const { server, port, fingerprint } = await serve(
      {
        password: 'pw-of-the-team',
        welcome: {
          notice: 'alice belongs to another identity; you are alice2',
          users: ['alice', 'bob', 'gus'],
          people: [
            { name: 'alice', id: me.id },
            { name: 'bob', id: bob.id },
            { name: 'gus', id: 'guest:gggggggg', guest: true },
          ],
        },
      },
      true,
    );
    const c = client(port, { identity: me, password: 'pw-of-the-team', tls: { fingerprint } });
    await c.connect();
    const hello = server.received.find((f) => f.type === 'hello');
    assert.deepEqual(hello, { type: 'hello', v: 1, name: 'alice', key: me.publicKey, features: ['people'] });
    const auths = server.received.filter((f) => f.type === 'auth');
    assert.equal(auths.length, 1, 'one round trip for both proofs');
    assert.deepEqual(Object.keys(auths[0]).sort(), ['proof', 'signature', 'type']);
    assert.deepEqual(server.verified, ['signature', 'password'], 'the server checked the signature against its own end of the TLS session');
    assert.equal(c.id, me.id);
    assert.equal(c.guest, false);
    assert.equal(c.identity, me);
    assert.equal(c.notice, 'alice belongs to another identity; you are alice2');
    assert.deepEqual(c.users, ['alice', 'bob', 'gus']);
    assert.deepEqual(c.person('bob'), { name: 'bob', id: bob.id });
    assert.deepEqual(c.person('gus'), { name: 'gus', id: 'guest:gggggggg', guest: true });
    assert.equal(c.people.length, 3);
  });

  it('proves a key alone over plain TCP (no binding to sign), and a guest sends no key at all', async () => {
    const me = generateIdentity();
    const { server, port } = await serve({});
    const keyed = client(port, { identity: me });
    await keyed.connect();
    assert.deepEqual(server.verified, ['signature']);
    assert.deepEqual(Object.keys(server.received.find((f) => f.type === 'auth')!).sort(), ['signature', 'type']);
    assert.equal(keyed.guest, false);

    const guest = client(port, { name: 'gus' });
    await guest.connect();
    const hellos = server.received.filter((f): f is HelloFrame => f.type === 'hello');
    assert.deepEqual(hellos[1], { type: 'hello', v: 1, name: 'gus', features: ['people'] });
    assert.equal(guest.guest, true);
    assert.match(guest.id ?? '', /^guest:/);
  });

  it('ends the handshake on name_claimed with what to do, and does not retry; insist is sent when asked', async () => {
    const { server, port } = await serve({ refuse: { type: 'error', code: 'name_claimed', message: '"alice" belongs to another identity' } });
    const c = client(port, { identity: generateIdentity(), insist: true, reconnect: true });
    await assert.rejects(c.connect(), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.code, 'name_claimed');
      assert.equal(e.message, `the server at 127.0.0.1:${port} refused the name: "alice" belongs to another identity. Choose another name; if the name is yours and your key is lost, ask the server's operator to release it`);
      return true;
    });
    assert.equal(c.state, 'closed');
    assert.equal((server.received[0] as HelloFrame).insist, true);
  });

  it('ends the handshake on identity_required, saying a key is needed', async () => {
    const { port } = await serve({ refuse: { type: 'error', code: 'identity_required', message: 'this server admits only people with an identity key' } });
    await assert.rejects(client(port).connect(), (e: unknown) => e instanceof ConnectError && e.code === 'identity_required' && /admits only people with an identity key.*connect with a key/.test(e.message));
  });

  it('refuses to answer an identity challenge for a key it never sent', async () => {
    const { server, port } = await serve({ alwaysChallenge: true });
    await assert.rejects(client(port).connect(), (e: unknown) => e instanceof ConnectError && e.code === 'bad_challenge' && /asked for an identity proof, but this client sent no key/.test(e.message));
    assert.equal(
      server.received.some((f) => f.type === 'auth'),
      false,
    );
  });

  it('treats a server that predates identities as one where nobody proved a key', async () => {
    const { port } = await serve({ welcome: { id: undefined, guest: undefined, people: undefined, users: ['alice', 'bob'] } });
    const c = client(port);
    await c.connect();
    assert.equal(c.id, undefined);
    assert.equal(c.guest, true);
    assert.deepEqual(c.users, ['alice', 'bob']);
    assert.deepEqual(c.people, []);
  });
});
