// The unit tests compile this file from the Node program, whose include does not
// cover src/webview, so the plugin's type declaration is referenced explicitly.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./markdownItEmoji.d.ts" />
import MarkdownIt from 'markdown-it';
import { full as emoji } from 'markdown-it-emoji';
import type { DOMPurify } from 'dompurify';
import { escapeHtml, highlightCode } from './highlightCode';
import { isSafeHref, sanitizeHtml } from './sanitizeHtml';

// The 'zero' preset turns every rule off; we turn on only the chat subset, so
// headings, lists, tables, images and raw HTML stay plain text.
function makeRenderer(withEmoji: boolean): ReturnType<typeof MarkdownIt> {
  const md = new MarkdownIt('zero', {
    html: false,
    linkify: true,
    breaks: true,
    typographer: false,
    highlight: (code, lang) => (lang ? highlightCode(code, lang) : escapeHtml(code)),
  });
  md.enable(['fence', 'newline', 'emphasis', 'backticks', 'link', 'linkify', 'autolink', 'escape', 'entity']);
  // Shortcuts like ":)" or "8)" would mangle code-ish text; only explicit :shortcodes: become emoji.
  if (withEmoji) md.use(emoji, { shortcuts: {} });
  md.validateLink = isSafeHref;
  return md;
}
// The emoji rule scans every text run with one regex of ~1,800 alternatives;
// most messages hold no :shortcode:, so they skip it.
const plain = makeRenderer(false);
const withEmoji = makeRenderer(true);
const SHORTCODE = /:[a-z0-9_+-]+:/i;
// Every character that can start Markdown in the enabled subset (emphasis, code,
// fences, links, autolinks, entities, escapes, breaks, URL schemes, emoji) or
// that markdown-it normalizes. Text without any is a plain paragraph.
const MARKUP = /[*_`~[\]<>&:\\\n\r\0]/;

// markdown-it stays linear on pathological input, but sanitizing (and laying
// out) tens of thousands of elements does not: 16k nested <em> took seconds.
// Such messages are shown as plain text instead.
const MAX_MARKDOWN_CHARS = 70_000;
const MAX_TAGS = 1_000;

/** Plain-text rendering: built only from escaped text, `<p>` and `<br>`, so inert by construction. */
function plainHtml(text: string): string {
  return `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;
}

function countTags(html: string): number {
  let n = 0;
  for (let i = html.indexOf('<'); i !== -1 && n <= MAX_TAGS; i = html.indexOf('<', i + 1)) n++;
  return n;
}

/**
 * Renders chat text through the Markdown subset (bold, italics, inline code,
 * code blocks, links, :emoji:) and returns sanitized HTML, safe for innerHTML.
 */
export function renderMarkdown(raw: string, purify: DOMPurify): string {
  const text = revealBidiControls(raw);
  // Most chat lines are plain words: skip the parser and the sanitizer for them
  // (about half of an append's cost); escaped text in a <p> is inert by construction.
  if (text.length > MAX_MARKDOWN_CHARS || !MARKUP.test(text)) return plainHtml(text);
  const html = (SHORTCODE.test(text) ? withEmoji : plain).render(text);
  if (countTags(html) > MAX_TAGS) return plainHtml(text);
  return sanitizeHtml(html, purify);
}

// Embedding, override and isolate controls. A message may hold right-to-left
// text, which renders fine without them; with them, "file\u202Etxt.exe" shows
// as "fileexe.txt", the classic fake file extension.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Shows bidi control characters as visible `[U+202E]` tags, so they cannot reorder what people read. */
export function revealBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase()}]`);
}

/** Highlights a shared snippet and returns sanitized HTML for a `<code>` element. */
export function renderCode(code: string, lang: string, purify: DOMPurify): string {
  // Bidi controls in code are the "Trojan Source" trick: make them visible there too.
  return sanitizeHtml(highlightCode(revealBidiControls(code), lang), purify);
}
