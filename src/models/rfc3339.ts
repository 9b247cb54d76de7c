/**
 * Strict RFC 3339 date-time parsing. `Date.parse` is too lenient for an API boundary: it accepts
 * strings without an offset (and reads them as local time), rolls 31 February over into March and
 * understands many non-standard formats.
 */

const RFC3339_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * Returns the instant as a Date, or null when the text is not an RFC 3339 date-time with offset.
 * Leap seconds (`:60`) are refused because Date cannot represent them; digits beyond milliseconds are dropped.
 */
export function parseRfc3339(text: string): Date | null {
  const match = RFC3339_DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [, , , , , , , fraction, offsetSign, offsetHours, offsetMinutes] = match;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (offsetSign && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return null;

  const milliseconds = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 onto 1900–1999.
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute, second, milliseconds);
  if (offsetSign) {
    const offset = (offsetSign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
    instant.setTime(instant.getTime() - offset * 60_000);
  }
  return Number.isNaN(instant.getTime()) ? null : instant;
}
