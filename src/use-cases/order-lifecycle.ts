import type { Config } from '../config';
import { fulfillBackorder, recordPartialFulfillment } from '../models/order.fulfilment';
import { newBackorderId, newOrderId } from '../models/order-ids';
import type { CreateOrderCommand, FulfilmentReport, Shipment, UpdateOrderCommand } from '../models/order.input';
import {
  assignOrderToWave,
  cancelOrder,
  completeOrder,
  createOrder,
  modifyOrder,
  shipOrder,
  startPacking,
  startPicking,
  validateOrder,
} from '../models/order.lifecycle';
import { decisionContext } from './decision-context';
import { BackorderNotFound } from '../models/order.errors';
import type { Order } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';
import type { OrderRepository } from '../store/order.repository';
import type { OrderWriter } from './order-writer';

/** The order lifecycle use cases: one line each, the rules are in src/models. */
export class OrderLifecycle {
  constructor(
    private readonly writer: OrderWriter,
    private readonly repository: OrderRepository,
    private readonly config: Pick<Config, 'MAX_RETRIES'>,
  ) {}

  create(request: RequestContext, command: CreateOrderCommand): Promise<Order> {
    const decision = createOrder(command, {
      ...decisionContext(request),
      orderId: newOrderId(),
      tenantId: request.tenantId,
      maxRetries: this.config.MAX_RETRIES,
    });
    return this.writer.create(decision, request);
  }

  validate(request: RequestContext, orderId: string, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => validateOrder(order, decisionContext(request)), { expectedVersion });
  }

  assignToWave(request: RequestContext, orderId: string, waveId: string, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => assignOrderToWave(order, { waveId }, decisionContext(request)), { expectedVersion });
  }

  startPicking(request: RequestContext, orderId: string, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => startPicking(order, decisionContext(request)), { expectedVersion });
  }

  startPacking(request: RequestContext, orderId: string, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => startPacking(order, decisionContext(request)), { expectedVersion });
  }

  ship(request: RequestContext, orderId: string, shipment: Shipment, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => shipOrder(order, shipment, decisionContext(request)), { expectedVersion });
  }

  complete(request: RequestContext, orderId: string, deliveredAt: Date, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => completeOrder(order, { deliveredAt }, decisionContext(request)), { expectedVersion });
  }

  cancel(request: RequestContext, orderId: string, reason: string, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => cancelOrder(order, { reason }, decisionContext(request)), { expectedVersion });
  }

  modify(request: RequestContext, orderId: string, patch: UpdateOrderCommand, expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => modifyOrder(order, patch, decisionContext(request)), { expectedVersion });
  }

  recordPartialFulfillment(request: RequestContext, orderId: string, lines: FulfilmentReport[], expectedVersion?: number | null): Promise<Order> {
    return this.writer.change(orderId, request, (order) => recordPartialFulfillment(order, { lines, newBackorderId }, decisionContext(request)), {
      expectedVersion,
    });
  }

  async fulfillBackorder(request: RequestContext, backorderId: string): Promise<Order> {
    const orderId = await this.repository.findOrderIdByBackorder(request.tenantId, backorderId);
    if (!orderId) throw new BackorderNotFound(backorderId);
    return this.writer.change(orderId, request, (order) => fulfillBackorder(order, { backorderId }, decisionContext(request)));
  }
}
