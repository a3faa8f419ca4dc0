// Drives the VS Code workbench in code-server like a person would: focus,
// F1, type a command title, answer input boxes. Shared by the UI tests.
import * as path from 'node:path';
import { root, sleep, waitUntil } from '../integration/codeServer.mjs';

/** Where the UI suites leave their screenshots: the README's pictures, and each failure's. */
export const SHOTS = path.join(root, 'test-results', 'ui');

/**
 * A new 1280×800 page on code-server `cs` with this checkout as the
 * development extension, once the workbench is up in the given theme. The
 * theme is picked by hand too, since the setting is not always applied in
 * time on a loaded machine (see useColorTheme).
 */
export async function openDevWorkbench(br, cs, theme) {
  const page = await br.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(cs.url([['extensionDevelopmentPath', cs.remote(root)]]));
  await waitForWorkbench(page);
  await useColorTheme(page, theme);
  return page;
}

/**
 * For afterEach: a picture of each page at the moment a test failed, which
 * says more than a timeout. `pages` maps a file-name prefix to a page. A
 * screenshot that cannot be taken must not hide the test's own failure.
 */
export async function screenshotIfFailed(test, pages) {
  if (test?.state !== 'failed') return;
  const name = test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  for (const [prefix, page] of Object.entries(pages)) {
    await page?.screenshot({ path: path.join(SHOTS, `failed-${prefix}${name}.png`) }).catch(() => undefined);
  }
}

/** For after: stops what a UI suite started, the browser first; each step runs even when one before it fails. */
export async function stopSuite({ raw, br, codeServers = [], chatServer }) {
  raw?.close();
  try {
    await br?.stop();
  } finally {
    try {
      for (const cs of codeServers) await cs?.stop({ keepDirs: process.env.TCP_CHAT_KEEP === '1' });
    } finally {
      await chatServer?.close();
    }
  }
}

/** Waits for the workbench and the extension's status bar item, then gives the workbench keyboard focus. */
export async function waitForWorkbench(page) {
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  // The palette opened before the workbench has focus closes again, so click first (see ../shared/vscode-host.md).
  await page.locator('#workbench\\.parts\\.editor').click({ position: { x: 200, y: 200 } });
}

/** The quick input row whose label is exactly `label` (not merely the best fuzzy match). */
function exactRow(page, label) {
  return page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.monaco-highlighted-label', { hasText: new RegExp(`^${escapeRe(label)}$`) }) })
    .first();
}

/** Clicks the row labelled exactly `label` in the open quick input. */
export async function pickRow(page, label, timeout = 10_000) {
  const row = exactRow(page, label);
  await row.waitFor({ state: 'visible', timeout });
  await row.click({ timeout: 5000 });
}

/**
 * Runs a palette command by its exact title, e.g. "Chat: Start Server".
 * Fuzzy ranking may put another command first (VS Code's own "Chat: ..." and
 * "MCP: Add Server" share words), so the exact row is clicked. Until the
 * extension host has registered the extension, its commands are missing from
 * the palette: retry until `timeoutMs`.
 */
export async function runCommand(page, title, timeoutMs = 90_000) {
  const t0 = Date.now();
  const input = page.locator('.quick-input-widget input');
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      // No clicking first: a click lands on whatever is under it (breadcrumbs, a webview). Escape closes any popup.
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      // The palette starts with ">"; the title goes after it.
      await page.keyboard.type(title, { delay: 10 });
      await pickRow(page, title, 5000);
      if (process.env.TCP_CHAT_UI_DEBUG) console.log(`    [ui] ran "${title}" in ${Date.now() - t0} ms (attempt ${attempt})`);
      return;
    } catch (e) {
      if (process.env.TCP_CHAT_UI_DEBUG) {
        const rows = await page
          .locator('.quick-input-list .monaco-list-row')
          .evaluateAll((els) => els.slice(0, 3).map((r) => r.getAttribute('aria-label')))
          .catch(() => []);
        console.log(`    [ui] attempt ${attempt} at "${title}" failed: ${String(e.message).split('\n')[0]}; rows: ${JSON.stringify(rows)}`);
      }
      if (Date.now() - t0 > timeoutMs) throw e;
      // Something may have taken the focus (an editor opening, a notification): give it back to the workbench.
      await page.locator('#workbench\\.parts\\.editor').click({ position: { x: 300, y: 300 }, timeout: 2000 }).catch(() => undefined);
      await sleep(1000);
    }
  }
}

/**
 * Answers the open quick input (input box or quick pick) with `text`, as a
 * person would: an input box takes Enter; a quick pick takes the row that
 * reads exactly `text` (the extension may add that row a moment after the
 * typing, so this waits for it rather than pressing Enter on whatever row
 * is focused by then).
 */
export async function answerInput(page, text, { title, timeout = 30_000 } = {}) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout });
  if (title) await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout });
  const input = page.locator('.quick-input-widget input');
  await input.fill(text);
  const how = await waitUntil(
    () =>
      page.evaluate((want) => {
        const w = document.querySelector('.quick-input-widget');
        if (w?.querySelector('input')?.value !== want) return undefined;
        const rows = [...w.querySelectorAll('.quick-input-list .monaco-list-row')].filter((r) => r.getClientRects().length);
        if (!rows.length) return 'enter';
        const exact = rows.find((r) => r.querySelector('.monaco-highlighted-label')?.textContent.trim() === want);
        return exact ? 'row' : undefined;
      }, text),
    timeout,
    `the quick input to take "${text}" (as its value, or as a row of that label)`,
  );
  if (how === 'row') await exactRow(page, text).click({ timeout });
  else await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout });
}

