import type { DlqResolutionInput } from '../models/order.input';
import { resolveDeadLetter } from '../models/order.reprocessing';
import type { Order } from '../models/order.types';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { OrderWriter } from './order-writer';

/** Who resolved an entry when neither the input nor an `X-WMS-User-ID` header says. */
export const ANONYMOUS_RESOLVER = 'anonymous';

/** Resolving dead letter queue entries (CONTRACT §3): the entry and its effect on the order are one write. */
export class DeadLetterQueue {
  constructor(
    private readonly writer: OrderWriter,
    private readonly metrics: Metrics,
  ) {}

  async resolve(request: RequestContext, orderId: string, input: DlqResolutionInput): Promise<Order> {
    const resolution = { resolution: input.resolution, notes: input.notes, resolvedBy: input.resolvedBy ?? request.userId ?? ANONYMOUS_RESOLVER };
    const order = await this.writer.change(orderId, request, (current) =>
      resolveDeadLetter(current, resolution, { now: new Date(), correlationId: request.correlationId }),
    );
    this.metrics.dlqResolutions.inc({ resolution: input.resolution });
    return order;
  }
}
