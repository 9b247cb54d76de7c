import { GraphQLDateTime } from 'graphql-scalars';
import { Directive, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DeadLetterChangeKindEnum, DeadLetterResolutionEnum } from './enums';
import { Customer } from './external-entities';
import { Order, RetryAttempt } from './order.type';

/**
 * The order as it stood when it was moved to the dead letter queue. A type of its own rather than `Order`, so that
 * clients caching by `__typename` and `id` never mistake the snapshot for the order's current state.
 */
@ObjectType({ description: 'An order as it stood when it was moved to the dead letter queue' })
export class OrderSnapshot extends Order {}

/** Fields shared by the current entry and the earlier ones kept in its history (never referenced, so never emitted). */
@ObjectType()
abstract class DeadLetterRecordFields {
  @Field(() => String, { description: 'Where processing last failed (free text, e.g. picking, shipping)' }) failureStatus!: string;
  @Field(() => String) failureReason!: string;
  @Field(() => Int, { description: 'Failed attempts recorded when the order was moved' }) retryCount!: number;
  @Field(() => [RetryAttempt]) retryHistory!: RetryAttempt[];
  @Field(() => OrderSnapshot) originalOrder!: OrderSnapshot;
  @Field(() => Boolean) resolved!: boolean;
  @Field(() => DeadLetterResolutionEnum, { nullable: true }) resolution!: DeadLetterResolutionEnum | null;
  @Field(() => String, { nullable: true, description: 'Who resolved it: the caller (their token subject)' })
  resolvedBy!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => String, { nullable: true }) notes!: string | null;
  @Field(() => GraphQLDateTime, { description: 'When the order was moved to the dead letter queue' }) createdAt!: Date;
  @Field(() => GraphQLDateTime) updatedAt!: Date;
}

@ObjectType({ description: 'An earlier, resolved dead letter queue entry of an order moved there again' })
export class PastDeadLetterEntry extends DeadLetterRecordFields {}

@Directive('@key(fields: "orderId")')
@ObjectType({ description: 'An order held (or once held) by the dead letter queue: one current entry per order' })
export class DeadLetterEntry extends DeadLetterRecordFields {
  @Field(() => ID) orderId!: string;
  @Field(() => String) customerId!: string;
  @Field(() => Customer) customer!: Customer;
  @Field(() => [PastDeadLetterEntry], { description: 'Earlier entries of this order, each resolved, oldest first' }) history!: PastDeadLetterEntry[];
}

@ObjectType({ description: 'One page of dead letter queue entries, newest first' })
export class DeadLetterEntryPage {
  @Field(() => [DeadLetterEntry]) items!: DeadLetterEntry[];
  @Field(() => Int, { description: 'Entries matching the filter, over all pages' }) total!: number;
  @Field(() => Int) limit!: number;
  @Field(() => Int) offset!: number;
}

@ObjectType()
export class FailureStatusCount {
  @Field(() => String) failureStatus!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class ResolutionCount {
  @Field(() => DeadLetterResolutionEnum) resolution!: DeadLetterResolutionEnum;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'The dead letter queue at a glance' })
export class DeadLetterStats {
  @Field(() => Int, { description: 'Current entries, one per order' }) totalEntries!: number;
  @Field(() => Int) unresolvedCount!: number;
  @Field(() => Int) resolvedCount!: number;
  @Field(() => [FailureStatusCount], { description: 'Unresolved entries per failure status, largest first (sums to unresolvedCount)' })
  byFailureStatus!: FailureStatusCount[];
  @Field(() => [ResolutionCount], { description: 'Resolved entries per resolution, every resolution listed (sums to resolvedCount)' })
  byResolution!: ResolutionCount[];
  @Field(() => GraphQLDateTime, { nullable: true, description: 'Creation time of the oldest unresolved entry' }) oldestUnresolvedAt!:
    Date | null | Promise<Date | null>;
  @Field(() => Float, { description: 'Mean failed attempts per entry, to 2 decimals' }) averageRetries!: number;
}

@ObjectType({ description: 'A change of the dead letter queue, made through any replica' })
export class DeadLetterQueueChange {
  @Field(() => DeadLetterChangeKindEnum) kind!: DeadLetterChangeKindEnum;
  @Field(() => DeadLetterEntry, { description: 'The entry as it stood right after the change' }) entry!: DeadLetterEntry;
  @Field(() => DeadLetterStats, { description: 'The queue statistics when the change reached this replica' }) stats!: DeadLetterStats;
  @Field(() => GraphQLDateTime) occurredAt!: Date;
}

@InputType({ description: 'Dead letter queue list filters; all optional and combined with AND' })
export class DeadLetterFilter {
  @Field(() => Boolean, { nullable: true }) resolved?: boolean | null;
  @Field(() => String, { nullable: true }) failureStatus?: string | null;
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => Float, { nullable: true, description: 'Only entries moved to the queue more than this many hours ago (fractions allowed)' })
  olderThanHours?: number | null;
}
