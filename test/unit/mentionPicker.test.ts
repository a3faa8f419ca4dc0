import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

// The composer's @-completion as the panel runs it: bundled for the browser
// and run in jsdom (see peopleList.test.ts), with the host's side played by
// the test. jsdom is loaded untyped on purpose (see renderMarkdown.test.ts).
interface MiniElement {
  hidden: boolean;
  value: string;
  textContent: string | null;
  querySelectorAll(sel: string): ArrayLike<MiniElement>;
  setSelectionRange(a: number, b: number): void;
  getAttribute(name: string): string | null;
}
interface PickerLike {
  el: MiniElement;
  update(): void;
  answer(id: number, prefix: string, names: readonly string[], error?: string): void;
}
interface Source {
  members(): readonly string[];
  partial(): boolean;
  find(id: number, prefix: string): void;
  announce(text: string): void;
}
interface MiniWindow {
  eval(code: string): unknown;
  document: { createElement(tag: string): MiniElement; body: { append(e: MiniElement): void } };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string, opts: object) => { window: MiniWindow } };

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('the composer @-completion in a large room (jsdom)', () => {
  let win: MiniWindow;
  let Picker: new (t: MiniElement, s: Source, changed: () => void) => PickerLike;

  before(() => {
    const code = buildSync({ entryPoints: [path.join(ROOT, 'src', 'webview', 'mentionPicker.ts')], bundle: true, format: 'iife', globalName: 'mp', platform: 'browser', target: 'es2022', write: false }).outputFiles[0].text;
    win = new JSDOM('<!doctype html><html><body></body></html>', { runScripts: 'outside-only', pretendToBeVisual: true }).window;
    Picker = (win.eval(`${code};mp`) as { MentionPicker: typeof Picker }).MentionPicker;
  });
  after(() => win.close());

  /** A picker over a textarea, a room that knows `alma` of many, and the questions it asks the host. */
  function setup(): { type(text: string): void; shown(): string[]; asked: Array<{ id: number; prefix: string }>; nextAsk(): Promise<{ id: number; prefix: string }>; said: string[]; picker: PickerLike } {
    const textarea = win.document.createElement('textarea');
    win.document.body.append(textarea);
    const asked: Array<{ id: number; prefix: string }> = [];
    const said: string[] = [];
    let waiting: ((q: { id: number; prefix: string }) => void) | undefined;
    const picker = new Picker(textarea, {
      members: () => ['alma', 'bert'],
      partial: () => true,
      find: (id, prefix) => {
        asked.push({ id, prefix });
        waiting?.({ id, prefix });
      },
      announce: (text) => said.push(text),
    }, () => undefined);
    win.document.body.append(picker.el);
    return {
      type(text) {
        textarea.value = text;
        textarea.setSelectionRange(text.length, text.length);
        picker.update();
      },
      shown: () => (picker.el.hidden ? [] : Array.from(picker.el.querySelectorAll('[role="option"]')).map((o) => o.textContent ?? '')),
      asked,
      nextAsk: () => new Promise((r) => (waiting = r)),
      said,
      picker,
    };
  }

  it('shows the names it knows at once, asks the server once typing pauses, and adds what the server found', async () => {
    const p = setup();
    const ask = p.nextAsk();
    p.type('hi @a');
    assert.deepEqual(p.shown(), ['@alma'], 'the known names, before any answer');
    p.type('hi @al');
    const q = await ask;
    assert.deepEqual(p.asked, [{ id: q.id, prefix: 'al' }], 'one question, for what was typed last');
    p.picker.answer(q.id, 'al', ['alfred', 'alma']);
    assert.deepEqual(p.shown(), ['@alfred', '@alma']);
  });

  it('drops an answer to an older question, and keeps the known names when the server cannot be asked', async () => {
    const p = setup();
    let ask = p.nextAsk();
    p.type('@al');
    const first = await ask;
    ask = p.nextAsk();
    p.type('@alf');
    assert.deepEqual(p.shown(), [], 'nobody known starts with alf');
    p.picker.answer(first.id, 'al', ['alice']);
    assert.deepEqual(p.shown(), [], 'the answer about "al" came too late');
    const second = await ask;
    p.picker.answer(first.id, 'al', ['alice']);
    assert.deepEqual(p.shown(), [], 'still too late once a newer question went out');
    p.picker.answer(second.id, 'alf', ['alfred']);
    assert.deepEqual(p.shown(), ['@alfred']);
    ask = p.nextAsk();
    p.type('@a');
    const third = await ask;
    p.picker.answer(third.id, 'a', [], 'rate limited: try again in 1 s');
    assert.deepEqual(p.shown(), ['@alma'], 'an error leaves the names already shown');
    assert.match(p.said.join('\n'), /Could not ask the server for more names: rate limited/);
    p.type('@a done ');
    p.picker.answer(third.id, 'a', ['anna']);
    assert.deepEqual(p.shown(), [], 'a closed list is not reopened by a late answer');
  });
});
