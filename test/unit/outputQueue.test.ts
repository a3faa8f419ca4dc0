import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Connection } from '../../src/engine/server/connection';
import { OutputQueue, type FanoutGroup } from '../../src/engine/server/outputQueue';

/** A member of a group: the server's end of a real loopback socket, and what its client end reads. */
interface Member {
  conn: Connection;
  client: net.Socket;
  received: () => string;
  waitFor: (text: string) => Promise<void>;
}

describe('OutputQueue: shared room segments', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];

  before(async () => {
    server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  async function member(): Promise<Member> {
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const socket = await accepted;
    sockets.push(socket, client);
    let text = '';
    const waiters: Array<() => void> = [];
    client.on('data', (d) => {
      text += d.toString();
      waiters.splice(0).forEach((w) => w());
    });
    // Only the fields OutputQueue reads and writes; the socket is real.
    const conn = { closing: false, pendingBytes: 0, dirty: false, socket } as unknown as Connection;
    const waitFor = async (want: string): Promise<void> => {
      while (text.length < want.length) await new Promise<void>((r) => waiters.push(r));
    };
    return { conn, client, received: () => text, waitFor };
  }

  const frame = (s: string): Buffer => Buffer.from(`${s}\n`);

  it('keeps one segment for frames that each leave out a different member, and each member gets all but its own', async () => {
    const [a, b, c] = [await member(), await member(), await member()];
    const q = new OutputQueue(1 << 20, () => assert.fail('nobody is a slow reader'));
    const group: FanoutGroup = { members: new Set([a.conn, b.conn, c.conn]) };
    q.fanOut(group, frame('m1 from a'), a.conn);
    const seg = group.seg;
    q.fanOut(group, frame('m2 from b'), b.conn);
    q.fanOut(group, frame('m3 to all'));
    q.fanOut(group, frame('m4 from a'), a.conn);
    assert.equal(group.seg, seg, 'every frame went into the one segment');
    assert.equal(seg?.parts.length, 4);
    q.flush();
    const want = { a: 'm2 from b\nm3 to all\n', b: 'm1 from a\nm3 to all\nm4 from a\n', c: 'm1 from a\nm2 from b\nm3 to all\nm4 from a\n' };
    await Promise.all([a.waitFor(want.a), b.waitFor(want.b), c.waitFor(want.c)]);
    assert.deepEqual({ a: a.received(), b: b.received(), c: c.received() }, want);
  });

  it('keeps order when a member left out of a frame gets its own copy right after it', async () => {
    const [a, b] = [await member(), await member()];
    const q = new OutputQueue(1 << 20, () => assert.fail('nobody is a slow reader'));
    const group: FanoutGroup = { members: new Set([a.conn, b.conn]) };
    q.fanOut(group, frame('m1 from b'), b.conn);
    q.fanOut(group, frame('m2 from a'), a.conn);
    q.send(a.conn, frame('echo of m2'));
    q.fanOut(group, frame('m3 from b'), b.conn);
    q.flush();
    const want = { a: 'm1 from b\necho of m2\nm3 from b\n', b: 'm2 from a\n' };
    await Promise.all([a.waitFor(want.a), b.waitFor(want.b)]);
    assert.deepEqual({ a: a.received(), b: b.received() }, want);
  });

  it("puts a sender's own copy in its place in the segment, which stays open for the next frames", async () => {
    const [a, b] = [await member(), await member()];
    const q = new OutputQueue(1 << 20, () => assert.fail('nobody is a slow reader'));
    const group: FanoutGroup = { members: new Set([a.conn, b.conn]) };
    q.fanOut(group, frame('m1 from a'), a.conn, frame('m1 from a, as a sees it'));
    const seg = group.seg;
    q.fanOut(group, frame('m2 from b'), b.conn);
    q.fanOut(group, frame('m3 from a'), a.conn, frame('m3 from a, as a sees it'));
    assert.equal(group.seg, seg, 'one segment for all three');
    q.flush();
    const want = { a: 'm1 from a, as a sees it\nm2 from b\nm3 from a, as a sees it\n', b: 'm1 from a\nm3 from a\n' };
    await Promise.all([a.waitFor(want.a), b.waitFor(want.b)]);
    assert.deepEqual({ a: a.received(), b: b.received() }, want);
  });

  it('gives members left out as a set (newcomers) nothing of that frame, and the frames around it in order', async () => {
    const [a, b, c] = [await member(), await member(), await member()];
    const q = new OutputQueue(1 << 20, () => assert.fail('nobody is a slow reader'));
    const group: FanoutGroup = { members: new Set([a.conn, b.conn, c.conn]) };
    q.fanOut(group, frame('m1 from a'), a.conn);
    q.fanOut(group, frame('b and c arrived'), new Set([b.conn, c.conn]));
    q.fanOut(group, frame('m2 from c'), c.conn);
    q.flush();
    const want = { a: 'b and c arrived\nm2 from c\n', b: 'm1 from a\nm2 from c\n', c: 'm1 from a\n' };
    await Promise.all([a.waitFor(want.a), b.waitFor(want.b), c.waitFor(want.c)]);
    assert.deepEqual({ a: a.received(), b: b.received(), c: c.received() }, want);
  });

  it('writes a large segment intact around the frames each member left out (several views of it, one writev)', async () => {
    const [a, b, c] = [await member(), await member(), await member()];
    const q = new OutputQueue(1 << 20, () => assert.fail('nobody is a slow reader'));
    const group: FanoutGroup = { members: new Set([a.conn, b.conn, c.conn]) };
    const senders = [a, b, c];
    const want = new Map(senders.map((m) => [m, '']));
    // Well past the size below which Buffers are joined rather than written as several.
    for (let i = 0; i < 300; i++) {
      const from = senders[i % 3];
      const text = `m${i} from ${i % 3} ${'x'.repeat(80)}`;
      q.fanOut(group, frame(text), from.conn);
      for (const m of senders) if (m !== from) want.set(m, want.get(m) + `${text}\n`);
    }
    q.flush();
    await Promise.all(senders.map((m) => m.waitFor(want.get(m) ?? '')));
    for (const m of senders) assert.equal(m.received(), want.get(m));
  });
});
