#!/usr/bin/env node
// Panel speed and looks, measured in headless Chromium.
//
//   node bench/panel/measurePanel.mjs [--dist] [--appends 100] [--messages 10000] [--no-shots]
//
// Serves a static harness page (the same CSP as the real panel) that loads the
// webview bundle and media/chat.css with a fake acquireVsCodeApi, feeds an
// `init` of 10,000 messages, and times:
//   paint  - from dispatching `init` to after the first frame that shows it
//            (rAF, then a MessageChannel task that runs once that frame is done);
//   append - for single `items` appends: the handler's own time plus the work
//            of the frame that shows it (rAF start to after that frame), so the
//            wait for the next vsync is not counted; wall time is reported too.
// Then takes screenshots in light, dark and high-contrast themes under
// test-results/panel/. The browser is the system Chromium; nothing is downloaded.
// The page.evaluate callbacks below run in the browser, not in Node.
/* global window, document */
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { THEMES, themeCss } from './themes.mjs';
import { demoConversation, makeConversation } from './fixtures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const useDist = args.includes('--dist');
const shots = !args.includes('--no-shots');
const N = opt('messages', 10_000);
const APPENDS = opt('appends', 100);
const outDir = path.join(root, 'test-results', 'panel');
const workDir = path.join(root, 'bench', '.work', 'panel');
fs.mkdirSync(outDir, { recursive: true });
fs.mkdirSync(workDir, { recursive: true });

// ---------------------------------------------------------------- the bundle
let bundlePath = path.join(root, 'dist', 'webview.js');
if (!useDist) {
  // Same options as esbuild.mjs's webview build with --production, without touching dist/.
  bundlePath = path.join(workDir, 'webview.js');
  await esbuild.build({
    entryPoints: [path.join(root, 'src/webview/main.ts')],
    outfile: bundlePath,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'warning',
  });
}
const bundle = fs.readFileSync(bundlePath);
const css = fs.readFileSync(path.join(root, 'media', 'chat.css'));

// ---------------------------------------------------------------- the harness page
const NONCE = 'benchnonce0123456789';
function page(theme) {
  const t = THEMES[theme];
  // The fake API records posts and state; the bench drives the page through window.__panel.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; script-src 'nonce-${NONCE}'">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="/theme-${theme}.css" rel="stylesheet">
<link href="/chat.css" rel="stylesheet">
<title>Chat</title>
</head>
<body class="${t.bodyClass}">
<div id="app"></div>
<script nonce="${NONCE}">
  window.__panel = { posted: [], state: undefined, violations: [] };
  document.addEventListener('securitypolicyviolation', (e) => window.__panel.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__panel.posted.push(m),
    getState: () => window.__panel.state,
    setState: (s) => { window.__panel.state = s; },
  });
  window.__panel.send = (m) => window.dispatchEvent(new MessageEvent('message', { data: m }));
  // Resolves after the next frame has been produced: rAF runs before the frame,
  // a MessageChannel task queued from it runs after.
  window.__panel.afterFrame = () => new Promise((resolve) => requestAnimationFrame(() => {
    const rafAt = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve({ rafAt, doneAt: performance.now() });
    ch.port2.postMessage(0);
  }));
