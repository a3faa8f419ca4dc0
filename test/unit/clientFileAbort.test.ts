import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { ChatClient } from '../../src/engine/client/chatClient';
import { ConnectError } from '../../src/engine/client/connectError';
import { LineDecoder } from '../../src/engine/lineCodec';
import type { ClientFrame, FileAbortEvent, ServerFrame } from '../../src/engine/protocol';
import { Harness, nextEvent } from '../support/harness';

/**
 * A server that speaks only what the test scripts: it welcomes a hello, then
 * sends the frames the test gives it. It stands in for the server's side of
 * file_abort until the real server sends it, and checks the client's side of
 * that frame as docs/protocol.md describes it.
 */
class ScriptedServer {
  private readonly server = net.createServer();
  private socket?: net.Socket;
  private readonly received: ClientFrame[] = [];
  private watchers: Array<() => void> = [];

  async start(): Promise<number> {
    this.server.on('connection', (s) => {
      this.socket = s;
      s.on('error', () => undefined);
      const decoder = new LineDecoder({
        line: (text) => {
          const f = JSON.parse(text) as ClientFrame;
          this.received.push(f);
          if (f.type === 'hello') this.send(welcome(f.name));
          for (const w of this.watchers.splice(0)) w();
        },
        overflow: () => s.destroy(),
      });
      s.on('data', (d: Buffer) => decoder.push(d));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  send(f: ServerFrame): void {
    this.socket?.write(JSON.stringify(f) + '\n');
  }

  /** The first frame from the client that matches, waiting for it if need be. */
  async frame<T extends ClientFrame['type']>(type: T): Promise<Extract<ClientFrame, { type: T }>> {
    for (;;) {
      const f = this.received.find((x): x is Extract<ClientFrame, { type: T }> => x.type === type);
      if (f) return f;
      await new Promise<void>((r) => this.watchers.push(r));
    }
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function welcome(name: string): ServerFrame {
  return {
    type: 'welcome',
    v: 1,
    name,
    session: 'scripted-session-0001',
    server: { version: 'scripted' },
    room: 'general',
    rooms: [{ name: 'general', count: 1, seq: 0 }],
    joined: ['general'],
    users: [name],
    history: [],
    limits: { maxLine: 65536, rate: 10, burst: 30 },
  };
}

describe('ChatClient and file_abort', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function setup(): Promise<{ server: ScriptedServer; client: ChatClient }> {
    const server = new ScriptedServer();
    const port = await server.start();
    h.own(() => server.close());
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'alice', reconnect: false });
    h.own(() => client.dispose());
    await client.connect();
    return { server, client };
  }

  it('tells a receiver that a transfer it was receiving was cancelled', async () => {
    const { server, client } = await setup();
    const offered = nextEvent(client.onFileOffer);
    server.send({ type: 'file_offer', id: 'f1', sender: 'bob', room: 'general', name: 'a.txt', size: 10, sha256: '0'.repeat(64), ts: new Date().toISOString() });
    assert.equal((await offered).id, 'f1');
    const aborted = nextEvent(client.onFileAbort);
    server.send({ type: 'file_abort', id: 'f1', sender: 'bob', reason: 'the sender disconnected' });
    const abort: FileAbortEvent = await aborted;
    assert.deepEqual(abort, { type: 'file_abort', id: 'f1', sender: 'bob', reason: 'the sender disconnected' });
  });

  it("fails the sender's own transfer with the reason, instead of waiting for a file_done that will not come", async () => {
    const { server, client } = await setup();
    const aborts: FileAbortEvent[] = [];
    client.onFileAbort((a) => aborts.push(a));
    const sending = client.sendFile(Buffer.from('hello'), 'a.txt', { to: 'bob' });
    const offer = await server.frame('file_offer');
    server.send({ type: 'file_abort', id: offer.id, sender: 'alice', reason: 'chunk 0 was not valid base64' });
    await assert.rejects(sending, (e: unknown) => e instanceof ConnectError && e.code === 'file_aborted' && /chunk 0 was not valid base64/.test(e.message));
    assert.deepEqual(aborts, [], 'your own transfer is settled through sendFile, not announced as someone else’s');
  });
});
