#!/usr/bin/env node
// RSS growth per connection of `tcp-chat serve` after N welcomed connections,
// 3 s and 20 s after the last welcome, with the node flags given: how much of
// a connection's RSS is V8's young generation (docs/performance.md, "What a
// connection costs"). Server on core 0; run this on core 1:
//
//   taskset -c 1 node bench/semiSpaceProbe.mjs 2000
//   taskset -c 1 node bench/semiSpaceProbe.mjs 2000 --max-semi-space-size=1
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2]);
const flags = process.argv.slice(3);
const port = 20000 + Math.floor(Math.random() * 20000);
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const srv = spawn('taskset', ['-c', '0', 'node', ...flags, path.join(ROOT, 'dist', 'cli.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--rate-limit', '0', '--quiet'], { stdio: 'inherit' });
await new Promise((r) => setTimeout(r, 1500));
const before = rss(srv.pid);
const socks = [];
let i = 0;
async function one() {
  const k = i++;
  await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`{"type":"hello","v":1,"name":"c${k}","features":["people"]}\n`));
    s.setNoDelay(true);
    let done = false;
    s.on('data', (d) => { if (!done && d.includes('"welcome"')) { done = true; resolve(); } if (d.includes('"ping"')) s.write('{"type":"pong"}\n'); });
    s.on('error', (e) => { console.error(e.message); resolve(); });
    socks.push(s);
  });
}
const t0 = Date.now();
await Promise.all(Array.from({ length: 50 }, async () => { while (i < N) await one(); }));
const t1 = Date.now();
await new Promise((r) => setTimeout(r, 3000));
const at3 = rss(srv.pid);
await new Promise((r) => setTimeout(r, 17000));
const at20 = rss(srv.pid);
console.log(JSON.stringify({ flags: flags.join(' '), N, connectMs: t1 - t0, before, kbPerConn3s: ((at3 - before) / N).toFixed(2), kbPerConn20s: ((at20 - before) / N).toFixed(2) }));
for (const s of socks) s.destroy();
srv.kill();
