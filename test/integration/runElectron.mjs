#!/usr/bin/env node
// Runs the same integration suite with @vscode/test-electron, for machines
// that can download VS Code (this project's CI cannot; it uses
// runCodeServer.mjs). On a headless Linux box wrap it in `xvfb-run -a`.
//
// Env: VSCODE_TEST_VERSION (default 1.100.3, the version code-server 4.100.3
// embeds, so both runners test the same VS Code), TCP_CHAT_TEST_GREP.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { killByPid, root } from './codeServer.mjs';
import { runSuite, testsIndex, writeTestConfig } from './runSuite.mjs';

runSuite('it-electron', async ({ log, atExit }) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-electron-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const results = path.join(tmp, 'results.json');
  // Same contract as the code-server runner: the env var, and the config file as a fallback.
  writeTestConfig(workspace, results);
  // Every VS Code process inherits this marker, so cleanup can find them by PID even if one outlives runTests.
  const marker = randomUUID();
  atExit(async (ok) => {
    await killByPid(undefined, marker).catch((e) => log(e.message));
    if (ok) fs.rmSync(tmp, { recursive: true, force: true });
  });
  const t0 = Date.now();
  try {
    await runTests({
      version: process.env.VSCODE_TEST_VERSION || '1.100.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: testsIndex,
      extensionTestsEnv: { TCP_CHAT_TEST_RESULTS: results, TCP_CHAT_TEST_MARKER: marker },
      launchArgs: [
        workspace,
        // Only this extension: nothing the developer installed may change the outcome.
        '--disable-extensions',
        `--user-data-dir=${path.join(tmp, 'user-data')}`,
        `--extensions-dir=${path.join(tmp, 'extensions')}`,
        '--disable-gpu',
      ],
    });
  } catch (e) {
    // A failing suite makes VS Code exit non-zero; the results file says why, so only log it here.
    log(`runTests failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  log(`suite finished in ${((Date.now() - t0) / 1000).toFixed(1)} s (including the VS Code download, if any)`);
  return { results, onFailure: () => log(`files kept under ${tmp}`) };
});
