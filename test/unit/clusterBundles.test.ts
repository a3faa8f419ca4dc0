import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBus } from '../../src/engine/buses/openBus';
import { openStore } from '../../src/engine/stores/openStore';
import { StoreError } from '../../src/engine/stores/store';
import { ROOT } from '../support/cliProcess';
import { startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';

/**
 * pg and ioredis belong to the CLI server only. They are loaded on first use
 * (openStore, openBus) from bundles of their own beside cli.js, which must
 * work without node_modules (a packaged CLI), and they never enter the
 * extension's bundle.
 */

const SOURCES = ['src/engine/stores/postgresStore.ts', 'src/engine/stores/postgresMigrations.ts', 'src/engine/buses/redisBus.ts', 'src/engine/redactUrl.ts', 'esbuild.mjs'];
const BUNDLES = ['postgresStore.js', 'redisBus.js', 'cli.js', 'extension.js'];

function ensureBuilt(): void {
  const newest = Math.max(...SOURCES.map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs));
  const stale = BUNDLES.some((b) => {
    const file = path.join(ROOT, 'dist', b);
    return !fs.existsSync(file) || fs.statSync(file).mtimeMs < newest;
  });
  if (stale) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

/** Runs a script with node in `dir` and resolves with its stdout; rejects with its stderr. */
function runNode(dir: string, script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: dir, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('cluster bundles: pg and ioredis load lazily, outside the extension', function () {
  this.timeout(120_000);
  let pg: RealPostgres;
  let redis: RealRedis;
  let dir: string;

  before(async () => {
    ensureBuilt();
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    // A folder with no node_modules above it: what a packaged CLI has.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-bundles-'));
    for (const b of ['postgresStore.js', 'redisBus.js']) fs.copyFileSync(path.join(ROOT, 'dist', b), path.join(dir, b));
  });
  after(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps pg and ioredis out of extension.js and cli.js', () => {
    for (const b of ['extension.js', 'cli.js']) {
      const text = fs.readFileSync(path.join(ROOT, 'dist', b), 'utf8');
      assert.ok(!/pg-protocol|pg-pool|SCRAM-SHA-256/.test(text), `${b} holds pg`);
      assert.ok(!/ioredis|redis-parser|denque/i.test(text), `${b} holds ioredis`);
    }
    const pgBundle = fs.readFileSync(path.join(ROOT, 'dist', 'postgresStore.js'), 'utf8');
    assert.match(pgBundle, /SCRAM-SHA-256/, 'the store bundle carries pg itself');
  });

  it('runs dist/postgresStore.js and dist/redisBus.js from a folder without node_modules', async () => {
    const url = await pg.createDatabase();
    const out = await runNode(
      dir,
      `(async () => {
        const { PostgresStore } = await import('./postgresStore.js');
        const { RedisBus } = await import('./redisBus.js');
        const store = await PostgresStore.open(process.env.STORE_URL);
        const r = await store.append({ id: 'b1', room: 'general', sender: 'a', author: 'k', text: 'bundled', ts: new Date().toISOString() });
        const bus = await RedisBus.open(process.env.BUS_URL);
        const held = await bus.lease('bundle', 1000);
        await Promise.all([store.close(), bus.close()]);
        console.log(JSON.stringify({ seq: r.message.seq, held }));
      })().catch((e) => { console.error(e); process.exit(1); });`,
      { STORE_URL: url, BUS_URL: redis.url, NODE_PATH: '' },
    );
    assert.deepEqual(JSON.parse(out.trim()), { seq: 1, held: true });
  });

  it('openStore and openBus load their client on demand, and refuse other schemes without echoing a password', async () => {
    const store = await openStore(await pg.createDatabase(), { onWarning: () => undefined });
    try {
      assert.equal((await store.append({ id: 'o1', room: 'general', sender: 'a', author: 'k', text: 'hi', ts: new Date().toISOString() })).message.seq, 1);
    } finally {
      await store.close();
    }
    const bus = await openBus(redis.url);
    await bus.close();
    await assert.rejects(openStore('mysql://root:topsecret@db/chat'), (err: Error) => {
      assert.ok(err instanceof StoreError);
      assert.match(err.message, /--store takes a PostgreSQL URL like postgres:\/\/USER\[:PASS\]@HOST:PORT\/DB, not "mysql:\/\/root:\*\*\*@db\/chat"/);
      return true;
    });
    await assert.rejects(openStore('/var/lib/chat'), /--store takes a PostgreSQL URL/);
    await assert.rejects(openBus('memcached://:topsecret@cache'), (err: Error) => {
      assert.match(err.message, /--bus takes a Redis URL/);
      assert.ok(!err.message.includes('topsecret'));
      return true;
    });
  });
});
