import DataLoader from 'dataloader';
import type { UseCases } from '../app-services';
import type { DeadLetterQueueItem, Order } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';

/** What every resolver receives: who is asking (correlation), the use cases, and per-request loaders. */
export interface GraphQLContext {
  request: RequestContext;
  useCases: UseCases;
  loaders: { orderById: DataLoader<string, Order | null>; deadLetterByOrderId: DataLoader<string, DeadLetterQueueItem | null> };
}

export function createGraphQLContext(request: RequestContext, useCases: UseCases): GraphQLContext {
  return {
    request,
    useCases,
    loaders: {
      // Batches every order a request references (e.g. 100 `_entities` representations) into one query.
      orderById: new DataLoader(async (ids) => {
        const found = await useCases.orderQueries.findMany(request, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      deadLetterByOrderId: new DataLoader(async (ids) => {
        const found = await useCases.deadLetterQueries.findMany(request, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
    },
  };
}
