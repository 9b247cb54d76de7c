/** Small builders for order inputs in the brief's shape (GraphQL enum names for priority). */
let sequence = 0;

export function orderInput(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    customerId: `CUST-${String(sequence).padStart(3, '0')}`,
    priority: 'STANDARD',
    promisedDeliveryAt: '2099-12-27T17:00:00Z',
    items: [
      { sku: 'SKU-001', quantity: 3, unitPrice: 19.99, productName: 'Widget', weight: 0.5 },
      { sku: 'SKU-002', quantity: 1, unitPrice: 0.1 },
    ],
    shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US' },
    ...overrides,
  };
}

export const ORDER_FIELDS = `
  id customerId priority status promisedDeliveryAt version isLate
  totalItems totalQuantity totalWeight totalValue
  waveId trackingNumber carrier deliveredAt fulfillmentRatio deadLettered
  cancellation { reason cancelledAt }
  items { sku quantity unitPrice productName weight quantityFulfilled quantityBackordered }
  shippingAddress { street street2 city state zipCode country recipientName phone }
  backorders { backorderId status items { sku quantityShort reason } }
  statusHistory { from to reason correlationId }
  customer { id } wave { id }
`;
