import { registerEnumType } from 'type-graphql';
import { DEAD_LETTER_CHANGE_KINDS, type DeadLetterChangeKind } from '../models/dead-letter';
import { REDRIVE_STATUSES, type RedriveStatus } from '../models/dead-letter-redrive';
import {
  BACKORDER_REASONS,
  BACKORDER_STATUSES,
  DLQ_RESOLUTIONS,
  ORDER_STATUSES,
  PRIORITIES,
  type BackorderReason,
  type BackorderStatus,
  type DlqResolution,
  type OrderStatus,
  type Priority,
} from '../models/order.types';

/**
 * The schema's enums, made from the domain's value lists (src/models/order.types.ts), so each is written once.
 * GraphQL names are upper-case; the internal values are the brief's lower-case strings, so resolvers and the domain
 * only ever see `same_day`, `assigned_to_wave`, … (the REST layer's values too).
 */
type GraphQLEnumOf<Value extends string> = { readonly [Name in Value as Uppercase<Name>]: Name };

type EnumConfig<Value extends string> = Parameters<typeof registerEnumType<GraphQLEnumOf<Value>>>[1];

/** The GraphQL enum of a domain value list, registered with type-graphql under `config.name`. */
function graphqlEnum<const Value extends string>(values: readonly Value[], config: EnumConfig<Value>): GraphQLEnumOf<Value> {
  const graphqlValues = Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as GraphQLEnumOf<Value>;
  registerEnumType(graphqlValues, config);
  return graphqlValues;
}

export const OrderStatusEnum = graphqlEnum(ORDER_STATUSES, { name: 'OrderStatus', description: 'Where an order is in its lifecycle' });
export type OrderStatusEnum = OrderStatus;

export const OrderPriorityEnum = graphqlEnum(PRIORITIES, { name: 'OrderPriority', description: 'Delivery promise class' });
export type OrderPriorityEnum = Priority;

export const BackorderReasonEnum = graphqlEnum(BACKORDER_REASONS, { name: 'BackorderReason', description: 'Why a line was short at picking' });
export type BackorderReasonEnum = BackorderReason;

export const BackorderStatusEnum = graphqlEnum(BACKORDER_STATUSES, { name: 'BackorderStatus' });
export type BackorderStatusEnum = BackorderStatus;

export const DeadLetterResolutionEnum = graphqlEnum(DLQ_RESOLUTIONS, {
  name: 'DeadLetterResolution',
  description: 'How a dead letter queue entry was resolved',
  valuesConfig: {
    MANUAL_RETRY: { description: 'The order is released, its retry count reset to 0, its status reset, and a retry is scheduled now' },
    CANCELLED: { description: 'The order is cancelled (reason taken from the notes)' },
    ESCALATED: { description: 'Handed to management: the entry is resolved but the order stays held' },
  },
});
export type DeadLetterResolutionEnum = DlqResolution;

export const DeadLetterChangeKindEnum = graphqlEnum(DEAD_LETTER_CHANGE_KINDS, {
  name: 'DeadLetterChangeKind',
  description: 'What happened to the dead letter queue',
  valuesConfig: {
    ADDED: { description: 'An order was moved to the queue (or moved there again)' },
    RESOLVED: { description: 'An entry was resolved' },
    RETIRED: { description: 'A resolved entry older than the retention (DLQ_RETENTION) left the queue; its order keeps it in deadLetterHistory' },
  },
});
export type DeadLetterChangeKindEnum = DeadLetterChangeKind;

export const DeadLetterRedriveStatusEnum = graphqlEnum(REDRIVE_STATUSES, {
  name: 'DeadLetterRedriveStatus',
  description: 'Where a bulk redrive task is: QUEUED → RUNNING → COMPLETED or CANCELLED',
});
export type DeadLetterRedriveStatusEnum = RedriveStatus;
