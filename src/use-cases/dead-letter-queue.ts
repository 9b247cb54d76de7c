import type { DlqResolutionInput } from '../models/order.input';
import { resolverOf } from '../models/dead-letter';
import { redrivenBy } from '../models/dead-letter-redrive';
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

  /**
   * `redrive`: the bulk redrive task resolving the entry. Its id is stored on the resolution, and an entry the task
   * already resolved (before a crash, or by a replica that lost the task's lease) is left as it is — decided on the
   * order as loaded for the write, so the check and the resolution cannot be separated by another writer.
   */
  async resolve(request: RequestContext, orderId: string, input: DlqResolutionInput, redrive?: { taskId: string }): Promise<Order> {
    const resolution = {
      resolution: input.resolution,
      notes: input.notes,
      resolvedBy: resolverOf(input.resolvedBy, request.userId),
      ...(redrive ? { redriveTaskId: redrive.taskId } : {}),
    };
    let resolved = false;
    const order = await this.writer.change(orderId, request, (current) => {
      resolved = !(redrive && redrivenBy(current, redrive.taskId));
      return resolved ? resolveDeadLetter(current, resolution, decisionContext(request)) : null;
    });
    if (resolved) this.metrics.dlqResolutions.inc({ resolution: input.resolution });
    return order;
  }
}
