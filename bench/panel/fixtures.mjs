// Conversations for the panel bench and its screenshots.
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const WORDS = 'the build is green again but the reconnect test still flakes on slow machines so I added a retry with backoff and a clear log line for it ship it after lunch'.split(' ');

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `n` realistic items (messages, some Markdown, code, snippets, system lines) over several days, oldest first. */
export function makeConversation(n, { room = 'general', end = Date.UTC(2026, 10, 26, 9, 30) } = {}) {
  const r = rng(42);
  const items = [];
  let t = end - n * 90_000;
  let seq = 1;
  for (let i = 0; i < n; i++) {
    t += 30_000 + Math.floor(r() * 120_000);
    const ts = new Date(t).toISOString();
    if (i % 40 === 17) {
      items.push({ type: 'system', room, text: `${NAMES[i % NAMES.length]} joined #${room}`, ts });
      continue;
    }
    const sender = NAMES[Math.floor(r() * NAMES.length)];
    const len = 3 + Math.floor(r() ** 2 * 60);
    let text = Array.from({ length: len }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    if (i % 7 === 0) text = `**heads up:** ${text} \`npm test\``;
    if (i % 23 === 0) text += '\n```ts\nconst client = new ChatClient({ host, port });\nawait client.connect();\n```';
    if (i % 31 === 0) text += ' see https://example.com/docs/reconnect';
    const msg = { type: 'message', id: `${sender}-${i}`, seq: seq++, room, sender, text, ts };
    if (i % 53 === 0) {
      msg.snippet = {
        lang: 'typescript',
        file: 'src/engine/chatClient.ts',
        startLine: 120,
        endLine: 128,
        code: 'private backoff(attempt: number): number {\n  // Full jitter keeps a herd of clients from reconnecting in step.\n  const cap = Math.min(30_000, 500 * 2 ** attempt);\n  return Math.floor(Math.random() * cap);\n}',
      };
    }
    items.push(msg);
  }
  return items;
}

/** A short, hand-written conversation that shows every kind of row, for screenshots. */
export function demoConversation() {
  const day1 = Date.UTC(2026, 10, 25, 16, 2);
  const day2 = Date.UTC(2026, 10, 26, 9, 12);
  const at = (base, min) => new Date(base + min * 60_000).toISOString();
  let seq = 200;
  const m = (sender, text, ts, extra = {}) => ({ type: 'message', id: `${sender}-${seq}`, seq: seq++, room: 'general', sender, text, ts, ...extra });
  return [
    m('bob', 'Anyone else seeing the **reconnect** test time out on CI?', at(day1, 0)),
    m('carol', 'Yes, twice today. It waits for `idle_timeout` before retrying.', at(day1, 2)),
    m('carol', 'I think the backoff starts too high :thinking:', at(day1, 3)),
    { type: 'system', room: 'general', text: 'dave joined #general', ts: at(day1, 5) },
    m('alice', 'On it. The fix is small — _full jitter_ and a lower first delay.', at(day1, 7)),
    m('alice', 'Here is the change:', at(day1, 8), {
      snippet: {
        lang: 'typescript',
        file: 'src/engine/chatClient.ts',
        startLine: 120,
        endLine: 125,
        code: 'private backoff(attempt: number): number {\n  // Full jitter keeps a herd of clients from reconnecting in step.\n  const cap = Math.min(30_000, 500 * 2 ** attempt);\n  return Math.floor(Math.random() * cap);\n}',
      },
    }),
    m('bob', 'Nice :tada: merged. Docs: https://example.com/docs/reconnect', at(day2, 0)),
    m('dave', 'Morning! Quick one: how do I run only the unit tests?', at(day2, 4)),
    m('alice', '```bash\nnpm run test:unit\n```\nIt compiles with `tsc -p tsconfig.test.json` first.', at(day2, 5)),
    m('erin', 'file\u202Etxt.exe\u202C ← an RTL override stays isolated, and Z' + '\u0301\u0316'.repeat(400) + ' stays clipped.', at(day2, 9)),
    m('frank', '<script>alert(1)</script> [click me](javascript:alert(1)) ' + 'x'.repeat(300), at(day2, 11)),
    m('carol', 'Thanks all. Sharing the log file from last night.', at(day2, 13)),
  ];
}
