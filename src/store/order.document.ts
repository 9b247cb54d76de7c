import { buildSchema, index, modelOptions, prop, Severity, type DocumentType } from '@typegoose/typegoose';
import type { Connection, Model } from 'mongoose';

/**
 * The stored shape of an order: the aggregate's state (src/models/order.types.ts) plus storage-only fields
 * (the outbox and its relay lease). Reads are lean; writes are single-document updates conditional on `version`.
 */
@modelOptions({ schemaOptions: { _id: false, versionKey: false } })
class OrderLineDoc {
  @prop({ required: true, type: String }) sku!: string;
  @prop({ required: true, type: Number }) quantity!: number;
  @prop({ required: true, type: Number }) unitPriceCents!: number;
  @prop({ type: String, default: null }) productName!: string | null;
  @prop({ type: Number, default: null }) weight!: number | null;
  @prop({ type: Number, default: null }) quantityFulfilled!: number | null;
  @prop({ type: Number, default: null }) quantityBackordered!: number | null;
}

@modelOptions({ schemaOptions: { _id: false, versionKey: false } })
class ShippingAddressDoc {
  @prop({ required: true, type: String }) street!: string;
  @prop({ type: String, default: null }) street2!: string | null;
  @prop({ required: true, type: String }) city!: string;
  @prop({ required: true, type: String }) state!: string;
  @prop({ required: true, type: String }) zipCode!: string;
  @prop({ required: true, type: String }) country!: string;
  @prop({ type: String, default: null }) recipientName!: string | null;
  @prop({ type: String, default: null }) phone!: string | null;
}

/** One event waiting for the relay. Stored in the same write as the state change that caused it. */
@modelOptions({ schemaOptions: { _id: false, versionKey: false }, options: { allowMixed: Severity.ALLOW } })
export class OutboxEntryDoc {
  /** CloudEvents id: fixed when stored, so every redelivery carries the same id. */
  @prop({ required: true, type: String }) id!: string;
  /** Position in this order's event stream; the relay publishes in this order. */
  @prop({ required: true, type: Number }) seq!: number;
  @prop({ required: true, type: String }) topic!: string;
  @prop({ required: true, type: String }) type!: string;
  @prop({ required: true, type: Object }) data!: Record<string, unknown>;
  @prop({ required: true, type: Date }) time!: Date;
  @prop({ type: String, default: null }) correlationId!: string | null;
  @prop({ type: String, default: null }) waveNumber!: string | null;
  @prop({ type: String, default: null }) workflowId!: string | null;
  @prop({ type: String, default: null }) traceparent!: string | null;
}

