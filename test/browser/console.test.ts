import type { Browser, WebSocketRoute } from 'playwright-core';
import type { RunningOrderService } from '../../src/order-service';
import { DEV_SESSION_SUBJECT } from '../../src/server/console-dev-session';
import { DLQ_ENTRY } from '../support/dlq-support';
import { ok } from '../support/graphql-client';
import { testToken } from '../support/test-auth';
import { startTestService } from '../support/test-service';
import {
  CONSOLE_ENV,
  PHONE,
  horizontalOverflow,
  launchChromium,
  moveToDeadLetterQueue,
  newPage,
  row,
  screenshot,
  seriousViolations,
  signInWithToken,
  waitUntilLive,
} from './console-support';

/** The supervisors' console in a real headless Chromium against a real service, store and broker. */

describe('the supervisors’ console', () => {
  let service: RunningOrderService;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    service = await startTestService(CONSOLE_ENV);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('is served at /console under a strict CSP with a fresh style nonce per response, and its assets are static files', async () => {
    const [first, second] = await Promise.all([fetch(`${service.url}/console`), fetch(`${service.url}/console/some/deep/link`)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const csp = first.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'/);
    expect(csp).toContain(`connect-src 'self' ws://${new URL(service.url).host} wss://${new URL(service.url).host}`);
    expect(csp).not.toContain('unsafe-inline');
    const nonceOf = (policy: string | null) => /'nonce-([^']+)'/.exec(policy ?? '')?.[1];
    expect(nonceOf(csp)).not.toEqual(nonceOf(second.headers.get('content-security-policy')));
    const html = await first.text();
    expect(html).toContain(`<meta name="csp-nonce" content="${nonceOf(csp)}">`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const asset = await fetch(`${service.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${service.url}/console/assets/missing.js`)).status).toBe(404);
  });

  it('signs in with the local dev sign-in: a short-lived token of tenant default with the supervisor scopes only', async () => {
    const response = await fetch(`${service.url}/console/dev-session`, { method: 'POST' });
    expect(response.status).toBe(200);
    const { token, scopes } = (await response.json()) as { token: string; scopes: string[] };
    expect(scopes).toEqual(['dlq:read', 'dlq:resolve', 'orders:read']);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: DEV_SESSION_SUBJECT, tenant_id: 'default', scope: 'dlq:read dlq:resolve orders:read' });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(30 * 60);

    const { page, context, problems } = await newPage(browser);
    try {
      await page.goto(`${service.url}/console`);
      await page.getByRole('button', { name: 'Dev sign-in' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'sign-in');
      await page.getByRole('button', { name: 'Dev sign-in' }).click();
      await waitUntilLive(page);
      expect(await page.evaluate<string | null>("sessionStorage.getItem('wms-console-token')")).toMatch(/^ey/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows an entry moved through the API within 1 s, without a reload; resolving it in the drawer removes it and the API shows it resolved', async () => {
    const { page, context, problems } = await newPage(browser);
    try {
      await page.goto(`${service.url}/console`);
      await page.getByRole('button', { name: 'Dev sign-in' }).click();
      await waitUntilLive(page);
      // The first change after a service start also pays for the live topic's first fetch: one entry warms the path.
      const warmUp = await moveToDeadLetterQueue(service, 'packing', 'label printer out of paper');
      await row(page, warmUp).waitFor({ timeout: 10_000 });
      const before = Number(await page.getByTestId('stat-unresolved').textContent());
      expect(before).toBeGreaterThanOrEqual(1);

      const orderId = await moveToDeadLetterQueue(service, 'picking', 'scanner 7 jammed', 2);
      const answeredAt = Date.now();
      await row(page, orderId).waitFor({ timeout: 5_000 });
      expect(Date.now() - answeredAt).toBeLessThan(1_000);
      await page
        .getByTestId('stat-unresolved')
        .filter({ hasText: String(before + 1) })
        .waitFor({ timeout: 5_000 });
      const third = await moveToDeadLetterQueue(service);
      await row(page, third).waitFor({ timeout: 5_000 });
      await screenshot(page, 'queue');
      expect(await seriousViolations(page)).toEqual([]);

      // Keyboard: the details button of the row, then the resolution form.
      await page.getByRole('button', { name: `Details of ${orderId}` }).focus();
      await page.keyboard.press('Enter');
      const drawer = page.getByRole('dialog');
      await drawer.getByTestId('entry-detail').waitFor();
      await drawer.getByText('Order snapshot').waitFor();
      await drawer.getByText('Retry history').waitFor();
      await drawer.getByText('Resolution history').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'entry-detail');

      await drawer.getByText('Escalate').click();
      await drawer.getByLabel('Notes').fill('handed to the shift lead');
      await drawer.getByRole('button', { name: /Resolve as escalate/ }).click();
      await row(page, orderId).waitFor({ state: 'detached', timeout: 5_000 });

      const deadLetterEntry = await ok(service, DLQ_ENTRY, { orderId });
      expect(deadLetterEntry).toMatchObject({ resolved: true, resolution: 'ESCALATED', resolvedBy: DEV_SESSION_SUBJECT, notes: 'handed to the shift lead' });
      await page
        .getByTestId('stat-unresolved')
        .filter({ hasText: String(before + 1) })
        .waitFor({ timeout: 5_000 });

      // Sorting by moved-at both ways, and the resolved filter bringing the resolved entry back.
      const orderOfRows = () => page.locator('tr[data-order-id]').evaluateAll((rows) => rows.map((element) => element.getAttribute('data-order-id')));
      const newestFirst = await orderOfRows();
      await page.getByTestId('sort-moved-at').click();
      await page
        .locator('tr[data-order-id]')
        .first()
        .and(page.locator(`[data-order-id="${newestFirst.at(-1)}"]`))
        .waitFor();
      expect(await orderOfRows()).toEqual([...newestFirst].reverse());
      await page.getByLabel('Resolved', { exact: true }).and(page.locator('input')).click();
      await page.getByRole('option', { name: 'Resolved', exact: true }).click();
      await row(page, orderId).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows "Disconnected — reconnecting…" while the WebSocket is down, and drops it when the connection is back (reading what it missed)', async () => {
    const { page, context, problems } = await newPage(browser);
    // Every WebSocket of the page goes through this route: connected to the service while `up`, closed while down.
    let up = true;
    const open = new Set<WebSocketRoute>();
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      if (!up) {
        void socket.close({ code: 1001, reason: 'test: network down' });
        return;
      }
      open.add(socket);
      socket.connectToServer();
    });
    try {
      await signInWithToken(page, service.url, await testToken({ scopes: ['dlq:read', 'dlq:resolve'] }));
      const banner = page.getByTestId('connection-banner');
      expect(await banner.count()).toBe(0);

      up = false;
      for (const socket of open) await socket.close({ code: 1001, reason: 'test: network down' });
      open.clear();
      await banner.waitFor({ timeout: 5_000 });
      expect(await banner.textContent()).toContain('Disconnected — reconnecting…');
      // Changed while the console was offline: it must show up once the connection is back.
      const missed = await moveToDeadLetterQueue(service, 'shipping', 'carrier API down');
      await page.waitForTimeout(1_500);
      expect(await banner.isVisible()).toBe(true);

      up = true;
      await banner.waitFor({ state: 'detached', timeout: 10_000 });
      await waitUntilLive(page);
      await row(page, missed).waitFor({ timeout: 5_000 });
      expect(problems.filter((problem) => !/WebSocket/i.test(problem))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fits a phone (390 px) without horizontal overflow, on the sign-in view and the queue', async () => {
    const { page, context, problems } = await newPage(browser, PHONE);
    try {
      await page.goto(`${service.url}/console`);
      await page.getByRole('button', { name: 'Dev sign-in' }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await page.getByRole('button', { name: 'Dev sign-in' }).click();
      await waitUntilLive(page);
      await page.locator('tr[data-order-id]').first().waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'phone', true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('has no dev sign-in when no signing key is named', async () => {
    const plain = await startTestService();
    try {
      expect((await fetch(`${plain.url}/console/dev-session`, { method: 'POST' })).status).toBe(404);
      const html = await (await fetch(`${plain.url}/console`)).text();
      expect(html).toContain('<meta name="wms-dev-sign-in" content="off">');
    } finally {
      await plain.stop();
    }
  });
});
