import type { Browser } from 'playwright-core';
import type { RunningOrderService } from '../../src/order-service';
import { DEV_SESSION_SUBJECT } from '../../src/server/console-dev-session';
import { eventually } from '../support/dlq-support';
import { ok } from '../support/graphql-client';
import { startTestService } from '../support/test-service';
import { CONSOLE_ENV, launchChromium, moveToDeadLetterQueue, newPage, row, screenshot, seriousViolations, waitUntilLive } from './console-support';

/** Bulk redrive from the console: Mutation.startDeadLetterRedrive, then its progress from Subscription.deadLetterRedriveProgress. */

const STATS = `query { deadLetterStats { unresolvedCount resolvedCount byResolution { resolution count } } }`;
const ENTRIES = `query Entries($filter: DeadLetterFilter) { deadLetterEntries(filter: $filter, limit: 100) { total items { orderId resolved resolution resolvedBy } } }`;
const ENTRY_COUNT = 50;

describe('the console’s bulk redrive', () => {
  let service: RunningOrderService;
  let browser: Browser;
  let orderIds: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    service = await startTestService(CONSOLE_ENV);
    orderIds = [];
    for (let i = 0; i < ENTRY_COUNT; i += 1) orderIds.push(await moveToDeadLetterQueue(service, i % 2 ? 'picking' : 'packing', `conveyor ${i % 5} stopped`));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('redrives 50 selected entries from the UI to 100 %, and the tiles agree with the API', async () => {
    const { page, context, problems } = await newPage(browser);
    try {
      await page.goto(`${service.url}/console`);
      await page.getByRole('button', { name: 'Dev sign-in' }).click();
      await waitUntilLive(page);
      await page
        .getByTestId('stat-unresolved')
        .filter({ hasText: String(ENTRY_COUNT) })
        .waitFor();

      // 50 on one page: select them all with the header checkbox.
      await page.locator('input[aria-label="Entries per page"]').click();
      await page.getByRole('option', { name: '50', exact: true }).click();
      await row(page, orderIds[0]).waitFor();
      await page.getByRole('checkbox', { name: 'Select every unresolved entry of this page' }).check();
      await page
        .getByTestId('queue-total')
        .filter({ hasText: `${ENTRY_COUNT} selected` })
        .waitFor();

      await page.getByLabel('Rate (entries/s)').fill('25');
      await page.getByTestId('redrive-selected').click();
      const progress = page.getByTestId('redrive-progress');
      const refused = page.getByRole('alert').filter({ hasText: 'Redrive' });
      await progress.or(refused).waitFor();
      // A refused mutation fails here with the service's words, not as a time-out.
      if (await refused.isVisible()) throw new Error(`the service refused the redrive: ${await refused.textContent()}`);
      // The picture for the README: the bar part way, in view.
      await page.getByTestId('redrive-progress-text').filter({ hasNotText: /· 0 %/ }).waitFor();
      await progress.scrollIntoViewIfNeeded();
      await screenshot(page, 'redrive-progress');
      await page.locator('[data-testid="redrive-progress"][data-status="COMPLETED"]').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('redrive-progress-text').textContent()).toContain(`100 % · ${ENTRY_COUNT} done, 0 failed of ${ENTRY_COUNT}`);
      expect(await seriousViolations(page)).toEqual([]);

      const deadLetterStats = await ok(service, STATS);
      expect(deadLetterStats).toMatchObject({ unresolvedCount: 0, resolvedCount: ENTRY_COUNT });
      expect(deadLetterStats.byResolution).toContainEqual({ resolution: 'MANUAL_RETRY', count: ENTRY_COUNT });
      const deadLetterEntries = await ok(service, ENTRIES, { filter: { resolved: true } });
      expect(deadLetterEntries.total).toBe(ENTRY_COUNT);
      expect(deadLetterEntries.items.every((entry: any) => entry.resolution === 'MANUAL_RETRY' && entry.resolvedBy === DEV_SESSION_SUBJECT)).toBe(true);

      // The page agrees without a reload: tiles from the live feed, and the table (unresolved only) empties.
      await eventually(async () => {
        expect(await page.getByTestId('stat-unresolved').textContent()).toBe('0');
        expect(await page.getByTestId('stat-resolved').textContent()).toBe(String(ENTRY_COUNT));
      }, 10_000);
      await page.getByText('No entries match.').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