</script>
<script nonce="${NONCE}" src="/webview.js"></script>
</body>
</html>`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (type, body) => {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  if (url.pathname === '/') return send('text/html', page(url.searchParams.get('theme') ?? 'dark'));
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204);
    return res.end();
  }
  if (url.pathname === '/webview.js') return send('text/javascript', bundle);
  if (url.pathname === '/chat.css') return send('text/css', css);
  const m = /^\/theme-(\w+)\.css$/.exec(url.pathname);
  if (m && THEMES[m[1]]) return send('text/css', themeCss(m[1]));
  res.writeHead(404);
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const ROOMS = [
  { key: 'general', label: '#general', kind: 'room', unread: 0 },
  { key: 'release', label: '#release', kind: 'room', unread: 3 },
  { key: 'random', label: '#random', kind: 'room', unread: 0 },
  { key: '@alice,bob', label: 'bob', kind: 'dm', unread: 1 },
  { key: '@alice,carol', label: 'carol', kind: 'dm', unread: 0 },
];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const initOf = (items, extra = {}) => ({
  type: 'init',
  me: 'alice',
  address: '127.0.0.1:12345',
  state: 'connected',
  rooms: ROOMS,
  active: 'general',
  items,
  more: true,
  users: USERS,
  typing: [],
  files: [],
  ...extra,
});

async function open(theme, viewport) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await p.goto(`${base}/?theme=${theme}`);
  await p.waitForFunction(() => window.__panel.posted.some((m) => m.type === 'ready'));
  return { ctx, p, errors };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const r1 = (x) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------- speed
const result = { chromium: browser.version(), cpus: os.cpus().length, loadAverageAtStart: os.loadavg().map((x) => r1(x)), messages: N, bundle: path.relative(root, bundlePath), bundleBytes: bundle.length, runs: [] };
const json = JSON.stringify(initOf(makeConversation(N)));
for (let run = 0; run < 3; run++) {
  const { ctx, p, errors } = await open('dark', { width: 900, height: 700 });
  // Main-thread CPU time (thread ticks) beside wall time: on a shared machine the
  // wall clock also counts the time other processes held the CPU.
  const cdp = await ctx.newCDPSession(p);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const cpu = async () => (await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'ThreadTime').value * 1000;
  const parseMs = await p.evaluate((json) => {
    const t0 = performance.now();
    window.__init = JSON.parse(json);
    return performance.now() - t0;
  }, json);
  const c0 = await cpu();
  const paint = await p.evaluate(async () => {
    const t1 = performance.now();
    window.__panel.send(window.__init);
    const t2 = performance.now();
    const f = await window.__panel.afterFrame();
    return { handlerMs: t2 - t1, paintMs: f.doneAt - t1, rows: document.querySelectorAll('#messages .row').length };
  });
  const paintCpuMs = (await cpu()) - c0;
  // What one measured round trip costs with no append: page.evaluate, afterFrame
  // and CDP themselves use main-thread CPU, which the append figures subtract.
  const idle = [];
  for (let i = 0; i < 30; i++) {
    await p.evaluate(() => window.__panel.afterFrame());
    const b0 = await cpu();
    await p.evaluate(async () => {
      const t0 = performance.now();
      const f = await window.__panel.afterFrame();
      return { wall: f.doneAt - t0 };
    });
    idle.push((await cpu()) - b0);
  }
  const baseline = median(idle);
  const appends = [];
  for (let i = 0; i < APPENDS; i++) {
    await p.evaluate(() => window.__panel.afterFrame()); // start each append on an idle frame
    const a0 = await cpu();
    const a = await p.evaluate(async (i) => {
      const msg = { type: 'message', id: `b-${i}`, seq: 1_000_000 + i, room: 'general', sender: i % 3 ? 'bob' : 'alice', text: `live message ${i} with **some** markdown and a link https://example.com/${i}`, ts: new Date().toISOString() };
      const t0 = performance.now();
      window.__panel.send({ type: 'items', room: 'general', items: [msg], position: 'append' });
      const t1 = performance.now();
      const f = await window.__panel.afterFrame();
      const shown = document.querySelector(`#messages .msg[data-id="b-${i}"]`) !== null;
      return { handler: t1 - t0, frame: f.doneAt - f.rafAt, wall: f.doneAt - t0, shown };
    }, i);
    a.cpu = Math.max(0, (await cpu()) - a0 - baseline);
    appends.push(a);
  }
  const violations = await p.evaluate(() => window.__panel.violations);
  const totals = appends.map((a) => a.handler + a.frame);
  const cpus = appends.map((a) => a.cpu);
  result.runs.push({
    paint: { parseMs: r1(parseMs), handlerMs: r1(paint.handlerMs), paintMs: r1(paint.paintMs), cpuMs: r1(paintCpuMs), domRows: paint.rows },
    append: {
      n: appends.length,
      medianMs: r1(median(totals)),
      p95Ms: r1(pct(totals, 0.95)),
      maxMs: r1(Math.max(...totals)),
      cpuBaselineMs: r1(baseline),
      cpuMedianMs: r1(median(cpus)),
      cpuP95Ms: r1(pct(cpus, 0.95)),
      handlerMedianMs: r1(median(appends.map((a) => a.handler))),
      wallMedianMs: r1(median(appends.map((a) => a.wall))),
      allShown: appends.every((a) => a.shown),
    },
    errors,
    cspViolations: violations,
  });
  await ctx.close();
}
const best = (f) => Math.min(...result.runs.map(f));
result.summary = {
  paintMs: r1(median(result.runs.map((r) => r.paint.paintMs))),
  paintCpuMs: r1(median(result.runs.map((r) => r.paint.cpuMs))),
  appendMedianMs: r1(median(result.runs.map((r) => r.append.medianMs))),
  appendP95Ms: r1(median(result.runs.map((r) => r.append.p95Ms))),
  appendCpuMedianMs: r1(median(result.runs.map((r) => r.append.cpuMedianMs))),
  appendCpuP95Ms: r1(median(result.runs.map((r) => r.append.cpuP95Ms))),
  bestPaintMs: best((r) => r.paint.paintMs),
  budget: { paintMs: 300, appendMs: 16 },
};

