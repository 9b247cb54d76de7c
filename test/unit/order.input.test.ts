import { InvalidInput, type FieldIssue } from '../../src/models/order.errors';
import {
  parseCancelReason,
  parseCreateOrderInput,
  parseDeliveredAt,
  parseDlqMove,
  parseDlqResolution,
  parsePartialFulfillment,
  parseRetryFailure,
  parseShipment,
  parseUpdateOrderInput,
  parseWaveId,
} from '../../src/models/order.input';
import { NOW, aCreateOrderInput } from './factories/order.factory';

type Input = Record<string, any>;

function issuesOf(parse: () => unknown): FieldIssue[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidInput) return error.issues;
    throw error;
  }
  throw new Error('expected InvalidInput');
}

const fieldsOf = (parse: () => unknown) => issuesOf(parse).map(({ field }) => field);

function aLine(overrides: Input = {}): Input {
  return { sku: 'SKU-001', quantity: 2, unitPrice: 29.99, ...overrides };
}

describe('parseCreateOrderInput', () => {
  it('reads the brief example: price in cents, promised time as a UTC Date, absent optionals as null', () => {
    expect(parseCreateOrderInput(aCreateOrderInput())).toEqual({
      customerId: 'CUST-001',
      priority: 'standard',
      promisedDeliveryAt: new Date('2024-12-27T17:00:00Z'),
      items: [{ sku: 'SKU-001', quantity: 2, unitPriceCents: 2999, productName: null, weight: null }],
      shippingAddress: {
        street: '123 Main St',
        street2: null,
        city: 'New York',
        state: 'NY',
        zipCode: '10001',
        country: 'US',
        recipientName: null,
        phone: null,
      },
    });
  });

  it('keeps the optional fields, trims text and converts an offset to UTC', () => {
    const input = aCreateOrderInput();
    input.promisedDeliveryAt = '2024-12-27T19:00:00+02:00';
    input.items = [aLine({ productName: '  Widget ', weight: 1.25 })];
    input.shippingAddress = { ...(input.shippingAddress as Input), street: ' 123 Main St ', street2: 'Apt 4', recipientName: 'Ada', phone: '+1 555 0100' };
    const command = parseCreateOrderInput(input);
    expect(command.promisedDeliveryAt).toEqual(new Date('2024-12-27T17:00:00Z'));
    expect(command.items[0]).toMatchObject({ productName: 'Widget', weight: 1.25 });
    expect(command.shippingAddress).toMatchObject({ street: '123 Main St', street2: 'Apt 4', recipientName: 'Ada', phone: '+1 555 0100' });
  });

  it('accepts null for every optional field, and a Date from a GraphQL scalar', () => {
    const input = aCreateOrderInput();
    input.promisedDeliveryAt = new Date('2024-12-27T17:00:00Z');
    input.items = [aLine({ productName: null, weight: null })];
    input.shippingAddress = { ...(input.shippingAddress as Input), street2: null, recipientName: null, phone: null };
    expect(parseCreateOrderInput(input).promisedDeliveryAt).toEqual(new Date('2024-12-27T17:00:00Z'));
    expect(parseCreateOrderInput({ ...aCreateOrderInput(), promisedDeliveryAt: null }).promisedDeliveryAt).toBeNull();
  });

  it('accepts the limits themselves: 500 lines, quantity 100000, 64-character ids, a free line', () => {
    const input = aCreateOrderInput();
    input.customerId = 'C'.repeat(64);
    input.items = Array.from({ length: 500 }, (_, index) => aLine({ sku: `SKU-${index}`, quantity: 100_000, unitPrice: 0 }));
    expect(parseCreateOrderInput(input).items).toHaveLength(500);
  });

  const violations: Array<[string, (input: Input) => void, string]> = [
    ['customerId missing', (input) => delete input.customerId, 'customerId'],
    ['customerId empty', (input) => (input.customerId = ''), 'customerId'],
    ['customerId with a space', (input) => (input.customerId = 'CUST 001'), 'customerId'],
    ['customerId of 65 characters', (input) => (input.customerId = 'C'.repeat(65)), 'customerId'],
    ['priority unknown', (input) => (input.priority = 'urgent'), 'priority'],
    ['priority upper-case', (input) => (input.priority = 'STANDARD'), 'priority'],
    ['promisedDeliveryAt without offset', (input) => (input.promisedDeliveryAt = '2024-12-27T17:00:00'), 'promisedDeliveryAt'],
    ['promisedDeliveryAt on 30 February', (input) => (input.promisedDeliveryAt = '2024-02-30T17:00:00Z'), 'promisedDeliveryAt'],
    ['promisedDeliveryAt a number', (input) => (input.promisedDeliveryAt = 1735318800000), 'promisedDeliveryAt'],
    ['promisedDeliveryAt an invalid Date', (input) => (input.promisedDeliveryAt = new Date('nope')), 'promisedDeliveryAt'],
    ['items missing', (input) => delete input.items, 'items'],
    ['items empty', (input) => (input.items = []), 'items'],
    ['501 items', (input) => (input.items = Array.from({ length: 501 }, (_, index) => aLine({ sku: `SKU-${index}` }))), 'items'],
    ['sku empty', (input) => (input.items = [aLine({ sku: '' })]), 'items.0.sku'],
    ['sku blank', (input) => (input.items = [aLine({ sku: '   ' })]), 'items.0.sku'],
    ['sku of 65 characters', (input) => (input.items = [aLine({ sku: 'S'.repeat(65) })]), 'items.0.sku'],
    ['sku repeated', (input) => (input.items = [aLine(), aLine({ sku: 'SKU-002' }), aLine()]), 'items.2.sku'],
    ['quantity 0', (input) => (input.items = [aLine({ quantity: 0 })]), 'items.0.quantity'],
    ['quantity 1.5', (input) => (input.items = [aLine({ quantity: 1.5 })]), 'items.0.quantity'],
    ['quantity 100001', (input) => (input.items = [aLine({ quantity: 100_001 })]), 'items.0.quantity'],
    ['quantity a string', (input) => (input.items = [aLine({ quantity: '2' })]), 'items.0.quantity'],
    ['unitPrice missing', (input) => (input.items = [{ sku: 'SKU-001', quantity: 1 }]), 'items.0.unitPrice'],
    ['unitPrice negative', (input) => (input.items = [aLine({ unitPrice: -0.01 })]), 'items.0.unitPrice'],
    ['unitPrice with 3 decimals', (input) => (input.items = [aLine({ unitPrice: 19.999 })]), 'items.0.unitPrice'],
    ['unitPrice infinite', (input) => (input.items = [aLine({ unitPrice: Number.POSITIVE_INFINITY })]), 'items.0.unitPrice'],
    ['unitPrice NaN', (input) => (input.items = [aLine({ unitPrice: Number.NaN })]), 'items.0.unitPrice'],
    ['productName of 201 characters', (input) => (input.items = [aLine({ productName: 'P'.repeat(201) })]), 'items.0.productName'],
    ['weight negative', (input) => (input.items = [aLine({ weight: -1 })]), 'items.0.weight'],
    ['an unknown line field', (input) => (input.items = [aLine({ colour: 'red' })]), 'items.0.colour'],
    ['shippingAddress missing', (input) => delete input.shippingAddress, 'shippingAddress'],
    ['street missing', (input) => delete input.shippingAddress.street, 'shippingAddress.street'],
    ['street blank', (input) => (input.shippingAddress.street = '   '), 'shippingAddress.street'],
    ['city of 201 characters', (input) => (input.shippingAddress.city = 'C'.repeat(201)), 'shippingAddress.city'],
    ['state empty', (input) => (input.shippingAddress.state = ''), 'shippingAddress.state'],
    ['zipCode missing', (input) => delete input.shippingAddress.zipCode, 'shippingAddress.zipCode'],
    ['country lower-case', (input) => (input.shippingAddress.country = 'us'), 'shippingAddress.country'],
    ['country not assigned', (input) => (input.shippingAddress.country = 'XX'), 'shippingAddress.country'],
    ['country alpha-3', (input) => (input.shippingAddress.country = 'USA'), 'shippingAddress.country'],
    ['street2 of 201 characters', (input) => (input.shippingAddress.street2 = 'S'.repeat(201)), 'shippingAddress.street2'],
    ['an unknown address field', (input) => (input.shippingAddress.planet = 'Mars'), 'shippingAddress.planet'],
    ['an unknown top-level field', (input) => (input.status = 'shipped'), 'status'],
  ];

  it.each(violations)('refuses %s, naming the field', (_case, violate, field) => {
    const input = structuredClone(aCreateOrderInput()) as Input;
    violate(input);
    expect(fieldsOf(() => parseCreateOrderInput(input))).toEqual([field]);
  });

  it('names every bad field at once', () => {
    const input = { ...aCreateOrderInput(), customerId: '', items: [aLine({ quantity: 0, unitPrice: 1.001 })] } as Input;
    expect(fieldsOf(() => parseCreateOrderInput(input)).sort()).toEqual(['customerId', 'items.0.quantity', 'items.0.unitPrice']);
  });

  it('explains a lower-case country with its upper-case spelling', () => {
    const input = structuredClone(aCreateOrderInput()) as Input;
    input.shippingAddress.country = 'de';
    expect(issuesOf(() => parseCreateOrderInput(input))).toEqual([{ field: 'shippingAddress.country', message: 'must be upper case: DE' }]);
  });

  it('refuses a body that is not an object', () => {
    expect(fieldsOf(() => parseCreateOrderInput(null))).toEqual(['input']);
  });

  it('bounds prices and weights so that every total is exact: the largest order passes, a cent more is refused', () => {
    const largest = {
      ...aCreateOrderInput(),
      items: Array.from({ length: 500 }, (_, index) => aLine({ sku: `S-${index}`, quantity: 100_000, unitPrice: 1_000_000, weight: 100_000 })),
    };
    const cents = parseCreateOrderInput(largest).items.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    expect(Number.isSafeInteger(cents)).toBe(true);
    const input = { ...aCreateOrderInput(), items: [aLine({ unitPrice: 1_000_000.01, weight: 100_000.5 })] };
    expect(fieldsOf(() => parseCreateOrderInput(input))).toEqual(['items.0.unitPrice', 'items.0.weight']);
  });

  it('is BAD_USER_INPUT', () => {
    expect(() => parseCreateOrderInput({})).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('parseUpdateOrderInput', () => {
  it('keeps only what is given', () => {
    expect(parseUpdateOrderInput({ priority: 'same_day' })).toEqual({ priority: 'same_day' });
  });

  it('reads null as "no change" except for promisedDeliveryAt, where it removes the promise', () => {
    expect(parseUpdateOrderInput({ priority: null, items: null, shippingAddress: null, promisedDeliveryAt: null })).toEqual({ promisedDeliveryAt: null });
  });

  it('checks replacement lines like create does', () => {
    expect(fieldsOf(() => parseUpdateOrderInput({ items: [aLine(), aLine()] }))).toEqual(['items.1.sku']);
  });

  it.each([
    ['nothing to change', {}, 'input'],
    ['only nulls that change nothing', { priority: null }, 'input'],
    ['an unknown field', { priority: 'standard', customerId: 'CUST-2' }, 'customerId'],
    ['a bad promised time', { promisedDeliveryAt: '27/12/2024' }, 'promisedDeliveryAt'],
  ])('refuses %s', (_case, input, field) => {
    expect(fieldsOf(() => parseUpdateOrderInput(input))).toEqual([field]);
  });
});

describe('parsing the arguments of the other operations', () => {
  it.each([
    ['cancel reason missing', () => parseCancelReason(undefined), 'reason'],
    ['cancel reason blank', () => parseCancelReason('  '), 'reason'],
    ['cancel reason of 501 characters', () => parseCancelReason('r'.repeat(501)), 'reason'],
    ['wave id with a slash', () => parseWaveId('WAVE/1'), 'waveId'],
    ['wave id of 65 characters', () => parseWaveId('W'.repeat(65)), 'waveId'],
    ['shipment without carrier', () => parseShipment({ trackingNumber: '1Z999' }), 'carrier'],
    ['tracking number of 65 characters', () => parseShipment({ trackingNumber: 'T'.repeat(65), carrier: 'UPS' }), 'trackingNumber'],
    ['delivery time without offset', () => parseDeliveredAt('2024-01-15T10:00:00', NOW), 'deliveredAt'],
    ['no fulfilment lines', () => parsePartialFulfillment([]), 'lines'],
    ['fulfilment lines not a list', () => parsePartialFulfillment('SKU-001'), 'lines'],
    ['a negative fulfilled quantity', () => parsePartialFulfillment([{ sku: 'A', quantityFulfilled: -1, reason: 'damaged' }]), 'lines.0.quantityFulfilled'],
    ['an unknown backorder reason', () => parsePartialFulfillment([{ sku: 'A', quantityFulfilled: 1, reason: 'lost' }]), 'lines.0.reason'],
    [
      'a sku reported twice',
      () =>
        parsePartialFulfillment([
          { sku: 'A', quantityFulfilled: 1 },
          { sku: 'A', quantityFulfilled: 2 },
        ]),
      'lines.1.sku',
    ],
    ['a failure without reason', () => parseRetryFailure({ failedAt: '2024-01-15T10:30:00Z' }), 'failureReason'],
    ['a failure reason of 1001 characters', () => parseRetryFailure({ failureReason: 'f'.repeat(1001) }), 'failureReason'],
    ['a failure time without offset', () => parseRetryFailure({ failureReason: 'x', failedAt: '2024-01-15 10:30' }), 'failedAt'],
    ['a DLQ move without failure status', () => parseDlqMove({ failureReason: 'x' }), 'failureStatus'],
    ['a DLQ move without failure reason', () => parseDlqMove({ failureStatus: 'picking' }), 'failureReason'],
    ['an unknown resolution', () => parseDlqResolution({ resolution: 'ignored' }), 'resolution'],
    ['resolution notes of 2001 characters', () => parseDlqResolution({ resolution: 'escalated', notes: 'n'.repeat(2001) }), 'notes'],
    ['a resolver id of 65 characters', () => parseDlqResolution({ resolution: 'escalated', resolvedBy: 'S'.repeat(65) }), 'resolvedBy'],
  ])('refuses %s, naming the field', (_case, parse, field) => {
    expect(fieldsOf(parse)).toEqual([field]);
  });

  it('reads valid arguments', () => {
    expect(parseCancelReason(' Customer request ')).toBe('Customer request');
    expect(parseWaveId('WAVE-2024-00123')).toBe('WAVE-2024-00123');
    expect(parseShipment({ trackingNumber: '1Z999', carrier: 'UPS' })).toEqual({ trackingNumber: '1Z999', carrier: 'UPS' });
    expect(parseDeliveredAt('2024-01-15T12:00:00+01:00', NOW)).toEqual(new Date('2024-01-15T11:00:00Z'));
    expect(
      parsePartialFulfillment([
        { sku: 'SKU-001', quantityFulfilled: 3, reason: 'quantity_mismatch' },
        { sku: 'SKU-002', quantityFulfilled: 1 },
      ]),
    ).toEqual([
      { sku: 'SKU-001', quantityFulfilled: 3, reason: 'quantity_mismatch' },
      { sku: 'SKU-002', quantityFulfilled: 1, reason: null },
    ]);
    expect(parseDlqMove({ failureStatus: 'picking', failureReason: 'Max retries exceeded' })).toEqual({
      failureStatus: 'picking',
      failureReason: 'Max retries exceeded',
    });
  });

  it('defaults the delivery time to now', () => {
    expect(parseDeliveredAt(undefined, NOW)).toBe(NOW);
    expect(parseDeliveredAt(null, NOW)).toBe(NOW);
  });

  it('leaves the failure time and status to the order when not given', () => {
    expect(parseRetryFailure({ failureReason: 'Picking station offline' })).toEqual({
      failureReason: 'Picking station offline',
      failedAt: null,
      failureStatus: null,
      workflowId: null,
      runId: null,
    });
    expect(parseRetryFailure({ failureReason: 'x', failedAt: '2024-01-15T10:30:00Z', failureStatus: 'shipping', workflowId: 'wf', runId: 'run' })).toEqual({
      failureReason: 'x',
      failedAt: new Date('2024-01-15T10:30:00Z'),
      failureStatus: 'shipping',
      workflowId: 'wf',
      runId: 'run',
    });
  });

  it('reads a resolution with blank notes as no notes', () => {
    expect(parseDlqResolution({ resolution: 'manual_retry', notes: '  ', resolvedBy: 'SUPERVISOR-001' })).toEqual({
      resolution: 'manual_retry',
      notes: null,
      resolvedBy: 'SUPERVISOR-001',
    });
  });
});

describe('failure statuses', () => {
  it.each(['pick\u0000ing', 'pick\ning', '\tpicking', 'picking\u0085'])('refuse control characters: %j', (status) => {
    expect(fieldsOf(() => parseDlqMove({ failureStatus: status, failureReason: 'lost' }))).toEqual(['failureStatus']);
    expect(fieldsOf(() => parseRetryFailure({ failureReason: 'lost', failureStatus: status }))).toEqual(['failureStatus']);
  });

  it('keep any other text, trimmed', () => {
    expect(parseDlqMove({ failureStatus: ' Versand – Zone 3 ', failureReason: 'lost' }).failureStatus).toBe('Versand – Zone 3');
  });
});

describe('text limits', () => {
  it('count characters as JSON Schema does (code points), not UTF-16 units', () => {
    const phone = '𝕿'.repeat(50);
    expect(phone.length).toBe(100);
    expect(
      parseCreateOrderInput({ ...aCreateOrderInput(), shippingAddress: { ...(aCreateOrderInput().shippingAddress as Input), phone } }).shippingAddress.phone,
    ).toBe(phone);
    expect(
      fieldsOf(() =>
        parseCreateOrderInput({ ...aCreateOrderInput(), shippingAddress: { ...(aCreateOrderInput().shippingAddress as Input), phone: `${phone}1` } }),
      ),
    ).toEqual(['shippingAddress.phone']);
  });
});
