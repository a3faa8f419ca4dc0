// Accessibility audits with axe-core (a tool no one here wrote), run inside
// the chat webview's own frame in the real workbench. axe's source is
// evaluated through the debugging protocol, which the page's CSP does not
// govern; nothing is added to the extension itself.
import { createRequire } from 'node:module';
import { waitForWebviewTheme } from './workbench.mjs';

const require = createRequire(import.meta.url);
const { source } = require('axe-core');

/** Impacts that fail a test. Minor and moderate findings are reported, not failed on. */
const FAILING = new Set(['serious', 'critical']);

/**
 * Runs axe in `frame` (the webview frame that holds the panel) and returns
 * its serious and critical violations as readable lines, plus the number of
 * rules that passed (a run that checked nothing proves nothing).
 */
export async function axeAudit(frame, label) {
  const loaded = await frame.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await frame.evaluate(source);
  const result = await frame.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ').slice(0, 300)}`),
      })),
    };
  });
  const failing = result.violations.filter((v) => FAILING.has(v.impact));
  const lines = failing.map((v) => `[${label}] ${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
  const others = result.violations.filter((v) => !FAILING.has(v.impact));
  if (others.length && process.env.TCP_CHAT_UI_DEBUG) console.log(`    [axe ${label}] minor: ${others.map((v) => `${v.impact} ${v.id}`).join(', ')}`);
  return { violations: lines, passes: result.passes };
}

/**
 * Fails when axe finds a serious or critical violation in `frame`, or checked
 * almost nothing. `theme` (a label of THEMES in workbench.mjs) is the theme
 * the audit is about: the webview must show it first, so an audit never
 * reports on other colours than the ones it names.
 */
export async function assertAccessible(frame, label, { theme }) {
  await waitForWebviewTheme(frame, theme, 30_000);
  const { violations, passes } = await axeAudit(frame, `${label}, ${theme}`);
  if (violations.length) throw new Error(`axe found ${violations.length} serious or critical violation(s):\n${violations.join('\n')}`);
  if (passes < 10) throw new Error(`[${label}, ${theme}] axe passed only ${passes} rules: did it audit the panel at all?`);
}
