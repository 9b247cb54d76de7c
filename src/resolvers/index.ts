import type { NonEmptyArray } from 'type-graphql';
import { deadLetterReferenceResolvers } from './dead-letter.reference';
import { DeadLetterRedriveResolver } from './dead-letter-redrive.resolver';
import { DeadLetterResolver } from './dead-letter.resolver';
import { DeadLetterSubscription } from './dead-letter.subscription';
import { orderReferenceResolvers } from './order.reference';
import { OrderResolver } from './order.resolver';
import { OrderStatusSubscription } from './order-status.subscription';
import { ReprocessingResolver } from './reprocessing.resolver';
import { ServiceInfoResolver } from './service-info.resolver';

/** Every resolver class of the subgraph, listed explicitly: no folder scanning. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolverClasses: NonEmptyArray<Function> = [
  OrderResolver,
  OrderStatusSubscription,
  ReprocessingResolver,
  DeadLetterResolver,
  DeadLetterSubscription,
  DeadLetterRedriveResolver,
  ServiceInfoResolver,
];

/** `__resolveReference` functions for the entities this subgraph owns. */
export const referenceResolvers = { ...orderReferenceResolvers, ...deadLetterReferenceResolvers };
