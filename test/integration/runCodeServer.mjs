#!/usr/bin/env node
// Runs the integration suite inside a real VS Code extension host: code-server
// 4.100.3 (VS Code 1.100.3) driven by headless Debian Chromium. The workbench
// URL's `payload` parameter carries extensionDevelopmentPath and
// extensionTestsPath, which code-server's CLI refuses. Nothing carries an exit
// code back from that extension host, so the suite writes mocha's JSON report
// to a file this runner reads.
//
// Env: TCP_CHAT_IT_TIMEOUT (ms, whole run, default 600000), TCP_CHAT_IT_IDLE (ms
// without a finished test, default 120000), TCP_CHAT_TEST_GREP,
// TCP_CHAT_KEEP=1 keeps the temp dirs (logs) for a look afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepare } from '../../scripts/prepareCodeServer.mjs';
import { launchBrowser, root, startCodeServer, waitUntil } from './codeServer.mjs';
import { runSuite, testsIndex, writeTestConfig } from './runSuite.mjs';

const timeoutMs = Number(process.env.TCP_CHAT_IT_TIMEOUT || 600_000);
// The longest a healthy run goes without finishing a test: start-up, then one test's timeout and its hooks.
const idleMs = Number(process.env.TCP_CHAT_IT_IDLE || 120_000);
/** Settings as an earlier version left them (keep in step with test/integration/suite/migration.test.ts). */
const OLD_SETTINGS = {
  user: { 'chat.displayName': 'migrated-name', 'chat.server.tls': false },
  workspace: { 'chat.historyPageSize': 77 },
};

runSuite('it-runner', async ({ log, atExit }) => {
  await prepare();
  const t0 = Date.now();
  let cs;
  let br;
  atExit(async (ok) => {
    await br?.stop().catch((e) => log(`stopping the browser: ${e.message}`));
    await cs?.stop({ keepDirs: !ok || process.env.TCP_CHAT_KEEP === '1' }).catch((e) => log(`stopping code-server: ${e.message}`));
  });
  cs = await startCodeServer({
    log,
    // Values under the old chat.* keys, in user and workspace settings: the suite checks they move to tcpChat.* once.
    settings: OLD_SETTINGS.user,
    workspaceFiles: { '.vscode/settings.json': JSON.stringify(OLD_SETTINGS.workspace, null, 2) },
  });
  const results = path.join(cs.tmp, 'results.json');
  writeTestConfig(cs.workspace, results);
  br = await launchBrowser();
  const page = await br.browser.newPage({ viewport: { width: 1400, height: 900 } });
  // The suite's console lines come through the workbench's console: echo them so a run is readable.
  let lastProgress = Date.now();
  page.on('console', (m) => {
    const t = m.text();
    const i = t.indexOf('[it]');
    if (i !== -1) lastProgress = Date.now();
    if (i !== -1) process.stdout.write(`${t.slice(i).slice(0, 2000)}\n`);
    else if (/activat|error/i.test(t)) process.stdout.write(`[browser] ${t.replace(/%c/g, '').slice(0, 2000)}\n`);
  });
  const url = cs.url([
    ['extensionDevelopmentPath', cs.remote(root)],
    ['extensionTestsPath', cs.remote(testsIndex)],
  ]);
  log(`opening ${url}`);
  await page.goto(url);
  await waitUntil(
    () => {
      // A dead extension host never writes the file: give up once the suite has been silent too long.
      if (Date.now() - lastProgress > idleMs) throw new Error(`no test finished for ${idleMs / 1000} s; the extension host may have died`);
      return fs.existsSync(results);
    },
    timeoutMs,
    `the results file ${results}`,
  ).catch((e) => log(e.message));
  log(`suite finished in ${((Date.now() - t0) / 1000).toFixed(1)} s (including the code-server start)`);
  return {
    results,
    onFailure: () => {
      log(`extension host log (tail):\n${cs.exthostLog().slice(-4000)}`);
      log(`logs kept under ${cs.tmp}`);
    },
  };
});
