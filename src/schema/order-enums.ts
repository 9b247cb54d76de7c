import { registerEnumType } from 'type-graphql';

/**
 * GraphQL enum names are upper-case; their internal values are the brief's lower-case strings, so resolvers and
 * the domain only ever see `same_day`, `assigned_to_wave`, … (the REST layer's values too).
 */
export enum OrderStatusEnum {
  RECEIVED = 'received',
  VALIDATED = 'validated',
  ASSIGNED_TO_WAVE = 'assigned_to_wave',
  PICKING = 'picking',
  PACKING = 'packing',
  SHIPPED = 'shipped',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
}

export enum OrderPriorityEnum {
  SAME_DAY = 'same_day',
  NEXT_DAY = 'next_day',
  STANDARD = 'standard',
}

export enum BackorderReasonEnum {
  NOT_FOUND = 'not_found',
  DAMAGED = 'damaged',
  QUANTITY_MISMATCH = 'quantity_mismatch',
}

export enum BackorderStatusEnum {
  OPEN = 'open',
  FULFILLED = 'fulfilled',
}

registerEnumType(OrderStatusEnum, { name: 'OrderStatus', description: 'Where an order is in its lifecycle' });
registerEnumType(OrderPriorityEnum, { name: 'OrderPriority', description: 'Delivery promise class' });
registerEnumType(BackorderReasonEnum, { name: 'BackorderReason', description: 'Why a line was short at picking' });
registerEnumType(BackorderStatusEnum, { name: 'BackorderStatus' });