// ---------------------------------------------------------------- screenshots
const shotsTaken = [];
if (shots) {
  const demo = demoConversation();
  const file = { fileId: 'f1', room: 'general', sender: 'carol', name: 'reconnect-ci.log', size: 48_213, ts: demo[demo.length - 1].ts, status: 'ready' };
  const scenes = [
    { name: 'dark-wide', theme: 'dark', viewport: { width: 960, height: 720 } },
    { name: 'light-wide', theme: 'light', viewport: { width: 960, height: 720 } },
    { name: 'hc-wide', theme: 'hc', viewport: { width: 960, height: 720 } },
    { name: 'dark-narrow', theme: 'dark', viewport: { width: 420, height: 720 } },
    { name: 'light-narrow-drawer', theme: 'light', viewport: { width: 420, height: 720 }, drawer: true },
    { name: 'dark-disconnected-search', theme: 'dark', viewport: { width: 960, height: 720 }, search: true },
  ];
  for (const s of scenes) {
    const { ctx, p, errors } = await open(s.theme, s.viewport);
    await p.evaluate(
      ({ init, file, search }) => {
        window.__panel.send(init);
        window.__panel.send({ type: 'file', file });
        window.__panel.send({ type: 'typing', room: 'general', names: ['bob'] });
        if (search) {
          window.__panel.send({ type: 'status', state: 'disconnected', me: 'alice', address: null });
          window.__panel.send({ type: 'showSearch', query: 'reconnect' });
          window.__panel.send({ type: 'searchResults', query: 'reconnect', items: init.items.filter((m) => m.type === 'message' && /reconnect/i.test(m.text)).reverse() });
        }
      },
      { init: initOf(demo, { more: false }), file, search: !!s.search },
    );
    if (s.drawer) await p.click('.side-toggle');
    await p.evaluate(() => window.__panel.afterFrame());
    await p.waitForTimeout(150);
    const out = path.join(outDir, `${s.name}.png`);
    await p.screenshot({ path: out });
    shotsTaken.push({ file: path.relative(root, out), errors });
    await ctx.close();
  }
}
// ---------------------------------------------------------------- hostile text in the real browser
// The payloads are test/support/hostilePayloads.ts, bundled on the fly so this script needs no compile step.
let hostile;
if (shots) {
  const out = await esbuild.build({ entryPoints: [path.join(root, 'test/support/hostilePayloads.ts')], bundle: true, format: 'esm', write: false, logLevel: 'warning' });
  const { HOSTILE_PAYLOADS } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  const t = Date.UTC(2026, 10, 26, 10, 0);
  const items = HOSTILE_PAYLOADS.map((pl, i) => ({ type: 'message', id: `hostile-${pl.name}`, seq: i + 1, room: 'general', sender: i % 2 ? 'mallory' : 'm\u202Eallory', text: pl.text, ts: new Date(t + i * 60_000).toISOString() }));
  const { ctx, p, errors } = await open('dark', { width: 960, height: 720 });
  const t0 = Date.now();
  await p.evaluate((init) => window.__panel.send(init), initOf(items, { more: false }));
  const firstPaintMs = Date.now() - t0;
  // Scroll through every row so each payload is really rendered, checking as we go.
  const check = await p.evaluate(async () => {
    const m = document.getElementById('messages');
    const seen = new Set();
    const bad = [];
    m.scrollTop = 0;
    for (let guard = 0; guard < 500; guard++) {
      await window.__panel.afterFrame();
      for (const row of m.querySelectorAll('.msg')) seen.add(row.dataset.id);
      for (const e of m.querySelectorAll('.msg-body *')) {
        if (!['P', 'BR', 'STRONG', 'EM', 'CODE', 'PRE', 'A', 'SPAN', 'BUTTON'].includes(e.tagName)) bad.push(e.tagName);
        for (const a of e.attributes) if (!['href', 'class', 'rel', 'type', 'aria-expanded'].includes(a.name)) bad.push(`${e.tagName}[${a.name}]`);
      }
      if (m.scrollTop + m.clientHeight >= m.scrollHeight - 1) break;
      m.scrollTop += m.clientHeight;
    }
    return {
      rendered: seen.size,
      pwned: window.__pwned !== undefined,
      badElements: [...new Set(bad)],
      pageOverflowsX: document.documentElement.scrollWidth > window.innerWidth,
      listOverflowsX: m.scrollWidth > m.clientWidth,
      tallestRow: Math.max(...[...m.querySelectorAll('.row')].map((r) => r.offsetHeight)),
    };
  });
  await p.evaluate(() => window.__panel.afterFrame());
  const out1 = path.join(outDir, 'hostile-dark-end.png');
  await p.screenshot({ path: out1 });
  await p.evaluate(async () => {
    const m = document.getElementById('messages');
    m.scrollTop = 0;
    await window.__panel.afterFrame();
    await window.__panel.afterFrame();
  });
  const out2 = path.join(outDir, 'hostile-dark-start.png');
  await p.screenshot({ path: out2 });
  const violations = await p.evaluate(() => window.__panel.violations);
  hostile = { payloads: items.length, firstPaintMs, ...check, cspViolations: violations, errors };
  shotsTaken.push({ file: path.relative(root, out1), errors }, { file: path.relative(root, out2), errors });
  await ctx.close();
}
result.hostile = hostile;
result.screenshots = shotsTaken;
result.loadAverageAtEnd = os.loadavg().map((x) => r1(x));

