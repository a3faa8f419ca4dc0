// UI tests: Playwright drives Debian's Chromium against code-server (a real
// VS Code 1.100.3) like a person would. The extension loads from this
// checkout as the development extension. A raw TCP client is the other
// person in the room, so everything the panel shows crossed a real socket.
//
// Needs: node scripts/prepareCodeServer.mjs, npm run build, npm run compile-tests
// (npm run test:ui does all three).
/* global describe, it, before, beforeEach, after, afterEach -- mocha's globals */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { prepare } from '../../scripts/prepareCodeServer.mjs';
import { freePort, launchBrowser, root, startCodeServer, waitUntil } from '../integration/codeServer.mjs';
import { answerDialog, answerInput, connectFromPalette, luminance, openDevWorkbench, runCommand, screenshotIfFailed, SHOTS, statusBarText, stopSuite, THEMES, useColorTheme, webviewElement } from './workbench.mjs';
import { assertAccessible } from './axeAudit.mjs';
import { resetPanel } from './resetPanel.mjs';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
// The compiled raw client (npm run compile-tests): JSON lines over a plain socket, no engine code.
const { RawClient } = require('../../out/test/support/rawClient.js');

const ME = 'ui-user';
const PEER = 'raw-peer';

/** Hostile messages a peer may send. Each tries to set window.__pwned and the title; none may succeed. */
const HOSTILE = [
  '<img src=x onerror="window.__pwned=\'img\';document.title=\'pwned\'">',
  '<script>window.__pwned=\'script\';document.title=\'pwned\'</script>',
  '[click me](javascript:window.__pwned=\'mdlink\';document.title=\'pwned\')',
  '<a href="javascript:window.__pwned=\'alink\';document.title=\'pwned\'">html link</a>',
  '<svg onload="window.__pwned=\'svg\'"><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
];

