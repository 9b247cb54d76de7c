import { randomUUID } from 'node:crypto';
import type { Collection, Document } from 'mongodb';
import { explainCount, explainFind, planNote, type Explained } from '../lib/explain';
import { graphql, request } from '../lib/http';
import { cloneOrderDocument, countsFoldedIn, createOrder, foldedText, newOrderId } from '../lib/orders';
import { pct, rowOf, type Row, type SectionResult } from '../lib/report';
import { insertInBatches, seededText, type Seeded } from '../lib/seed';
import { ServiceProcess } from '../lib/service';
import { alternate, waitUntil, type AlternateOptions, type AlternateResult, type Side } from '../lib/stats';
import { withTimeout } from '../lib/timeout';
import { restOrderFragment } from './api';
import type { BenchContext } from '../run';

/** src/store/order.document.ts STORAGE_ONLY_FIELDS, left out of every order the service reads (AGGREGATE_PROJECTION). */
export const AGGREGATE_PROJECTION = {
  _id: 0,
  retryDueAt: 0,
  outbox: 0,
  outboxPending: 0,
  outboxSeq: 0,
  outboxPublishedSeq: 0,
  outboxLeaseOwner: 0,
  outboxLeaseUntil: 0,
};
/** The order list's sort (src/store/order.repository.ts list): newest first, ties by order id. */
const LIST_SORT = { createdAt: -1, orderId: -1 } as const;
const TENANT = 'default';

const STATUSES = ['received', 'validated', 'assigned_to_wave', 'picking', 'packing', 'shipped', 'completed', 'cancelled'];
const PRIORITIES = ['same_day', 'next_day', 'standard'];
const STATUS_RANK = new Map(STATUSES.map((status, index) => [status, index]));

/** A large orders collection with its replica, shared by section 6 (list page) and 4c (live DLQ feed at scale). */
export interface ScaleStore {
  database: string;
  service: ServiceProcess;
  orders: Collection<Document>;
  seeded: Seeded;
  /** How long the service took to fold the copies into its order counts. */
  folded: { orders: number; seconds: number };
  /** Orders in the collection once seeded (the one created through the API included). */
  total: number;
  templateBytes: number;
}

/**
 * An order the service stored, copied under a new id and varied: status over all 8, priority over 3 and customer over
 * 500 independently of each other (index = 24 × customer-block + 8 × priority + status), createdAt spread over ~90 days.
 * Fields that go with a status (validatedAt, waveId, tracking, delivery, cancellation) are filled in; the status history
 * is the stored one plus a single step to the final status. The outbox is empty and published, as the relay leaves it.
 */
function listOrder(template: Document, index: number, now: number): Document {
  const createdAt = new Date(now - index * 77_000 - (index % 997));
  const doc = cloneOrderDocument(template, newOrderId(), createdAt);
  const status = STATUSES[index % 8];
  const rank = STATUS_RANK.get(status) ?? 0;
  doc.status = status;
  doc.priority = PRIORITIES[Math.floor(index / 8) % 3];
  doc.customerId = `CUST-${String(Math.floor(index / 24) % 500).padStart(4, '0')}`;
  doc.outbox = [];
  doc.outboxPending = false;
  doc.outboxPublishedSeq = doc.outboxSeq;
  doc.outboxLeaseOwner = null;
  doc.outboxLeaseUntil = null;
  const later = new Date(createdAt.getTime() + 60_000);
  if (status !== 'cancelled' && rank >= 1) doc.validatedAt = later;
  if (status !== 'cancelled' && rank >= 2) doc.waveId = `WAVE-${String(index % 1_000).padStart(4, '0')}`;
  if (status === 'shipped' || status === 'completed') {
    doc.trackingNumber = `1Z${String(index).padStart(16, '0')}`;
    doc.carrier = 'UPS';
  }
  if (status === 'completed') doc.deliveredAt = later;
  if (status === 'cancelled') doc.cancellation = { reason: 'customer request', cancelledAt: later };
  const history: Document[] = Array.isArray(template.statusHistory) ? template.statusHistory.map((entry: Document) => ({ ...entry, at: createdAt })) : [];
  if (status !== 'received') history.push({ from: 'received', to: status, at: later, reason: null, correlationId: randomUUID() });
  doc.statusHistory = history;
  if (status !== 'received') doc.updatedAt = later;
  return doc;
}

/**
 * Starts a replica as deployed (relay on) on a database of its own, creates one order through GraphQL (the service
 * creates the collection, its indexes and the document), then inserts copies of that document with the raw driver up
 * to `scaleOrders`.
 */
