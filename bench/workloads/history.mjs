// History: a data directory of 1,000,000 messages, 10 rooms × 100,000 (the
// default retention keeps 100,000 per room, so nothing is compacted away):
// restart recovery, search and history pages through the protocol, on our
// server only.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmtMs, median, stamp } from '../lib/format.mjs';
import { procRssKb, sleep } from '../lib/proc.mjs';
import { withServer } from './traffic.mjs';

export const HISTORY_CFG = { rooms: 10, perRoom: 100_000, recoveryLimitMs: 120_000 };
const CFG = { history: HISTORY_CFG };

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu build deploy review merge test ship lunch coffee standup'.split(' ');

function ensureHistoryData(ctx) {
  const dir = path.join(ctx.work, 'history-1m');
  const complete = path.join(dir, 'complete.json');
  const want = JSON.stringify({ rooms: CFG.history.rooms, perRoom: CFG.history.perRoom });
  if (fs.existsSync(complete) && fs.readFileSync(complete, 'utf8') === want) return dir;
  ctx.log(`generating ${CFG.history.rooms * CFG.history.perRoom} messages in ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'rooms'), { recursive: true });
  let rnd = 12345;
  const rand = (n) => ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) % n);
  const t0 = Date.UTC(2026, 0, 1);
  for (let r = 0; r < CFG.history.rooms; r++) {
    const room = `room-${r}`;
    const fd = fs.openSync(path.join(dir, 'rooms', `${room}.jsonl`), 'w', 0o600);
    let chunk = '';
    for (let seq = 1; seq <= CFG.history.perRoom; seq++) {
      const n = 4 + rand(10);
      const words = [];
      for (let w = 0; w < n; w++) words.push(WORDS[rand(WORDS.length)]);
      if (seq % 10_000 === 0) words.push('needle'); // 10 per room: a rare word
      const msg = { type: 'message', id: `h${r}-${seq}`, seq, room, sender: `user${rand(50)}`, text: words.join(' '), ts: new Date(t0 + (seq * CFG.history.rooms + r) * 1000).toISOString() };
      chunk += JSON.stringify(msg) + '\n';
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.closeSync(fd);
  }
  fs.writeFileSync(complete, want);
  return dir;
}

/** A minimal protocol client for request/response timing. */
async function rawClient(port, name) {
  const s = net.connect({ host: '127.0.0.1', port });
  s.setNoDelay(true);
  const waiters = [];
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const f = JSON.parse(line);
      const w = waiters.findIndex((x) => x.match(f));
      if (w !== -1) waiters.splice(w, 1)[0].resolve(f);
    }
  });
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  const request = (frame, match) =>
    new Promise((resolve) => {
      waiters.push({ match, resolve });
      s.write(JSON.stringify(frame) + '\n');
    });
  await request({ type: 'hello', v: 1, name }, (f) => f.type === 'welcome');
  return { request, close: () => s.destroy() };
}

export async function history(ctx, out) {
  const dir = ensureHistoryData(ctx);
  const bytes = fs.readdirSync(path.join(dir, 'rooms')).reduce((n, f) => n + fs.statSync(path.join(dir, 'rooms', f)).size, 0);
  // Baseline RSS of an empty server, to report what the history itself costs.
  const emptyRss = await withServer(ctx, 'ours', async (srv) => {
    await sleep(1000);
    return procRssKb(srv.pid);
  });
  const runs = [];
  Object.assign(out, { dataBytes: bytes, emptyRssKb: emptyRss, runs });
  for (let round = 1; round <= ctx.rounds; round++) {
    const r = await withServer(
      ctx,
      'ours',
      async (srv) => {
        const logText = fs.readFileSync(srv.logFile, 'utf8');
        const m = /history: (\d+) messages in (\d+) rooms .*?\((\d+) ms/.exec(logText);
        await sleep(1000);
        const rss = procRssKb(srv.pid);
        const c = await rawClient(srv.port, 'searcher');
        for (let i = 0; i < CFG.history.rooms; i++) await c.request({ type: 'join', room: `room-${i}` }, (f) => f.type === 'joined');
        const time = async (query, room) => {
          const ts = [];
          let hits = 0;
          for (let k = 0; k < 5; k++) {
            const t0 = performance.now();
            const f = await c.request({ type: 'search', id: `s${k}`, query, ...(room && { room }) }, (x) => x.type === 'search_results');
            ts.push(performance.now() - t0);
            hits = f.messages.length;
          }
          return { ms: median(ts), hits };
        };
        const searches = {
          common: await time('coffee'),
          rare: await time('needle'),
          absent: await time('no-such-word'),
          absentOneRoom: await time('no-such-word', 'room-3'),
        };
        const t0 = performance.now();
        await c.request({ type: 'history', room: 'room-5', before: 50_000, limit: 100 }, (f) => f.type === 'history');
        const historyPageMs = performance.now() - t0;
        c.close();
        return { startMs: srv.startMs, recoveredMessages: m ? Number(m[1]) : NaN, recoveryMs: m ? Number(m[3]) : NaN, rssKb: rss, searches, historyPageMs };
      },
      { args: ['--data', dir], waitMs: CFG.history.recoveryLimitMs },
    ).catch((e) => {
      throw new Error(`restart with ${CFG.history.rooms * CFG.history.perRoom} stored messages: the server was not listening after ${CFG.history.recoveryLimitMs / 1000} s (${e.message})`);
    });
    runs.push(r);
    ctx.log(`history r${round}: ${r.recoveredMessages} messages recovered in ${r.recoveryMs} ms (listening after ${fmtMs(r.startMs)} ms), RSS ${(r.rssKb / 1024).toFixed(0)} MB, search absent ${fmtMs(r.searches.absent.ms)} ms`);
    if (r.recoveredMessages !== CFG.history.rooms * CFG.history.perRoom) ctx.fail(`history: recovered ${r.recoveredMessages} messages, expected ${CFG.history.rooms * CFG.history.perRoom}`);
  }
}

/** The History section of the report. */
export function historyMarkdown(section) {
  const L = [];
  const h = section.data;
  if (!h?.runs?.length) return ['## History', '', stamp(section), '', `Not measured: ${(section.failures ?? []).join('; ') || 'no run finished'}`, ''];
  const med = (f) => median(h.runs.map(f));
  L.push(`## History: FileStore with ${(CFG.history.rooms * CFG.history.perRoom).toLocaleString('en')} messages (${CFG.history.rooms} rooms × ${CFG.history.perRoom.toLocaleString('en')}, ${(h.dataBytes / 2 ** 20).toFixed(0)} MB of JSONL)`, '', stamp(section), '');
  L.push('| restart: recovery (server log) | restart: listening after | RSS with history (empty server) | search, 0 hits (full scan) | search "needle" (100 hits, limit 50) | search common word | search one room, 0 hits | history page |', '|---|---|---|---|---|---|---|---|');
  L.push(`| ${fmtMs(med((r) => r.recoveryMs))} ms | ${fmtMs(med((r) => r.startMs))} ms | ${(med((r) => r.rssKb) / 1024).toFixed(0)} MB (${(h.emptyRssKb / 1024).toFixed(0)} MB) | ${fmtMs(med((r) => r.searches.absent.ms))} ms | ${fmtMs(med((r) => r.searches.rare.ms))} ms | ${fmtMs(med((r) => r.searches.common.ms))} ms | ${fmtMs(med((r) => r.searches.absentOneRoom.ms))} ms | ${fmtMs(med((r) => r.historyPageMs))} ms |`, '');
  L.push('Search times are round trips through the protocol (client → server → client), median of 5.', '');
  return L;
}
