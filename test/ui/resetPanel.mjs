// Puts the chat panel back in the state every UI test starts from, so a test
// that failed half-way (a drawer left open, another room, search results)
// cannot make the next one fail for its own reasons.
import { runCommand } from './workbench.mjs';

/**
 * Brings the panel in `frame` to a known state: no notification toast over
 * it, the search closed, the drawer closed, and `room` open. Each step is
 * what a person would do, and waits for the panel to show its effect.
 */
export async function resetPanel(page, frame, { room = 'general', timeout = 30_000 } = {}) {
  // Toasts sit over the lower part of the panel, where the composer and the file offers are.
  const toast = page.locator('.notifications-toasts .notification-toast');
  if (await toast.first().isVisible()) {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await toast.first().waitFor({ state: 'hidden', timeout });
  }
  const app = frame.locator('.app');
  const drawerOpen = () => app.evaluate((a) => a.classList.contains('side-open'));
  // The drawer first: while it is open, its backdrop covers the panel's own buttons.
  if (await drawerOpen()) await closeDrawer(frame, timeout);
  const searchForm = frame.locator('form.search');
  if (await searchForm.isVisible()) {
    await frame.locator('button[aria-label="Close search"]').click({ timeout });
    await searchForm.waitFor({ state: 'hidden', timeout });
    await frame.locator('.search-results').waitFor({ state: 'hidden', timeout });
  }
  const option = frame.locator(`.side [role="option"][data-room="${room}"]`);
  if ((await option.getAttribute('aria-selected', { timeout })) !== 'true') {
    // On a narrow panel the rooms are in the drawer behind the menu button.
    const toggle = frame.locator('button.side-toggle');
    if (await toggle.isVisible()) {
      await toggle.click({ timeout });
      await option.waitFor({ state: 'visible', timeout });
    }
    await option.click({ timeout });
    await frame.locator(`.side [role="option"][data-room="${room}"][aria-selected="true"]`).waitFor({ state: 'attached', timeout });
    if (await drawerOpen()) await closeDrawer(frame, timeout);
  }
  await frame.locator('.app:not(.side-open)').waitFor({ state: 'attached', timeout });
}

/** Closes the drawer with a click beside it, on the backdrop, as a person would. */
async function closeDrawer(frame, timeout) {
  const main = frame.locator('main.main');
  const box = await main.boundingBox();
  if (!box) throw new Error('the panel has no <main> on screen');
  await main.click({ position: { x: box.width - 12, y: box.height / 2 }, timeout });
  await frame.locator('.app:not(.side-open)').waitFor({ state: 'attached', timeout });
}
