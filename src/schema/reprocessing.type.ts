import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { OrderStatusEnum } from './enums';
import { Order } from './order.type';

@InputType({ description: 'A failed processing attempt, as the orchestrator reports it' })
export class RetryFailureInput {
  @Field(() => String) failureReason!: string;
  @Field(() => String, { nullable: true, description: 'RFC 3339 date-time with offset; default now. The backoff counts from it' })
  failedAt?: string | null;
  @Field(() => String, { nullable: true, description: "Where processing failed (free text, e.g. picking, shipping); default the order's status" })
  failureStatus?: string | null;
  @Field(() => String, { nullable: true }) workflowId?: string | null;
  @Field(() => String, { nullable: true }) runId?: string | null;
}

@ObjectType({ description: "An order's retry bookkeeping" })
export class RetryMetadata {
  @Field(() => ID) orderId!: string;
  @Field(() => Int, { description: '0 for an order that never failed' }) retryCount!: number;
  @Field(() => Int) maxRetries!: number;
  @Field(() => String, { nullable: true }) lastFailureReason!: string | null;
  @Field(() => String, { nullable: true }) lastFailureStatus!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) lastFailedAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the next attempt is due; null when none is scheduled' }) nextRetryAt!: Date | null;
  @Field(() => Boolean, { description: 'Fewer failures than maxRetries, not held by the dead letter queue, not shipped, completed or cancelled' })
  isEligibleForRetry!: boolean;
  @Field(() => Order, { description: 'The order itself, in the same state' }) order!: Order;
}

@ObjectType({ description: 'An order whose retry is due' })
export class RetryCandidate {
  @Field(() => ID) orderId!: string;
  @Field(() => String) customerId!: string;
  @Field(() => OrderStatusEnum) status!: OrderStatusEnum;
  @Field(() => Int) retryCount!: number;
  @Field(() => Int) maxRetries!: number;
  @Field(() => String, { nullable: true }) lastFailureReason!: string | null;
  @Field(() => String, { nullable: true }) lastFailureStatus!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) lastFailedAt!: Date | null;
  @Field(() => GraphQLDateTime) nextRetryAt!: Date;
  @Field(() => GraphQLDateTime) createdAt!: Date;
  @Field(() => Order) order!: Order;
}

@ObjectType({ description: 'Orders due for a retry, the longest-due first' })
export class RetryCandidatePage {
  @Field(() => [RetryCandidate]) items!: RetryCandidate[];
  @Field(() => Int, { description: 'Every due order, not just this page' }) total!: number;
}
