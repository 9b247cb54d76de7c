import type { DlqResolutionInput } from '../models/order.input';
import { resolverOf } from '../models/dead-letter';
import { resolveDeadLetter } from '../models/order.reprocessing';
import { decisionContext } from './decision-context';
import type { Order } from '../models/order.types';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { OrderWriter } from './order-writer';

/** Resolving dead letter queue entries (CONTRACT §3): the entry and its effect on the order are one write. */
export class DeadLetterQueue {
  constructor(
    private readonly writer: OrderWriter,
    private readonly metrics: Metrics,
  ) {}

  async resolve(request: RequestContext, orderId: string, input: DlqResolutionInput): Promise<Order> {
    const resolution = { resolution: input.resolution, notes: input.notes, resolvedBy: resolverOf(input.resolvedBy, request.userId) };
    const order = await this.writer.change(orderId, request, (current) => resolveDeadLetter(current, resolution, decisionContext(request)));
    this.metrics.dlqResolutions.inc({ resolution: input.resolution });
    return order;
  }
}