await browser.close();
server.close();

fs.writeFileSync(path.join(outDir, 'measurePanel.json'), JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
console.log('\nrun | JSON.parse | handler | paint wall | paint CPU | append median | append p95 | append max | append CPU median | append CPU p95 | rows in DOM');
console.log('----|------------|---------|------------|-----------|---------------|------------|------------|------------------|----------------|------------');
result.runs.forEach((r, i) =>
  console.log(
    `${i + 1}   | ${r.paint.parseMs} | ${r.paint.handlerMs} | ${r.paint.paintMs} | ${r.paint.cpuMs} | ${r.append.medianMs} | ${r.append.p95Ms} | ${r.append.maxMs} | ${r.append.cpuMedianMs} | ${r.append.cpuP95Ms} | ${r.paint.domRows}`,
  ),
);
console.log('(all figures in ms; wall = performance.now in the page, CPU = renderer main-thread time from CDP, minus the cost of an empty measured round trip for appends)');
console.log(`\nload average ${result.loadAverageAtStart.join(' ')} on ${result.cpus} CPUs (other work on the machine inflates wall figures)`);
const S = result.summary;
console.log(`paint of ${N} messages: ${S.paintMs} ms wall, ${S.paintCpuMs} ms CPU (budget 300)`);
console.log(`append: median ${S.appendMedianMs} ms / p95 ${S.appendP95Ms} ms wall, median ${S.appendCpuMedianMs} ms / p95 ${S.appendCpuP95Ms} ms CPU (budget 16)`);
if (hostile) console.log(`hostile: ${hostile.rendered}/${hostile.payloads} payloads rendered, executed: ${hostile.pwned}, foreign elements: ${hostile.badElements.length}, horizontal overflow: ${hostile.pageOverflowsX || hostile.listOverflowsX}, tallest row ${hostile.tallestRow}px, CSP violations: ${hostile.cspViolations.length}`);
const hostileBad = hostile && (hostile.pwned || hostile.badElements.length || hostile.pageOverflowsX || hostile.listOverflowsX || hostile.cspViolations.length || hostile.rendered !== hostile.payloads);
const bad = hostileBad || result.runs.some((r) => r.errors.length || r.cspViolations.length || !r.append.allShown) || shotsTaken.some((s) => s.errors.length);
if (bad) {
  console.error('errors, CSP violations or missing rows: see the JSON above');
  process.exitCode = 1;
}
