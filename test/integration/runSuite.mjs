// The frame both integration runners share (runCodeServer.mjs, runElectron.mjs):
// they differ only in how they start VS Code, so what comes before and after
// lives here once and the two cannot drift in how a run passes or fails.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onInterrupt, root } from './codeServer.mjs';
import { reportResults } from './results.mjs';

/** The compiled suite both runners hand to the extension host. */
export const testsIndex = path.join(root, 'out', 'test', 'integration', 'index.js');
/** The bundled extension under test. */
export const extensionMain = path.join(root, 'dist', 'extension.js');

/**
 * Tells the suite (test/integration/index.ts) where to write its results and
 * which tests to run. The extension host may not see this process's env, so
 * they go in a file in the workspace it opens.
 */
export function writeTestConfig(workspace, results) {
  fs.writeFileSync(path.join(workspace, '.tcp-chat-test.json'), JSON.stringify({ results, grep: process.env.TCP_CHAT_TEST_GREP || undefined }));
}

/**
 * Runs one runner and exits with the suite's code. Checks first that the
 * extension and the suite are built. `start({ log, atExit })` starts VS Code,
 * waits for the suite and resolves with `{ results, onFailure? }`: the results
 * file, and what to print when the run failed. `atExit(cleanup)` names what
 * stops VS Code and removes its files; it runs on Ctrl-C, and once the results
 * are read, with `ok` saying whether the run passed (so a failed run's files
 * can be kept). A runner that throws counts as a failed run, with the summary
 * line the CI reads.
 */
export function runSuite(tag, start) {
  const log = (m) => console.log(`[${tag}] ${m}`);
  let cleanup = async () => undefined;
  let undo = () => undefined;
  const atExit = (fn) => {
    cleanup = fn;
    undo = onInterrupt(() => fn(false));
  };
  const main = async () => {
    for (const [f, how] of [
      [extensionMain, 'npm run build'],
      [testsIndex, 'npm run compile-tests'],
    ]) {
      if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing; run ${how} first`);
    }
    let ok = false;
    try {
      const { results, onFailure } = await start({ log, atExit });
      const code = reportResults(results);
      ok = code === 0;
      if (!ok) onFailure?.();
      return code;
    } finally {
      await cleanup(ok);
      undo();
    }
  };
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`[${tag}] ${e?.stack ?? e}`);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
