// The packaged extension, installed from its .vsix the way a user installs
// it, in a real VS Code: no development path, the production bundles, the
// lazily loaded certificate generator. A TLS server is started from the
// palette, and Connect asks the person to trust its fingerprint in the real
// dialog before the panel opens and a typed message comes back.
/* global describe, it, before, after */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare } from '../../scripts/prepareCodeServer.mjs';
import { freePort, launchBrowser, root, startCodeServer, waitUntil } from '../integration/codeServer.mjs';
import { answerInput, runCommand, statusBarText, waitForWorkbench, webviewFrame } from './workbench.mjs';

const ME = 'packaged-user';

describe('the packaged extension (.vsix) in code-server', function () {
  let cs;
  let br;
  let page;
  let port;
  let tmp;

  before(async function () {
    this.timeout(300_000);
    await prepare();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-vsix-'));
    const vsix = path.join(tmp, 'tcp-chat.vsix');
    // The same steps as `npm run package`, into a temporary file.
    execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'pipe' });
    execFileSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix], {
      cwd: root,
      stdio: 'pipe',
      timeout: 120_000,
    });
    port = await freePort();
    cs = await startCodeServer({
      install: [vsix],
      settings: { 'tcpChat.server.port': port, 'tcpChat.server.host': '127.0.0.1', 'tcpChat.server.tls': true, 'tcpChat.displayName': ME },
      workspaceFiles: { 'README.md': '# A workspace\n' },
    });
    br = await launchBrowser();
    page = await br.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(cs.url());
    await waitForWorkbench(page);
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await br?.stop();
    } finally {
      await cs?.stop({ keepDirs: process.env.TCP_CHAT_KEEP === '1' });
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      // Put the development build back for whatever runs next.
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
    }
  });

  it('starts a TLS server from the palette, making its certificate on first start', async function () {
    this.timeout(120_000);
    await runCommand(page, 'Chat: Start Server');
    await waitUntil(async () => (await statusBarText(page)).includes(`serving :${port}`), 60_000, `"serving :${port}" in the status bar`);
    const log = cs.exthostLog();
    assert.match(log, /tcp-chat\.tcp-chat/, 'the installed extension was activated');
    assert.doesNotMatch(log, /Activating extension 'tcp-chat\.tcp-chat' failed/);
  });

  it('connects after the person trusts the fingerprint in the real dialog, and chats', async function () {
    this.timeout(120_000);
    await runCommand(page, 'Chat: Connect');
    await answerInput(page, `127.0.0.1:${port}`, { title: 'Chat: Connect' });
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /First connection to 127\.0\.0\.1:\d+/);
    assert.match(text, /([0-9A-F]{2}:){31}[0-9A-F]{2}/, 'the dialog shows the SHA-256 fingerprint');
    await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
    await waitUntil(async () => (await statusBarText(page)).includes(`${ME} @ 127.0.0.1:${port}`), 60_000, 'the connection in the status bar');
    const frame = await webviewFrame(page, '#composer');
    const message = `sent from the packaged build ${Date.now()}`;
    await frame.click('#composer');
    await page.keyboard.type(message, { delay: 5 });
    await page.keyboard.press('Enter');
    await frame.locator('#messages .msg .msg-body', { hasText: message }).waitFor({ timeout: 20_000 });
  });
});
