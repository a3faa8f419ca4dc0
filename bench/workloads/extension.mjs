// Extension: production bundle sizes, activation time from a real extension
// host's log, and the panel's paint and append times.
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, stamp } from '../lib/format.mjs';

export async function extension(ctx, out) {
  const ext = out;
  const ROOT = ctx.root;
  // Production bundles into a temp dir, built by the project's own esbuild.mjs with only the out paths changed.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-bundle-'));
  try {
    const src = fs.readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8').replaceAll("'dist/", `'${tmp}/`);
    const script = path.join(ctx.work, 'esbuild-prod.mjs');
    fs.writeFileSync(script, src);
    execFileSync('node', [script, '--production'], { cwd: ROOT, stdio: 'inherit' });
    for (const f of ['extension.js', 'webview.js', 'cli.js']) {
      const p = path.join(tmp, f);
      if (!fs.existsSync(p)) continue;
      const gz = (await import('node:zlib')).gzipSync(fs.readFileSync(p), { level: 9 }).length;
      ext[f] = { bytes: fs.statSync(p).size, gzipBytes: gz };
    }
  } catch (e) {
    ext.bundleError = String(e.message ?? e);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Activation time: from the extension host's log of a real (code-server) VS Code run, if the integration tests left one.
  ext.activation = findActivation(ROOT);
  // Panel with 10,000 messages: first paint and append, measured by the webview helper's script.
  const panel = path.join(ROOT, 'bench', 'panel', 'measurePanel.mjs');
  if (fs.existsSync(panel)) {
    const json = path.join(ROOT, 'test-results', 'panel', 'measurePanel.json');
    fs.rmSync(json, { force: true });
    const r = spawnSync('node', [panel, '--no-shots'], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60_000 });
    try {
      const j = JSON.parse(fs.readFileSync(json, 'utf8'));
      ext.panel = { messages: j.messages, ...j.summary, exit: r.status };
    } catch {
      ext.panel = { error: `exit ${r.status}: ${((r.stdout ?? '') + (r.stderr ?? '')).slice(-400)}` };
    }
  } else ext.panel = { notMeasured: 'bench/panel/measurePanel.mjs is not there' };
  ctx.log(`extension: ${JSON.stringify(ext)}`);
}

function findActivation(ROOT) {
  // Where the integration runner leaves code-server logs: .vscode-test/, and its temp dirs when kept (TCP_CHAT_KEEP=1).
  const roots = [path.join(ROOT, '.vscode-test'), ...fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('tcp-chat-vscode-')).map((d) => path.join(os.tmpdir(), d))].filter((d) => fs.existsSync(d));
  if (!roots.length) return { notMeasured: 'no code-server logs in .vscode-test/ or kept integration temp dirs' };
  const files = [];
  const walk = (d, depth) => {
    if (depth > 8) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!/node_modules|extensions$|User$|CachedData/.test(e.name)) walk(p, depth + 1);
      } else if (/exthost.*\.log$/i.test(e.name)) files.push(p);
    }
  };
  for (const dir of roots) {
    try {
      walk(dir, 0);
    } catch {
      // unreadable corners
    }
  }
  // The extension host logs "ExtensionService#_doActivateExtension tcp-chat.tcp-chat, …" when it starts
  // activating us, and the extension's own output channel (tcp-chat.tcp-chat/TCP Chat.log, same exthost
  // dir) logs "TCP Chat activated" when activate() is done: the time between the two is the activation time.
  const stamp = (line) => {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
    return m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
  };
  const hits = [];
  for (const f of files) {
    if (!/exthost\.log$|remoteexthost\.log$/.test(f)) continue;
    const start = fs.readFileSync(f, 'utf8').split('\n').find((l) => l.includes('_doActivateExtension tcp-chat.tcp-chat'));
    const own = path.join(path.dirname(f), 'tcp-chat.tcp-chat');
    if (!start || !fs.existsSync(own)) continue;
    for (const g of fs.readdirSync(own)) {
      const done = fs.readFileSync(path.join(own, g), 'utf8').split('\n').find((l) => /TCP Chat activated/.test(l));
      if (!done) continue;
      const ms = stamp(done) - stamp(start);
      if (Number.isFinite(ms)) hits.push({ ms, source: path.relative(os.tmpdir(), f).split(path.sep).slice(0, 1)[0], event: /activationEvent: '([^']+)'/.exec(start)?.[1], mtime: fs.statSync(f).mtimeMs });
    }
  }
  if (!hits.length) return { notMeasured: `no activation of tcp-chat in ${files.length} extension host log(s) (searched .vscode-test/ and kept /tmp/tcp-chat-vscode-* dirs; the integration runner keeps them with TCP_CHAT_KEEP=1)` };
  hits.sort((a, b) => b.mtime - a.mtime);
  return { ms: median(hits.map((h) => h.ms)), runs: hits.length, event: hits[0].event, source: `code-server extension host logs (${hits.length} activation${hits.length > 1 ? 's' : ''}, median)` };
}

/** The Extension section of the report. */
export function extensionMarkdown(section) {
  const e = section.data;
  if (!e) return [];
  const L = ['## Extension', '', stamp(section), ''];
  L.push('| figure | value |', '|---|---|');
  for (const f of ['extension.js', 'webview.js', 'cli.js']) if (e[f]) L.push(`| dist/${f} (production) | ${(e[f].bytes / 1024).toFixed(1)} KB (${(e[f].gzipBytes / 1024).toFixed(1)} KB gzip) |`);
  if (e.bundleError) L.push(`| bundles | build failed: ${e.bundleError} |`);
  L.push(`| activation time | ${e.activation.ms !== undefined ? `${e.activation.ms} ms from the host's "_doActivateExtension" to the extension's "TCP Chat activated" (activation event ${e.activation.event}; ${e.activation.source}; wall clock on a busy machine)` : `not measured: ${e.activation.notMeasured}`} |`);
  if (e.panel.notMeasured || e.panel.error) L.push(`| panel with 10,000 messages | not measured: ${e.panel.notMeasured ?? e.panel.error} |`);
  else {
    const p = e.panel;
    L.push(`| panel with ${p.messages} messages: first paint | ${p.paintMs} ms wall, ${p.paintCpuMs} ms renderer CPU (budget ${p.budget?.paintMs} ms) |`);
    L.push(`| panel: append one message | median ${p.appendMedianMs} ms / p95 ${p.appendP95Ms} ms wall; ${p.appendCpuMedianMs} / ${p.appendCpuP95Ms} ms CPU (budget ${p.budget?.appendMs} ms) |`);
    L.push(`| panel figures from | \`node bench/panel/measurePanel.mjs --no-shots\` (headless Chromium; exit ${p.exit}) |`);
  }
  L.push('');
  return L;
}
