import fc from 'fast-check';
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLScalarType,
  isLeafType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { createLiveBus } from '../../src/events/live-bus';
import type { RunningOrderService } from '../../src/order-service';
import { buildOrderSubgraph } from '../../src/schema/build-schema';
import { createOrder, ok } from '../support/graphql-client';
import { MOVE_TO_DLQ } from '../support/dlq-support';
import { defaultAuthorization } from '../support/test-auth';
import { startTestService } from '../support/test-service';

/**
 * Generated operations against the real subgraph: every query and mutation, with arguments drawn from their types
 * (well-formed and edge values, ids of real orders among them, so mutations reach the domain) and random selections.
 * Whatever the input, the service answers with data or with errors a client can act on — never a 5xx, never
 * INTERNAL_SERVER_ERROR, never a stack trace.
 */
const RUNS_PER_FIELD = 40;
const MAX_DEPTH = 3;

let knownOrderIds: string[] = [];

const edgeStrings = fc.constantFrom('', ' ', 'X', 'ORD-000000000000', 'a'.repeat(300), '💥', '$where', '{"$gt":""}', '2099-01-01T00:00:00Z', 'null');

function stringArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(edgeStrings, fc.string({ maxLength: 40 }), fc.constantFrom(...(knownOrderIds.length ? knownOrderIds : ['ORD-000000000000'])));
}

function scalarArbitrary(type: GraphQLScalarType): fc.Arbitrary<unknown> {
  switch (type.name) {
    case 'Int':
      return fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constantFrom(0, -1, 2_147_483_647, -2_147_483_648));
    case 'Float':
      return fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 0.001, 12.345, 1e15));
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.oneof(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
        fc.constantFrom('yesterday', '2026-02-30T00:00:00Z'),
      );
    case 'ID':
      // Mostly real orders, so that mutations reach the domain's rules rather than NOT_FOUND.
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...(knownOrderIds.length ? knownOrderIds : ['ORD-000000000000'])) },
        { weight: 1, arbitrary: stringArbitrary() },
      );
    default:
      return stringArbitrary();
  }
}

/** A value for an input type; `depth` bounds nested input objects and lists. */
function inputArbitrary(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (type instanceof GraphQLNonNull) return inputArbitrary(type.ofType, depth);
  if (type instanceof GraphQLList) return fc.array(inputArbitrary(type.ofType, depth + 1), { maxLength: depth > 1 ? 1 : 3 });
  if (type instanceof GraphQLEnumType) return fc.constantFrom(...type.getValues().map((value) => value.name));
  if (type instanceof GraphQLInputObjectType) {
    const fields = Object.values(type.getFields());
    const required = Object.fromEntries(
      fields.filter((field) => field.type instanceof GraphQLNonNull).map((field) => [field.name, inputArbitrary(field.type, depth + 1)]),
    );
    const optional = Object.fromEntries(
      fields
        .filter((field) => !(field.type instanceof GraphQLNonNull))
        .map((field) => [field.name, fc.option(inputArbitrary(field.type, depth + 1), { nil: undefined })]),
    );
    return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) as never[] });
  }
  return scalarArbitrary(type as GraphQLScalarType);
}

/** A selection set for an output type: its leaves, and some object fields down to MAX_DEPTH (arguments left out). */
function selectionArbitrary(type: GraphQLOutputType, depth: number): fc.Arbitrary<string> {
  const named = getNamedType(type);
  if (isLeafType(named)) return fc.constant('');
  if (!(named instanceof GraphQLObjectType)) return fc.constant(' { __typename }');
  const fields = Object.values(named.getFields()).filter((field) => field.args.every((arg) => !(arg.type instanceof GraphQLNonNull)));
  const leaves = fields.filter((field) => isLeafType(getNamedType(field.type))).map((field) => field.name);
  const nested = depth < MAX_DEPTH ? fields.filter((field) => !isLeafType(getNamedType(field.type))) : [];
  return fc
    .tuple(
      fc.subarray(leaves, { minLength: leaves.length ? 1 : 0 }),
      fc
        .subarray(nested, { maxLength: Math.min(2, nested.length) })
        .chain((chosen) =>
          chosen.length
            ? fc.tuple(...chosen.map((field) => selectionArbitrary(field.type, depth + 1).map((inner) => `${field.name}${inner}`)))
            : fc.constant([] as string[]),
        ),
    )
    .map(([leafNames, objects]) => ` { __typename ${[...leafNames, ...objects].join(' ')} }`);
}

function operationArbitrary(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const args = field.args;
  const variables = fc.record(
    Object.fromEntries(
      args.map((arg) => [arg.name, arg.type instanceof GraphQLNonNull ? inputArbitrary(arg.type) : fc.option(inputArbitrary(arg.type), { nil: undefined })]),
    ),
  );
  const declared = args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return fc.tuple(variables, selectionArbitrary(field.type, 1)).map(([values, selection]) => ({
    query: `${kind}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`,
    variables: values,
  }));
}

describe('generated GraphQL operations against the subgraph', () => {
  let service: RunningOrderService;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    service = await startTestService();
    schema = await buildOrderSubgraph(createLiveBus());
    const orders = await Promise.all(Array.from({ length: 20 }, () => createOrder(service)));
    await ok(service, MOVE_TO_DLQ, { orderId: orders[0].id, failureStatus: 'picking', failureReason: 'fuzz' });
    knownOrderIds = orders.map((order) => order.id);
  });
  afterAll(() => service?.stop());

  const roots = (kind: 'query' | 'mutation') => Object.values((kind === 'query' ? schema.getQueryType() : schema.getMutationType())!.getFields());

  it.each(['query', 'mutation'] as const)(
    'every %s field answers data or a client error, never an internal one',
    async (kind) => {
      const authorization = await defaultAuthorization();
      const failures: string[] = [];
      const outcomes = new Map<string, number>();
      let sent = 0;
      for (const field of roots(kind).filter((root) => !root.name.startsWith('_'))) {
        await fc.assert(
          fc.asyncProperty(operationArbitrary(kind, field), async ({ query, variables }) => {
            sent += 1;
            const response = await fetch(`${service.url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization },
              body: JSON.stringify({ query, variables }),
            });
            const text = await response.text();
            const body = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: Record<string, unknown> }> };
            const outcome = body.errors?.length ? String(body.errors[0].extensions?.code) : body.data?.[field.name] != null ? 'data' : 'null';
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            const internal = (body.errors ?? []).some(
              (error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR' || 'stacktrace' in (error.extensions ?? {}),
            );
            if (response.status >= 500 || internal || /\bat .+\.(ts|js):\d+/.test(text)) {
              failures.push(`${response.status} ${query} ${JSON.stringify(variables)} → ${text.slice(0, 300)}`);
            }
          }),
          { numRuns: RUNS_PER_FIELD },
        );
      }
      process.stdout.write(`GraphQL fuzz, ${kind} fields: ${sent} operations → ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}\n`);
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(RUNS_PER_FIELD * 5);
      // A good share of the operations must get past input checks to the domain's answers (data or a domain refusal).
      const refusedInput = (outcomes.get('GRAPHQL_VALIDATION_FAILED') ?? 0) + (outcomes.get('BAD_USER_INPUT') ?? 0);
      expect(sent - refusedInput).toBeGreaterThan(sent / 4);
      expect(outcomes.get('data') ?? 0).toBeGreaterThan(0);
    },
    180_000,
  );
});
