import type { RequestContext } from '../observability/request-context';
import type { AppServices } from '../app-services';

/** What every resolver receives: who is asking (correlation) and the use cases it may call. */
export interface GraphQLContext {
  request: RequestContext;
  services: AppServices;
}
