/**
 * Representation only: REST carries query parameters as strings and enum values in the brief's lower case,
 * GraphQL wants typed values and upper-case enum names. These helpers convert what converts cleanly and pass
 * anything else through unchanged, so that GraphQL rejects it and the error names the field — there is one
 * validator (the schema plus the domain), never a second one here.
 */

export type QueryValue = string | string[] | undefined;

/**
 * Lower-case REST value → GraphQL enum name (`same_day` → `SAME_DAY`). A value that is not lower case is turned
 * into one that cannot be a GraphQL enum name (names are upper case), so `SAME_DAY` or `Same_Day` are refused
 * like any unknown value instead of slipping through GraphQL's own coercion.
 */
export function toEnumName<T extends string>(value: unknown): T {
  if (typeof value !== 'string') return value as T;
  return (value === value.toLowerCase() ? value.toUpperCase() : value.toLowerCase()) as T;
}

/** GraphQL enum name → REST value (`ASSIGNED_TO_WAVE` → `assigned_to_wave`). */
export function fromEnumName<T extends string>(value: T): Lowercase<T>;
export function fromEnumName<T extends string>(value: T | null): Lowercase<T> | null;
export function fromEnumName<T extends string>(value: T | null): Lowercase<T> | null {
  return value === null ? null : (value.toLowerCase() as Lowercase<T>);
}

/** The REST values of a generated GraphQL enum object, e.g. for an error message or the OpenAPI document. */
export function enumValues<T extends Record<string, string>>(enumObject: T): Array<Lowercase<T[keyof T]>> {
  return Object.values(enumObject).map((name) => name.toLowerCase() as Lowercase<T[keyof T]>);
}

/** `?page=2` → 2; absent → undefined; anything else unchanged (GraphQL's Int refuses it, naming the parameter). */
export function queryInt(value: QueryValue): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value) ? Number(value) : (value as unknown as number);
}

/** `?hours=1.5` → 1.5; as queryInt for anything that is not a plain decimal number. */
export function queryNumber(value: QueryValue): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : (value as unknown as number);
}

/** `?resolved=true|false` → boolean; as queryInt otherwise. */
export function queryBoolean(value: QueryValue): boolean | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value as unknown as boolean | undefined;
}

/** A single string; a repeated parameter is passed on as a list, which GraphQL's String refuses. */
export function queryString(value: QueryValue): string | undefined {
  return value as string | undefined;
}

/** A single enum value (`?status=received`). */
export function queryEnum<T extends string>(value: QueryValue): T | undefined {
  return value === undefined ? undefined : toEnumName<T>(value);
}

/** Repeatable or comma-separated enum values (`?status=picking&status=packing` or `?status=picking,packing`). */
export function queryEnumList<T extends string>(value: QueryValue): T[] | undefined {
  if (value === undefined) return undefined;
  const values = (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')).map((part) => part.trim());
  return values.map((part) => toEnumName<T>(part));
}
