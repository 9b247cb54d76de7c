import { deadLetterRedriveRoutes } from './dead-letter-redrive.routes';
import { deadLetterRoutes } from './dead-letter.routes';
import { orderRoutes } from './order.routes';
import { reprocessingRoutes } from './reprocessing.routes';
import type { CompiledRoute } from './rest-route';

/** Every REST route, in the order they are matched; the router serves them and the OpenAPI document describes them. */
export const restRoutes: readonly CompiledRoute[] = [...orderRoutes, ...reprocessingRoutes, ...deadLetterRedriveRoutes, ...deadLetterRoutes];
