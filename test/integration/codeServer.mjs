// Shared by the integration runner and the UI tests: start code-server (a
// real VS Code 1.100.3 host) and headless Debian Chromium in fresh temporary
// dirs on a random loopback port, and stop every process started, by PID.
//
// Every child gets a unique marker in its environment. Killing the process
// group catches most of them; the marker sweep over /proc catches any that
// left the group or were reparented when their parent died.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const codeServerBin = path.join(root, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
const MARKER_VAR = 'TCP_CHAT_TEST_MARKER';

/** A port the OS says is free right now on loopback. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or the time is up. */
export async function waitUntil(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** PIDs of live processes whose environment carries `marker` (Linux /proc). */
export function pidsWithMarker(marker) {
  const found = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  const needle = `${MARKER_VAR}=${marker}`;
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${e}/environ`, 'latin1');
      if (env.split('\0').includes(needle)) found.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it is dead for our purposes.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Stops a process group (leader `pid`) and everything carrying `marker`: TERM, then KILL after a grace period. */
export async function killByPid(pid, marker, graceMs = 3000) {
  const targets = () => [...new Set([...(pid ? [pid] : []), ...(marker ? pidsWithMarker(marker) : [])])].filter(alive);
  if (pid) signal(-pid, 'SIGTERM');
  for (const p of targets()) signal(p, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (targets().length && Date.now() < end) await sleep(100);
  if (pid) signal(-pid, 'SIGKILL');
  for (const p of targets()) signal(p, 'SIGKILL');
  await sleep(100);
  const left = targets();
  if (left.length) throw new Error(`processes still alive after SIGKILL: ${left.join(', ')}`);
}

/**
 * Starts code-server on a random loopback port with fresh user-data,
 * extensions and workspace dirs. `settings` become the user settings.
 * Returns handles plus stop(), which kills by PID and removes the dirs.
 */
export async function startCodeServer({ settings = {}, workspaceFiles = {}, log = () => undefined, env = {}, install = [] } = {}) {
  if (!fs.existsSync(codeServerBin)) throw new Error(`code-server is missing at ${codeServerBin}; run node scripts/prepareCodeServer.mjs`);
  const marker = randomUUID();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-vscode-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const workspace = path.join(tmp, 'workspace');
  for (const d of [userDataDir, extensionsDir, workspace, path.join(userDataDir, 'User')]) fs.mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(workspaceFiles)) {
    fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    fs.writeFileSync(path.join(workspace, name), text);
  }
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  const baseSettings = {
    // Quiet, deterministic workbench: no welcome page, trust prompt, tips or network chatter.
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'window.restoreWindows': 'none',
    'workbench.colorTheme': 'Default Dark Modern',
    ...settings,
  };
  fs.writeFileSync(settingsFile, JSON.stringify(baseSettings, null, 2));

  // A running code-server does not pick up new extensions, so packaged ones go in first.
  for (const vsix of install) {
    execFileSync(codeServerBin, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix], { stdio: 'pipe', timeout: 120_000 });
  }
  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    workspace,
  ];
  const outLog = path.join(tmp, 'code-server.log');
  const out = fs.openSync(outLog, 'a');
  // detached: its own process group, so one kill(-pid) reaches its children too.
  const child = spawn(codeServerBin, args, {
    cwd: tmp,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env, [MARKER_VAR]: marker },
  });
  fs.closeSync(out);
  const pid = child.pid;
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = code ?? sig;
  });
  log(`code-server pid ${pid} on 127.0.0.1:${port}, dirs under ${tmp}`);

  let stopped = false;
  const handle = {
    port,
    pid,
    marker,
    tmp,
    userDataDir,
    extensionsDir,
    workspace,
    settingsFile,
    outLog,
    base: `http://127.0.0.1:${port}`,
    /** The workbench URL for the test workspace, optionally with a payload (extensionDevelopmentPath etc.). */
    url(payload) {
      let u = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
      if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return u;
    },
    /** A vscode-remote URI for a path on this machine, as the payload wants it. */
    remote(p) {
      return `vscode-remote://127.0.0.1:${port}${p}`;
    },
    /** Rewrites user settings; the running workbench picks the change up. */
    setSettings(extra) {
      const cur = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
      fs.writeFileSync(settingsFile, JSON.stringify({ ...cur, ...extra }, null, 2));
    },
    /** The extension host's log, which shows activations and activation errors. */
    exthostLog() {
      const logs = path.join(userDataDir, 'logs');
      const out = [];
      const walk = (d) => {
        for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name === 'remoteexthost.log' || e.name === 'exthost.log') out.push(fs.readFileSync(p, 'utf8'));
        }
      };
      walk(logs);
      return out.join('\n');
    },
    async stop({ keepDirs = false } = {}) {
      if (stopped) return;
      stopped = true;
      try {
        await killByPid(pid, marker);
      } finally {
        if (!keepDirs) fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
  try {
    await waitUntil(
      async () => {
        if (exited !== null) throw new Error(`code-server exited (${exited}) before it was ready; log:\n${fs.readFileSync(outLog, 'utf8').slice(-3000)}`);
        return httpOk(`${handle.base}/healthz`);
      },
      60_000,
      'code-server to answer /healthz',
    );
  } catch (e) {
    await handle.stop({ keepDirs: true });
    throw e;
  }
  return handle;
}

/**
 * Launches headless Debian Chromium through playwright-core (never a
 * downloaded browser). The returned stop() closes it and kills its PIDs.
 */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const marker = randomUUID();
  // launchServer, not launch: only a BrowserServer exposes the browser's PID, which cleanup needs.
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, [MARKER_VAR]: marker },
  });
  const pid = server.process().pid;
  let browser;
  try {
    browser = await chromium.connect(server.wsEndpoint());
  } catch (e) {
    await killByPid(pid, marker);
    throw e;
  }
  let stopped = false;
  return {
    browser,
    pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Polite closes first, each given 5 s and allowed to fail (the browser may have crashed with the test);
      // the kill by PID below is what guarantees nothing is left running.
      await Promise.race([browser.close().catch(() => undefined), sleep(5000)]);
      await Promise.race([server.close().catch(() => undefined), sleep(5000)]);
      await killByPid(pid, marker);
    },
  };
}

/** Runs `fn` when this process is interrupted, so Ctrl-C still cleans up; returns an undo function. */
export function onInterrupt(fn) {
  const handler = (sig) => {
    Promise.resolve(fn())
      .catch(() => undefined)
      .finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
