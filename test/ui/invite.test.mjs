// An invite link driven like two people would: the host starts a TLS server
// and copies the invite from the palette in one workbench; the guest opens
// it in another workbench (a second code-server with its own profile, so
// nothing is pinned yet) with "Developer: Open URL", answers the questions,
// and lands in the chat without ever being asked to trust the certificate.
//
// Needs: node scripts/prepareCodeServer.mjs, npm run build (npm run test:ui does both).
/* global describe, it, before, after, afterEach -- mocha's globals */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepare } from '../../scripts/prepareCodeServer.mjs';
import { freePort, launchBrowser, root, startCodeServer, waitUntil } from '../integration/codeServer.mjs';
import { answerDialog, answerInput, runCommand, screenshotIfFailed, SHOTS, statusBarText, stopSuite, useColorTheme, waitForWorkbench, webviewFrame } from './workbench.mjs';
import { assertAccessible } from './axeAudit.mjs';


describe('an invite link from host to guest, in two workbenches', function () {
  let host;
  let guest;
  let br;
  let hostPage;
  let guestPage;
  let port;

  before(async function () {
    this.timeout(300_000);
    if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing; run npm run build first');
    await prepare();
    fs.mkdirSync(SHOTS, { recursive: true });
    port = await freePort();
    const quiet = { 'editor.minimap.enabled': false, 'editor.cursorBlinking': 'solid', 'workbench.colorTheme': 'Default Light Modern' };
    host = await startCodeServer({ settings: { ...quiet, 'tcpChat.server.port': port, 'tcpChat.server.host': '127.0.0.1', 'tcpChat.server.tls': true, 'tcpChat.displayName': 'host-user' } });
    guest = await startCodeServer({ settings: { ...quiet, 'tcpChat.displayName': 'guest-user' } });
    br = await launchBrowser();
    const ctx = await br.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // The host copies to the clipboard and the test reads it back, as a person would paste it.
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.base });
    hostPage = await ctx.newPage();
    guestPage = await ctx.newPage();
    await hostPage.goto(host.url([['extensionDevelopmentPath', host.remote(root)]]));
    await guestPage.goto(guest.url([['extensionDevelopmentPath', guest.remote(root)]]));
    await waitForWorkbench(hostPage);
    await waitForWorkbench(guestPage);
    // The setting above is not always applied in time on a loaded machine (see useColorTheme).
    await hostPage.bringToFront();
    await useColorTheme(hostPage, 'Light Modern');
    await guestPage.bringToFront();
    await useColorTheme(guestPage, 'Light Modern');
  });

  after(async function () {
    this.timeout(60_000);
    await stopSuite({ br, codeServers: [host, guest] });
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, { 'host-': hostPage, 'guest-': guestPage });
  });

  it('the host copies the invite, the guest opens it and lands in the chat with no trust prompt', async function () {
    this.timeout(240_000);
    // Host: a TLS server, then the invite from the palette.
    await hostPage.bringToFront();
    await runCommand(hostPage, 'Chat: Start Server');
    await waitUntil(async () => (await statusBarText(hostPage)).includes(`serving :${port}`), 60_000, `"serving :${port}" on the host`);
    await runCommand(hostPage, 'Chat: Copy Invite Link');
    const link = await waitUntil(
      async () => {
        const t = await hostPage.evaluate(() => navigator.clipboard.readText()).catch(() => '');
        return t.startsWith('vscode://') ? t : undefined;
      },
      20_000,
      'the invite link on the clipboard',
    );
    const u = new URL(link);
    assert.equal(u.hostname, 'tcp-chat.tcp-chat');
    assert.equal(u.searchParams.get('port'), String(port));
    assert.match(u.searchParams.get('fingerprint') ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    // Guest: open the link the way VS Code opens any link to an extension.
    await guestPage.bringToFront();
    await runCommand(guestPage, 'Developer: Open URL');
    await answerInput(guestPage, link);
    // VS Code asks whether the extension may open the link, then the extension asks before connecting.
    await answerDialog(guestPage, /open this URI/i, 'Open', 30_000);
    const question = await answerDialog(guestPage, `Join #general on 127.0.0.1:${port}?`, 'Connect', 30_000);
    assert.ok(question.includes(u.searchParams.get('fingerprint')), `the question shows the fingerprint: ${question}`);
    // Connected without a trust-on-first-use dialog: had one opened, the connection would be waiting on it.
    await waitUntil(async () => (await statusBarText(guestPage)).includes(`guest-user @ 127.0.0.1:${port}`), 60_000, 'the guest to be connected');
    assert.equal(await guestPage.locator('.monaco-dialog-box').count(), 0, 'a dialog is still open on the guest');
    const frame = await webviewFrame(guestPage, '#composer', 60_000);
    await frame.locator('.conn[data-state="connected"]').waitFor({ timeout: 60_000 });
    await guestPage.screenshot({ path: path.join(SHOTS, 'invite-guest.png') });
    // And it is a real chat: the guest types, the host's panel shows it.
    const hello = `hello from the guest ${Date.now()}`;
    await frame.click('#composer');
    await guestPage.keyboard.type(hello, { delay: 5 });
    await guestPage.keyboard.press('Enter');
    await hostPage.bringToFront();
    await runCommand(hostPage, 'Chat: Connect');
    await answerInput(hostPage, `127.0.0.1:${port}`, { title: 'Chat: Connect' });
    // The host trusts its own server on first use, like anyone without an invite.
    await answerDialog(hostPage, /First connection to 127\.0\.0\.1/, 'Trust and Connect', 30_000);
    const hostFrame = await webviewFrame(hostPage, '#composer', 60_000);
    await hostFrame.locator('#messages .msg .msg-body', { hasText: hello }).waitFor({ timeout: 30_000 });
    await assertAccessible(hostFrame, 'host after the invite', { theme: 'Light Modern' });
  });
});
