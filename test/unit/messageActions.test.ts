import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/shared/panelProtocol';
import { MessageActions } from '../../src/webview/messageActions';
import type { MessageListHost } from '../../src/webview/messageList';

// The row's DOM as messageRow.ts draws it, in jsdom (loaded untyped, as in renderMarkdown.test.ts).
interface MiniWindow {
  document: { body: { innerHTML: string }; querySelector(sel: string): Element | null };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: MiniWindow } };

const ROW = `<div class="row" data-key="m7">
  <div class="msg-quote" data-seq="5"><span class="q-text">the original</span></div>
  <div class="msg-body">hello</div>
  <div class="reactions"><button class="reaction" data-emoji="👍" aria-pressed="true">👍 2</button></div>
  <div class="picker"><button id="party" class="pick-emoji" data-emoji="🎉">🎉</button><button id="eyes" class="pick-emoji" data-emoji="👀">👀</button></div>
  <div class="msg-actions"><button class="act-reply"></button><button class="act-edit"></button><button class="act-link"></button><button class="act-react"></button><button class="act-delete"></button></div>
</div>`;

const m: ChatMessage = { type: 'message', id: 'x', seq: 7, room: 'general', sender: 'ann', text: 'hello', ts: '2026-03-01T09:00:00.000Z', reactions: [{ emoji: '🎉', count: 1, people: ['me'] }] };

describe('MessageActions (clicks on a message, jsdom)', () => {
  let win: MiniWindow;
  let calls: string[];
  let loaded: boolean;
  let actions: MessageActions;
  const at = (sel: string) => win.document.querySelector(sel)!;

  beforeEach(() => {
    win = new JSDOM(`<!doctype html><html><body>${ROW}</body></html>`).window;
    calls = [];
    loaded = true;
    const host = {
      me: () => 'me',
      react: (seq: number, emoji: string, on: boolean) => calls.push(`react ${seq} ${emoji} ${on}`),
      reply: (x: ChatMessage) => calls.push(`reply ${x.seq}`),
      edit: (x: ChatMessage) => calls.push(`edit ${x.seq}`),
      remove: (seq: number) => calls.push(`remove ${seq}`),
      copyLink: (seq: number) => calls.push(`link ${seq}`),
      showMessage: (seq: number) => calls.push(`show ${seq}`),
      announce: (text: string) => calls.push(`say ${text}`),
    } as unknown as MessageListHost;
    actions = new MessageActions(host, {
      jumpTo: (seq) => (calls.push(`jump ${seq}`), loaded),
      redraw: (key) => calls.push(`redraw ${key}`),
      node: () => undefined,
    });
  });
  afterEach(() => win.close());

  it("a quote jumps to its original, or asks the host for it when it is not loaded", () => {
    assert.equal(actions.click(at('.q-text'), 'm7', m), true);
    assert.deepEqual(calls, ['jump 5']);
    calls = [];
    loaded = false;
    actions.click(at('.q-text'), 'm7', m);
    assert.deepEqual(calls, ['jump 5', 'say Loading the original message…', 'show 5']);
  });

  it('a reaction toggles this user’s own: pressed takes it back, a picked emoji already theirs too', () => {
    actions.click(at('.reaction'), 'm7', m);
    assert.deepEqual(calls, ['react 7 👍 false']);
    calls = [];
    actions.click(at('.act-react'), 'm7', m);
    assert.equal(actions.isPicking('m7'), true);
    actions.click(at('#party'), 'm7', m);
    actions.click(at('#eyes'), 'm7', m);
    assert.deepEqual(calls, ['redraw m7', 'react 7 🎉 false', 'redraw m7', 'react 7 👀 true']);
    assert.equal(actions.isPicking('m7'), false);
  });

  it('Delete asks for a second click; forget and clear drop what waits', () => {
    actions.click(at('.act-delete'), 'm7', m);
    assert.equal(actions.isConfirming('m7'), true);
    actions.click(at('.act-delete'), 'm7', m);
    assert.equal(actions.isConfirming('m7'), false);
    assert.deepEqual(calls, ['say Click Delete again to delete this message for everyone.', 'redraw m7', 'remove 7', 'redraw m7']);
    actions.click(at('.act-delete'), 'm7', m);
    actions.forget('m7');
    assert.equal(actions.isConfirming('m7'), false);
    actions.click(at('.act-react'), 'm7', m);
    actions.clear();
    assert.equal(actions.isPicking('m7'), false);
  });

  it('reply, edit and link go to the host; a click elsewhere is not handled', () => {
    for (const sel of ['.act-reply', '.act-edit', '.act-link']) assert.equal(actions.click(at(sel), 'm7', m), true);
    assert.deepEqual(calls, ['reply 7', 'edit 7', 'link 7']);
    assert.equal(actions.click(at('.msg-body'), 'm7', m), false);
  });
});
