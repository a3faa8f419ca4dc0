import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Compiled to out/test/support, so the repository is three levels up.
export const ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Newest modification time of the sources the CLI bundle is built from (the engine has subfolders). */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['src/cli', 'src/engine', 'src/shared']) {
    for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })) newest = Math.max(newest, fs.statSync(path.join(ROOT, dir, f)).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a lone `npm run test:unit` may find no bundle, or one older than the sources. */
export function ensureCliBuilt(): void {
  if (!fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestSource()) {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  }
}

let testHome: string | undefined;

/**
 * The home directory every CLI this test run starts gets, unless a test
 * gives its own: the terminal client keeps its identity key, pins and known
 * people under ~/.tcp-chat, and a test must never write into the real one.
 * Git's global config is left out too, so the name git suggests is the test's.
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  testHome ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-home-'));
  return { ...process.env, HOME: testHome, USERPROFILE: testHome, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(testHome, '.gitconfig'), ...extra };
}

/** Starts `tcp-chat` with these arguments, with piped output, and piped input when `input` is set (as for the terminal client). */
export function spawnCli(args: string[], input = false, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cliEnv(env), stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

/**
 * Starts `tcp-chat` inside a pseudo-terminal (util-linux `script`), so it
 * sees a TTY as a person's shell gives it: questions are asked, and what is
 * typed is echoed unless the CLI turns echo off. Input and output are piped
 * through the terminal.
 */
export function spawnCliInTerminal(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * True on Linux, where `script` (util-linux; Debian's essential bsdutils)
 * gives the CLI a pseudo-terminal. Not a probe: a Linux machine without it
 * fails the terminal tests with ENOENT rather than skipping them unseen.
 */
export function canSpawnInTerminal(): boolean {
  return process.platform === 'linux';
}

/** Runs the CLI to completion and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawnCli(args, false, env);
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves with the first match of `re` in what the process prints from now on. */
export function waitForOutput(p: ChildProcess, re: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        p.stdout?.off('data', onData);
        resolve(m);
      }
    };
    const timer = setTimeout(() => {
      p.stdout?.off('data', onData);
      reject(new Error(`no ${re} in output within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    p.stdout?.on('data', onData);
  });
}

/** Starts `tcp-chat serve` and resolves once it prints the port it listens on. */
export async function startCliServer(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<{ proc: ChildProcess; host: string; port: number; exited: Promise<number | null> }> {
  const proc = spawnCli(['serve', ...args], false, env);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const [, host, port] = await waitForOutput(proc, /serving on (\S+):(\d+)/, timeoutMs);
  return { proc, host, port: Number(port), exited };
}
