import * as assert from 'node:assert/strict';
import { generateCertificate } from '../../src/engine/certificate';
import { Connection, Phase, type ConnectionHooks, type ConnectionOptions, type Ending } from '../../src/engine/client/connection';
import type { ServerFrame, WelcomeFrame } from '../../src/engine/protocol';
import { Harness } from '../support/harness';

/** Dials with hooks that write down the phase each hook sees, and resolves when the attempt ends. */
function dial(opts: Omit<ConnectionOptions, 'connectTimeout' | 'pingInterval' | 'maxLine'>, extra: Partial<ConnectionHooks> = {}) {
  const seen: string[] = [];
  let welcomed!: (w: WelcomeFrame) => void;
  let ended!: (e: Ending) => void;
  const welcome = new Promise<WelcomeFrame>((r) => (welcomed = r));
  const end = new Promise<Ending>((r) => (ended = r));
  const note = (hook: string) => seen.push(`${hook}:${conn.phase}`);
  const conn: Connection = new Connection(
    { connectTimeout: 5000, pingInterval: 30_000, maxLine: 1 << 20, ...opts },
    {
      hello: () => (note('hello'), { type: 'hello', v: 1, name: 'alice' }),
      answer: () => undefined,
      presented: () => note('presented'),
      trusted: () => note('trusted'),
      welcomed: (w) => (note('welcomed'), welcomed(w)),
      frame: (_f: ServerFrame) => undefined,
      ended: (e) => (note('ended'), ended(e)),
      ...extra,
    },
  );
  return { conn, seen, welcome, end };
}

describe('Connection phases', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('plain: dialing, greeting, ready, and closed when the server goes', async () => {
    const { server, port } = await h.server();
    const c = dial({ endpoint: { host: '127.0.0.1', port } });
    assert.equal(c.conn.phase, Phase.Dialing);
    await c.welcome;
    assert.equal(c.conn.phase, Phase.Ready);
    assert.ok(c.conn.ready);
    await h.stop(server);
    const e = await c.end;
    assert.deepEqual(e, { wasReady: true, bye: 'server shutting down' });
    assert.deepEqual(c.seen, ['hello:greeting', 'welcomed:ready', 'ended:closed']);
  });

  it('TLS, unpinned: securing, then verifying while a person decides, then greeting', async () => {
    const cert = await generateCertificate({ commonName: 'phase.test' });
    const { server, port } = await h.server({ tls: cert });
    let during: Phase | undefined;
    const c = dial({
      endpoint: { host: '127.0.0.1', port },
      tls: {
        verify: () => {
          during = c.conn.phase;
          return true;
        },
      },
    });
    await c.welcome;
    assert.equal(during, Phase.Verifying);
    assert.deepEqual(c.seen, ['presented:securing', 'trusted:verifying', 'hello:greeting', 'welcomed:ready']);
    assert.equal(c.conn.fingerprint, server.fingerprint);
    c.conn.close();
    assert.deepEqual(await c.end, { wasReady: true });
  });

  it('a close before the welcome ends the attempt with an error, once', async () => {
    const { port } = await h.server();
    const c = dial({ endpoint: { host: '127.0.0.1', port } });
    c.conn.close();
    const e = await c.end;
    assert.equal(e.wasReady, false);
    assert.equal(e.error?.code, 'disconnected');
    c.conn.close();
    assert.deepEqual(c.seen, ['ended:closed'], 'nothing after Closed');
  });
});
