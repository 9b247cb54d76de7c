import type { Config } from '../config';
import { decisionContext } from './decision-context';
import type { DlqMove, RetryFailure } from '../models/order.input';
import { incrementRetryCount, markMovedToDlq, resetOrderForRetry, type RetryPolicy } from '../models/order.reprocessing';
import type { Order } from '../models/order.types';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { OrderWriter } from './order-writer';

/** Failed attempts, retries and moves to the dead letter queue (CONTRACT §2): each one write through OrderWriter. */
export class Reprocessing {
  private readonly policy: RetryPolicy;

  constructor(
    private readonly writer: OrderWriter,
    private readonly metrics: Metrics,
    config: Pick<Config, 'RETRY_BASE_DELAY' | 'RETRY_MAX_DELAY'>,
  ) {
    this.policy = { baseDelayMs: config.RETRY_BASE_DELAY, maxDelayMs: config.RETRY_MAX_DELAY };
  }

  /** Records a failed attempt; the attempt that reaches the order's maxRetries moves it to the DLQ in the same write. */
  async incrementRetryCount(request: RequestContext, orderId: string, failure: RetryFailure): Promise<Order> {
    let movedToDlq = false;
    const order = await this.writer.change(orderId, request, (current) => {
      const decision = incrementRetryCount(current, { failure, policy: this.policy }, decisionContext(request));
      movedToDlq = decision.movedToDlq;
      return decision;
    });
    const failureStatus = this.metrics.failureStatusLabel(order.retry.lastFailureStatus ?? order.status);
    this.metrics.retriesRecorded.inc({ failure_status: failureStatus });
    if (movedToDlq) this.metrics.dlqMoves.inc({ failure_status: failureStatus, trigger: 'max_retries' });
    return order;
  }

  reset(request: RequestContext, orderId: string): Promise<Order> {
    return this.writer.change(orderId, request, (order) => resetOrderForRetry(order, decisionContext(request)));
  }

  async moveToDeadLetterQueue(request: RequestContext, orderId: string, move: DlqMove): Promise<Order> {
    const order = await this.writer.change(orderId, request, (current) => markMovedToDlq(current, move, decisionContext(request)));
    this.metrics.dlqMoves.inc({ failure_status: this.metrics.failureStatusLabel(move.failureStatus), trigger: 'manual' });
    return order;
  }
}
