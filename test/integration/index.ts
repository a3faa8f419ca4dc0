/**
 * Entry point the extension host calls with `extensionTestsPath`: runs mocha
 * over the compiled suite and writes mocha's JSON report to a file, because
 * no exit code comes back from the extension host under code-server.
 *
 * Where the report goes, first match wins:
 *   1. env TCP_CHAT_TEST_RESULTS (test-electron passes extensionTestsEnv);
 *   2. `results` in `.tcp-chat-test.json` in the first workspace folder
 *      (code-server's extension host does not promise to carry the runner's
 *      env through, so the runner also writes this file);
 *   3. `.tcp-chat-test-results.json` in the first workspace folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const CONFIG_FILE = '.tcp-chat-test.json';

interface RunConfig {
  results?: string;
  grep?: string;
}

function readConfig(): { config: RunConfig; folder?: string } {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return { config: {} };
  try {
    return { config: JSON.parse(fs.readFileSync(path.join(folder, CONFIG_FILE), 'utf8')) as RunConfig, folder };
  } catch {
    return { config: {}, folder };
  }
}

function resultsPath(): string {
  const { config, folder } = readConfig();
  const [p, from] = process.env.TCP_CHAT_TEST_RESULTS
    ? [process.env.TCP_CHAT_TEST_RESULTS, 'env TCP_CHAT_TEST_RESULTS']
    : config.results
      ? [config.results, CONFIG_FILE]
      : [folder && path.join(folder, '.tcp-chat-test-results.json'), 'the workspace folder'];
  if (!p) throw new Error('no results path: set TCP_CHAT_TEST_RESULTS or open a workspace folder');
  console.log(`[it] results go to ${p} (from ${from})`);
  return p;
}

/** A report with one failure, so a suite that cannot even load fails loudly instead of timing out. */
function writeLoadFailure(out: string, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const failure = { title: 'loading the suite', fullTitle: 'loading the suite', err: { message: e.message, stack: e.stack } };
  fs.writeFileSync(out, JSON.stringify({ stats: { tests: 1, passes: 0, failures: 1 }, tests: [failure], passes: [], failures: [failure], pending: [] }));
}

export async function run(): Promise<void> {
  const out = resultsPath();
  try {
    await runMocha(out);
  } catch (err) {
    // mocha.run's callback renames the report into place; no report yet means mocha never finished.
    if (!fs.existsSync(out)) writeLoadFailure(out, err);
    throw err;
  }
}

async function runMocha(out: string): Promise<void> {
  const partial = `${out}.partial`;
  // mocha 12 is an ES module; a dynamic import loads it from this CommonJS file.
  const { default: Mocha } = (await import('mocha')) as unknown as { default: typeof import('mocha') };
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 20_000,
    reporter: 'json',
    // The JSON reporter writes the file when the run ends; the rename below makes it appear whole.
    reporterOptions: { output: partial },
    grep: process.env.TCP_CHAT_TEST_GREP || readConfig().config.grep,
  });
  const suiteDir = path.join(__dirname, 'suite');
  for (const f of fs.readdirSync(suiteDir).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(suiteDir, f));
  }
  await new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        try {
          fs.renameSync(partial, out);
        } catch (e) {
          reject(e);
          return;
        }
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      // The JSON reporter prints nothing; these lines land in the extension host's log and the browser console.
      runner.on('pass', (t) => console.log(`[it] ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`));
      runner.on('fail', (t, err: Error) => console.log(`[it] FAIL ${t.fullTitle()}: ${err?.stack ?? String(err)}`));
    } catch (e) {
      reject(e);
    }
  });
}
