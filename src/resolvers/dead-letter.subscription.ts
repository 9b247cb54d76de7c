import { Arg, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import type { DeadLetterQueueChangedNotice } from '../events/live-events';
import { LIVE_CHANNELS } from '../events/live-feed';
import type { Order as OrderState } from '../models/order.types';
import { DeadLetterQueueChange, type DeadLetterEntry } from '../schema/dead-letter.type';
import type { DeadLetterChangeKindEnum } from '../schema/enums';
import { toDeadLetterEntryView, toDeadLetterStatsView } from '../schema/dead-letter.view';
import type { GraphQLContext } from '../server/graphql-context';
import type { SharedOrderLoad } from './dead-letter.resolver';
import type { DeadLetterQueueChange as DeadLetterQueueChangeOfFeed } from '../use-cases/dead-letter-feed';

/** One view per change, shared by its subscribers (the change object is itself shared, and forgotten with its notice). */
const views = new WeakMap<DeadLetterQueueChangeOfFeed, DeadLetterQueueChange>();

interface FilterArgs {
  failureStatus?: string | null;
  customerId?: string | null;
}

@Resolver()
export class DeadLetterSubscription {
  @Subscription(() => DeadLetterQueueChange, {
    topics: LIVE_CHANNELS.deadLetterQueueChanged,
    // The notice as it came off the live topic (JSON); filtering needs no dates.
    filter: ({ payload, args, context }: { payload: DeadLetterQueueChangedNotice; args: FilterArgs; context: GraphQLContext }) =>
      payload.tenantId === context.request.tenantId &&
      (args.failureStatus == null || payload.entry.failureStatus === args.failureStatus) &&
      (args.customerId == null || payload.customerId === args.customerId),
    description: 'Entries added to, resolved in and retired from the dead letter queue, through any replica',
  })
  async deadLetterQueueChanged(
    @Root() notice: DeadLetterQueueChangedNotice,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('failureStatus', () => String, { nullable: true, description: 'Only entries with this failure status' }) _failureStatus?: string | null,
    @Arg('customerId', () => String, { nullable: true, description: "Only this customer's entries" }) _customerId?: string | null,
  ): Promise<DeadLetterQueueChange> {
    const change = await useCases.deadLetterFeed.changeFor(notice);
    // The feed hands every subscriber the same change object: build its view once too.
    let view = views.get(change);
    if (!view) {
      let order: Promise<OrderState | null> | null = null;
      const loadOrder = () =>
        (order ??= useCases.orderQueries
          .findMany({ ...request, tenantId: change.entry.tenantId }, [change.entry.orderId])
          .then((found) => found.get(change.entry.orderId) ?? null));
      const entry: DeadLetterEntry & SharedOrderLoad = { ...toDeadLetterEntryView(change.entry), loadOrder };
      view = {
        kind: change.kind as DeadLetterChangeKindEnum,
        entry,
        stats: toDeadLetterStatsView(change.stats),
        occurredAt: change.occurredAt,
      };
      views.set(change, view);
    }
    return view;
  }
}
