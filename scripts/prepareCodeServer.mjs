#!/usr/bin/env node
// Prepares a real VS Code for the integration and UI tests: code-server
// 4.100.3 (VS Code 1.100.3's server build, from the npm registry) plus
// Debian's Chromium. @vscode/test-electron cannot download VS Code on
// machines that reach only npm and Debian, so this is how CI gets a host.
// See ../shared/vscode-host.md for why each step exists.
//
// Idempotent: the first run installs (apt + npm, about 100 s); later runs
// see the stamp file and return at once. Prints the code-server binary path
// on its last stdout line so callers may capture it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, dpkgInstalled, log, run } from './aptInstall.mjs';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_VERSION = '1.15.11'; // the @vscode/ripgrep that code-server 4.100.3 depends on
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const installDir = path.join(root, '.vscode-test', 'code-server');
export const codeServerBin = path.join(installDir, 'node_modules', '.bin', 'code-server');
const stamp = path.join(installDir, '.installed');
export const CHROMIUM = '/usr/bin/chromium';

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  aptInstall(missing, { recommends: true });
}

/** @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here) unless its cache holds the archive. */
function ensureRipgrepCache() {
  const dir = path.join(os.tmpdir(), `vscode-ripgrep-cache-${RIPGREP_VERSION}`);
  const archive = path.join(dir, RIPGREP_ASSET);
  if (fs.existsSync(archive)) return;
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep (rg) is not installed; apt-get install ripgrep');
  fs.mkdirSync(path.join(dir, 'x'), { recursive: true });
  fs.copyFileSync(rg, path.join(dir, 'x', 'rg'));
  fs.chmodSync(path.join(dir, 'x', 'rg'), 0o755);
  // Write under a temporary name first so a half-written archive is never taken for the cache.
  run('tar', ['czf', archive + '.tmp', '-C', path.join(dir, 'x'), 'rg']);
  fs.renameSync(archive + '.tmp', archive);
}

function installed() {
  try {
    return fs.readFileSync(stamp, 'utf8').trim() === CODE_SERVER_VERSION && fs.existsSync(codeServerBin);
  } catch {
    return false;
  }
}

/** Serialises concurrent prepares (two test runs at once) with an exclusive lock file; a dead holder's lock is taken over. */
async function withLock(fn) {
  fs.mkdirSync(path.dirname(installDir), { recursive: true });
  const lockFile = path.join(path.dirname(installDir), 'code-server.lock');
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(lockFile, 'utf8'));
      let alive;
      try {
        if (holder) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      log(`waiting for pid ${holder}, which is preparing code-server`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

export async function prepare() {
  const t0 = Date.now();
  // The fast path still checks the Debian packages: a cached folder copied to a new machine needs Chromium too.
  if (installed() && APT_PACKAGES.every(dpkgInstalled)) {
    log(`code-server ${CODE_SERVER_VERSION} already prepared (${Date.now() - t0} ms)`);
    return codeServerBin;
  }
  await withLock(async () => {
    ensureAptPackages();
    if (installed()) return;
    ensureRipgrepCache();
    // A folder without a stamp is a half-finished install: start it over.
    fs.rmSync(installDir, { recursive: true, force: true });
    fs.mkdirSync(installDir, { recursive: true });
    // Its own package.json stops npm from walking up and installing into the project's node_modules.
    fs.writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }, null, 2) + '\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: installDir,
      env: {
        ...process.env,
        // As root the postinstall refuses to run without this.
        npm_config_unsafe_perm: 'true',
        // node-pty's postinstall runs `npx node-gyp`, which would otherwise prompt.
        npm_config_yes: 'true',
      },
    });
    if (!fs.existsSync(codeServerBin)) throw new Error(`npm install finished but ${codeServerBin} is missing`);
    fs.writeFileSync(stamp, CODE_SERVER_VERSION + '\n');
  });
  log(`prepared code-server ${CODE_SERVER_VERSION} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return codeServerBin;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(await prepare());
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
