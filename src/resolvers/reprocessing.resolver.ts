import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { parseDlqMove, parseRetryEligibilityQuery, parseRetryFailure } from '../models/order.input';
import { DeadLetterEntry } from '../schema/dead-letter.type';
import { deadLetterEntryOf, toDeadLetterEntryView, toRetryCandidateView, toRetryMetadataView } from '../schema/dead-letter.view';
import { OrderStatusEnum } from '../schema/enums';
import { Order } from '../schema/order.type';
import { toOrderView } from '../schema/order.view';
import { RetryCandidatePage, RetryFailureInput, RetryMetadata } from '../schema/reprocessing.type';
import type { GraphQLContext } from '../server/graphql-context';

/** Retries and moves to the dead letter queue (CONTRACT §2). Routing only: parse, call the use case, return the view. */
@Resolver()
export class ReprocessingResolver {
  @Query(() => RetryMetadata, { description: "An order's retry count, last failure, next retry and whether it may still be retried" })
  async retryMetadata(@Arg('orderId', () => ID) orderId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<RetryMetadata> {
    return toRetryMetadataView(await useCases.reprocessingQueries.retryMetadata(request, orderId));
  }

  @Query(() => RetryCandidatePage, {
    description: 'Orders whose retry is due now: failed at least once, fewer than maxRetries failures, not held, not finished; longest-due first',
  })
  async ordersEligibleForRetry(
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('limit', () => Int, { nullable: true, description: '1–1000 (default 100)' }) limit?: number | null,
    @Arg('maxRetries', () => Int, { nullable: true, description: 'Orders with this many failures or more are left out (default MAX_RETRIES, 5)' })
    maxRetries?: number | null,
    @Arg('statuses', () => [OrderStatusEnum], { nullable: true, description: 'Only orders in one of these statuses' }) statuses?: OrderStatusEnum[] | null,
  ): Promise<RetryCandidatePage> {
    const query = parseRetryEligibilityQuery({ limit, maxRetries, statuses });
    const { orders, total } = await useCases.reprocessingQueries.eligibleForRetry(request, query);
    const now = new Date();
    return { items: orders.map((order) => toRetryCandidateView(order, now)), total };
  }

  @Mutation(() => RetryMetadata, {
    description: 'Record a failed attempt: schedules the next retry with backoff, or moves the order to the dead letter queue at maxRetries',
  })
  async incrementRetryCount(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('input', () => RetryFailureInput) input: RetryFailureInput,
    @Ctx() { useCases, request }: GraphQLContext,
  ): Promise<RetryMetadata> {
    return toRetryMetadataView(await useCases.reprocessing.incrementRetryCount(request, orderId, parseRetryFailure({ ...input })));
  }

  @Mutation(() => Order, { description: 'Back to VALIDATED (or RECEIVED if never validated), wave cleared, retry count kept' })
  async resetOrderForRetry(@Arg('orderId', () => ID) orderId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<Order> {
    return toOrderView(await useCases.reprocessing.reset(request, orderId));
  }

  @Mutation(() => DeadLetterEntry, { description: 'Hold the order in the dead letter queue for a supervisor' })
  async moveOrderToDeadLetterQueue(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('failureStatus', () => String) failureStatus: string,
    @Arg('failureReason', () => String) failureReason: string,
    @Ctx() { useCases, request }: GraphQLContext,
  ): Promise<DeadLetterEntry> {
    const order = await useCases.reprocessing.moveToDeadLetterQueue(request, orderId, parseDlqMove({ failureStatus, failureReason }));
    return toDeadLetterEntryView(deadLetterEntryOf(order));
  }
}
