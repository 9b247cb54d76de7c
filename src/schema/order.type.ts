import { GraphQLDateTime } from 'graphql-scalars';
import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { BackorderReasonEnum, BackorderStatusEnum, DeadLetterResolutionEnum, OrderPriorityEnum, OrderStatusEnum } from './enums';
import { Customer, Wave } from './external-entities';

@ObjectType({ description: 'One order line' })
export class OrderItem {
  @Field(() => String) sku!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => Float, { description: 'Price per unit, exact to the cent' }) unitPrice!: number;
  @Field(() => String, { nullable: true }) productName!: string | null;
  @Field(() => Float, { nullable: true, description: 'Kilograms per unit' }) weight!: number | null;
  @Field(() => Int, { nullable: true, description: 'Units picked, once a fulfilment was recorded' }) quantityFulfilled!: number | null;
  @Field(() => Int, { nullable: true, description: 'Units owed on backorder' }) quantityBackordered!: number | null;
}

@ObjectType()
export class ShippingAddress {
  @Field(() => String) street!: string;
  @Field(() => String, { nullable: true }) street2!: string | null;
  @Field(() => String) city!: string;
  @Field(() => String) state!: string;
  @Field(() => String) zipCode!: string;
  @Field(() => String, { description: 'ISO 3166-1 alpha-2' }) country!: string;
  @Field(() => String, { nullable: true }) recipientName!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
}

@ObjectType()
export class Cancellation {
  @Field(() => String) reason!: string;
  @Field(() => GraphQLDateTime) cancelledAt!: Date;
}

@ObjectType()
export class BackorderItem {
  @Field(() => String) sku!: string;
  @Field(() => Int) quantityShort!: number;
  @Field(() => BackorderReasonEnum) reason!: BackorderReasonEnum;
}

@ObjectType({ description: 'Units owed to the customer after a short pick' })
export class Backorder {
  @Field(() => ID) backorderId!: string;
  @Field(() => [BackorderItem]) items!: BackorderItem[];
  @Field(() => BackorderStatusEnum) status!: BackorderStatusEnum;
  @Field(() => GraphQLDateTime) createdAt!: Date;
  @Field(() => GraphQLDateTime, { nullable: true }) fulfilledAt!: Date | null;
}

@ObjectType()
export class StatusChange {
  @Field(() => OrderStatusEnum, { nullable: true }) from!: OrderStatusEnum | null;
  @Field(() => OrderStatusEnum) to!: OrderStatusEnum;
  @Field(() => GraphQLDateTime) at!: Date;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => String, { nullable: true, description: 'Who made the change: the subject of their token' }) actor!: string | null;
}

@ObjectType({ description: 'One failed processing attempt' })
export class RetryAttempt {
  @Field(() => Int, { description: 'From 1' }) attempt!: number;
  @Field(() => String) failureReason!: string;
  @Field(() => String, { description: 'Where processing failed, as the orchestrator reported it (e.g. picking, shipping)' }) failureStatus!: string;
  @Field(() => GraphQLDateTime) failedAt!: Date;
  @Field(() => String, { nullable: true }) workflowId!: string | null;
  @Field(() => String, { nullable: true }) runId!: string | null;
}

@ObjectType({ description: 'Retry bookkeeping for orders whose processing failed' })
export class RetryInfo {
  @Field(() => Int) count!: number;
  @Field(() => Int) maxRetries!: number;
  @Field(() => String, { nullable: true }) lastFailureReason!: string | null;
  @Field(() => String, { nullable: true }) lastFailureStatus!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) lastFailedAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true }) nextRetryAt!: Date | null;
  @Field(() => [RetryAttempt], { description: 'Every failed attempt, oldest first (a manual retry from the DLQ resets the count, not this)' })
  history!: RetryAttempt[];
}

