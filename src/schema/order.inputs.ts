import { Field, Float, InputType, Int } from 'type-graphql';
import { BackorderReasonEnum, OrderPriorityEnum, OrderStatusEnum } from './enums';

/*
 * Input types mirror the brief's JSON bodies field for field, so a validation error's field path
 * (e.g. `items.0.quantity`) reads the same to GraphQL and REST callers. The rules themselves live in
 * src/models/order.input.ts; here only GraphQL's own type checks apply.
 */

@InputType()
export class OrderItemInput {
  @Field(() => String) sku!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => Float, { description: 'At most 2 decimals' }) unitPrice!: number;
  @Field(() => String, { nullable: true }) productName?: string | null;
  @Field(() => Float, { nullable: true, description: 'Kilograms per unit' }) weight?: number | null;
}

@InputType()
export class ShippingAddressInput {
  @Field(() => String) street!: string;
  @Field(() => String, { nullable: true }) street2?: string | null;
  @Field(() => String) city!: string;
  @Field(() => String) state!: string;
  @Field(() => String) zipCode!: string;
  @Field(() => String, { description: 'ISO 3166-1 alpha-2, upper-case' }) country!: string;
  @Field(() => String, { nullable: true }) recipientName?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
}

@InputType()
export class CreateOrderInput {
  @Field(() => String) customerId!: string;
  @Field(() => OrderPriorityEnum) priority!: OrderPriorityEnum;
  @Field(() => String, { nullable: true, description: 'RFC 3339 date-time with offset' }) promisedDeliveryAt?: string | null;
  @Field(() => [OrderItemInput]) items!: OrderItemInput[];
  @Field(() => ShippingAddressInput) shippingAddress!: ShippingAddressInput;
}

@InputType({ description: 'Fields to replace; only allowed before the order is assigned to a wave' })
export class UpdateOrderInput {
  @Field(() => OrderPriorityEnum, { nullable: true }) priority?: OrderPriorityEnum;
  @Field(() => String, { nullable: true, description: 'RFC 3339; null removes the promise' }) promisedDeliveryAt?: string | null;
  @Field(() => [OrderItemInput], { nullable: true }) items?: OrderItemInput[];
  @Field(() => ShippingAddressInput, { nullable: true }) shippingAddress?: ShippingAddressInput;
}

@InputType()
export class OrderFilter {
  @Field(() => OrderStatusEnum, { nullable: true }) status?: OrderStatusEnum;
  @Field(() => OrderPriorityEnum, { nullable: true }) priority?: OrderPriorityEnum;
  @Field(() => String, { nullable: true }) customerId?: string;
}

@InputType()
export class PartialFulfillmentLineInput {
  @Field(() => String) sku!: string;
  @Field(() => Int) quantityFulfilled!: number;
  @Field(() => BackorderReasonEnum, { nullable: true, description: 'Required when the line is short' }) reason?: BackorderReasonEnum | null;
}
