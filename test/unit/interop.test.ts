import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { FileStore } from '../../src/engine/stores/fileStore';
import { Harness } from '../support/harness';
import { RawClient } from '../support/rawClient';
import { ensureCliBuilt, startCliServer } from '../support/cliProcess';

type Frame = Record<string, unknown>;
interface Msg {
  id: string;
  seq: number;
  room: string;
  sender: string;
  author: string;
  text: string;
  ts: string;
  to?: string;
}

/**
 * A client written from docs/protocol.md alone, with no engine code: plain
 * JSON lines over a socket, and the "Reconnecting without losing anything"
 * recipe (outbox, last seq per room, session token, catch-up, resend).
 */
class DocClient {
  raw?: RawClient;
  name = '';
  /** Our identity id from the welcome (a guest id here: this client proves no key). */
  id = '';
  private session?: string;
  private readonly outbox = new Map<string, Frame>();
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, Map<number, Msg>>();
  readonly delivered: Msg[] = [];
  readonly errors: Frame[] = [];
  private counter = 0;
  private connected = false;

  constructor(
    private readonly port: number,
    readonly wanted: string,
  ) {}

  async connect(): Promise<Frame> {
    const raw = await RawClient.connect(this.port);
    this.raw = raw;
    // After a restart the name is normally free again; ask for the one we were given.
    raw.send({ type: 'hello', v: 1, name: this.name || this.wanted, ...(this.session && { session: this.session }) });
    const w = await raw.waitFor((f) => f.type === 'welcome');
    this.onWelcome(w);
    return w;
  }