@ObjectType({ description: 'A past dead letter queue entry of the order, as the order keeps it (the order snapshot and the retry attempts aside)' })
export class DeadLetterHistoryEntry {
  @Field(() => String, { description: 'Where processing failed (free text, e.g. picking, shipping)' }) failureStatus!: string;
  @Field(() => String) failureReason!: string;
  @Field(() => Int, { description: 'Failed attempts recorded when the order was moved' }) retryCount!: number;
  @Field(() => DeadLetterResolutionEnum, { nullable: true }) resolution!: DeadLetterResolutionEnum | null;
  @Field(() => String, { nullable: true, description: 'Who resolved it: the caller (their token subject)' }) resolvedBy!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => String, { nullable: true }) notes!: string | null;
  @Field(() => GraphQLDateTime, { description: 'When the order was moved to the dead letter queue' }) createdAt!: Date;
  @Field(() => GraphQLDateTime) updatedAt!: Date;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A customer order, from receipt to completion' })
export class Order {
  @Field(() => ID, { description: 'ORD- followed by 12 Crockford base32 characters' }) id!: string;
  @Field(() => String) customerId!: string;
  @Field(() => Customer) customer!: Customer;
  @Field(() => OrderPriorityEnum) priority!: OrderPriorityEnum;
  @Field(() => OrderStatusEnum) status!: OrderStatusEnum;
  @Field(() => GraphQLDateTime, { nullable: true }) promisedDeliveryAt!: Date | null;
  @Field(() => [OrderItem]) items!: OrderItem[];
  @Field(() => ShippingAddress) shippingAddress!: ShippingAddress;
  @Field(() => Int, { description: 'Number of lines' }) totalItems!: number;
  @Field(() => Int, { description: 'Units over all lines' }) totalQuantity!: number;
  @Field(() => Float, { description: 'Kilograms over all lines (lines without a weight count 0)' }) totalWeight!: number;
  @Field(() => Float, { description: 'Σ unitPrice × quantity, computed exactly in cents' }) totalValue!: number;
  @Field(() => Boolean, { description: 'Promised delivery time passed and the order is not shipped, completed or cancelled' }) isLate!: boolean;
  @Field(() => String, { nullable: true }) waveId!: string | null;
  @Field(() => Wave, { nullable: true }) wave!: Wave | null;
  @Field(() => String, { nullable: true }) trackingNumber!: string | null;
  @Field(() => String, { nullable: true }) carrier!: string | null;
  @Field(() => Cancellation, { nullable: true }) cancellation!: Cancellation | null;
  @Field(() => GraphQLDateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => [Backorder]) backorders!: Backorder[];
  @Field(() => Float, { nullable: true, description: 'Σ fulfilled ÷ Σ ordered, once a fulfilment was recorded' }) fulfillmentRatio!: number | null;
  @Field(() => RetryInfo) retry!: RetryInfo;
  @Field(() => Boolean, { description: 'Held by the dead letter queue' }) deadLettered!: boolean;
  @Field(() => [DeadLetterHistoryEntry], {
    description:
      "The order's earlier dead letter queue entries, each resolved, oldest first: those a later move replaced and those the retention (DLQ_RETENTION) took out of the queue. The current entry is deadLetterEntry(orderId)",
  })
  deadLetterHistory!: DeadLetterHistoryEntry[];
  @Field(() => Int, { description: 'Starts at 1, +1 on every write; pass it back as expectedVersion' }) version!: number;
  @Field(() => [StatusChange]) statusHistory!: StatusChange[];
  @Field(() => GraphQLDateTime) createdAt!: Date;
  @Field(() => GraphQLDateTime) updatedAt!: Date;
}

@ObjectType({ description: 'One page of orders, newest first' })
export class OrderPage {
  @Field(() => [Order]) items!: Order[];
  @Field(() => Int) page!: number;
  @Field(() => Int) pageSize!: number;
  @Field(() => Int, { description: 'Orders matching the filter, over all pages' }) total!: number;
  @Field(() => Boolean) hasMore!: boolean;
}

@ObjectType({ description: 'A status change of one order, as pushed to subscribers' })
export class OrderStatusChangeEvent {
  @Field(() => ID) orderId!: string;
  @Field(() => OrderStatusEnum) from!: OrderStatusEnum;
  @Field(() => OrderStatusEnum) to!: OrderStatusEnum;
  @Field(() => GraphQLDateTime) at!: Date;
}
