import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection, Document } from 'mongodb';
import { graphql, json, request } from '../lib/http';
import { PROJECT_DIR } from '../lib/infra';
import { CREATE_ORDER, cloneOrderDocument, newOrderId, orderInput, probeStore, restOrderInput } from '../lib/orders';
import { pct, rowOf, type SectionResult } from '../lib/report';
import { closedLoop, compare, type Comparison } from '../lib/stats';
import { withTimeout } from '../lib/timeout';
import type { BenchContext } from '../run';

/** A modest selection, as a UI listing an order's summary would ask for. */
const READ_ORDER = `query Read($id: ID!) { order(id: $id) {
  id customerId status priority version totalItems totalQuantity totalValue createdAt
  items { sku quantity unitPrice } shippingAddress { city country } } }`;

/** The run's sizes for sections 1 and 1b: n per side, in flight, warm-up, alternating rounds. */
function compareAtLoad(context: BenchContext, baseline: Parameters<typeof compare>[0]['baseline'], subject: Parameters<typeof compare>[0]['subject']) {
  const { n, concurrency, warmup, rounds } = context.load;
  return compare({ n, concurrency, warmup, rounds, baseline, subject });
}

const readOrder = (url: string, ids: string[]) => (index: number) => graphql(url, READ_ORDER, { id: ids[index % ids.length] }, 15_000);

function ratioRow(comparison: Comparison) {
  return comparison.subject.opsPerSec / comparison.baseline.opsPerSec;
}

/** Seeds orders through the service (also its warm-up) and returns their ids. */
export async function seedOrders(url: string, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  const sample = await closedLoop(count, concurrency, async (index) => {
    const data = await graphql<{ createOrder: { id: string } }>(url, CREATE_ORDER, { input: orderInput(index) });
    ids.push(data.createOrder.id);
  });
  if (sample.errors) throw new Error(`seeding orders: ${sample.errors} failed (first: ${sample.firstError})`);
  return ids;
}

/** Section 1: GraphQL `order(id)` over HTTP vs the raw driver's findOne by primary key, same collection, same concurrency. */
export async function readsSection(context: BenchContext, url: string, orders: Collection<Document>, ids: string[]): Promise<SectionResult> {
  const { n, concurrency } = context.load;
  const result = await compareAtLoad(
    context,
    async (index) => {
      const doc = await withTimeout(orders.findOne({ _id: ids[index % ids.length] as unknown as Document['_id'] }), 15_000, 'findOne');
      if (!doc) throw new Error('order not found');
    },
    readOrder(url, ids),
  );
  const ratio = ratioRow(result);
  return {
    id: 'reads',
    title: '1. Reads: GraphQL order(id) vs raw findOne',
    rows: [
      rowOf('raw driver findOne({_id}) (baseline)', result.baseline),
      rowOf('GraphQL order(id) over HTTP', result.subject, { ratio: `${pct(ratio)} of raw`, aim: '≥ 60 %', met: ratio >= 0.6 }),
    ],
    notes: [
      `${concurrency} operations in flight, ${n} measured per side after ${context.load.warmup} warm-up each, over ${ids.length} orders created through the service; ${context.load.rounds} alternating rounds per side.`,
      "The replica runs with OUTBOX_RELAY_ENABLED=false: a read never involves the relay, and the relay's own store work (reading each new order, recording it published; section 2, relay-on run) would load the same store the read and its baseline share.",
      'Selection: id, customerId, status, priority, version, totals, createdAt, items { sku quantity unitPrice }, shippingAddress { city country }.',
    ],
    notMeasured: null,
  };
}

/**
 * Section 1b: what token verification costs a read. The same GraphQL order(id) on two replicas of the same build and
 * database: one verifying every request's bearer token (ES256, as deployed), one with AUTH_MODE=off.
 */
