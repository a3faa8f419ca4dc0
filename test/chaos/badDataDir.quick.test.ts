import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatClient } from '../../src/engine/client/chatClient';
import { ChatServer } from '../../src/engine/server/chatServer';
import { FileStore } from '../../src/engine/stores/fileStore';
import type { ChatMessage, ErrorFrame } from '../../src/engine/protocol';
import { CLI, report, waitUntil } from './support';

/**
 * The documented choice (docs/reliability.md):
 * - at startup, a data directory that cannot be written stops `tcp-chat serve`
 *   with exit code 1 and a message naming the directory;
 * - at run time, a message that cannot be saved is answered `store_failed` and
 *   is neither acknowledged nor delivered; the client keeps it in its outbox
 *   and retries, and the server keeps serving everything else.
 *
 * Tests run as root in CI, where chmod does not stop writes, so "unwritable"
 * is a path under a regular file, an immutable directory (chattr +i), /dev/full
 * and a 64 KiB tmpfs; the last two kinds skip themselves where the kernel or
 * the container does not allow them.
 */
describe('chaos (quick): bad data directory', function () {
  this.timeout(30_000);
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function tmp(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-baddata-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  function serve(data: string): { status: number | null; stderr: string; ms: number } {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--data', data], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
  }

  /**
   * Root can always set the immutable flag on this machine kind and in CI, so
   * there a failure is a failure; only a non-root run skips what it cannot do.
   */
  function requireRoot(ctx: Mocha.Context, ok: boolean, what: string): void {
    if (ok) return;
    if (process.getuid?.() === 0) assert.fail(`${what} failed although running as root`);
    ctx.skip(); // not root: chattr +i and mount need privileges
  }

  function chattr(flag: '+i' | '-i', target: string): boolean {
    try {
      execFileSync('chattr', [flag, target], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  it('tcp-chat serve exits 1 with a clear message when --data is under a regular file', () => {
    const dir = tmp();
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const r = serve(path.join(file, 'data'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^tcp-chat: cannot write to data directory .*not-a-dir\/data: .*ENOTDIR.*Pick another --data directory or fix its permissions\n$/);
    report('bad data dir: under a file', { exit: r.status, stderr: r.stderr.trim(), ms: r.ms });
  });

  it('tcp-chat serve exits 1 with a clear message when --data is read-only (immutable)', function () {
    const dir = tmp();
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    requireRoot(this, chattr('+i', data), 'chattr +i');
    cleanups.push(() => void chattr('-i', data));
    const r = serve(data);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot write to data directory .*data: .*(EPERM|EACCES|EROFS)/);
    report('bad data dir: immutable', { exit: r.status, stderr: r.stderr.trim() });
  });

  function nextJoined(c: ChatClient, room: string): Promise<void> {
    return new Promise((resolve) => {
      const sub = c.onJoined((f) => {
        if (f.room !== room) return;
        sub.dispose();
        resolve();
      });
    });
  }

  /**
   * Once the sender's outbox is empty, no copy of its message is on its way
   * except a retry it wrote before the acknowledgement came. A request round
   * trip on the sender's connection, then on the receiver's, passes any such
   * retry and anything the server relayed from it.
   */
  async function nothingMoreFor(sender: ChatClient, receiver: ChatClient): Promise<void> {
    await sender.who();
    await receiver.who();
  }

  /** A server on a FileStore in `dir`, plus two engine clients. */
  async function chat(dir: string): Promise<{ server: ChatServer; alice: ChatClient; bob: ChatClient; bobGot: ChatMessage[]; aliceErrors: ErrorFrame[]; warnings: string[] }> {
    const server = new ChatServer({ port: 0, store: await FileStore.open(dir) });
    const { port } = await server.listen();
    const warnings: string[] = [];
    server.onEvent((e) => {
      if (e.type === 'warn') warnings.push(e.message);
    });
    cleanups.push(() => server.close());
    const alice = new ChatClient({ host: '127.0.0.1', port, name: 'alice' });
    const bob = new ChatClient({ host: '127.0.0.1', port, name: 'bob' });
    cleanups.push(() => alice.dispose(), () => bob.dispose());
    const bobGot: ChatMessage[] = [];
    const aliceErrors: ErrorFrame[] = [];
    bob.onMessage((m) => bobGot.push(m));
    alice.onServerError((e) => aliceErrors.push(e));
    await alice.connect();
    await bob.connect();
    return { server, alice, bob, bobGot, aliceErrors, warnings };
  }

  it('a full disk at run time (/dev/full): store_failed, not acknowledged, not delivered, retried; the server keeps serving', async () => {
    const dir = tmp();
    const { alice, bob, bobGot, aliceErrors, warnings } = await chat(dir);
    // The room file is opened on the first append: point it at a device that is always full.
    fs.symlinkSync('/dev/full', path.join(dir, 'rooms', 'general.jsonl'));
    const id = alice.send('this cannot be saved');
    await waitUntil(() => aliceErrors.filter((e) => e.code === 'store_failed' && e.ref === id).length >= 2, 5000, 'store_failed twice (the client retries)');
    assert.equal(alice.unacked, 1, 'the message stays in the outbox');
    assert.equal(bobGot.length, 0, 'nothing unsaved is delivered');
    assert.ok(warnings.some((w) => /ENOSPC/.test(w)), `the server logs why: ${warnings.join('; ')}`);
    // Everything else still works: another room (its own file) and requests.
    const joined = Promise.all([nextJoined(alice, 'ok'), nextJoined(bob, 'ok')]);
    alice.join('ok');
    bob.join('ok');
    await joined;
    alice.send('saved elsewhere', { room: 'ok' });
    await waitUntil(() => bobGot.some((m) => m.room === 'ok'), 3000, 'a message in a writable room');
    assert.deepEqual(await bob.who(), ['alice', 'bob']);
    report('bad data dir: /dev/full', { storeFailed: aliceErrors.filter((e) => e.code === 'store_failed').length, unacked: alice.unacked, warning: warnings[0] });
  });

  it('a read-only directory at run time (chattr +i): store_failed, then delivered once when it is writable again', async function () {
    const dir = tmp();
    const { alice, bobGot, aliceErrors, bob } = await chat(dir);
    const rooms = path.join(dir, 'rooms');
    requireRoot(this, chattr('+i', rooms), 'chattr +i');
    cleanups.push(() => void chattr('-i', rooms));
    const id = alice.send('wait for me');
    await waitUntil(() => aliceErrors.some((e) => e.code === 'store_failed' && e.ref === id), 5000, 'store_failed');
    assert.equal(alice.unacked, 1);
    assert.equal(bobGot.length, 0);
    assert.ok(chattr('-i', rooms));
    // The client retries about once a second on its own.
    await waitUntil(() => alice.unacked === 0 && bobGot.length === 1, 5000, 'the retry to be saved and delivered');
    await nothingMoreFor(alice, bob);
    assert.deepEqual(bobGot.map((m) => m.text), ['wait for me']);
    assert.equal((await bob.history('general')).messages.length, 1, 'stored once');
    report('bad data dir: read-only at run time', { storeFailed: aliceErrors.length, deliveredAfterFix: bobGot.length });
  });

  it('a full file system at run time (64 KiB tmpfs): store_failed, then delivered once when space is freed', async function () {
    const mnt = tmp();
    let mounted = true;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      mounted = false;
    }
    requireRoot(this, mounted, 'mounting a 64 KiB tmpfs');
    cleanups.push(() => void spawnSync('umount', ['-l', mnt]));
    const dir = path.join(mnt, 'data');
    const { alice, bobGot, aliceErrors, bob } = await chat(dir);
    // Fill the file system before the room file gets its first page.
    const filler = path.join(mnt, 'filler');
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(4096, 0x2e);
    let filled = 0;
    try {
      for (let i = 0; i < 1024; i++) filled += fs.writeSync(fd, block);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const id = alice.send('no room on disk');
    await waitUntil(() => aliceErrors.some((e) => e.code === 'store_failed' && e.ref === id), 5000, 'store_failed');
    assert.equal(alice.unacked, 1);
    assert.equal(bobGot.length, 0);
    fs.rmSync(filler);
    await waitUntil(() => alice.unacked === 0 && bobGot.length === 1, 5000, 'the retry to be saved and delivered');
    await nothingMoreFor(alice, bob);
    assert.deepEqual(bobGot.map((m) => m.text), ['no room on disk']);
    assert.equal((await bob.history('general')).messages.length, 1);
    report('bad data dir: tmpfs full', { fillerBytes: filled, storeFailed: aliceErrors.length, deliveredAfterFree: bobGot.length });
  });
});
