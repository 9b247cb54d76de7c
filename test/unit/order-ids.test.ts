import { BACKORDER_ID_PATTERN, ORDER_ID_PATTERN, newBackorderId, newOrderId } from '../../src/models/order-ids';

describe('order ids', () => {
  it('are ORD- followed by 12 upper-case Crockford base32 characters', () => {
    for (let i = 0; i < 200; i++) expect(newOrderId()).toMatch(/^ORD-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}$/);
  });

  it('backorder ids are BO- followed by 12 of the same characters', () => {
    for (let i = 0; i < 200; i++) expect(newBackorderId()).toMatch(/^BO-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}$/);
  });

  it('do not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newOrderId));
    expect(ids.size).toBe(10_000);
  });

  it.each([
    { id: 'ORD-0123456789AB', order: true, backorder: false },
    { id: 'BO-0123456789AB', order: false, backorder: true },
    { id: 'ORD-0123456789IL', order: false, backorder: false },
    { id: 'ORD-0123456789ab', order: false, backorder: false },
    { id: 'ORD-0123456789A', order: false, backorder: false },
    { id: 'ORD-12345', order: false, backorder: false },
  ])('patterns read $id as order id: $order, backorder id: $backorder', ({ id, order, backorder }) => {
    expect(ORDER_ID_PATTERN.test(id)).toBe(order);
    expect(BACKORDER_ID_PATTERN.test(id)).toBe(backorder);
  });
});
