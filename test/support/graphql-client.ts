import { graphql } from './test-service';
import { ORDER_FIELDS, orderInput } from './order-factory';

export type GraphQLError = { message: string; extensions?: Record<string, any> };

/** Runs a mutation or query and returns its single root field, failing the test on errors. */
export async function ok<T = any>(
  service: { url: string },
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const result = await graphql(service, query, variables, headers);
  if (result.errors?.length) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(result.errors)}`);
  return Object.values(result.data ?? {})[0] as T;
}

/** Runs an operation expected to fail and returns its first error. */
export async function fails(service: { url: string }, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLError> {
  const result = await graphql(service, query, variables);
  if (!result.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
  return result.errors[0];
}

export const CREATE_ORDER = `mutation Create($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`;

export async function createOrder(service: { url: string }, overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return ok(service, CREATE_ORDER, { input: orderInput(overrides) }, headers);
}

export const transition = (mutation: string, args = '') => `mutation Transition($id: ID!${args ? `, ${args}` : ''}) { ${mutation} { ${ORDER_FIELDS} } }`;

export const VALIDATE = transition('validateOrder(id: $id)');
export const ASSIGN = transition('assignOrderToWave(id: $id, waveId: $waveId)', '$waveId: String!');
export const START_PICKING = transition('startPicking(id: $id)');
export const START_PACKING = transition('startPacking(id: $id)');
export const SHIP = transition('shipOrder(id: $id, trackingNumber: $trackingNumber, carrier: $carrier)', '$trackingNumber: String!, $carrier: String!');
export const COMPLETE = transition('completeOrder(id: $id, deliveredAt: $deliveredAt)', '$deliveredAt: String');
export const CANCEL = transition('cancelOrder(id: $id, reason: $reason)', '$reason: String!');
export const UPDATE = transition('updateOrder(id: $id, input: $input, expectedVersion: $expectedVersion)', '$input: UpdateOrderInput!, $expectedVersion: Int');
export const RECORD_PARTIAL = transition('recordPartialFulfillment(id: $id, lines: $lines)', '$lines: [PartialFulfillmentLineInput!]!');
export const FULFILL_BACKORDER = `mutation Fulfil($backorderId: ID!) { fulfillBackorder(backorderId: $backorderId) { ${ORDER_FIELDS} } }`;
export const GET_ORDER = `query Get($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;

/** Walks an order from RECEIVED to the given stage through the real API. */
export async function walkTo(service: { url: string }, id: string, stage: 'validated' | 'assigned_to_wave' | 'picking' | 'packing' | 'shipped' | 'completed') {
  const steps: Array<[string, string, Record<string, unknown>]> = [
    ['validated', VALIDATE, {}],
    ['assigned_to_wave', ASSIGN, { waveId: 'WAVE-2024-00123' }],
    ['picking', START_PICKING, {}],
    ['packing', START_PACKING, {}],
    ['shipped', SHIP, { trackingNumber: '1Z999', carrier: 'UPS' }],
    ['completed', COMPLETE, {}],
  ];
  let order: any;
  for (const [reached, query, variables] of steps) {
    order = await ok(service, query, { id, ...variables });
    if (reached === stage) return order;
  }
  return order;
}
