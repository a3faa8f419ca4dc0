import type { DOMPurify } from 'dompurify';
import type { ChatMessage, SnippetStatusMsg } from '../shared/panelProtocol';
import { el } from './dom';
import { icon } from './icons';
import { renderCode } from './renderMarkdown';

/** The short commit id a person can compare by eye. */
function shortCommit(c: unknown): string {
  return typeof c === 'string' ? c.slice(0, 12) : '';
}

/**
 * A shared snippet: file, lines and language, buttons to copy it, open it
 * in the receiver's own editor, and (once the receiver's copy is known to
 * differ) compare the two; the code highlighted through the sanitizer.
 */
export function renderSnippet(m: ChatMessage, purify: DOMPurify, status: SnippetStatusMsg | undefined): HTMLElement {
  const s = m.snippet!;
  const fig = el('figure', 'snippet');
  const cap = el('figcaption', 'snippet-head');
  const path = String(s.file ?? '');
  const file = el('span', 'snippet-file', path.split(/[\\/]/).pop() || 'snippet');
  file.title = path;
  const lines = el('span', 'snippet-lines', s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}–${s.endLine}`);
  const lang = el('span', 'snippet-lang', String(s.lang ?? ''));
  const button = (cls: string, iconName: Parameters<typeof icon>[0], text: string, label: string) => {
    const b = el('button', cls);
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.title = label;
    b.append(icon(iconName), document.createTextNode(text));
    return b;
  };
  const where = `${file.textContent}, ${lines.textContent}`;
  cap.append(file, lines, lang, button('snippet-copy', 'copy', 'Copy', `Copy ${where}`), button('snippet-open', 'file', 'Open in My Editor', `Open ${where} in my editor`));
  if (status?.status === 'differs') cap.append(button('snippet-compare', 'search', 'Compare', `Compare ${where} with my copy`));
  fig.append(cap);
  if (typeof s.remote === 'string' || typeof s.commit === 'string') {
    const origin = [typeof s.remote === 'string' ? s.remote : '', shortCommit(s.commit) ? `at ${shortCommit(s.commit)}` : ''].filter(Boolean).join(' ');
    const o = el('p', 'snippet-origin', `from ${origin}`);
    o.dir = 'auto';
    fig.append(o);
  }
  if (status) {
    const note = el('p', `snippet-status ${status.status}`, String(status.detail ?? ''));
    note.setAttribute('role', 'note');
    fig.append(note);
  }
  const pre = el('pre', 'snippet-code');
  pre.tabIndex = 0;
  pre.setAttribute('aria-label', `Code from ${file.textContent}`);
  const code = el('code', 'hljs');
  code.innerHTML = renderCode(s.code, String(s.lang ?? ''), purify);
  pre.append(code);
  fig.append(pre);
  return fig;
}
