// What the prepare scripts (prepareCodeServer.mjs, prepareServers.mjs) share:
// installing Debian packages the same way, so a fix to how one of them waits
// for the dpkg lock or goes through sudo reaches the other too.
import { spawnSync } from 'node:child_process';

/** A progress line on stderr: stdout stays free for what a caller captures (prepareCodeServer prints a path). */
export function log(msg) {
  process.stderr.write(`[prepare] ${msg}\n`);
}

/** Runs a command with its output shown, and throws when it fails. */
export function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** Whether dpkg has a package fully installed (not merely unpacked or removed with its config left). */
export function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * apt-get update, then apt-get install of `packages`, with Debian's
 * recommended extras or without them (`recommends: false`: the servers need
 * none). The caller says which, so neither script's install changes.
 */
export function aptInstall(packages, { recommends }) {
  // Not root on a developer machine: go through sudo; CI runs as root.
  const [cmd, ...pre] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', 'apt-get'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Other jobs on a shared machine may hold the dpkg lock; wait instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  run(cmd, [...pre, ...lock, 'update'], { env });
  run(cmd, [...pre, ...lock, 'install', '-y', ...(recommends ? [] : ['--no-install-recommends']), ...packages], { env });
}