export async function authCostSection(context: BenchContext, url: string, openUrl: string, ids: string[]): Promise<SectionResult> {
  const { n, concurrency, warmup } = context.load;
  // The token-verifying replica has served section 1 already; the fresh one gets as many reads first, so that both
  // are compared with their code equally warm (without it, the fresh one measured ~25 % slower on the same code).
  const warm = await closedLoop(n + warmup, concurrency, readOrder(openUrl, ids));
  if (warm.errors) throw new Error(`warming the AUTH_MODE=off replica: ${warm.errors} failed (first: ${warm.firstError})`);
  const result = await compareAtLoad(context, readOrder(openUrl, ids), readOrder(url, ids));
  const ratio = ratioRow(result);
  return {
    id: 'auth',
    title: '1b. Reads with and without token verification',
    rows: [
      rowOf('GraphQL order(id), AUTH_MODE=off (baseline)', result.baseline),
      rowOf('GraphQL order(id), bearer token verified (ES256)', result.subject, {
        ratio: `${pct(ratio)} of no auth; p99 ×${(result.subject.p99 / result.baseline.p99).toFixed(2)}`,
        aim: '≥ 90 % of no auth',
        met: ratio >= 0.9,
      }),
    ],
    notes: [
      `${concurrency} operations in flight, ${n} measured per side after ${warmup} warm-up each, ${context.load.rounds} alternating rounds; both replicas relay off, same database and selection as section 1; the AUTH_MODE=off replica, started for this section, first served ${n + warmup} reads unmeasured (the other had served section 1).`,
      'Every request carries the same token (as a gateway forwarding one caller would); the replica verifies its signature, issuer, audience and times each time (no verification cache), then checks the field scope.',
    ],
    notMeasured: null,
  };
}

/** Copies of `template` for the raw insertOne baseline, built beforehand so that copying is not charged to it. */
function rawDocuments(template: Document, count: number): Document[] {
  // The copies keep their outbox (same size as a real write) but are marked published, so a relay leaves them alone.
  const now = new Date();
  return Array.from({ length: count }, () => ({
    ...cloneOrderDocument(template, newOrderId(), now),
    outboxPending: false,
    outboxPublishedSeq: template.outboxSeq ?? 1,
  }));
}

async function createsComparison(
  context: BenchContext,
  url: string,
  orders: Collection<Document>,
  template: Document,
  { n, warmup, rounds, maxRoundMs }: { n: number; warmup: number; rounds: number; maxRoundMs?: number },
): Promise<Comparison> {
  const { concurrency } = context.load;
  const docs = rawDocuments(template, n + warmup);
  let nextDoc = 0;
  return compare({
    n,
    concurrency,
    warmup,
    rounds,
    maxRoundMs,
    baseline: async () => {
      const doc = docs[nextDoc];
      nextDoc += 1;
      await withTimeout(orders.insertOne(doc), 15_000, 'insertOne');
    },
    subject: (index) => graphql(url, CREATE_ORDER, { input: orderInput(index) }, 15_000),
  });
}

/**
 * Section 2, first part: GraphQL `createOrder` vs the raw driver's insertOne of the document the service stores for
 * such an order, on a replica with the relay off (the API's own cost: validation, GraphQL, the insert).
 */
export async function createsSection(
  context: BenchContext,
  relayOff: { url: string; orders: Collection<Document> },
  template: Document,
): Promise<SectionResult> {
  const { n, concurrency, warmup } = context.load;
  const bytes = Buffer.byteLength(JSON.stringify(template));
  const indexCount = (await relayOff.orders.indexes()).length;
  const off = await createsComparison(context, relayOff.url, relayOff.orders, template, { n, warmup, rounds: context.load.rounds });
  const offRatio = ratioRow(off);
  return {
    id: 'creates',
    title: '2. Creates: GraphQL createOrder vs raw insertOne',
    rows: [
      rowOf('raw driver insertOne (baseline)', off.baseline),
      rowOf('GraphQL createOrder, replica with relay off', off.subject, { ratio: `${pct(offRatio)} of raw`, aim: '≥ 50 %', met: offRatio >= 0.5 }),
    ],
    notes: [
      `${concurrency} in flight, ${n} per side after ${warmup} warm-up each; ${context.load.rounds} alternating rounds per side. GraphQL selection: id status version. Same relay-off replica as section 1.`,
      `Baseline document: a copy of one the service stored for createOrder (3 lines, address, statusHistory, retry, one outbox entry; ~${Math.round(bytes / 100) / 10} kB as JSON) under a new id, inserted into the same collection (${indexCount} indexes).`,
    ],
    notMeasured: null,
  };
}

