import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { parseDeadLetterListQuery, parseDlqResolution } from '../models/order.input';
import { DeadLetterEntry, DeadLetterEntryPage, DeadLetterFilter, DeadLetterStats } from '../schema/dead-letter.type';
import { DeadLetterResolutionEnum } from '../schema/enums';
import { deadLetterEntryOf, toDeadLetterEntryView, toDeadLetterStatsView } from '../schema/dead-letter.view';
import { Order } from '../schema/order.type';
import { toOrderView } from '../schema/order.view';
import type { GraphQLContext } from '../server/graphql-context';
import { OrderNotFound } from '../models/order.errors';
import type { Order as OrderState } from '../models/order.types';

/** Set on an entry view shared by many subscribers (dead-letter.subscription.ts). */
export interface SharedOrderLoad {
  loadOrder?: () => Promise<OrderState | null>;
}

/** The dead letter queue (CONTRACT §3). Routing only: parse, call the use case, return the view. */
@Resolver(() => DeadLetterEntry)
export class DeadLetterResolver {
  @Query(() => DeadLetterEntryPage, { description: 'Dead letter queue entries, newest first' })
  async deadLetterEntries(
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('filter', () => DeadLetterFilter, { nullable: true }) filter?: DeadLetterFilter | null,
    @Arg('limit', () => Int, { nullable: true, description: '1–500 (default 50)' }) limit?: number | null,
    @Arg('offset', () => Int, { nullable: true, description: 'Entries to skip (default 0)' }) offset?: number | null,
  ): Promise<DeadLetterEntryPage> {
    const page = await useCases.deadLetterQueries.list(request, parseDeadLetterListQuery({ ...filter, limit, offset }));
    const now = new Date();
    return { items: page.entries.map((entry) => toDeadLetterEntryView(entry, now)), total: page.total, limit: page.limit, offset: page.offset };
  }

  @Query(() => DeadLetterEntry, {
    description:
      "An order's dead letter queue entry; NOT_FOUND when it was never moved there, or its entry was retired (DLQ_RETENTION; the order keeps it in deadLetterHistory)",
  })
  async deadLetterEntry(@Arg('orderId', () => ID) orderId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<DeadLetterEntry> {
    return toDeadLetterEntryView(await useCases.deadLetterQueries.get(request, orderId));
  }

  @Query(() => DeadLetterStats, { description: 'Counts of the dead letter queue' })
  async deadLetterStats(@Ctx() { useCases, request }: GraphQLContext): Promise<DeadLetterStats> {
    return toDeadLetterStatsView(await useCases.deadLetterQueries.stats(request));
  }

  @Mutation(() => DeadLetterEntry, { description: 'Resolve an entry and apply the resolution to the order; CONFLICT when already resolved' })
  async resolveDeadLetterEntry(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('resolution', () => DeadLetterResolutionEnum) resolution: DeadLetterResolutionEnum,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('notes', () => String, { nullable: true, description: 'At most 2000 characters; the cancellation reason for CANCELLED' }) notes?: string | null,
    @Arg('resolvedBy', () => String, { nullable: true, description: 'The caller (their token subject); a different value is refused' })
    resolvedBy?: string | null,
  ): Promise<DeadLetterEntry> {
    const order = await useCases.deadLetterQueue.resolve(request, orderId, parseDlqResolution({ resolution, notes, resolvedBy }));
    return toDeadLetterEntryView(deadLetterEntryOf(order));
  }

  @FieldResolver(() => Order, { description: 'The order in its current state' })
  async order(@Root() entry: DeadLetterEntry & SharedOrderLoad, @Ctx() { loaders }: GraphQLContext): Promise<Order> {
    // A live change is one entry object shared by every subscriber: it loads its order once for all of them.
    const order = await (entry.loadOrder ? entry.loadOrder() : loaders.orderById.load(entry.orderId));
    if (!order) throw new OrderNotFound(entry.orderId);
    return toOrderView(order);
  }
}
