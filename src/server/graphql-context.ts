import DataLoader from 'dataloader';
import type { AppServices } from '../app-services';
import type { Order } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';
import type { StoredDeadLetter } from '../store/dead-letter.repository';

/** What every resolver receives: who is asking (correlation), the use cases, and per-request loaders. */
export interface GraphQLContext {
  request: RequestContext;
  services: AppServices;
  loaders: { orderById: DataLoader<string, Order | null>; deadLetterByOrderId: DataLoader<string, StoredDeadLetter | null> };
}

export function createGraphQLContext(request: RequestContext, services: AppServices): GraphQLContext {
  return {
    request,
    services,
    loaders: {
      // Batches every order a request references (e.g. 100 `_entities` representations) into one query.
      orderById: new DataLoader(async (ids) => {
        const found = await services.orderQueries.findMany(request, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      deadLetterByOrderId: new DataLoader(async (ids) => {
        const found = await services.deadLetterQueries.findMany(request, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
    },
  };
}
