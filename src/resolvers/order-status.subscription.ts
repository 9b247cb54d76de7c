import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { OrderStatusChangedNotice } from '../events/live-events';
import { LIVE_CHANNELS } from '../events/live-feed';
import { OrderStatusChangeEvent } from '../schema/order.type';
import type { OrderStatusEnum } from '../schema/enums';
import type { GraphQLContext } from '../server/graphql-context';

@Resolver()
export class OrderStatusSubscription {
  @Subscription(() => OrderStatusChangeEvent, {
    topics: LIVE_CHANNELS.orderStatusChanged,
    filter: ({ payload, args, context }: { payload: OrderStatusChangedNotice; args: { orderId: string }; context: GraphQLContext }) =>
      payload.tenantId === context.request.tenantId && payload.orderId === args.orderId,
    description: 'Status changes of one order, made through any replica',
  })
  orderStatusChanged(@Root() notice: OrderStatusChangedNotice, @Arg('orderId', () => ID) _orderId: string): OrderStatusChangeEvent {
    return { orderId: notice.orderId, from: notice.from as OrderStatusEnum, to: notice.to as OrderStatusEnum, at: new Date(notice.at) };
  }
}
