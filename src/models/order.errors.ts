/**
 * Expected failures of the order domain as small typed classes. Each carries a stable `code` (CONTRACT §6)
 * and `details` that the GraphQL error formatter copies into `extensions`, so no client parses a message.
 */

export type DomainErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'PRECONDITION_FAILED' | 'BAD_USER_INPUT' | 'ORDER_INVALID' | 'SERVICE_UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  abstract readonly details: Record<string, unknown>;
}

export class OrderNotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'OrderNotFound';
  readonly details: { orderId: string };

  constructor(readonly orderId: string) {
    super(`order ${orderId} not found`);
    this.details = { orderId };
  }
}

export class BackorderNotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'BackorderNotFound';
  readonly details: { backorderId: string };

  constructor(readonly backorderId: string) {
    super(`backorder ${backorderId} not found`);
    this.details = { backorderId };
  }
}

export interface TransitionRefusal {
  orderId: string;
  /** Operation name from the transition table, e.g. `ship`. */
  operation: string;
  /** The same operation in words, `{order}` standing for the order, e.g. `assign {order} to a wave`. */
  action: string;
  currentStatus: string;
  reason: string;
}

export class TransitionRefused extends DomainError {
  readonly code = 'CONFLICT';
  override readonly name = 'TransitionRefused';
  readonly operation: string;
  readonly currentStatus: string;
  readonly reason: string;
  readonly details: { orderId: string; operation: string; currentStatus: string; reason: string };

  constructor({ orderId, operation, action, currentStatus, reason }: TransitionRefusal) {
    super(`cannot ${action.replace('{order}', `order ${orderId}`)} in status ${currentStatus}: ${reason}`);
    this.operation = operation;
    this.currentStatus = currentStatus;
    this.reason = reason;
    this.details = { orderId, operation, currentStatus, reason };
  }
}

export class VersionMismatch extends DomainError {
  readonly code = 'PRECONDITION_FAILED';
  override readonly name = 'VersionMismatch';
  readonly details: { expectedVersion: number; actualVersion: number };

  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`expected version ${expected} but the order is at version ${actual}`);
    this.details = { expectedVersion: expected, actualVersion: actual };
  }
}

/**
 * Other writers changed the order before every one of this change's attempts could land. Nothing was stored; the
 * caller may retry (REST answers 503 with Retry-After).
 */
export class WriteContention extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  override readonly name = 'WriteContention';
  readonly details: { orderId: string; attempts: number };

  constructor(
    readonly orderId: string,
    attempts: number,
  ) {
    super(`order ${orderId} is being changed by too many writers at once; retry shortly`);
    this.details = { orderId, attempts };
  }
}

export interface FieldIssue {
  /** Dotted path from the input's root, e.g. `items.0.quantity`. */
  field: string;
  message: string;
}

export class InvalidInput extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  override readonly name = 'InvalidInput';
  readonly details: { issues: FieldIssue[] };

  constructor(readonly issues: FieldIssue[]) {
    super(`invalid input: ${issues.map(({ field, message }) => `${field}: ${message}`).join('; ')}`);
    this.details = { issues };
  }
}

/** Well-formed input that breaks a business rule (HTTP 422), e.g. a promised delivery time already passed. */
export class OrderInvalid extends DomainError {
  readonly code = 'ORDER_INVALID';
  override readonly name = 'OrderInvalid';
  readonly details: { reasons: string[] };

  constructor(readonly reasons: string[]) {
    super(`order failed validation: ${reasons.join('; ')}`);
    this.details = { reasons };
  }
}

export class DeadLetterEntryNotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'DeadLetterEntryNotFound';
  readonly details: { orderId: string };

  constructor(readonly orderId: string) {
    super(`order ${orderId} has no dead letter queue entry`);
    this.details = { orderId };
  }
}

/** A dead letter queue entry is resolved once; moving the order to the DLQ again opens a new one. */
export class DeadLetterEntryAlreadyResolved extends DomainError {
  readonly code = 'CONFLICT';
  override readonly name = 'DeadLetterEntryAlreadyResolved';
  readonly details: { orderId: string; currentStatus: string; resolution: string; resolvedAt: string };

  constructor(
    readonly orderId: string,
    currentStatus: string,
    resolution: string,
    resolvedAt: Date,
  ) {
    super(`the dead letter queue entry of order ${orderId} was already resolved as ${resolution} at ${resolvedAt.toISOString()}`);
    this.details = { orderId, currentStatus, resolution, resolvedAt: resolvedAt.toISOString() };
  }
}
