import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

// The webview is compiled for the browser (src/webview/tsconfig.json), not in
// this Node program, so the test bundles it as the panel gets it and runs it
// in jsdom. jsdom is loaded untyped on purpose (see renderMarkdown.test.ts).
interface MiniElement {
  textContent: string | null;
  style: { paddingTop: string; paddingBottom: string };
  children: ArrayLike<MiniElement>;
  getAttribute(name: string): string | null;
  querySelector(sel: string): MiniElement | null;
  querySelectorAll(sel: string): ArrayLike<MiniElement>;
  dispatchEvent(e: unknown): boolean;
}
interface SidebarLike {
  el: MiniElement;
  renderPeople(people: Array<{ name: string; guest?: true }>, me: string | null, connected: boolean, moderation?: { room: string }, away?: Record<string, string>, count?: number): void;
}
interface MiniWindow {
  eval(code: string): unknown;
  document: { body: { append(e: MiniElement): void } };
  Event: new (type: string) => unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string, opts: object) => { window: MiniWindow } };

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ROW_PX = 26;

describe('the panel people list (virtualized; jsdom)', () => {
  let win: MiniWindow;
  let sidebar: SidebarLike;

  before(() => {
    const code = buildSync({ entryPoints: [path.join(ROOT, 'src', 'webview', 'sidebar.ts')], bundle: true, format: 'iife', globalName: 'side', platform: 'browser', target: 'es2022', write: false }).outputFiles[0].text;
    win = new JSDOM('<!doctype html><html><body></body></html>', { runScripts: 'outside-only', pretendToBeVisual: true }).window;
    const side = win.eval(`${code};side`) as { Sidebar: new (host: object) => SidebarLike };
    sidebar = new side.Sidebar({ pick: () => undefined, command: () => undefined, openDm: () => undefined });
    win.document.body.append(sidebar.el);
  });
  after(() => win.close());

  const people = () => sidebar.el.querySelector('ul.people')!;

  it('10,000 people: the first paint builds about 40 rows, in well under 300 ms, and says where each row stands', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => ({ name: `user${String((i * 7919) % 10_000).padStart(5, '0')}` }));
    // CPU time of this process, not wall time: the unit suite runs files in parallel on a shared machine,
    // and a wall clock counts the time another process had the core.
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    sidebar.renderPeople(names, 'user00042', true);
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const ms = performance.now() - t0;
    const rows = people().querySelectorAll('li.person');
    console.log(`      [panel] first paint of 10,000 people in jsdom: ${cpuMs.toFixed(1)} ms of CPU (${ms.toFixed(1)} ms wall), ${rows.length} rows in the DOM`);
    assert.ok(rows.length <= 40, `${rows.length} rows in the DOM`);
    assert.ok(cpuMs < 300, `first paint took ${cpuMs.toFixed(1)} ms of CPU`);
    assert.equal(rows[0].textContent, 'user00042(you)');
    assert.ok(rows[1].querySelector('button.person-btn'), 'the others are buttons to write to them');
    assert.equal(rows[0].getAttribute('aria-posinset'), '1');
    assert.equal(rows[0].getAttribute('aria-setsize'), '10000');
    assert.equal(rows[1].textContent, 'user00000');
    assert.equal(people().style.paddingBottom, `${(10_000 - rows.length) * ROW_PX}px`);
    assert.equal(sidebar.el.querySelector('.side-head .count')!.textContent, '10,000');
  });

  it('draws the rows in view as the list scrolls, and the server count when it names only some', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => ({ name: `p${String(i).padStart(5, '0')}`, ...(i % 2 === 0 && { guest: true as const }) }));
    sidebar.renderPeople(names, null, true, { room: 'general' }, { p04993: 'lunch' }, 12_345);
    const ul = people() as MiniElement & { scrollTop: number; clientHeight: number };
    // jsdom does no layout: give the list the height and scroll position a browser would.
    Object.defineProperty(ul, 'clientHeight', { configurable: true, value: 10 * ROW_PX });
    Object.defineProperty(ul, 'scrollTop', { configurable: true, value: 5000 * ROW_PX });
    ul.dispatchEvent(new win.Event('scroll'));
    const rows = ul.querySelectorAll('li.person');
    assert.equal(rows[0].getAttribute('aria-posinset'), String(5000 - 8 + 1));
    // The rows are the sidebar's own: guests and the away marked in words, Kick and Ban for an operator.
    assert.equal(rows[0].querySelector('.person-name')!.textContent, 'p04992');
    assert.ok(rows[0].querySelector('.person-guest'));
    assert.ok(rows[1].querySelector('.person-away'));
    assert.ok(rows[0].querySelector('[data-kick="p04992"]'));
    assert.equal(rows.length, 8 + 10 + 8);
    assert.equal(ul.style.paddingTop, `${(5000 - 8) * ROW_PX}px`);
    assert.equal(sidebar.el.querySelector('.side-head .count')!.textContent, '12,345');
    sidebar.renderPeople([], null, false);
    assert.equal(people().textContent, 'Not connected');
  });
});