export async function prepareScaleStore(context: BenchContext): Promise<ScaleStore> {
  const database = 'bench_scale';
  const service = await ServiceProcess.start('scale', { MONGODB_DATABASE: database });
  const orders = context.mongo.db(database).collection<Document>('orders');
  const firstId = await createOrder(service.url, 0);
  // The relay publishes its event and empties its outbox: the template is the order as it then stays.
  const template = await waitUntil(
    'the first order published',
    async () => {
      const doc = await orders.findOne({ _id: firstId as unknown as Document['_id'] });
      return doc && doc.outboxPending === false ? doc : undefined;
    },
    30_000,
    100,
  );
  const total = context.load.scaleOrders;
  const now = Date.now();
  const seeded = await insertInBatches(orders, total - 1, (index) => listOrder(template, index + 1, now), { parallel: context.load.seedParallel });
  const folded = await countsFoldedIn(service.url, seeded.count, 1_800_000);
  return {
    database,
    service,
    orders,
    seeded,
    folded,
    total: await orders.estimatedDocumentCount(),
    templateBytes: Buffer.byteLength(JSON.stringify(template)),
  };
}

interface Variant {
  label: string;
  query: string;
  filter: Record<string, string>;
  graphqlFilter: Record<string, string> | null;
}

const VARIANTS: Variant[] = [
  { label: 'no filter', query: '', filter: {}, graphqlFilter: {} },
  { label: 'status=picking', query: '&status=picking', filter: { status: 'picking' }, graphqlFilter: null },
  { label: 'priority=same_day', query: '&priority=same_day', filter: { priority: 'same_day' }, graphqlFilter: null },
  { label: 'customerId=CUST-0042', query: '&customerId=CUST-0042', filter: { customerId: 'CUST-0042' }, graphqlFilter: null },
];

/** Options of every comparison in sections 6 and 4b (sizes from LOAD). */
export function scaleOptions(context: BenchContext): AlternateOptions {
  const { load } = context;
  return {
    n: load.scaleN,
    concurrency: load.scaleConcurrency,
    rounds: load.rounds,
    maxRoundMs: load.scaleRoundSeconds * 1000,
    slowMs: load.slowMs,
    slowRounds: load.slowRounds,
    budgetMs: load.variantBudgetSeconds * 1000,
  };
}