/**
 * Section 2, second part: the same comparison against a replica as deployed (relay on: reading each new order and
 * recording its events published load the same store), on a database of its own, time-limited.
 */
export async function addCreatesRelayOn(
  context: BenchContext,
  section: SectionResult,
  startRelayOn: () => Promise<{ url: string; orders: Collection<Document>; stop(): Promise<void> }>,
  template: Document,
): Promise<void> {
  const replica = await startRelayOn();
  const roundLimitS = context.load.relayOnRoundSeconds;
  try {
    const on = await createsComparison(context, replica.url, replica.orders, template, {
      n: context.load.n,
      warmup: 50,
      rounds: context.load.rounds,
      maxRoundMs: roundLimitS * 1000,
    });
    const onRatio = ratioRow(on);
    section.rows.push(rowOf('raw driver insertOne (baseline, relay-on run)', on.baseline));
    section.rows.push(
      rowOf('GraphQL createOrder, replica as deployed (relay on)', on.subject, { ratio: `${pct(onRatio)} of raw`, aim: '≥ 50 %', met: onRatio >= 0.5 }),
    );
    const pending = await probeStore(replica.orders, { outboxPending: true });
    section.notes.push(
      `Relay-on run: a fresh replica and database, 50 warm-up each, then ${context.load.rounds} alternating rounds per side, each limited to ${roundLimitS} s${on.truncated ? ' (reached, so fewer than N operations ran)' : ''}. Both sides share the store with the relay, which reads each new order by id and records it published (one more write per order). Afterwards the store, asked for orders with unpublished events, ${pending}.`,
    );
  } catch (error) {
    const pending = await probeStore(replica.orders, { outboxPending: true });
    section.rows.push({ what: 'GraphQL createOrder, replica as deployed (relay on)', ratio: 'not measured', aim: '≥ 50 %', met: false });
    section.notes.push(`Relay-on run not measured: ${(error as Error).message}. The store, asked for orders with unpublished events, ${pending}.`);
  } finally {
    await replica.stop();
  }
}

/** The selection the REST layer runs for an order (its RestOrder fragment), so both sides fetch the same fields. */
export function restOrderFragment(): { fragment: string; source: string } {
  const file = join(PROJECT_DIR, 'src', 'rest', 'operations', 'order.graphql');
  if (existsSync(file)) {
    const match = /fragment RestOrder on Order \{[\s\S]*?\n\}/.exec(readFileSync(file, 'utf8'));
    if (match) return { fragment: match[0], source: 'src/rest/operations/order.graphql' };
  }
  return {
    fragment: `fragment RestOrder on Order { id customerId priority status promisedDeliveryAt
      items { sku quantity unitPrice productName weight quantityFulfilled quantityBackordered }
      shippingAddress { street street2 city state zipCode country recipientName phone }
      totalItems totalQuantity totalWeight totalValue isLate waveId trackingNumber carrier
      cancellation { reason cancelledAt } deliveredAt
      backorders { backorderId items { sku quantityShort reason } status createdAt fulfilledAt }
      fulfillmentRatio retry { count maxRetries lastFailureReason lastFailureStatus lastFailedAt nextRetryAt }
      deadLettered version statusHistory { from to at reason correlationId } createdAt updatedAt }`,
    source: 'the bench (src/rest/operations/order.graphql not found)',
  };
}

