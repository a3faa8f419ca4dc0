#!/usr/bin/env node
// Installs the real servers the cluster tests start (test/support/realServers.ts):
// Debian's redis-server and PostgreSQL 15. The tests start them on loopback in
// temporary directories; nothing here starts or enables a service.
// With --irc-clients (npm run test:irc-clients) it installs the real IRC
// clients and peer instead: irssi, weechat-headless, ii, tmux and ngIRCd.
//
// Idempotent: when both are installed it returns at once (a few ms). Otherwise
// it runs apt-get update and apt-get install, through sudo when not root,
// waiting up to 10 minutes for another job's dpkg lock. `npm test` runs it
// before the unit tests, as it runs prepareCodeServer.mjs before the UI tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, dpkgInstalled, log } from './aptInstall.mjs';

/** Debian package, and a file that shows it is usable. */
const SERVERS = [
  { pkg: 'redis-server', file: '/usr/bin/redis-server' },
  { pkg: 'postgresql', file: '/usr/lib/postgresql/15/bin/initdb' },
];
/** What test/irc-clients drives (test/support/ircClients.ts, REAL_CLIENT_TOOLS). */
const IRC_CLIENTS = [
  { pkg: 'irssi', file: '/usr/bin/irssi' },
  { pkg: 'weechat-headless', file: '/usr/bin/weechat-headless' },
  { pkg: 'ii', file: '/usr/bin/ii' },
  { pkg: 'tmux', file: '/usr/bin/tmux' },
  { pkg: 'ngircd', file: '/usr/sbin/ngircd' },
  { pkg: 'openssl', file: '/usr/bin/openssl' },
];
const NEEDED = process.argv.includes('--irc-clients') ? IRC_CLIENTS : SERVERS;

/** Newer Debian releases ship a newer PostgreSQL; any version from 15 on will do. */
function postgresPresent() {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return false;
  return fs.readdirSync(base).some((v) => /^\d+$/.test(v) && Number(v) >= 15 && fs.existsSync(path.join(base, v, 'bin', 'initdb')));
}

function missing() {
  return NEEDED.filter(({ pkg, file }) => !(dpkgInstalled(pkg) && (pkg === 'postgresql' ? postgresPresent() : fs.existsSync(file)))).map((n) => n.pkg);
}

export function prepare() {
  const t0 = Date.now();
  const todo = missing();
  if (todo.length === 0) {
    log(`${NEEDED.map((n) => n.pkg).join(', ')} already installed (${Date.now() - t0} ms)`);
    return;
  }
  aptInstall(todo, { recommends: false });
  const still = missing();
  if (still.length > 0) throw new Error(`apt-get finished but ${still.join(', ')} is still missing`);
  log(`installed ${todo.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    prepare();
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
