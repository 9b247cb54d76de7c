import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { chromium, type Browser } from 'playwright-core';
import { benchAuthorization } from '../lib/auth';
import { APP_DIR } from '../lib/infra';
import { foldedText } from '../lib/orders';
import { rowOf, type Row, type SectionResult } from '../lib/report';
import { seededText } from '../lib/seed';
import { ServiceProcess } from '../lib/service';
import { seedDeadLetterStore, type CounterRules } from './dlq';
import type { BenchContext } from '../run';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const progress = (what: string) => process.stderr.write(`[bench console] ${what}\n`);

/**
 * Section 7: the supervisors' console's time to its first rendered table with a queue of N entries (seeded like 4b:
 * 30 % resolved, the table shows the unresolved ones, 25 a page). Each load is a fresh browser context (no cache, the
 * token put in sessionStorage before the page runs); the time is the page's own clock from navigation start to the
 * first row in the DOM, so it covers the HTML, the bundle, the first GraphQL reads and React's render.
 */
export async function consoleSection(context: BenchContext): Promise<SectionResult> {
  const size = context.load.consoleEntries;
  const title = `7. Console: first rendered table, ${size.toLocaleString('en-US')} DLQ entries`;
  if (!existsSync(CHROMIUM_PATH))
    return { id: 'console', title, rows: [], notes: [], notMeasured: `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)` };
  const database = 'bench_console';
  const service = await ServiceProcess.start('console', { MONGODB_DATABASE: database });
  const db = context.mongo.db(database);
  const orders = db.collection<Document>('orders');
  let browser: Browser | null = null;
  const notes: string[] = [];
  const rows: Row[] = [];
  try {
    const rules = require(join(APP_DIR, 'dist', 'models', 'dead-letter-stats.js')) as CounterRules;
    const { seeded, folded } = await seedDeadLetterStore(context, service, orders, db.collection<Document>('dead_letter_stats'), rules, size);
    progress(`seeded ${seededText(seeded)}`);
    notes.push(`Seeded ${seededText(seeded)} (as 4b: copies of one entry the service moved, with their counters); ${foldedText(folded)}.`);

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const token = benchAuthorization().replace(/^Bearer /, '');
    const latencies: number[] = [];
    const started = Date.now();
    for (let round = 0; round < context.load.consoleLoads + 1; round += 1) {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.addInitScript(`sessionStorage.setItem('wms-console-token', ${JSON.stringify(token)})`);
      await page.goto(`${service.url}/console`);
      await page.locator('tr[data-order-id]').first().waitFor({ timeout: 60_000 });
      const ms = await page.evaluate<number>('performance.now()');
      const rendered = await page.locator('tr[data-order-id]').count();
      await page.context().close();
      progress(`load ${round}: ${Math.round(ms)} ms, ${rendered} rows`);
      if (round === 0) notes.push(`First (warm-up) load, not counted: ${Math.round(ms)} ms; ${rendered} rows on the first page.`);
      else latencies.push(ms);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    rows.push(
      rowOf(`navigation → first table row (${size.toLocaleString('en-US')} entries)`, {
        n: sorted.length,
        opsPerSec: (sorted.length / (Date.now() - started)) * 1000,
        p50: sorted[Math.floor((sorted.length - 1) / 2)],
        p99: sorted[sorted.length - 1],
        max: sorted[sorted.length - 1],
        errors: 0,
        firstError: null,
      }),
    );
    notes.push('p99 of so few loads is their maximum. ops/s: loads per second, each in a fresh browser context, one after another.');
    return { id: 'console', title, rows, notes, notMeasured: null };
  } finally {
    await browser?.close();
    // The database stays: the run's store is thrown away at its end (dropping 10,000 orders costs SecantusDB minutes).
    await service.stop();
  }
}
