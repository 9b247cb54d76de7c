import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { consoleAssetsDir } from '../../src/server/console.routes';
import { createOrder, ok, walkTo } from '../support/graphql-client';
import { INCREMENT, MOVE_TO_DLQ } from '../support/dlq-support';
import { TEST_SIGNING_KEY_FILE } from '../support/test-auth';

/** The browser side of the console tests: Debian's Chromium driven by playwright-core, and a few page helpers. */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** The console's dev sign-in signs with the test run's key, which the test services trust. */
export const CONSOLE_ENV = { CONSOLE_DEV_SIGNING_KEY_FILE: TEST_SIGNING_KEY_FILE };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`,
    );
  }
  if (!consoleAssetsDir()) throw new Error('dist/console is missing: run `npm run build` first (npm test does)');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A page that records what the console must never produce: CSP refusals, uncaught errors, console errors. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  problems: string[];
}

export async function newPage(browser: Browser, viewport = DESKTOP): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, context, problems };
}

/** Signs in through the sign-in view with a pasted token and waits until the live connection is up. */
export async function signInWithToken(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.getByLabel('Bearer token').fill(`Bearer ${token}`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await waitUntilLive(page);
}

export async function waitUntilLive(page: Page): Promise<void> {
  await page.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
}

export const row = (page: Page, orderId: string) => page.locator(`tr[data-order-id="${orderId}"]`);

/** An order walked to picking and moved to the dead letter queue through the API; resolves when the API answered. */
export async function moveToDeadLetterQueue(
  service: { url: string },
  failureStatus = 'picking',
  failureReason = 'station 4 offline',
  failures = 0,
): Promise<string> {
  const order = await createOrder(service);
  await walkTo(service, order.id, 'picking');
  for (let attempt = 1; attempt <= failures; attempt += 1) {
    await ok(service, INCREMENT, { orderId: order.id, input: { failureReason: `${failureReason} (attempt ${attempt})`, failureStatus } });
  }
  await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus, failureReason });
  return order.id;
}

/** axe-core on the page as it is: the serious and critical violations (rule id, impact and the first few targets). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Colour contrast is computed from what is painted: mid-transition (a drawer fading in) text is still half
  // transparent and reads as too faint. Check the settled page (a spinner's endless animation never settles).
  await page.waitForFunction(
    () =>
      // Runs in the page (this project compiles without the DOM's types).
      (
        globalThis as unknown as { document: { getAnimations(): Array<{ playState: string; effect: { getTiming(): { iterations?: number } } | null }> } }
      ).document
        .getAnimations()
        .every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity),
    undefined,
    { timeout: 5_000 },
  );
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(' '))
          .join(' | ')}`,
    );
}

/** Horizontal overflow of the whole page (a wide table scrolls inside its own container instead). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

/** Screenshots for the README, written only when asked (SAVE_CONSOLE_SCREENSHOTS=1, see `npm run console:screenshots`). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (process.env.SAVE_CONSOLE_SCREENSHOTS !== '1') return;
  const dir = join(__dirname, '..', '..', 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  // No hover tooltip from the last click in the picture.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage });
}
