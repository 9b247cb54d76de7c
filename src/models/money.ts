/**
 * Money crosses the API as a decimal number (`29.99`) but is held and summed as integer cents:
 * in binary floating point 19.99 * 100 is 1998.9999999999998 and 0.1 + 0.2 is 0.30000000000000004.
 */

export type CentsConversion = { ok: true; cents: number } | { ok: false; problem: string };

/**
 * Reads the decimal digits of `amount` rather than multiplying it: `String(x)` is the shortest decimal
 * that parses back to the same double, i.e. exactly what the client wrote for any amount with up to
 * 15 significant digits. So 19.99 gives 1999 cents, while 0.30000000000000004 (17 decimals) is refused.
 */
export function toCents(amount: number): CentsConversion {
  if (!Number.isFinite(amount)) return { ok: false, problem: 'must be a finite number' };
  const digits = String(Math.abs(amount));
  if (digits.includes('e-')) return { ok: false, problem: 'must have at most 2 decimals' };
  if (digits.includes('e+')) return { ok: false, problem: 'is too large' };
  const [whole, fraction = ''] = digits.split('.');
  if (fraction.length > 2) return { ok: false, problem: 'must have at most 2 decimals' };
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return { ok: false, problem: 'is too large' };
  return { ok: true, cents: amount < 0 && cents !== 0 ? -cents : cents };
}

/** Like `toCents`, for amounts already known to be valid; throws a RangeError naming the problem otherwise. */
export function amountToCents(amount: number): number {
  const conversion = toCents(amount);
  if (!conversion.ok) throw new RangeError(`amount ${amount} ${conversion.problem}`);
  return conversion.cents;
}

/** Dividing an integer by 100 yields the double nearest the decimal, which prints as that decimal (6007 → 60.07). */
export function centsToAmount(cents: number): number {
  return cents / 100;
}

function assertExact(cents: number): number {
  // Beyond 2^53 integers lose precision silently; failing loudly is better than a wrong total.
  if (!Number.isSafeInteger(cents)) throw new RangeError(`money amount of ${cents} cents exceeds exact integer range`);
  return cents;
}

export function lineValueCents(unitPriceCents: number, quantity: number): number {
  return assertExact(unitPriceCents * quantity);
}

export function sumCents(values: readonly number[]): number {
  return assertExact(values.reduce((sum, cents) => sum + cents, 0));
}
