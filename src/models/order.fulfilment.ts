import { backorderCreated, backorderFulfilled, orderPartiallyFulfilled, type BackorderedItem, type FulfilledItem } from './order.events';
import { assertTransitionAllowed, refuse } from './order-transitions';
import { nextVersion, type Decision, type DecisionContext } from './order.decision';
import { BackorderNotFound, InvalidInput, type FieldIssue } from './order.errors';
import type { FulfilmentReport } from './order.input';
import { fulfillmentRatio } from './order.rules';
import type { Backorder, BackorderItem, Order, OrderLine } from './order.types';

/**
 * Partial fulfilment and backorders. A report states, per line, how many units were actually picked;
 * what is short goes on one new backorder per report. Reports can be repeated (an at-least-once caller
 * retrying) and can lower a recorded quantity (damage found while packing), never raise it: the units
 * it would add are already owed on a backorder.
 */

export function recordPartialFulfillment(
  order: Order,
  { lines, newBackorderId }: { lines: FulfilmentReport[]; newBackorderId: () => string },
  ctx: DecisionContext,
): Decision {
  assertTransitionAllowed(order, 'recordPartialFulfillment');
  const issues: FieldIssue[] = [];
  const refusals: string[] = [];
  const items: OrderLine[] = order.items.map((line) => ({ ...line }));
  const fulfilledItems: FulfilledItem[] = [];
  const backorderedItems: BackorderedItem[] = [];
  const shortItems: BackorderItem[] = [];

  lines.forEach((report, index) => {
    const line = items.find(({ sku }) => sku === report.sku);
    if (!line) {
      issues.push({ field: `lines.${index}.sku`, message: `order ${order.orderId} has no line with sku ${report.sku}` });
      return;
    }
    if (report.quantityFulfilled > line.quantity) {
      issues.push({ field: `lines.${index}.quantityFulfilled`, message: `must not exceed the ordered quantity ${line.quantity}` });
      return;
    }
    const recorded = line.quantityFulfilled ?? line.quantity;
    if (report.quantityFulfilled > recorded) {
      refusals.push(`sku ${line.sku} already has ${recorded} units recorded as fulfilled; a recorded fulfilment is never raised`);
      return;
    }
    const newlyShort = recorded - report.quantityFulfilled;
    if (newlyShort > 0 && report.reason === null) {
      issues.push({ field: `lines.${index}.reason`, message: 'required for a line reported short' });
      return;
    }
    line.quantityFulfilled = report.quantityFulfilled;
    line.quantityBackordered = line.quantity - report.quantityFulfilled;
    fulfilledItems.push({ sku: line.sku, quantityOrdered: line.quantity, quantityFulfilled: report.quantityFulfilled });
    if (newlyShort > 0 && report.reason !== null) {
      backorderedItems.push({ sku: line.sku, quantityOrdered: line.quantity, quantityShort: newlyShort, reason: report.reason });
      shortItems.push({ sku: line.sku, quantityShort: newlyShort, reason: report.reason });
    }
  });

  if (issues.length > 0) throw new InvalidInput(issues);
  if (refusals.length > 0) throw refuse(order, 'recordPartialFulfillment', refusals.join('; '));
  const changed = items.some((line, index) => line.quantityFulfilled !== order.items[index].quantityFulfilled);
  if (!changed) return null;
  if (shortItems.length === 0) {
    // Every reported line was complete: worth recording, but nothing was short, so nothing to announce.
    return { order: nextVersion(order, { items }, ctx), events: [] };
  }

  const backorder: Backorder = { backorderId: newBackorderId(), items: shortItems, status: 'open', createdAt: ctx.now, fulfilledAt: null };
  const next = nextVersion(order, { items, backorders: [...order.backorders, backorder] }, ctx);
  const report = { fulfilledItems, backorderedItems, fulfillmentRatio: fulfillmentRatio(items) };
  return {
    order: next,
    events: [orderPartiallyFulfilled(next, report, ctx.now), backorderCreated(next, backorder, ctx.now)],
  };
}

export function fulfillBackorder(order: Order, { backorderId }: { backorderId: string }, ctx: DecisionContext): Decision {
  const backorder = order.backorders.find((candidate) => candidate.backorderId === backorderId);
  if (!backorder) throw new BackorderNotFound(backorderId);
  assertTransitionAllowed(order, 'fulfillBackorder');
  if (backorder.status === 'fulfilled') throw refuse(order, 'fulfillBackorder', `backorder ${backorderId} is already fulfilled`);

  const fulfilled: Backorder = { ...backorder, status: 'fulfilled', fulfilledAt: ctx.now };
  const backorders = order.backorders.map((candidate) => (candidate === backorder ? fulfilled : candidate));
  const next = nextVersion(order, { backorders }, ctx);
  return { order: next, events: [backorderFulfilled(next, fulfilled, ctx.now)] };
}
