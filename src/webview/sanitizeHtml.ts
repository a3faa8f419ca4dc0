import type { Config, DOMPurify } from 'dompurify';

/** Tags the Markdown subset can produce; everything else is dropped (its text kept where DOMPurify keeps it). */
export const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 'code', 'pre', 'a', 'span'];
/** Attributes that survive; `class` is further limited to highlight.js tokens and `language-*`. */
export const ALLOWED_ATTR = ['href', 'class', 'rel'];

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // Belt and braces: the hook below also rejects anything not parsed as http(s).
  ALLOWED_URI_REGEXP: /^https?:\/\//i,
  KEEP_CONTENT: true,
  RETURN_TRUSTED_TYPE: false,
};

const CLASS_TOKEN = /^(hljs(-[a-z_]+)?|[a-z_]+_|language-[a-z0-9+#_-]{1,32})$/;

/** True when `href` is an absolute http(s) URL: the only links the panel keeps. */
export function isSafeHref(href: string): boolean {
  try {
    const u = new URL(href);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

// DOMPurify hooks are per instance; remember which instances already carry ours.
const prepared = new WeakSet<DOMPurify>();

function prepare(purify: DOMPurify): void {
  if (prepared.has(purify)) return;
  prepared.add(purify);
  purify.addHook('afterSanitizeAttributes', (node) => {
    const el = node as unknown as { tagName?: string; getAttribute(n: string): string | null; setAttribute(n: string, v: string): void; removeAttribute(n: string): void };
    if (typeof el.tagName !== 'string') return;
    const cls = el.getAttribute('class');
    if (cls !== null) {
      const kept = cls.split(/\s+/).filter((t) => CLASS_TOKEN.test(t));
      if (kept.length) el.setAttribute('class', kept.join(' '));
      else el.removeAttribute('class');
    }
    if (el.tagName.toLowerCase() === 'a') {
      const href = el.getAttribute('href');
      if (href === null || !isSafeHref(href)) el.removeAttribute('href');
      // Clicks are intercepted and sent to the host, but never let the page leak who referred it.
      el.setAttribute('rel', 'noopener noreferrer nofollow');
    } else {
      el.removeAttribute('rel');
      el.removeAttribute('href');
    }
  });
}

/**
 * Sanitizes HTML produced by our Markdown renderer or highlighter with a strict
 * allow-list: no images, SVG, MathML, forms, styles or event handlers, and only
 * http(s) links. `purify` is a DOMPurify instance bound to a window (the
 * webview's, or jsdom's in unit tests).
 */
export function sanitizeHtml(html: string, purify: DOMPurify): string {
  prepare(purify);
  return purify.sanitize(html, CONFIG) as unknown as string;
}
