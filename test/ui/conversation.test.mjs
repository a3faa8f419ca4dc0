// UI tests for issue 15, driven like a person in code-server's real workbench
// (Chromium): reactions, replies with their quote, edits, deletes,
// @-completion, the unread line and Copy Link to Message. The other person is
// a raw TCP client speaking the documented JSON lines.
//
// Needs: node scripts/prepareCodeServer.mjs, npm run build, npm run compile-tests.
/* global describe, it, before, beforeEach, after, afterEach -- mocha's globals */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { prepare } from '../../scripts/prepareCodeServer.mjs';
import { freePort, launchBrowser, startCodeServer, waitUntil } from '../integration/codeServer.mjs';
import { answerInput, connectFromPalette, openDevWorkbench, runCommand, screenshotIfFailed, SHOTS, stopSuite, webviewElement } from './workbench.mjs';
import { assertAccessible } from './axeAudit.mjs';
import { resetPanel } from './resetPanel.mjs';

const require = createRequire(import.meta.url);
const { RawClient } = require('../../out/test/support/rawClient.js');
const { ChatServer } = require('../../out/src/engine/server/chatServer.js');

const ME = 'ui-convo';
const PEER = 'raw-peer';

describe('TCP Chat panel: replies, reactions, edits, deletes, @-completion, unread line (issue 15)', function () {
  let cs;
  let br;
  let page;
  let port;
  let server;
  let frame;
  let raw;

  before(async function () {
    this.timeout(300_000);
    await prepare();
    fs.mkdirSync(SHOTS, { recursive: true });
    port = await freePort();
    // The raw peer answers no pings: on a busy machine the workbench can take longer to start than the default 90 s idle timeout.
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0, idleTimeout: 600_000 });
    await server.listen();
    raw = (await RawClient.hello(port, PEER)).client;
    cs = await startCodeServer({
      settings: { 'tcpChat.displayName': ME, 'workbench.colorTheme': 'Default Light Modern', 'editor.minimap.enabled': false },
      workspaceFiles: { 'notes.md': '# Notes\n' },
    });
    br = await launchBrowser();
    page = await openDevWorkbench(br, cs, 'Light Modern');
    frame = await connectFromPalette(page, { port, name: ME, peer: raw });
  });

  beforeEach(async function () {
    if (frame) await resetPanel(page, frame);
  });

  after(async function () {
    this.timeout(60_000);
    await stopSuite({ raw, br, codeServers: [cs], chatServer: server });
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, { 'convo-': page });
  });

  /** The peer says something; resolves with the row that shows it. */
  async function peerSays(id, text, extra = {}) {
    raw.send({ type: 'message', id, room: 'general', text, ...extra });
    const m = await raw.waitFor((f) => f.type === 'message' && f.id === id, 30_000);
    const row = frame.locator(`#messages .row.msg[data-id="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
    return { m, row };
  }

  /** Type in the composer like a person and press Enter; resolves with what reached the peer. */
  async function iSay(text) {
    await frame.click('#composer');
    await page.keyboard.type(text, { delay: 5 });
    await page.keyboard.press('Enter');
    return raw.waitFor((f) => f.type === 'message' && f.text === text, 30_000);
  }

  /** A row's action button, as a person reaches it: hover the row, then click. */
  async function act(row, label) {
    await row.hover();
    await row.locator(`.msg-actions button[aria-label="${label}"]`).click({ timeout: 15_000 });
  }

  it('reacts from the row, shows counts and who reacted, and a click takes it back', async () => {
    const { m, row } = await peerSays('c-ship', 'ship it?');
    await act(row, 'Add reaction');
    await row.locator('.reaction-picker button[aria-label="React with 👍"]').click({ timeout: 15_000 });
    const on = await raw.waitFor((f) => f.type === 'update' && f.message.seq === m.seq, 30_000);
    assert.deepEqual(on.message.reactions, [{ emoji: '👍', count: 1, people: [ME] }]);
    const mine = row.locator('.reaction[data-emoji="👍"]');
    await mine.waitFor({ timeout: 30_000 });
    assert.equal(await mine.getAttribute('aria-pressed'), 'true');
    assert.match(await mine.getAttribute('title'), new RegExp(`^${ME} reacted with 👍$`));
    raw.send({ type: 'react', id: 'r-peer', room: 'general', seq: m.seq, emoji: '🎉', on: true });
    const theirs = row.locator('.reaction[data-emoji="🎉"]');
    await theirs.waitFor({ timeout: 30_000 });
    assert.equal(await theirs.getAttribute('aria-pressed'), 'false');
    assert.equal((await theirs.innerText()).replace(/\s+/g, ' ').trim(), '🎉 1');
    assert.equal(await theirs.getAttribute('title'), `${PEER} reacted with 🎉`);
    await mine.click();
    const off = await raw.waitFor((f) => f.type === 'update' && f.message.seq === m.seq && f.message.reactions?.length === 1, 30_000);
    assert.deepEqual(off.message.reactions, [{ emoji: '🎉', count: 1, people: [PEER] }]);
    await mine.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('replies with the original quoted, and a click on the quote goes to it', async () => {
    const { m } = await peerSays('c-review', 'can you review the parser change?');
    for (let i = 0; i < 25; i++) await peerSays(`c-fill-${i}`, `filler ${i}`);
    // Back up to the original, as a person scrolls, and answer it.
    const row = frame.locator('#messages .row.msg[data-id="c-review"]');
    await frame.locator('#messages').evaluate((el) => (el.scrollTop = 0));
    await row.waitFor({ timeout: 30_000 });
    await act(row, 'Reply');
    await frame.locator('.compose-mode', { hasText: `Replying to ${PEER}` }).waitFor({ timeout: 15_000 });
    const sent = await iSay('on it after lunch');
    assert.equal(sent.replyTo, m.seq);
    assert.deepEqual(sent.reply, { seq: m.seq, sender: PEER, excerpt: 'can you review the parser change?' });
    const reply = frame.locator(`#messages .row.msg[data-id="${sent.id}"]`);
    const quote = reply.locator('.msg-quote');
    await quote.waitFor({ timeout: 30_000 });
    assert.match(await quote.innerText(), /can you review the parser change\?/);
    assert.ok(await frame.locator('.compose-mode').isHidden(), 'the reply banner closes after sending');
    await quote.click();
    await frame.locator('#messages .row.msg.flash[data-id="c-review"]').waitFor({ timeout: 15_000 });
  });

  it('a quote shows the original as it reads now, after an edit and after a delete', async () => {
    const { m } = await peerSays('c-lunch', 'lunch at 12?');
    const { row } = await peerSays('c-lunch-re', 'works for me', { replyTo: m.seq });
    const quote = row.locator('.msg-quote');
    await quote.waitFor({ timeout: 30_000 });
    assert.match(await quote.innerText(), /lunch at 12\?/);
    raw.send({ type: 'edit', id: 'c-lunch-e', room: 'general', seq: m.seq, text: 'lunch at 1?' });
    await row.locator('.msg-quote', { hasText: 'lunch at 1?' }).waitFor({ timeout: 30_000 });
    raw.send({ type: 'delete', id: 'c-lunch-d', room: 'general', seq: m.seq });
    await row.locator('.msg-quote.deleted', { hasText: 'message deleted' }).waitFor({ timeout: 30_000 });
  });

  it('a click on the quote of an original the panel has not loaded brings it in and marks it', async () => {
    raw.send({ type: 'join', room: 'convo-history' });
    await raw.waitFor((f) => f.type === 'joined' && f.room === 'convo-history', 30_000);
    const say = async (id, text, extra = {}) => {
      raw.send({ type: 'message', id, room: 'convo-history', text, ...extra });
      return raw.waitFor((f) => f.type === 'message' && f.id === id, 30_000);
    };
    const original = await say('h-orig', 'the plan from long ago');
    for (let i = 0; i < 70; i++) raw.send({ type: 'message', id: `h-fill-${i}`, room: 'convo-history', text: `filler ${i}` });
    await raw.waitFor((f) => f.type === 'message' && f.id === 'h-fill-69', 30_000);
    await say('h-reply', 'about that plan', { replyTo: original.seq });
    // Joining brings the room's last 50 messages: the reply, not its original.
    await runCommand(page, 'Chat: Join Room');
    await answerInput(page, 'convo-history', { title: 'Chat: Join Room' });
    await frame.locator('.side [role="option"][data-room="convo-history"][aria-selected="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    const quote = frame.locator('#messages .row.msg[data-id="h-reply"] .msg-quote');
    await quote.waitFor({ timeout: 30_000 });
    await quote.click();
    const row = frame.locator('#messages .row.msg.flash[data-id="h-orig"]');
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.locator('.msg-body').innerText(), /the plan from long ago/);
    assert.ok(await row.isVisible(), 'scrolled into view');
  });

  it('edits your own message in the composer, and others see "(edited)"', async () => {
    const sent = await iSay('teh build is green');
    const row = frame.locator(`#messages .row.msg[data-id="${sent.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await act(row, 'Edit message');
    await frame.locator('.compose-mode', { hasText: 'Editing your message' }).waitFor({ timeout: 15_000 });
    assert.equal(await frame.inputValue('#composer'), 'teh build is green');
    await frame.locator('#composer').fill('the build is green');
    await page.keyboard.press('Enter');
    const upd = await raw.waitFor((f) => f.type === 'update' && f.message.seq === sent.seq, 30_000);
    assert.equal(upd.message.text, 'the build is green');
    await row.locator('.msg-edited', { hasText: '(edited)' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok((await row.locator('.msg-edited').boundingBox())?.height > 0, '"(edited)" takes space on screen, also on a continuation row');
    assert.match(await row.locator('.msg-body').innerText(), /the build is green/);
    assert.equal(await frame.inputValue('#composer'), '', 'the composer is free again');
    // Someone else's message offers no edit or delete.
    const { row: theirs } = await peerSays('c-theirs', 'not yours');
    await theirs.hover();
    assert.equal(await theirs.locator('.msg-actions button[aria-label="Edit message"]').count(), 0);
    assert.equal(await theirs.locator('.msg-actions button[aria-label="Delete message"]').count(), 0);
  });

  it('deletes your own message after a second click, leaving "message deleted"', async () => {
    const sent = await iSay('oops, wrong room');
    const row = frame.locator(`#messages .row.msg[data-id="${sent.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await act(row, 'Delete message');
    await row.locator('.act-delete.confirm').waitFor({ timeout: 15_000 });
    assert.equal(raw.frames.filter((f) => f.type === 'update' && f.message.seq === sent.seq).length, 0, 'one click deletes nothing');
    await row.locator('.act-delete.confirm').click();
    const upd = await raw.waitFor((f) => f.type === 'update' && f.message.seq === sent.seq, 30_000);
    assert.equal(upd.message.deleted, true);
    await row.locator('.msg-body.deleted', { hasText: 'message deleted' }).waitFor({ timeout: 30_000 });
  });

  it('completes @names from the room members with the keyboard', async () => {
    await frame.click('#composer');
    await page.keyboard.type('thanks @raw', { delay: 20 });
    const option = frame.locator('#mention-list [role="option"]', { hasText: `@${PEER}` });
    await option.waitFor({ timeout: 15_000 });
    assert.equal(await frame.locator('#composer').getAttribute('aria-activedescendant'), 'mention-0');
    await page.keyboard.press('Enter');
    assert.equal(await frame.inputValue('#composer'), `thanks @${PEER} `);
    assert.ok(await frame.locator('#mention-list').isHidden());
    await page.keyboard.press('Enter');
    await raw.waitFor((f) => f.type === 'message' && f.text.trim() === `thanks @${PEER}`, 30_000);
  });

  it('shows a "new messages" line where you left off, with a way to jump to it', async () => {
    await runCommand(page, 'Chat: Join Room');
    await answerInput(page, 'convo-elsewhere', { title: 'Chat: Join Room' });
    await frame.locator('.side [role="option"][data-room="convo-elsewhere"][aria-selected="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    raw.send({ type: 'message', id: 'c-away-1', room: 'general', text: 'first while you were away' });
    for (let i = 2; i <= 30; i++) raw.send({ type: 'message', id: `c-away-${i}`, room: 'general', text: `more news ${i}` });
    await raw.waitFor((f) => f.type === 'message' && f.id === 'c-away-30', 30_000);
    await resetPanel(page, frame); // back to #general, by clicking it
    await frame.locator('#messages .row.unread', { hasText: 'new messages' }).waitFor({ state: 'attached', timeout: 30_000 });
    const jump = frame.locator('.jump-unread');
    if (await jump.isVisible()) await jump.click();
    await frame.locator('#messages .row.unread').waitFor({ state: 'visible', timeout: 15_000 });
    const order = await frame.locator('#messages .row').evaluateAll((rows) =>
      rows
        .sort((a, b) => a.offsetTop - b.offsetTop)
        .map((r) => (r.classList.contains('unread') ? 'LINE' : r.dataset.id))
        .filter(Boolean),
    );
    const at = order.indexOf('LINE');
    assert.equal(order[at + 1], 'c-away-1', `the line sits above the first unread message: ${order.slice(Math.max(0, at - 2), at + 3)}`);
  });

  it('copies a link to a message, and passes an accessibility audit with replies and reactions', async () => {
    const { row } = await peerSays('c-link', 'the release notes are in #dev');
    await act(row, 'Copy Link to Message');
    await page.locator('.statusbar', { hasText: 'Link to the message copied' }).waitFor({ timeout: 15_000 });
    // A picture of the panel with a reply and reactions (the README shows it), in a room of its own.
    raw.send({ type: 'join', room: 'release' });
    await raw.waitFor((f) => f.type === 'joined' && f.room === 'release', 30_000);
    await runCommand(page, 'Chat: Join Room');
    await answerInput(page, 'release', { title: 'Chat: Join Room' });
    await frame.locator('.side [role="option"][data-room="release"][aria-selected="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    const say = async (id, text, extra = {}) => {
      raw.send({ type: 'message', id, room: 'release', text, ...extra });
      return raw.waitFor((f) => f.type === 'message' && f.id === id, 30_000);
    };
    await say('r-1', 'The parser fix is merged. Tests are green on all three platforms.');
    const q = await say('r-2', 'Should we cut **v0.2** today?');
    raw.send({ type: 'react', id: 'r-3', room: 'release', seq: q.seq, emoji: '🚀', on: true });
    const row2 = frame.locator('#messages .row.msg[data-id="r-2"]');
    await row2.waitFor({ timeout: 30_000 });
    await act(row2, 'Add reaction');
    await row2.locator('.reaction-picker button[aria-label="React with 👍"]').click({ timeout: 15_000 });
    await row2.locator('.reaction[data-emoji="👍"][aria-pressed="true"]').waitFor({ timeout: 30_000 });
    await act(row2, 'Reply');
    await frame.click('#composer');
    await page.keyboard.type('Yes, after lunch. I will write the release notes.', { delay: 5 });
    await page.keyboard.press('Enter');
    const sent = await raw.waitFor((f) => f.type === 'message' && f.replyTo === q.seq, 30_000);
    const r4 = await say('r-4', 'Great, I will tag it.', { replyTo: sent.seq });
    raw.send({ type: 'react', id: 'r-5', room: 'release', seq: sent.seq, emoji: '🎉', on: true });
    await frame.locator(`#messages .row.msg[data-id="${r4.id}"] .msg-quote`).waitFor({ timeout: 30_000 });
    await frame.locator(`#messages .row.msg[data-id="${sent.id}"] .reaction[data-emoji="🎉"]`).waitFor({ timeout: 30_000 });
    await assertAccessible(frame, 'replies and reactions', { theme: 'Light Modern' });
    await page.mouse.move(0, 0);
    await webviewElement(page).screenshot({ path: path.join(SHOTS, 'panel-conversation-light.png') });
    await waitUntil(async () => fs.existsSync(path.join(SHOTS, 'panel-conversation-light.png')), 5000, 'the screenshot');
  });

  // Last: it moves the window to a server of its own.
  it('in a large room, @-completion asks the server and offers someone the panel was never told about', async () => {
    const bigPort = await freePort();
    // Above 3 people the welcome names only you and the latest speakers (docs/protocol.md).
    const big = new ChatServer({ host: '127.0.0.1', port: bigPort, rate: 0, largeRoom: 3 });
    await big.listen();
    const crowd = [];
    try {
      for (const n of ['zelda-q', 'yusuf', 'xena', 'wu']) crowd.push((await RawClient.hello(bigPort, n)).client);
      await runCommand(page, 'Chat: Connect');
      await answerInput(page, `127.0.0.1:${bigPort}`, { title: 'Chat: Connect' });
      await frame.locator('.conn[data-state="connected"]', { hasText: String(bigPort) }).waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('.side .person', { hasText: 'zelda-q' }).count(), 0, 'the people list does not name her');
      await frame.click('#composer');
      await page.keyboard.type('over to @zel', { delay: 20 });
      const option = frame.locator('#mention-list [role="option"]', { hasText: '@zelda-q' });
      await option.waitFor({ timeout: 30_000 });
      await page.keyboard.press('Tab');
      assert.equal(await frame.inputValue('#composer'), 'over to @zelda-q ');
      await page.keyboard.press('Enter');
      await crowd[0].waitFor((f) => f.type === 'message' && f.text.trim() === 'over to @zelda-q', 30_000);
    } finally {
      for (const c of crowd) c.close();
      await big.close();
    }
  });
});
