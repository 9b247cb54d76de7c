import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import {
  parseCancelReason,
  parseCreateOrderInput,
  parseDeliveredAt,
  parsePartialFulfillment,
  parseShipment,
  parseUpdateOrderInput,
  parseWaveId,
} from '../models/order.input';
import type { GraphQLContext } from '../server/graphql-context';
import { OrderFilter, CreateOrderInput, PartialFulfillmentLineInput, UpdateOrderInput } from '../schema/order.inputs';
import { Order, OrderPage } from '../schema/order.type';
import { toOrderView } from '../schema/order.view';

const expectedVersionArg = {
  nullable: true,
  description: 'The version you read; the mutation fails with PRECONDITION_FAILED if the order moved since',
} as const;

/** Routing only: parse the arguments with the model's parsers, call the use case, return the public view. */
@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, { description: 'One order by id' })
  async order(@Arg('id', () => ID) id: string, @Ctx() { useCases, request }: GraphQLContext): Promise<Order> {
    return toOrderView(await useCases.orderQueries.get(request, id));
  }

  @Query(() => OrderPage, { description: 'Orders, newest first, filtered by status, priority and customer' })
  async orders(
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter?: OrderFilter,
    @Arg('page', () => Int, { nullable: true, description: 'From 1 (default 1)' }) page?: number,
    @Arg('pageSize', () => Int, { nullable: true, description: '1–100 (default 20)' }) pageSize?: number,
  ): Promise<OrderPage> {
    const result = await useCases.orderQueries.list(request, { ...filter }, { page, pageSize });
    const now = new Date();
    return { ...result, items: result.orders.map((order) => toOrderView(order, now)) };
  }

  @Mutation(() => Order, { description: 'Receive a new order (status RECEIVED)' })
  async createOrder(@Arg('input', () => CreateOrderInput) input: CreateOrderInput, @Ctx() { useCases, request }: GraphQLContext): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.create(request, parseCreateOrderInput({ ...input })));
  }

  @Mutation(() => Order, { description: 'RECEIVED → VALIDATED; a repeat is a no-op; ORDER_INVALID when business rules fail' })
  async validateOrder(
    @Arg('id', () => ID) id: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.validate(request, id, expectedVersion));
  }

  @Mutation(() => Order, { description: 'VALIDATED → ASSIGNED_TO_WAVE; the same wave again is a no-op' })
  async assignOrderToWave(
    @Arg('id', () => ID) id: string,
    @Arg('waveId', () => String) waveId: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.assignToWave(request, id, parseWaveId(waveId), expectedVersion));
  }

  @Mutation(() => Order, { description: 'ASSIGNED_TO_WAVE → PICKING' })
  async startPicking(
    @Arg('id', () => ID) id: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.startPicking(request, id, expectedVersion));
  }

  @Mutation(() => Order, { description: 'PICKING → PACKING' })
  async startPacking(
    @Arg('id', () => ID) id: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.startPacking(request, id, expectedVersion));
  }

  @Mutation(() => Order, { description: 'PACKING → SHIPPED' })
  async shipOrder(
    @Arg('id', () => ID) id: string,
    @Arg('trackingNumber', () => String) trackingNumber: string,
    @Arg('carrier', () => String) carrier: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.ship(request, id, parseShipment({ trackingNumber, carrier }), expectedVersion));
  }

  @Mutation(() => Order, { description: 'SHIPPED → COMPLETED (delivery confirmed)' })
  async completeOrder(
    @Arg('id', () => ID) id: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('deliveredAt', () => String, { nullable: true, description: 'RFC 3339; default now' }) deliveredAt?: string,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.complete(request, id, parseDeliveredAt(deliveredAt ?? undefined, new Date()), expectedVersion));
  }

  @Mutation(() => Order, { description: 'Cancel an order not yet shipped; a repeat is a no-op' })
  async cancelOrder(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.cancel(request, id, parseCancelReason(reason), expectedVersion));
  }

  @Mutation(() => Order, { description: 'Replace items, address, priority or promised time (RECEIVED or VALIDATED only)' })
  async updateOrder(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateOrderInput) input: UpdateOrderInput,
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.modify(request, id, parseUpdateOrderInput({ ...input }), expectedVersion));
  }

  @Mutation(() => Order, { description: 'Record picked quantities per line; short lines become a backorder' })
  async recordPartialFulfillment(
    @Arg('id', () => ID) id: string,
    @Arg('lines', () => [PartialFulfillmentLineInput]) lines: PartialFulfillmentLineInput[],
    @Ctx() { useCases, request }: GraphQLContext,
    @Arg('expectedVersion', () => Int, expectedVersionArg) expectedVersion?: number,
  ): Promise<Order> {
    return toOrderView(
      await useCases.orderLifecycle.recordPartialFulfillment(request, id, parsePartialFulfillment(lines.map((line) => ({ ...line }))), expectedVersion),
    );
  }

  @Mutation(() => Order, { description: 'Close an open backorder; returns its order' })
  async fulfillBackorder(@Arg('backorderId', () => ID) backorderId: string, @Ctx() { useCases, request }: GraphQLContext): Promise<Order> {
    return toOrderView(await useCases.orderLifecycle.fulfillBackorder(request, backorderId));
  }
}