/** Section 5: the REST routes vs the GraphQL operations they run, same fields, same concurrency. */
export async function restSection(context: BenchContext, url: string, ids: string[]): Promise<SectionResult> {
  const title = '5. REST vs GraphQL (same operation, same fields)';
  const { restN: n, concurrency, warmup } = context.load;
  // Probe first: the REST layer may not be there yet.
  const probes: string[] = [];
  const get = await request(`${url}/api/v1/orders/${encodeURIComponent(ids[0])}`).catch((error: Error) => ({ status: 0, body: error.message }));
  const getOk = get.status === 200 && JSON.parse(get.body).orderId === ids[0];
  if (!getOk) probes.push(`GET /api/v1/orders/{id} answered ${get.status}: ${get.body.slice(0, 160)}`);
  const post = await json(`${url}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(restOrderInput(0)),
  }).catch((error: Error) => ({ status: 0, body: error.message }));
  const postOk = post.status === 201;
  if (!postOk) probes.push(`POST /api/v1/orders answered ${post.status}: ${JSON.stringify(post.body).slice(0, 160)}`);
  if (!getOk && !postOk) return { id: 'rest', title, rows: [], notes: [], notMeasured: `the REST routes are not there yet (${probes.join('; ')})` };

  const { fragment, source } = restOrderFragment();
  const getQuery = `query RestGetOrder($id: ID!) { order(id: $id) { ...RestOrder } }\n${fragment}`;
  const createMutation = `mutation RestCreateOrder($input: CreateOrderInput!) { createOrder(input: $input) { ...RestOrder } }\n${fragment}`;
  const rows = [];
  const notes = [
    `${concurrency} in flight, ${n} per side after ${warmup} warm-up each, ${context.load.rounds} alternating rounds per side. GraphQL side selects exactly the REST layer's fields (fragment RestOrder from ${source}). Same replica as sections 1–2 (relay off), so both sides pay the same store costs.`,
    "Ratio = REST throughput ÷ GraphQL throughput (≥ 90 % means REST is within 10 %); p99 ratio = REST p99 ÷ GraphQL p99. REST runs the same operation plus mapping, so a ratio above 100 % is noise (the machine is shared, see the run's load average).",
    ...probes.map((probe) => `Not measured: ${probe}`),
  ];
  if (getOk) {
    const result = await compare({
      n,
      concurrency,
      warmup,
      rounds: context.load.rounds,
      baseline: (index) => graphql(url, getQuery, { id: ids[index % ids.length] }),
      subject: async (index) => {
        const response = await request(`${url}/api/v1/orders/${encodeURIComponent(ids[index % ids.length])}`);
        if (response.status !== 200) throw new Error(`GET answered ${response.status}: ${response.body.slice(0, 120)}`);
      },
    });
    const ratio = ratioRow(result);
    rows.push(rowOf('GraphQL order(id), REST fields (baseline)', result.baseline));
    rows.push(
      rowOf('REST GET /api/v1/orders/{id}', result.subject, {
        ratio: `${pct(ratio)} of GraphQL; p99 ×${(result.subject.p99 / result.baseline.p99).toFixed(2)}`,
        aim: '≥ 90 % of GraphQL',
        met: ratio >= 0.9,
      }),
    );
  }
  if (postOk) {
    const result = await compare({
      n,
      concurrency,
      warmup,
      rounds: context.load.rounds,
      baseline: (index) => graphql(url, createMutation, { input: orderInput(index) }),
      subject: async (index) => {
        const response = await request(`${url}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(restOrderInput(index)),
        });
        if (response.status !== 201) throw new Error(`POST answered ${response.status}: ${response.body.slice(0, 120)}`);
      },
    });
    const ratio = ratioRow(result);
    rows.push(rowOf('GraphQL createOrder, REST fields (baseline)', result.baseline));
    rows.push(
      rowOf('REST POST /api/v1/orders', result.subject, {
        ratio: `${pct(ratio)} of GraphQL; p99 ×${(result.subject.p99 / result.baseline.p99).toFixed(2)}`,
        aim: '≥ 90 % of GraphQL',
        met: ratio >= 0.9,
      }),
    );
  }
  return { id: 'rest', title, rows, notes, notMeasured: null };
}
