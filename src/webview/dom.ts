import type { RoomView } from '../shared/panelProtocol';
import { icon, type IconName } from './icons';

/** A new element with an optional class and text (always textContent, never markup). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A button that shows only an icon, named for screen readers and tooltips. */
export function iconButton(name: IconName, label: string, cls = 'icon-btn'): HTMLButtonElement {
  const b = el('button', cls);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  b.title = label;
  b.append(icon(name));
  return b;
}

/** 1536 -> "1.5 KB"; empty for nonsense. */
export function formatSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `#general`, or `@bob` for a direct conversation. */
export function roomTitle(key: string, rooms: RoomView[]): string {
  const r = rooms.find((x) => x.key === key);
  if (r) return r.kind === 'dm' ? `@${r.label}` : r.label.startsWith('#') ? r.label : `#${r.label}`;
  return key.startsWith('@') ? key : `#${key}`;
}
