import type { z } from 'zod/v4';
import { toJsonSchema, withoutNull, type JsonSchema } from './json-schema';

/**
 * Representation only: REST carries query parameters as strings and enum values in the brief's lower case,
 * GraphQL wants typed values and upper-case enum names. Query strings are read as the type their schema declares
 * (so the schema that validates them also says how they are written); what does not read cleanly is passed on
 * unchanged, for the schema to refuse with the parameter's name.
 */

export type QueryValue = string | string[] | undefined;

/**
 * Lower-case REST value → GraphQL enum name (`same_day` → `SAME_DAY`). Values reach this only after the REST
 * schemas accepted them, so they are one of the brief's lower-case values.
 */
export function toEnumName<T extends string>(value: unknown): T {
  return (typeof value === 'string' ? value.toUpperCase() : value) as T;
}

/** GraphQL enum name → REST value (`ASSIGNED_TO_WAVE` → `assigned_to_wave`). */
export function fromEnumName<T extends string>(value: T): Lowercase<T>;
export function fromEnumName<T extends string>(value: T | null): Lowercase<T> | null;
export function fromEnumName<T extends string>(value: T | null): Lowercase<T> | null {
  return value === null ? null : (value.toLowerCase() as Lowercase<T>);
}

/** A number as a client or a fuzzer writes it in a URL: `1.5`, `.5`, `-1`, `1e-05`. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Integers are written in digits only: `?pageSize=1e2` is refused rather than read as 100. */
const DIGITS = /^[+-]?\d+$/;

/** `?n=1.5` → 1.5; anything that is not a plain decimal number stays a string. */
export function readNumber(value: string): number | string {
  return DECIMAL.test(value) ? Number(value) : value;
}

/** `?page=2` → 2; anything else (`1.5`, `1e2`, `two`) stays a string, which an integer schema refuses. */
export function readInteger(value: string): number | string {
  return DIGITS.test(value) ? Number(value) : value;
}

/** `?resolved=true|false` → boolean; anything else stays a string. */
export function readBoolean(value: string): boolean | string {
  return value === 'true' ? true : value === 'false' ? false : value;
}

/** Repeatable or comma-separated (`?status=picking&status=packing` or `?status=picking,packing`). */
export function readList(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')).map((part) => part.trim());
}

type Reader = (value: string | string[]) => unknown;

const single =
  (read: (value: string) => unknown): Reader =>
  (value) =>
    Array.isArray(value) ? value : read(value);

function readerFor(schema: JsonSchema): Reader {
  switch (withoutNull(schema).type) {
    case 'integer':
      return single(readInteger);
    case 'number':
      return single(readNumber);
    case 'boolean':
      return single(readBoolean);
    case 'array':
      return readList;
    default:
      // A repeated text parameter stays a list, which its schema refuses.
      return (value) => value;
  }
}

/** The query parameters a schema reads, each read as the type the schema declares for it. */
export function queryReader(schema: z.ZodObject): { names: readonly string[]; read(query: Record<string, QueryValue>): Record<string, unknown> } {
  const properties = (toJsonSchema(schema, 'input').properties ?? {}) as Record<string, JsonSchema>;
  const readers = new Map(Object.entries(properties).map(([name, property]) => [name, readerFor(property)]));
  return {
    names: [...readers.keys()],
    read: (query) => Object.fromEntries(Object.entries(query).flatMap(([name, value]) => (value === undefined ? [] : [[name, readers.get(name)!(value)]]))),
  };
}
