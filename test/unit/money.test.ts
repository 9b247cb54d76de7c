import { amountToCents, centsToAmount, lineValueCents, sumCents, toCents } from '../../src/models/money';

describe('toCents', () => {
  it.each([
    { amount: 19.99, cents: 1999 },
    { amount: 29.99, cents: 2999 },
    { amount: 0.1, cents: 10 },
    { amount: 0.2, cents: 20 },
    { amount: 1.1, cents: 110 },
    { amount: 0, cents: 0 },
    { amount: 5, cents: 500 },
    { amount: 1234567.89, cents: 123456789 },
    { amount: -1.5, cents: -150 },
  ])('reads $amount as $cents cents exactly', ({ amount, cents }) => {
    expect(toCents(amount)).toEqual({ ok: true, cents });
  });

  it.each([
    { amount: 1.005, problem: 'must have at most 2 decimals' },
    { amount: 0.001, problem: 'must have at most 2 decimals' },
    { amount: 1e-7, problem: 'must have at most 2 decimals' },
    { amount: 0.1 + 0.2, problem: 'must have at most 2 decimals' },
    { amount: Number.NaN, problem: 'must be a finite number' },
    { amount: Number.POSITIVE_INFINITY, problem: 'must be a finite number' },
    { amount: 1e21, problem: 'is too large' },
    { amount: 1e14, problem: 'is too large' },
  ])('refuses $amount: $problem', ({ amount, problem }) => {
    expect(toCents(amount)).toEqual({ ok: false, problem });
  });

  it('throws a RangeError through amountToCents for a refused amount', () => {
    expect(() => amountToCents(1.005)).toThrow(RangeError);
  });
});

describe('sums in cents', () => {
  it('3 × 19.99 + 1 × 0.10 is exactly 6007 cents, i.e. 60.07', () => {
    const total = sumCents([lineValueCents(amountToCents(19.99), 3), lineValueCents(amountToCents(0.1), 1)]);
    expect(total).toBe(6007);
    expect(centsToAmount(total)).toBe(60.07);
  });

  it('0.10 + 0.20 is exactly 0.30, unlike in binary floating point', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(centsToAmount(sumCents([amountToCents(0.1), amountToCents(0.2)]))).toBe(0.3);
  });

  it('19.99 × 100 read from the digits is 1999, not 1998.9999999999998', () => {
    expect(19.99 * 100).not.toBe(1999);
    expect(amountToCents(19.99)).toBe(1999);
  });

  it('refuses a total beyond exact integer range rather than rounding it', () => {
    expect(() => sumCents([Number.MAX_SAFE_INTEGER, 1])).toThrow(RangeError);
    expect(() => lineValueCents(Number.MAX_SAFE_INTEGER, 2)).toThrow(RangeError);
  });

  it('sums nothing to 0', () => {
    expect(sumCents([])).toBe(0);
  });
});
