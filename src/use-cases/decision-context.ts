import type { DecisionContext } from '../models/order.decision';
import type { RequestContext } from '../observability/request-context';

/** What a domain decision needs to know of the request: the time, the correlation id and who is asking. */
export function decisionContext(request: RequestContext): DecisionContext {
  return { now: new Date(), correlationId: request.correlationId, actor: request.userId };
}
