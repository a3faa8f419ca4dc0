import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { RawClient } from '../support/rawClient';
import { LineDecoder, encodeFrame } from '../../src/engine/lineCodec';
import { parseClientFrame } from '../../src/engine/parseClientFrame';
import type { ServerFrame } from '../../src/engine/protocol';
import type { Codec, CodecSink, FrameEncoder, WireProtocol } from '../../src/engine/server/codec';

/**
 * A second wire protocol for the seam, built the way an IRC codec is: JSON
 * lines, but a per-connection capability ("CAP time" on a line of its own)
 * switches the connection to another encoding variant that stamps a field
 * on shared frames, and without "CAP echo" a sender does not get its own
 * messages back. Each variant counts what it encodes.
 */
class CountingEncoder implements FrameEncoder {
  readonly encoded: ServerFrame[] = [];
  constructor(private readonly stamp: string | undefined) {}
  encode(frame: ServerFrame): Buffer {
    this.encoded.push(frame);
    return this.stamp ? Buffer.from(JSON.stringify({ ...frame, stamp: this.stamp }) + '\n') : encodeFrame(frame);
  }
}

function capProtocol(plain: CountingEncoder, stamped: CountingEncoder): WireProtocol {
  class CapCodec implements Codec {
    variant: FrameEncoder = plain;
    readonly sharedEcho = false;
    private echo = false;
    private readonly decoder: LineDecoder;
    constructor(sink: CodecSink, maxLine: number) {
      this.decoder = new LineDecoder(
        {
          line: (text) => {
            if (text === 'CAP time' || text === 'CAP echo') {
              if (text === 'CAP time') this.variant = stamped;
              else this.echo = true;
              sink.reply(Buffer.from(JSON.stringify({ type: 'cap', ack: text.slice(4) }) + '\n'));
              if (text === 'CAP time') sink.variantChanged();
              return;
            }
            const parsed = parseClientFrame(text);
            if (parsed.ok) sink.frame(parsed.frame);
            else sink.reject(parsed.code, parsed.message, parsed.ref);
          },
          overflow: (bytes) => sink.overflow(bytes),
        },
        maxLine,
      );
    }
    push(chunk: Buffer): void {
      this.decoder.push(chunk);
    }
    /** Its own messages come here (sharedEcho is false): dropped, or with "CAP echo" marked as this connection's echo. */
    encode(frame: ServerFrame): Buffer | undefined {
      if (frame.type === 'message' && !this.echo) return undefined;
      return encodeFrame(frame.type === 'message' ? { ...frame, echo: true } as ServerFrame : frame);
    }
    pause(): void {
      this.decoder.pause();
    }
    resume(): void {
      this.decoder.resume();
    }
    stop(): void {
      this.decoder.stop();
    }
  }
  return { name: 'cap', open: (sink, limits) => new CapCodec(sink, limits.maxLine), refusal: encodeFrame };
}

describe('codec seam', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function twoPorts() {
    const plain = new CountingEncoder(undefined);
    const stamped = new CountingEncoder('t');
    const { server, port } = await h.server({ extraPorts: [{ port: 0, protocol: capProtocol(plain, stamped) }] });
    const capPort = server.addresses()[1].address!.port;
    assert.deepEqual(
      server.addresses().map((a) => a.protocol),
      ['json', 'cap'],
    );
    return { server, port, capPort, plain, stamped };
  }

  it('a second protocol on its own port shares rooms and people with JSON clients', async () => {
    const { port, capPort } = await twoPorts();
    const j = await h.raw(port, 'jay');
    const c = await RawClient.hello(capPort, 'cap');
    h.own(() => c.client.close());
    assert.deepEqual(c.welcome.users, ['jay', 'cap']);
    c.client.send({ type: 'message', id: 'c1', text: 'from the other port' });
    const m = await j.client.waitFor((f) => f.type === 'message');
    assert.equal(m.sender, 'cap');
    j.client.send({ type: 'message', id: 'j1', text: 'back' });
    assert.equal((await c.client.waitFor((f) => f.type === 'message')).id, 'j1');
  });

  it('encodes each shared frame once per variant, whatever the number of members, and regroups on a capability change', async () => {
    const { port, capPort, plain, stamped } = await twoPorts();
    const json = await Promise.all(['j1', 'j2', 'j3'].map((n) => h.raw(port, n)));
    const caps = await Promise.all(['c1', 'c2', 'c3'].map((n) => RawClient.hello(capPort, n)));
    for (const c of caps) h.own(() => c.client.close());
    // Two of the three switch to the stamped variant.
    for (const c of caps.slice(1)) {
      c.client.sendRaw('CAP time\n');
      await c.client.waitFor((f) => f.type === 'cap');
    }
    plain.encoded.length = 0;
    stamped.encoded.length = 0;
    json[0].client.send({ type: 'message', id: 'm1', text: 'one' });
    json[0].client.send({ type: 'message', id: 'm2', text: 'two' });
    for (const c of [...json, ...caps]) {
      const got = [await c.client.waitFor((f) => f.type === 'message'), await c.client.waitFor((f) => f.type === 'message')];
      assert.deepEqual(
        got.map((m) => m.id),
        ['m1', 'm2'],
      );
    }
    for (const c of caps.slice(1)) for (const f of c.client.frames) assert.notEqual(f.type, 'message');
    assert.deepEqual(
      plain.encoded.map((f) => f.type === 'message' && f.id),
      ['m1', 'm2'],
      'one encoding per message for the one plain member',
    );
    assert.deepEqual(
      stamped.encoded.map((f) => f.type === 'message' && f.id),
      ['m1', 'm2'],
      'one encoding per message for both stamped members',
    );
    // The stamped members got the stamped bytes; the others did not.
    caps[1].client.send({ type: 'message', id: 'm3', text: 'three' });
    assert.equal((await caps[2].client.waitFor((f) => f.type === 'message')).stamp, 't');
    assert.equal((await caps[0].client.waitFor((f) => f.type === 'message')).stamp, undefined);
    assert.equal((await json[1].client.waitFor((f) => f.type === 'message')).stamp, undefined);
  });

  it("a codec without a shared echo gets its own messages through its encode(): dropped, or tagged for it alone", async () => {
    const { port, capPort } = await twoPorts();
    const j = await h.raw(port, 'jay');
    const c = await RawClient.hello(capPort, 'quiet');
    h.own(() => c.client.close());
    c.client.send({ type: 'message', id: 'r1', text: 'to the room' });
    c.client.send({ type: 'message', id: 'd1', to: 'jay', text: 'to jay' });
    assert.equal((await j.client.waitFor((f) => f.type === 'message')).id, 'r1');
    assert.equal((await j.client.waitFor((f) => f.type === 'message')).id, 'd1');
    c.client.sendRaw('CAP echo\n');
    await c.client.waitFor((f) => f.type === 'cap');
    c.client.send({ type: 'message', id: 'r2', text: 'again' });
    c.client.send({ type: 'message', id: 'd2', to: 'jay', text: 'again, to jay' });
    // The first frames it gets back are r2 and d2, tagged by its codec: r1 and d1 never came.
    const own = [await c.client.waitFor((f) => f.type === 'message'), await c.client.waitFor((f) => f.type === 'message')];
    assert.deepEqual(
      own.map((m) => [m.id, m.echo]),
      [
        ['r2', true],
        ['d2', true],
      ],
    );
    // Everyone else gets the shared copy, untagged.
    const r2 = await j.client.waitFor((f) => f.type === 'message' && f.id === 'r2');
    assert.equal(r2.echo, undefined);
  });
});
