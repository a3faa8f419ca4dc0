// Small inline icons drawn by us (never from remote text), so the page needs no
// icon font and the CSP needs no extra source. Paths are 16x16, stroke-based.
const PATHS = {
  search: 'M7 2.5a4.5 4.5 0 1 1 0 9a4.5 4.5 0 0 1 0-9zM10.5 10.5L14 14',
  plus: 'M8 3v10M3 8h10',
  send: 'M2.5 8L13.5 2.5L10.5 13.5L8 9L2.5 8zM8 9L13.5 2.5',
  file: 'M4 1.5h5l3 3v10H4zM9 1.5v3h3',
  close: 'M4 4l8 8M12 4l-8 8',
  menu: 'M2.5 4h11M2.5 8h11M2.5 12h11',
  copy: 'M5.5 5.5h8v8h-8zM10.5 5.5v-3h-8v8h3',
  down: 'M8 3v10M4 9l4 4l4-4',
  person: 'M8 2.5a2.5 2.5 0 1 1 0 5a2.5 2.5 0 0 1 0-5zM3 14c0-3 2.2-4.5 5-4.5s5 1.5 5 4.5',
  save: 'M8 2v8M4.5 7L8 10.5L11.5 7M3 13.5h10',
  plug: 'M6 1.5v3M10 1.5v3M4 4.5h8v3a4 4 0 0 1-8 0zM8 11.5v3',
  edit: 'M10.5 2.5l3 3L6 13H3v-3zM9 4l3 3',
  kick: 'M6 3.5h-3v9h3M10.5 5L13.5 8L10.5 11M13.5 8H6.5',
  ban: 'M8 2a6 6 0 1 1 0 12a6 6 0 0 1 0-12zM3.8 3.8l8.4 8.4',
  reply: 'M6.5 3.5L2.5 7.5L6.5 11.5M2.5 7.5h7a4 4 0 0 1 4 4v1',
  smile: 'M8 2a6 6 0 1 1 0 12a6 6 0 0 1 0-12zM5.5 9.5c1.2 1.5 3.8 1.5 5 0M6 6.5v.5M10 6.5v.5',
  trash: 'M3 4.5h10M6.5 4.5v-2h3v2M4.5 4.5l.7 9h5.6l.7-9',
  link: 'M7 9a2.5 2.5 0 0 0 3.5 0l2.5-2.5a2.5 2.5 0 0 0-3.5-3.5L8.5 4M9 7a2.5 2.5 0 0 0-3.5 0L3 9.5a2.5 2.5 0 0 0 3.5 3.5l1-1',
} as const;

/** Name of an icon `icon()` can draw. */
export type IconName = keyof typeof PATHS;

/** An `aria-hidden` SVG icon; the control that holds it carries the label. */
export function icon(name: IconName): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name]);
  svg.appendChild(path);
  return svg;
}