/** How a comparison ran, for the notes. */
export function modeText(result: AlternateResult, options: AlternateOptions): string {
  const first = result.firstMs.map((ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`)).join(' / ');
  return result.mode === 'sequential'
    ? `one at a time (a first operation took over ${options.slowMs} ms: ${first}), ${result.rounds} alternating round(s) of one per side, ${result.seconds.toFixed(0)} s in all`
    : `closed loop at ${result.concurrency} in flight, ${result.rounds} alternating rounds (first operations ${first}), ${result.seconds.toFixed(0)} s in all`;
}

const times = (ratio: number) => (ratio >= 10 ? ratio.toFixed(0) : ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2));

/** The aim's verdict on a p99, with the ratio to the raw side. */
export function subjectRow(what: string, result: AlternateResult, index: number, aimMs: number | null, extra: Partial<Row> = {}): Row {
  const subject = result.summaries[index];
  const raw = result.summaries[0];
  return rowOf(what, subject, {
    ratio: `${pct(subject.opsPerSec / raw.opsPerSec)} of raw; p99 ×${times(subject.p99 / raw.p99)}`,
    ...(aimMs === null ? {} : { aim: `p99 ≤ ${aimMs} ms`, met: subject.p99 <= aimMs }),
    ...extra,
  });
}

/** Section 6: the order list's first page at 100,000 orders, REST and GraphQL, beside the raw driver doing the same reads. */
export async function listSection(context: BenchContext, store: ScaleStore): Promise<SectionResult> {
  const { service, orders } = store;
  const db = context.mongo.db(store.database);
  const { fragment } = restOrderFragment();
  const listQuery = `query RestListOrders($filter: OrderFilter, $page: Int, $pageSize: Int) {
  orders(filter: $filter, page: $page, pageSize: $pageSize) { items { ...RestOrder } page pageSize total hasMore } }\n${fragment}`;
  const timeoutMs = 600_000;
  const options = scaleOptions(context);
  const aim = 20;
  const rows: Row[] = [];
  const notes: string[] = [
    `Store: ${store.total.toLocaleString('en-US')} orders in one collection with the service's indexes. One order was created through GraphQL on the replica; the other ${seededText(store.seeded)} are copies of its stored document (~${(store.templateBytes / 1000).toFixed(1)} kB as JSON) under new ids, varied over all 8 statuses, 3 priorities and 500 customers independently, createdAt over ~90 days, the fields that go with each status filled in, outbox empty and published; ${foldedText(store.folded)}.`,
    `Every query: tenant "default", sort createdAt desc, orderId desc (src/store/order.repository.ts list), page 1 of 20. The raw side runs the plain reads, with the driver on the same store: find(filter, AGGREGATE_PROJECTION).sort().limit(20) and countDocuments(filter), both at once — what the service itself ran before it kept the order counts (src/store/order-counts.repository.ts: stored counts plus the orders not yet folded in) and read a page from a window of creation times (src/store/order-page.ts). REST and GraphQL select the same fields (fragment RestOrder); GraphQL is measured for the unfiltered page.`,
    `Sides alternate (raw first) after one warm-up operation each: ${options.n} per side at ${options.concurrency} in flight in ${options.rounds} rounds of at most ${options.maxRoundMs / 1000} s when every warm-up answered within ${options.slowMs} ms; otherwise one at a time, up to ${options.slowRounds} rounds, no new round after ${options.budgetMs / 1000} s (BENCH_SLOW_MS, BENCH_SLOW_ROUNDS, BENCH_VARIANT_BUDGET_S). "p99" of a handful is its slowest.`,
    `The replica runs as deployed (relay on): besides the requests it refreshes its DLQ gauges (5 s apart at least) and, holding the sweeper lease, sweeps for unpublished events every 10 s (an index read of an empty partial index here).`,
  ];
  for (const variant of VARIANTS) {
    const filter = { tenantId: TENANT, ...variant.filter };
    const url = `${service.url}/api/v1/orders?page=1&pageSize=20${variant.query}`;
    let total = Number.NaN;
    let counted = Number.NaN;
    const sides: Side[] = [
      {
        name: 'raw',
        op: async () => {
          const [, count] = await withTimeout(
            Promise.all([orders.find(filter, { projection: AGGREGATE_PROJECTION }).sort(LIST_SORT).limit(20).toArray(), orders.countDocuments(filter)]),
            timeoutMs,
            'raw list',
          );
          counted = count;
        },
      },
      {
        name: 'REST',
        op: async () => {
          const response = await request(url, { timeoutMs });
          if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${response.body.slice(0, 160)}`);
          total = JSON.parse(response.body).pagination.total;
        },
      },
    ];
    if (variant.graphqlFilter) {
      const graphqlFilter = variant.graphqlFilter;
      sides.push({ name: 'GraphQL', op: () => graphql(service.url, listQuery, { filter: graphqlFilter, page: 1, pageSize: 20 }, timeoutMs) });
    }
    let plans: { find: Explained; count: Explained } | null = null;
    try {
      plans = {
        find: await explainFind(orders, filter, { projection: AGGREGATE_PROJECTION, sort: LIST_SORT, limit: 20 }),
        count: await explainCount(db, orders, filter),
      };
    } catch (error) {
      notes.push(`${variant.label}: explain failed: ${(error as Error).message}`);
    }
    try {
      const result = await alternate(sides, options);
      rows.push(rowOf(`raw driver find+sort+limit 20 & countDocuments, ${variant.label} (baseline)`, result.summaries[0]));
      rows.push(subjectRow(`REST GET /api/v1/orders?page=1&pageSize=20${variant.query}`, result, 1, aim));
      if (variant.graphqlFilter) rows.push(subjectRow('GraphQL orders(page: 1, pageSize: 20), REST fields', result, 2, aim));
      notes.push(
        `${variant.label}: the service's total ${Number.isNaN(total) ? '?' : total.toLocaleString('en-US')}, countDocuments ${Number.isNaN(counted) ? '?' : counted.toLocaleString('en-US')}${total === counted ? ' (equal)' : ' (DIFFERENT)'}; ${modeText(result, options)}.${plans ? ` Plans (explain, queryPlanner): ${planNote(plans.find, plans.count)}.` : ''}`,
      );
    } catch (error) {
      rows.push({ what: `REST GET /api/v1/orders?page=1&pageSize=20${variant.query}`, ratio: 'not measured', aim: `p99 ≤ ${aim} ms`, met: false });
      notes.push(`${variant.label}: not measured: ${(error as Error).message.split('\n')[0]}.${plans ? ` Plans: ${planNote(plans.find, plans.count)}.` : ''}`);
    }
  }
  return { id: 'list', title: `6. List page at ${store.total.toLocaleString('en-US')} orders`, rows, notes, notMeasured: null };
}
