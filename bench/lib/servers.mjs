// The servers the bench measures, each started by hand on a free loopback port,
// pinned to core 0 with the hard open-files limit, and stopped by PID.
//
// To measure another server with the same load generator (for example our IRC
// port against ngIRCd, issue 12), add an entry here: a label, the protocol its
// clients speak (an adapter in ./adapters.mjs) and how to start it.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NOFILE, freePort, procComm, sleep, track } from './proc.mjs';

export const HOST = '127.0.0.1';

/**
 * kind → { label, proto, connectPending, command }.
 * `proto` names the adapter its clients speak (./adapters.mjs).
 * `connectPending` caps how many connections may wait for the server's first
 * byte at once, across all load-generator processes: ngIRCd listens with a
 * backlog of 10, and a connection beyond it is dropped and retried a second later.
 * `command(o)` is the argv that serves the clients on o.port; o also has root,
 * work (a scratch directory), clients (the most a workload connects), args
 * (extra flags) and nodeArgs (flags for node, such as a profiler).
 *
 * Our IRC port (issue 12) against ngIRCd would be one more entry, for example
 *   oursIrc: { label: 'tcp-chat serve, IRC port', proto: 'irc',
 *              command: (o) => ours({ ...o, port: 0, args: ['--irc-port', String(o.port)] }) }
 * and `TRAFFIC_CFG.servers = ['oursIrc', 'ngircd']` in ../workloads/traffic.mjs.
 */
export const SERVERS = {
  ours: { label: 'tcp-chat serve', proto: 'json', command: ours },
  // The same server through its IRC gateway (issue 12): the IRC port is the one measured, the JSON port is any free one.
  oursIrc: { label: 'tcp-chat serve --irc-port', proto: 'irc', connectPending: 8, command: (o) => ours({ ...o, port: 0, args: [...(o.args ?? []), '--irc-port', String(o.port)] }) },
  ngircd: { label: 'ngIRCd', proto: 'irc', connectPending: 8, command: (o) => ['/usr/sbin/ngircd', '-n', '-f', writeConfig(o.work, 'ngircd', o.port)] },
  redis: { label: 'Redis pub/sub', proto: 'resp', command: (o) => ['redis-server', writeConfig(o.work, 'redis', o.port)] },
  bare: { label: 'bare Node net server', proto: 'line', command: (o) => ['node', ...o.nodeArgs, path.join(o.root, 'bench', 'bareServer.mjs'), String(o.port), HOST] },
};

/** `tcp-chat serve` from dist/, with limits raised where a workload needs it. */
function ours({ root, port, clients = 0, args = [], nodeArgs = [] }) {
  const big = clients + 100 > 10_000 ? ['--max-clients', String(clients + 100)] : [];
  // A connect storm delays welcomes; the bench measures what that costs, so it does not cut them off.
  return ['node', ...nodeArgs, path.join(root, 'dist', 'cli.js'), 'serve', '--host', HOST, '--port', String(port), '--rate-limit', '0', '--quiet', '--handshake-timeout', '600000', ...big, ...args];
}

/** Results before the servers had these names called ngIRCd `irc`. */
export const kindOf = (k) => (k === 'irc' ? 'ngircd' : k);

export function ensurePeers(log) {
  if (fs.existsSync('/usr/bin/redis-server') && fs.existsSync('/usr/sbin/ngircd')) return;
  log('installing redis-server and ngircd from Debian');
  const apt = (args) => execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt(['update']);
  apt(['install', '-y', 'redis-server', 'ngircd']);
}

/**
 * The peers' configs, as in shared/peers.md except for the port (a free one, so
 * that two benches on the machine do not collide) and Redis's maxclients
 * (10,000 subscribers plus 100 publishers in the `large` workload).
 */
function writeConfig(work, kind, port) {
  const file = path.join(work, `${kind}.conf`);
  if (kind === 'redis') {
    fs.writeFileSync(file, ['bind 127.0.0.1', `port ${port}`, 'save ""', 'appendonly no', 'daemonize no', 'client-output-buffer-limit pubsub 32mb 8mb 60', 'maxclients 10200', ''].join('\n'));
  } else {
    const g = ['Name = bench.irc.local', 'Info = loopback bench', 'AdminInfo1 = bench', 'AdminInfo2 = loopback', 'AdminEMail = root@localhost', 'Listen = 127.0.0.1', `Ports = ${port}`];
    const l = ['MaxConnections = 0', 'MaxConnectionsIP = 0', 'MaxJoins = 0', 'MaxNickLength = 30', 'MaxPenaltyTime = 0'];
    const o = ['DNS = no', 'Ident = no', 'PAM = no'];
    fs.writeFileSync(file, ['[Global]', ...g.map((x) => `\t${x}`), '[Limits]', ...l.map((x) => `\t${x}`), '[Options]', ...o.map((x) => `\t${x}`), ''].join('\n'));
  }
  return file;
}

async function waitForPort(port, child, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: HOST, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

/**
 * Starts a server of `kind` (see SERVERS) pinned to core 0 on a free port.
 */
export async function startServer(kind, { root, work, args = [], nodeArgs = [], clients = 0, waitMs = 30_000 } = {}) {
  if (!SERVERS[kind]) throw new Error(`unknown server kind ${kind}`);
  fs.mkdirSync(work, { recursive: true });
  const port = await freePort(HOST);
  const cmd = SERVERS[kind].command({ root, work, port, clients, args, nodeArgs });
  return startPinned(kind, cmd, { port, cwd: work, logFile: path.join(work, `${kind}.log`), waitMs });
}

/**
 * Runs `cmd`, a server that will listen on `port`, pinned to core 0 with the
 * hard open-files limit and its output in `logFile`, and resolves once it
 * listens. prlimit and taskset exec, so the child's PID is the server's own;
 * it is tracked (./proc.mjs), so killAll stops it. startServer and the cluster
 * bench (which picks its own ports, commands and log files) both start their
 * servers here, so every bench pins and limits them the same way.
 */
export async function startPinned(kind, cmd, { port, cwd, logFile, waitMs = 30_000 }) {
  const out = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const child = track(spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, 'taskset', '-c', '0', ...cmd], { cwd, stdio: ['ignore', out, out] }));
  fs.closeSync(out);
  try {
    await waitForPort(port, child, waitMs);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const startMs = performance.now() - t0;
  // Wait until the exec chain (prlimit → taskset → server) has landed.
  for (let i = 0; i < 100 && !/^(node|redis-server|ngircd)/.test(procComm(child.pid)); i++) await sleep(10);
  return {
    kind,
    port,
    pid: child.pid,
    logFile,
    startMs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
