// What a process costs, read from /proc, and the bookkeeping that stops every
// process the bench started (by PID) even when a run fails or is interrupted.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The hard open-files limit, which every server and load-generator process gets (`prlimit --nofile`). */
export const NOFILE = (() => {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard));
  } catch {
    return 20000;
  }
})();

function statFields(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' '); // field 3 (state) is index 0
}

/** PIDs of a process and all its live descendants (threads are counted in their process's stat). */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks;
    try {
      tasks = fs.readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // gone
    }
    for (const t of tasks) {
      try {
        for (const c of fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}

/**
 * On-CPU nanoseconds of one process: the sum over its threads of the
 * scheduler's own count (/proc/PID/task/TID/schedstat, first field). utime and
 * stime in /proc/PID/stat come in clock ticks (10 ms), too coarse for a blast
 * that costs a quarter of a CPU-second; this count is exact. A thread that
 * exited during the measurement is missed; the servers measured keep theirs.
 * Undefined where the kernel keeps no schedstat.
 */
function taskNanos(pid) {
  let ns = 0;
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0; // gone
  }
  for (const t of tasks) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch (e) {
      if (e.code === 'ENOENT' && !fs.existsSync('/proc/self/schedstat')) return undefined;
      // thread gone
    }
  }
  return ns;
}

/**
 * CPU seconds (user + system, every thread) of a process and its children:
 * the live descendants' own time (exact, from schedstat, where the kernel has
 * it) plus what the root has collected from children that already exited
 * (cutime + cstime, in ticks).
 */
export function procCpuSeconds(pid) {
  let s = 0;
  for (const p of processTree(pid)) {
    try {
      const f = statFields(p);
      const ns = taskNanos(p);
      s += ns === undefined ? (Number(f[11]) + Number(f[12])) / CLK_TCK : ns / 1e9;
      if (p === pid) s += (Number(f[13]) + Number(f[14])) / CLK_TCK;
    } catch {
      // exited between listing and reading
    }
  }
  return s;
}

/** Resident memory (VmRSS) of one process, in KB; NaN once it is gone. */
export function procRssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export function procComm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Every child process the bench started, so that all of them are stopped by PID. */
const live = new Map();

export function track(child) {
  live.set(child.pid, child);
  child.on('exit', () => live.delete(child.pid));
  return child;
}

export function killAll() {
  for (const [pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Monotonic clock in microseconds, the same in every process on the machine (CLOCK_MONOTONIC). */
export const monoMicros = () => Number(process.hrtime.bigint() / 1000n);
