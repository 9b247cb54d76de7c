import { parseRfc3339 } from '../../src/models/rfc3339';

describe('parseRfc3339', () => {
  it.each([
    { text: '2024-12-27T17:00:00Z', instant: '2024-12-27T17:00:00.000Z' },
    { text: '2024-12-27t17:00:00z', instant: '2024-12-27T17:00:00.000Z' },
    { text: '2024-12-27T19:00:00+02:00', instant: '2024-12-27T17:00:00.000Z' },
    { text: '2024-12-27T12:30:00-04:30', instant: '2024-12-27T17:00:00.000Z' },
    { text: '2024-12-27T17:00:00.123456Z', instant: '2024-12-27T17:00:00.123Z' },
    { text: '2024-12-27T17:00:00.5Z', instant: '2024-12-27T17:00:00.500Z' },
    { text: '2024-02-29T00:00:00Z', instant: '2024-02-29T00:00:00.000Z' },
    { text: '2000-02-29T00:00:00Z', instant: '2000-02-29T00:00:00.000Z' },
    { text: '0099-01-01T00:00:00Z', instant: '0099-01-01T00:00:00.000Z' },
  ])('reads $text as $instant', ({ text, instant }) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(instant);
  });

  it.each([
    ['without an offset', '2024-12-27T17:00:00'],
    ['date only', '2024-12-27'],
    ['with a space instead of T', '2024-12-27 17:00:00Z'],
    ['on 30 February', '2024-02-30T10:00:00Z'],
    ['on 29 February of a common year', '2023-02-29T10:00:00Z'],
    ['on 29 February 1900', '1900-02-29T10:00:00Z'],
    ['in month 13', '2024-13-01T10:00:00Z'],
    ['at hour 24', '2024-12-27T24:00:00Z'],
    ['at a leap second', '2016-12-31T23:59:60Z'],
    ['with an offset of 24 hours', '2024-12-27T17:00:00+24:00'],
    ['with a compact offset', '2024-12-27T17:00:00+0200'],
    ['as free text', 'tomorrow'],
    ['as an empty string', ''],
  ])('refuses a date-time %s', (_case, text) => {
    expect(parseRfc3339(text)).toBeNull();
  });
});
