/**
 * The Order aggregate as plain data. This is also the exact stored document shape (mapped 1:1 to the
 * mongoose model), so it holds only strings, numbers, booleans, Dates, arrays and nested objects,
 * with `null` — never `undefined` — for an absent value, so that a stored document and a freshly
 * built one compare equal.
 */

export const ORDER_STATUSES = ['received', 'validated', 'assigned_to_wave', 'picking', 'packing', 'shipped', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PRIORITIES = ['same_day', 'next_day', 'standard'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const BACKORDER_REASONS = ['not_found', 'damaged', 'quantity_mismatch'] as const;
export type BackorderReason = (typeof BACKORDER_REASONS)[number];

export const BACKORDER_STATUSES = ['open', 'fulfilled'] as const;
export type BackorderStatus = (typeof BACKORDER_STATUSES)[number];

export const DLQ_RESOLUTIONS = ['manual_retry', 'cancelled', 'escalated'] as const;
export type DlqResolution = (typeof DLQ_RESOLUTIONS)[number];

/** Orders created without an explicit tenant belong here, so tenant isolation can be added without a migration. */
export const DEFAULT_TENANT_ID = 'default';

export interface OrderLine {
  sku: string;
  quantity: number;
  /** Integer cents: money is never held in binary floating point. */
  unitPriceCents: number;
  productName: string | null;
  /** Kilograms per unit. */
  weight: number | null;
  /** Null until a fulfilment is recorded for the line; a line never reported short counts as fully fulfilled. */
  quantityFulfilled: number | null;
  /** Units put on backorder when the fulfilment was recorded (quantity − quantityFulfilled); null until then. */
  quantityBackordered: number | null;
}

export interface ShippingAddress {
  street: string;
  street2: string | null;
  city: string;
  state: string;
  zipCode: string;
  /** ISO 3166-1 alpha-2, upper-case. */
  country: string;
  recipientName: string | null;
  phone: string | null;
}

export interface BackorderItem {
  sku: string;
  quantityShort: number;
  reason: BackorderReason;
}

export interface Backorder {
  backorderId: string;
  items: BackorderItem[];
  status: BackorderStatus;
  createdAt: Date;
  fulfilledAt: Date | null;
}

export interface StatusChange {
  /** Null only for the first entry, when the order was received. */
  from: OrderStatus | null;
  to: OrderStatus;
  at: Date;
  reason: string | null;
  correlationId: string | null;
  /** Who made the change (token subject); null on entries written before callers were authenticated, or by the service. */
  actor: string | null;
}

export interface RetryAttempt {
  attempt: number;
  failureReason: string;
  /** Free text, not an OrderStatus: orchestrators report steps such as `shipping`. */
  failureStatus: string;
  failedAt: Date;
  workflowId: string | null;
  runId: string | null;
}

export interface RetryState {
  count: number;
  maxRetries: number;
  lastFailureReason: string | null;
  lastFailureStatus: string | null;
  lastFailedAt: Date | null;
  nextRetryAt: Date | null;
  history: RetryAttempt[];
}

/** The order as it stood when it was moved to the dead letter queue (its DLQ entries aside, current and retired). */
export type OrderSnapshot = Omit<Order, 'deadLetter' | 'retiredDeadLetterEntries'>;

/**
 * The order's dead letter queue entry (CONTRACT §3). It lives inside the order document, so that moving an order to
 * the DLQ, holding it and storing the event is one single-document write (the queue's counters join it in a transaction).
 */
export interface DeadLetterRecord {
  /** Free text like RetryAttempt.failureStatus: orchestrators report steps such as `shipping`. */
  failureStatus: string;
  failureReason: string;
  /** Failed attempts recorded when the order was moved. */
  retryCount: number;
  retryHistory: RetryAttempt[];
  originalOrder: OrderSnapshot;
  resolved: boolean;
  resolution: DlqResolution | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  notes: string | null;
  /** The bulk redrive task that resolved it (src/models/dead-letter-redrive.ts); absent when resolved by hand. */
  redriveTaskId?: string;
  /** When the order was moved to the DLQ. */
  createdAt: Date;
  updatedAt: Date;
}

export interface DeadLetterEntry extends DeadLetterRecord {
  /** Earlier entries of this order, each resolved, oldest first: moving the order again after a resolution reopens it. */
  history: DeadLetterRecord[];
}

/** An entry of the dead letter queue as listed: the order's entry with the order it belongs to. */
export interface DeadLetterQueueItem {
  orderId: string;
  tenantId: string;
  customerId: string;
  deadLetter: DeadLetterEntry;
}

export interface Cancellation {
  reason: string;
  cancelledAt: Date;
}

export interface Order {
  orderId: string;
  tenantId: string;
  customerId: string;
  priority: Priority;
  status: OrderStatus;
  promisedDeliveryAt: Date | null;
  items: OrderLine[];
  shippingAddress: ShippingAddress;
  waveId: string | null;
  trackingNumber: string | null;
  carrier: string | null;
  cancellation: Cancellation | null;
  deliveredAt: Date | null;
  /** When validation first passed; Reset uses it to decide between `validated` and `received`. */
  validatedAt: Date | null;
  backorders: Backorder[];
  retry: RetryState;
  /** True while a dead letter queue entry holds the order (unresolved, or resolved as escalated). */
  deadLettered: boolean;
  /** The current dead letter queue entry (resolved or not); null for an order never moved there, or once it was retired. */
  deadLetter: DeadLetterEntry | null;
  /**
   * The order's past entries once the retention took its last one out of the queue (dead-letter-retention.ts): that
   * entry and the ones in its `history`, oldest first. A later move to the queue carries them on into the new entry's
   * `history` and empties this, so each past entry is kept in one place. Absent on orders whose entry was never retired.
   */
  retiredDeadLetterEntries?: DeadLetterRecord[];
  /** Starts at 1 and grows by 1 on every write; every write is conditional on it. */
  version: number;
  statusHistory: StatusChange[];
  createdAt: Date;
  updatedAt: Date;
}

/** What the order list filters on (each filter has its index, src/store/order.document.ts). */
export interface OrderListFilter {
  status?: OrderStatus;
  priority?: Priority;
  customerId?: string;
}