/**
 * VS Code's own colour themes by their label in the picker: the settings id
 * (the webview's body carries it as data-vscode-theme-id), the class the
 * workbench gets once the theme is loaded, and the kind the webview's body
 * carries as data-vscode-theme-kind.
 */
export const THEMES = {
  'Light+': { id: 'Default Light+', loaded: 'vscode-theme-defaults-themes-light_plus-json', kind: 'vscode-light' },
  'Light Modern': { id: 'Default Light Modern', loaded: 'vscode-theme-defaults-themes-light_modern-json', kind: 'vscode-light' },
  'Dark+': { id: 'Default Dark+', loaded: 'vscode-theme-defaults-themes-dark_plus-json', kind: 'vscode-dark' },
  'Dark Modern': { id: 'Default Dark Modern', loaded: 'vscode-theme-defaults-themes-dark_modern-json', kind: 'vscode-dark' },
  'Dark High Contrast': { id: 'Default High Contrast', loaded: 'vscode-theme-defaults-themes-hc_black-json', kind: 'vscode-high-contrast' },
  'Light High Contrast': { id: 'Default High Contrast Light', loaded: 'vscode-theme-defaults-themes-hc_light-json', kind: 'vscode-high-contrast-light' },
};

function themeOf(label) {
  const theme = THEMES[label];
  if (!theme) throw new Error(`unknown theme "${label}"; known: ${Object.keys(THEMES).join(', ')}`);
  return theme;
}

/** Switches the color theme through "Preferences: Color Theme", as a person would. */
export async function pickColorTheme(page, themeLabel, timeoutMs = 90_000) {
  const t0 = Date.now();
  for (;;) {
    try {
      await runCommand(page, 'Preferences: Color Theme', timeoutMs);
      await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.type(themeLabel, { delay: 10 });
      await pickRow(page, themeLabel, 15_000);
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
      return;
    } catch (e) {
      // The picker lists themes only once the extensions are registered, which takes a while on a loaded machine.
      if (Date.now() - t0 > timeoutMs) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Puts the workbench in `themeLabel` (a key of THEMES) and waits until the
 * theme is loaded there and, given the panel's `frame`, shown in the webview.
 *
 * The workbench.colorTheme setting alone is not enough: code-server starts
 * on an unloaded light theme (VS Code's default colours, which look like
 * Light+) and loads the configured one only after the extensions are
 * registered; on a loaded machine a whole suite ran on that unloaded theme.
 * So the theme is picked as a person would, every time.
 */
export async function useColorTheme(page, themeLabel, frame, timeoutMs = 60_000) {
  const theme = themeOf(themeLabel);
  await pickColorTheme(page, themeLabel);
  await waitUntil(
    () => page.evaluate((cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls), theme.loaded),
    timeoutMs,
    `the workbench to load ${themeLabel}`,
  );
  if (frame) await waitForWebviewTheme(frame, themeLabel, timeoutMs);
}

/** Waits until the webview in `frame` shows `themeLabel`: VS Code's theme id and kind on its body. Returns what the body says. */
export async function waitForWebviewTheme(frame, themeLabel, timeoutMs = 60_000) {
  const theme = themeOf(themeLabel);
  const seen = () => frame.evaluate(() => ({ id: document.body.dataset.vscodeThemeId, kind: document.body.dataset.vscodeThemeKind }));
  try {
    return await waitUntil(
      async () => {
        const s = await seen();
        return s.id === theme.id && s.kind === theme.kind ? s : undefined;
      },
      timeoutMs,
      `the webview to show ${themeLabel}`,
    );
  } catch (e) {
    throw new Error(`${e.message}; it shows ${JSON.stringify(await seen())}`, { cause: e });
  }
}

/** The status bar's visible text. */
export async function statusBarText(page) {
  return page.locator('#workbench\\.parts\\.statusbar').innerText();
}

/** The innermost frame of the chat webview: the one that holds `selector`. */
export async function webviewFrame(page, selector = '#composer', timeoutMs = 30_000) {
  return waitUntil(
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame()) continue;
        try {
          if (await f.$(selector)) return f;
        } catch {
          // frame navigated or detached while we looked
        }
      }
      return undefined;
    },
    timeoutMs,
    `a webview frame with ${selector}`,
  );
}

/**
 * Connects from the palette as a person does: Chat: Connect, then
 * 127.0.0.1:`port` typed into its quick pick (the name comes from
 * tcpChat.displayName). Resolves with the panel's webview frame once `peer`,
 * a raw client already in the room, has seen `name` come online and the
 * panel shows the connection.
 */
export async function connectFromPalette(page, { port, name, peer, timeoutMs = 30_000 }) {
  await runCommand(page, 'Chat: Connect');
  await answerInput(page, `127.0.0.1:${port}`, { title: 'Chat: Connect' });
  await peer.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === name, timeoutMs);
  const frame = await webviewFrame(page, '#composer');
  await frame.locator('.conn[data-state="connected"]').waitFor({ timeout: timeoutMs });
  return frame;
}

/** The iframe element in the workbench that hosts the chat webview (for element screenshots). */
export function webviewElement(page) {
  return page.locator('iframe.webview.ready').first();
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Waits for a modal dialog of the workbench whose message matches `text`,
 * and clicks its button labelled `button` (as a person would). Returns the
 * dialog's whole text, detail included.
 */
export async function answerDialog(page, text, button, timeout = 20_000) {
  // Matched on the whole box: where the message ends and the detail begins varies with the message.
  const box = page.locator('.monaco-dialog-box', { hasText: text });
  await box.waitFor({ state: 'visible', timeout });
  const all = await box.innerText();
  await box.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${escapeRe(button)}$`) }).click();
  await box.waitFor({ state: 'hidden', timeout });
  return all;
}

/** Relative luminance (WCAG) of a CSS rgb()/rgba() colour. */
export function luminance(css) {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