  /** Reconnect with doubling backoff (a short one: this is a test). */
  private async reconnect(): Promise<void> {
    this.connected = false;
    for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      try {
        await this.connect();
        return;
      } catch {
        // nothing listening yet: try again
      }
    }
  }

  send(text: string, target: { room?: string; to?: string } = {}): string {
    const id = `${this.wanted}-${++this.counter}`;
    const frame = { type: 'message', id, text, ...(target.to !== undefined ? { to: target.to } : { room: target.room ?? 'general' }) };
    this.outbox.set(id, frame);
    if (this.connected) this.raw?.send(frame);
    return id;
  }

  /** Reads and handles frames until `done()` holds, reconnecting whenever the link drops. */
  async until(done: () => boolean, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: condition not met in ${timeoutMs} ms; delivered ${JSON.stringify(this.delivered.map((m) => [m.room, m.seq, m.text]))}`);
      const f = await this.raw?.next(left);
      if (f === undefined) await this.reconnect();
      else this.handle(f);
    }
  }

  get unacked(): number {
    return this.outbox.size;
  }

  texts(room = 'general'): string[] {
    return this.delivered.filter((m) => m.room === room).map((m) => m.text);
  }

  private onWelcome(w: Frame): void {
    const first = !this.session;
    this.name = w.name as string;
    this.id = w.id as string;
    this.session = w.session as string;
    this.connected = true;
    const seq = ((w.rooms as Array<{ name: string; seq: number }>).find((r) => r.name === 'general')?.seq ?? 0) as number;
    if (first) {
      this.last.set('general', seq); // the welcome's history is the past, not news
    } else {
      if (seq < (this.last.get('general') ?? 0)) for (const room of this.last.keys()) this.last.set(room, 0);
      for (const m of w.history as Msg[]) this.onMessage(m);
      if (seq > (this.last.get('general') ?? 0)) this.catchUp('general');
    }
    for (const f of this.outbox.values()) this.raw?.send(f);
  }

  private handle(f: Frame): void {
    switch (f.type) {
      case 'message':
        return this.onMessage(f as unknown as Msg);
      case 'history': {
        for (const m of f.messages as Msg[]) this.onMessage(m);
        if (f.more) this.catchUp(f.room as string);
        return;
      }
      case 'error':
        this.errors.push(f);
        return;
      case 'ping':
        return this.raw?.send({ type: 'pong' });
      default:
        return; // presence, typing, bye...: not needed here
    }
  }

  private catchUp(room: string): void {
    this.raw?.send({ type: 'history', id: `catch-up-${room}`, room, after: this.last.get(room) ?? 0, limit: 500 });
  }

  private onMessage(m: Msg): void {
    if (m.author === this.id) this.outbox.delete(m.id);
    const last = this.last.get(m.room) ?? m.seq - 1;
    if (m.seq <= last) return;
    if (m.seq > last + 1) {
      const held = this.pending.get(m.room) ?? new Map<number, Msg>();
      this.pending.set(m.room, held);
      held.set(m.seq, m);
      this.last.set(m.room, last);
      return this.catchUp(m.room);
    }
    this.delivered.push(m);
    this.last.set(m.room, m.seq);
    const held = this.pending.get(m.room);
    const next = held?.get(m.seq + 1);
    if (held && next) {
      held.delete(next.seq);
      this.onMessage(next);
    }
  }
}

/** The scenario from the "Done when" of the foundation issue, against any server. */
async function scenario(port: number, restart: () => Promise<void>): Promise<void> {
  const alice = new DocClient(port, 'alice');
  const bob = new DocClient(port, 'bob');
  const other = new DocClient(port, 'alice');
  const all = [alice, bob, other];
  try {
    for (const c of all) await c.connect();
    // Unique names: the welcome says which name you got.
    assert.deepEqual(
      all.map((c) => c.name),
      ['alice', 'bob', 'alice2'],
    );

    // The server sets the sender; a forged one is ignored.
    alice.raw?.send({ type: 'message', id: 'forged', room: 'general', text: 'I am bob', sender: 'bob' });
    alice.send('hello from alice');
    bob.send('hello from bob');
    other.send('hello from the other alice');
    for (const c of all) await c.until(() => c.delivered.length === 4);
    for (const c of all) {
      const bySender = Object.fromEntries(c.delivered.map((m) => [m.text, m.sender]));
      assert.deepEqual(bySender, { 'I am bob': 'alice', 'hello from alice': 'alice', 'hello from bob': 'bob', 'hello from the other alice': 'alice2' });
    }

    // Clear errors for bad input, and the connection stays usable.
    const raw = bob.raw as RawClient;
    raw.sendRaw('this is not json\n');
    raw.sendRaw('{"type":"dance"}\n');
    raw.sendRaw('{"type":"message","id":"no-text"}\n');
    raw.sendRaw('{"type":"join","room":"Not A Room"}\n');
    await bob.until(() => bob.errors.length === 4);
    assert.deepEqual(
      bob.errors.map((e) => e.code),
      ['bad_json', 'unknown_type', 'bad_frame', 'bad_room'],
    );
    for (const e of bob.errors) assert.ok(typeof e.message === 'string' && e.message.length > 0);

    // A direct message reaches bob only.
    alice.send('for bob only', { to: 'bob' });
    // The DM key is `@` and the two identity ids in sorted order (docs/protocol.md, Direct messages).
    await bob.until(() => bob.texts(`@${[alice.id, bob.id].sort().join(',')}`).length === 1);
    alice.send('after the dm');
    await other.until(() => other.texts().includes('after the dm'));
    assert.ok(!other.delivered.some((m) => m.room.startsWith('@')), 'a third client never sees a DM');

    // A restart: messages sent while the server is down are delivered once it is back.
    await restart();
    bob.send('written while the server was down');
    bob.send('and another');
    const want = ['I am bob', 'hello from alice', 'hello from bob', 'hello from the other alice', 'after the dm', 'written while the server was down', 'and another', 'back again'];
    // Each client reconnects when it next reads; bob first, so his outbox goes out.
    await bob.until(() => bob.unacked === 0);
    await alice.until(() => alice.texts().includes('and another'));
    alice.send('back again');
    for (const c of all) await c.until(() => c.texts().length === want.length && c.unacked === 0);
    for (const c of all) {
      assert.deepEqual(c.texts().slice().sort(), want.slice().sort(), `${c.name} got everything once`);
      assert.deepEqual(
        c.delivered.filter((m) => m.room === 'general').map((m) => m.seq),
        want.map((_, i) => i + 1),
        `${c.name}: no gaps, no duplicates, in order`,
      );
      assert.equal(c.name, c.wanted === 'alice' && c === other ? 'alice2' : c.wanted, 'names survive the restart');
    }
  } finally {
    for (const c of all) c.raw?.close();
  }
}

describe('interop: a client written from docs/protocol.md', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('chats, gets clear errors and loses nothing across a restart (in-process server)', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    await scenario(first.port, async () => {
      await h.stop(first.server);
      await h.server({ port: first.port, store: await FileStore.open(dir) });
    });
  });

  it('does the same through tcp-chat serve --data', async () => {
    ensureCliBuilt();
    const dir = h.tmpDir();
    let proc: ChildProcess | undefined;
    h.own(() => {
      if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    });
    const first = await startCliServer(['--port', '0', '--data', dir, '--quiet']);
    proc = first.proc;
    await scenario(first.port, async () => {
      first.proc.kill('SIGTERM');
      assert.equal(await first.exited, 0);
      proc = (await startCliServer(['--port', String(first.port), '--data', dir, '--quiet'])).proc;
    });
  });
});