@modelOptions({
  schemaOptions: { collection: 'orders', versionKey: false, minimize: false },
  options: { allowMixed: Severity.ALLOW },
})
// Every query has an index that serves its filter and its sort (test/integration/store-plan.test.ts checks the plans).
// Order lists, newest first, per filter:
@index({ tenantId: 1, createdAt: -1, orderId: -1 })
@index({ tenantId: 1, status: 1, createdAt: -1, orderId: -1 })
@index({ tenantId: 1, priority: 1, createdAt: -1, orderId: -1 })
@index({ tenantId: 1, customerId: 1, createdAt: -1, orderId: -1 })
@index({ tenantId: 1, 'backorders.backorderId': 1 })
// Orders due for a retry, oldest due first (only orders that can be retried have a `retryDueAt`).
@index({ tenantId: 1, retryDueAt: 1, orderId: 1 })
// Orders not yet folded into the order counts (order-counts.repository.ts): as small as the count projector's lag. The
// projector takes only orders whose events are out, so it never holds what the relay is about to record.
@index({ countStale: 1, outboxPending: 1, tenantId: 1 }, { name: 'count_stale', partialFilterExpression: { countStale: true } })
// The relay's sweep: only orders with unpublished events are in this index, so it stays as small as the backlog.
@index({ outboxPending: 1 }, { name: 'outbox_pending', partialFilterExpression: { outboxPending: true } })
// The dead letter queue is a view of the orders holding a `deadLetter` entry: list filters, newest first; the oldest unresolved.
@index({ tenantId: 1, 'deadLetter.createdAt': -1, orderId: -1 })
@index({ tenantId: 1, 'deadLetter.resolved': 1, 'deadLetter.createdAt': -1, orderId: -1 })
@index({ tenantId: 1, 'deadLetter.failureStatus': 1, 'deadLetter.createdAt': -1, orderId: -1 })
@index({ tenantId: 1, customerId: 1, 'deadLetter.createdAt': -1, orderId: -1 })
// The retention's sweep (dead-letter.repository.ts findDueForRetirement), over every tenant, longest resolved first: only
// resolved entries are in this index, so it stays as small as the resolved part of the queue.
@index({ 'deadLetter.resolvedAt': 1, orderId: 1 }, { name: 'dlq_resolved_at', partialFilterExpression: { 'deadLetter.resolved': true } })
export class OrderDoc {
  /** The order id doubles as the primary key (and would be the shard key): look-ups by id need no other index. */
  @prop({ type: String }) _id!: string;
  @prop({ required: true, type: String }) orderId!: string;
  @prop({ required: true, type: String, default: 'default' }) tenantId!: string;
  @prop({ required: true, type: String }) customerId!: string;
  @prop({ required: true, type: String }) priority!: string;
  @prop({ required: true, type: String }) status!: string;
  @prop({ type: Date, default: null }) promisedDeliveryAt!: Date | null;
  @prop({ required: true, type: () => [OrderLineDoc] }) items!: OrderLineDoc[];
  @prop({ required: true, type: () => ShippingAddressDoc }) shippingAddress!: ShippingAddressDoc;
  @prop({ type: String, default: null }) waveId!: string | null;
  @prop({ type: String, default: null }) trackingNumber!: string | null;
  @prop({ type: String, default: null }) carrier!: string | null;
  @prop({ type: Object, default: null }) cancellation!: { reason: string; cancelledAt: Date } | null;
  @prop({ type: Date, default: null }) deliveredAt!: Date | null;
  @prop({ type: Date, default: null }) validatedAt!: Date | null;
  @prop({ type: () => [Object], default: [] }) backorders!: object[];
  @prop({ type: Object, required: true }) retry!: object;
  @prop({ type: Boolean, default: false }) deadLettered!: boolean;
  /** The order's dead letter queue entry (src/models/order.types.ts DeadLetterEntry), null when it was never moved there. */
  @prop({ type: Object, default: null }) deadLetter!: object | null;
  /** Past entries of an order whose last entry the retention retired (order.types.ts); absent until one is. */
  @prop({ type: () => [Object], default: undefined }) retiredDeadLetterEntries?: object[];
  @prop({ required: true, type: Number }) version!: number;
  @prop({ type: () => [Object], default: [] }) statusHistory!: object[];
  @prop({ required: true, type: Date }) createdAt!: Date;
  @prop({ required: true, type: Date }) updatedAt!: Date;

  /** `retryDueAt(order)` (order.rules.ts), kept in every write: null unless the order has failed and can be retried. */
  @prop({ type: Date, default: null }) retryDueAt!: Date | null;

  @prop({ type: () => [OutboxEntryDoc], default: [] }) outbox!: OutboxEntryDoc[];
  /** True while `outbox` holds unpublished events; a partial index holds exactly these orders, so the sweep never scans. */
  @prop({ type: Boolean, default: false }) outboxPending!: boolean;
  /** Sequence number of the last event stored (written only by state changes, conditional on `version`). */
  @prop({ type: Number, default: 0 }) outboxSeq!: number;
  /** Sequence number of the last event the relay published: entries at or below it are never sent again. */
  @prop({ type: Number, default: 0 }) outboxPublishedSeq!: number;
  /** Which relay instance holds the lease on this order's outbox, and until when (replicas never publish the normal case twice). */
  @prop({ type: String, default: null }) outboxLeaseOwner!: string | null;
  @prop({ type: Date, default: null }) outboxLeaseUntil!: Date | null;

  /** True while the order counts do not yet include the order's status, priority and customer as they are now. */
  @prop({ type: Boolean }) countStale?: boolean;
  /** What the order counts include it as (null: not yet counted). */
  @prop({ type: Object, default: null }) countedAs!: object | null;
}

export type OrderModel = Model<DocumentType<OrderDoc>>;

const orderSchema = buildSchema(OrderDoc);

/** Registered per connection (typegoose's own model cache is global, and tests run several services in one process). */
export function orderModel(connection: Connection): OrderModel {
  return (connection.models.Order as OrderModel | undefined) ?? (connection.model('Order', orderSchema) as unknown as OrderModel);
}

/** Fields that belong to storage, never to the aggregate. */
export const STORAGE_ONLY_FIELDS = [
  '_id',
  'retryDueAt',
  'outbox',
  'outboxPending',
  'outboxSeq',
  'outboxPublishedSeq',
  'outboxLeaseOwner',
  'outboxLeaseUntil',
  'countStale',
  'countedAs',
] as const;
/** Reads the aggregate (src/models/order.types.ts): every field but the storage-only ones. */
export const AGGREGATE_PROJECTION = Object.fromEntries(STORAGE_ONLY_FIELDS.map((field) => [field, 0]));