describe('TCP Chat UI in code-server', function () {
  let cs;
  let br;
  let page;
  let port;
  let frame;
  let raw;
  let frameTitle;

  before(async function () {
    this.timeout(300_000);
    for (const [f, how] of [
      [path.join(root, 'dist', 'extension.js'), 'npm run build'],
      [path.join(root, 'out', 'test', 'support', 'rawClient.js'), 'npm run compile-tests'],
    ]) {
      if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing; run ${how} first`);
    }
    await prepare();
    fs.mkdirSync(SHOTS, { recursive: true });
    // Pictures of failures from an earlier run would mislead.
    for (const f of fs.readdirSync(SHOTS)) if (f.startsWith('failed-')) fs.rmSync(path.join(SHOTS, f));
    port = await freePort();
    cs = await startCodeServer({
      settings: {
        'tcpChat.server.port': port,
        'tcpChat.server.host': '127.0.0.1',
        'tcpChat.displayName': ME,
        'workbench.colorTheme': 'Default Light Modern',
        // A steady picture: no blinking cursor or minimap noise in screenshots.
        'editor.minimap.enabled': false,
        'editor.cursorBlinking': 'solid',
      },
      workspaceFiles: { 'notes.md': '# Notes\n\nThe chat panel opens beside this editor.\n' },
    });
    br = await launchBrowser();
    // The development extension loads from this checkout; no extensionTestsPath, so the window stays up for us.
    page = await openDevWorkbench(br, cs, 'Light Modern');
  });

  beforeEach(async function () {
    // Once the panel is open, each test starts from #general with nothing open over it, whatever the last one left.
    if (frame) await resetPanel(page, frame);
  });

  after(async function () {
    this.timeout(60_000);
    await stopSuite({ raw, br, codeServers: [cs] });
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, { '': page });
  });

  it('starts a server from the palette and shows it in the status bar', async () => {
    await runCommand(page, 'Chat: Start Server');
    await waitUntil(async () => (await statusBarText(page)).includes(`serving :${port}`), 20_000, `"serving :${port}" in the status bar`);
    // A raw client can reach it: the server really listens where the status bar says.
    const { client, welcome } = await RawClient.hello(port, PEER);
    raw = client;
    assert.equal(welcome.name, PEER);
  });

  it('connects from the palette, and the panel opens with the composer beside the editor', async () => {
    // A file is open first, as when someone is working: the panel must not cover it.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.md' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'notes.md' }).waitFor({ timeout: 15_000 });
    // Deviation from the first contract: Connect asks with a quick pick of host:port (recent and local servers), then uses tcpChat.displayName.
    frame = await connectFromPalette(page, { port, name: ME, peer: raw });
    frameTitle = await frame.evaluate(() => document.title);
    // Two editor groups side by side: notes.md in one, the Chat tab in the other.
    const groups = page.locator('.editor-group-container');
    assert.equal(await groups.count(), 2, 'the panel did not open in a group of its own');
    assert.equal(await groups.nth(0).locator('.tab', { hasText: 'notes.md' }).count(), 1);
    assert.equal(await groups.nth(1).locator('.tab', { hasText: 'Chat' }).count(), 1);
    const text = await statusBarText(page);
    assert.ok(text.includes(`serving :${port}`), `status bar: ${text}`);
    assert.ok(text.includes(`${ME} @ 127.0.0.1:${port}`), `status bar: ${text}`);
    // The empty state: no messages yet, no other rooms, no direct conversations.
    assert.equal(await frame.locator('.side .rooms[aria-labelledby="dms-title"] [role="option"]').count(), 0);
    await assertAccessible(frame, 'empty', { theme: 'Light Modern' });
  });

  it('sends what is typed in the composer when Enter is pressed', async () => {
    const text = `Hello from the panel ${Date.now()}`;
    await frame.click('#composer');
    await page.keyboard.type(text, { delay: 5 });
    await page.keyboard.press('Enter');
    const msg = await raw.waitFor((f) => f.type === 'message' && f.text === text, 30_000);
    assert.equal(msg.sender, ME);
    assert.equal(msg.room, 'general');
    // The composer empties after sending, and the message shows in the list.
    assert.equal(await frame.inputValue('#composer'), '');
    await frame.locator('#messages .msg .msg-body', { hasText: text }).waitFor({ timeout: 30_000 });
  });

  it('shows a message from the raw client with its sender', async () => {
    const text = 'Hi! Does `npm test` pass for you?\n\n```ts\nconst port = 12345;\n```';
    raw.send({ type: 'message', id: 'peer-1', room: 'general', text });
    const item = frame.locator('#messages .msg', { has: frame.locator('.msg-body', { hasText: 'pass for you?' }) });
    await item.waitFor({ timeout: 30_000 });
    assert.equal((await item.locator('.msg-sender').innerText()).trim(), PEER);
    assert.ok((await item.getAttribute('data-id'))?.length, 'a rendered message carries data-id');
  });

  it('lists rooms and direct messages, and passes an accessibility audit there', async () => {
    await runCommand(page, 'Chat: Join Room');
    await answerInput(page, 'design', { title: 'Chat: Join Room' });
    await frame.locator('.side [role="option"][data-room="design"][aria-selected="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    raw.send({ type: 'message', id: 'dm-1', to: ME, text: 'a word in private' });
    await frame.locator('.side [role="option"][data-room^="@"]').waitFor({ state: 'attached', timeout: 30_000 });
    // The panel beside the editor is narrow: the rooms sit in a drawer behind the menu button.
    const toggle = frame.locator('button.side-toggle');
    if (await toggle.isVisible()) await toggle.click();
    await frame.locator('.side [role="option"][data-room="general"]').waitFor({ state: 'visible', timeout: 30_000 });
    await assertAccessible(frame, 'rooms and DMs, drawer open', { theme: 'Light Modern' });
    await webviewElement(page).screenshot({ path: path.join(SHOTS, 'panel-rooms-light.png') });
    // Back to #general by clicking it, as a person would; picking a room closes the drawer.
    await frame.locator('.side [role="option"][data-room="general"]').click();
    await frame.locator('.side [role="option"][data-room="general"][aria-selected="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    await frame.locator('.app:not(.side-open)').waitFor({ state: 'attached', timeout: 30_000 });
    await assertAccessible(frame, 'rooms and DMs', { theme: 'Light Modern' });
  });

  it('searches the history from the panel, and the results pass an accessibility audit', async () => {
    await frame.locator('button[aria-label="Search history"]').click();
    await frame.locator('#search').fill('pass for you');
    await frame.locator('#search').press('Enter');
    await frame.locator('.search-results .search-hit', { hasText: 'pass for you?' }).waitFor({ timeout: 30_000 });
    await assertAccessible(frame, 'search', { theme: 'Light Modern' });
    await frame.locator('button[aria-label="Close search"]').click();
    await frame.locator('.search-results').waitFor({ state: 'hidden', timeout: 30_000 });
  });

  it('shows a file offer with its Save button, and passes an accessibility audit', async () => {
    const data = Buffer.from('notes from the peer\n'.repeat(200));
    raw.send({ type: 'file_offer', id: 'ui-f1', room: 'general', name: 'peer-notes.txt', size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    raw.send({ type: 'file_chunk', id: 'ui-f1', index: 0, data: data.toString('base64') });
    await frame.locator('.files .file.ready', { hasText: 'peer-notes.txt' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('.files button[aria-label="Save peer-notes.txt"]').count(), 1);
    await assertAccessible(frame, 'file offer', { theme: 'Light Modern' });
  });

  it('follows the light and the dark theme, in pictures and in the panel’s own colours', async function () {
    this.timeout(240_000);
    // Light Modern, whatever an earlier test left.
    await useColorTheme(page, 'Light Modern', frame);
    await frame.click('#composer');
    // The colour the panel is painted with: the first element from the panel outwards that is not transparent.
    const bg = () =>
      frame.evaluate(() => {
        for (const el of [document.querySelector('.app'), document.body, document.documentElement]) {
          const c = getComputedStyle(el).backgroundColor;
          if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c;
        }
        return 'none';
      });
    const light = luminance(await bg());
    assert.ok(light > 0.6, `the panel is not light in Light Modern (luminance ${light.toFixed(2)})`);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-light.png') });
    await webviewElement(page).screenshot({ path: path.join(SHOTS, 'panel-light.png') });
    // The workbench re-themes, then pushes the theme into the webview.
    await useColorTheme(page, 'Dark Modern', frame);
    await waitUntil(async () => luminance(await bg()) < 0.1, 30_000, 'the panel’s background to turn dark');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-dark.png') });
    await webviewElement(page).screenshot({ path: path.join(SHOTS, 'panel-dark.png') });
    await assertAccessible(frame, 'after the switch', { theme: 'Dark Modern' });
  });

  it('passes the accessibility audit in each of VS Code’s own themes, with the drawer, a search, a file offer and an own message', async function () {
    this.timeout(900_000);
    // What this test audits, made here: an own message (a tinted row), a peer's with a link and code, a file offer.
    const tag = `themes-${Date.now()}`;
    await frame.click('#composer');
    await page.keyboard.type(`mine ${tag}, see https://example.com/own`, { delay: 5 });
    await page.keyboard.press('Enter');
    await raw.waitFor((f) => f.type === 'message' && f.sender === ME && String(f.text).includes(`mine ${tag}`), 30_000);
    raw.send({ type: 'message', id: `peer-${tag}`, room: 'general', text: `peer ${tag}: [a link](https://example.com/peer) and \`code\`` });
    const data = Buffer.from(`${tag}\n`);
    raw.send({ type: 'file_offer', id: `f-${tag}`, room: 'general', name: `${tag}.txt`, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    raw.send({ type: 'file_chunk', id: `f-${tag}`, index: 0, data: data.toString('base64') });
    await frame.locator('#messages .row.msg.own .msg-body', { hasText: `mine ${tag}` }).waitFor({ timeout: 30_000 });
    await frame.locator('#messages .msg .msg-body', { hasText: `peer ${tag}` }).waitFor({ timeout: 30_000 });
    await frame.locator('.files .file.ready', { hasText: `${tag}.txt` }).waitFor({ timeout: 30_000 });
    // Search results sit on the widget background, another surface to check.
    await frame.locator('button[aria-label="Search history"]').click();
    await frame.locator('#search').fill(tag);
    await frame.locator('#search').press('Enter');
    await frame.locator('.search-results .search-hit', { hasText: `peer ${tag}` }).waitFor({ timeout: 30_000 });
    const toggle = frame.locator('button.side-toggle');
    for (const theme of Object.keys(THEMES)) {
      await useColorTheme(page, theme, frame);
      await assertAccessible(frame, 'messages, search, file offer', { theme });
      // The drawer, on a narrow panel; beside the editor the panel is narrow.
      if (await toggle.isVisible()) {
        await toggle.click();
        await frame.locator('.app.side-open .side [role="option"][data-room="general"]').waitFor({ state: 'visible', timeout: 30_000 });
        await assertAccessible(frame, 'rooms and people', { theme });
        // Escape closes it; the focus is in the drawer after it opens.
        await page.keyboard.press('Escape');
        await frame.locator('.app:not(.side-open)').waitFor({ state: 'attached', timeout: 30_000 });
      } else {
        await assertAccessible(frame, 'rooms and people beside the messages', { theme });
      }
    }
  });

  it('shows hostile text from a peer as inert text: nothing executes', async function () {
    this.timeout(180_000);
    // Its pictures are of the dark theme.
    await useColorTheme(page, 'Dark Modern', frame);
    // Record CSP violations too: one would mean live markup reached the DOM and only the CSP stopped it.
    await frame.evaluate(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    HOSTILE.forEach((text, i) => raw.send({ type: 'message', id: `evil-${i}`, room: 'general', text }));
    raw.send({ type: 'message', id: 'benign-link', room: 'general', text: 'the real docs: [docs](https://example.com/docs)' });
    await frame.locator('#messages .msg .msg-body', { hasText: 'the real docs' }).waitFor({ timeout: 30_000 });
    // Only the https link became a link; the javascript: ones stayed text. (Earlier tests' rows have links of their own.)
    const links = await frame.locator('#messages .row.msg[data-id^="evil-"] .msg-body a, #messages .row.msg[data-id="benign-link"] .msg-body a').all();
    assert.equal(links.length, 1, `links rendered: ${await Promise.all(links.map((a) => a.getAttribute('href')))}`);
    assert.equal(await links[0].getAttribute('href'), 'https://example.com/docs');
    // A person clicks it: the webview never navigates; the editor asks first, and Cancel opens nothing.
    await links[0].click({ timeout: 30_000 });
    const asked = await answerDialog(page, 'Open this link from the chat?', 'Cancel', 60_000);
    assert.match(asked, /https:\/\/example\.com\/docs/);
    const state = await frame.evaluate(() => ({
      pwned: window.__pwned,
      parentPwned: (() => {
        try {
          return window.parent.__pwned;
        } catch {
          return undefined; // cross-origin parent: the payload cannot reach it either
        }
      })(),
      title: document.title,
      csp: window.__csp,
      scripts: document.querySelectorAll('#messages script').length,
      handlers: [...document.querySelectorAll('#messages *')].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
      jsLinks: [...document.querySelectorAll('#messages a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
      frames: document.querySelectorAll('#messages iframe, #messages svg[onload]').length,
    }));
    assert.equal(state.pwned, undefined, 'a payload ran in the webview');
    assert.equal(state.parentPwned, undefined, 'a payload reached the parent frame');
    assert.equal(state.title, frameTitle, 'a payload changed the webview title');
    assert.equal(await page.title().then((t) => t.includes('pwned')), false, 'a payload changed the workbench title');
    assert.deepEqual(state.csp, [], 'live markup reached the DOM (the CSP had to block it)');
    assert.equal(state.scripts, 0);
    assert.equal(state.handlers, 0);
    assert.equal(state.jsLinks, 0);
    assert.equal(state.frames, 0);
    // And each payload is visible as the text the peer typed.
    const shown = await frame.locator('#messages .msg-body').allInnerTexts();
    for (const needle of ['<img src=x onerror=', '<script>', 'javascript:window.__pwned', '<svg onload=']) {
      assert.ok(
        shown.some((t) => t.includes(needle)),
        `"${needle}" is not shown as text; bodies: ${JSON.stringify(shown.slice(-6))}`,
      );
    }
    await webviewElement(page).screenshot({ path: path.join(SHOTS, 'panel-hostile-dark.png') });
  });

  it('shows the server and the connection in the status bar, and updates it on disconnect', async () => {
    let text = await statusBarText(page);
    assert.ok(text.includes(`serving :${port}`) && text.includes(`${ME} @ 127.0.0.1:${port}`), `status bar: ${text}`);
    await runCommand(page, 'Chat: Disconnect');
    await waitUntil(async () => !(await statusBarText(page)).includes(`${ME} @`), 15_000, 'the status bar to drop the connection');
    await runCommand(page, 'Chat: Stop Server');
    await waitUntil(async () => !(await statusBarText(page)).includes('serving :'), 15_000, 'the status bar to drop the server');
    text = await statusBarText(page);
    assert.match(text, /disconnected/);
    await raw.waitClosed(30_000);
  });
});
