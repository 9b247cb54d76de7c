import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks events against `docs/asyncapi.yaml`: the published contract, not a copy of it. The document's schemas are
 * plain JSON Schema (draft-07, the AsyncAPI default schema format), so after inlining its local `$ref`s ajv validates
 * them as they are, in strict mode (a keyword ajv does not know fails the load rather than being ignored).
 */

export const ASYNCAPI_PATH = join(__dirname, '..', '..', 'docs', 'asyncapi.yaml');
export const ORDER_EVENTS_CHANNEL = 'orderEvents';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface AsyncApiMessage {
  /** The key of the message in the channel. */
  key: string;
  /** The CloudEvents type it carries (the message `name`). */
  name: string;
  contentType: string | undefined;
  payload: JsonObject;
  headers: JsonObject | undefined;
  kafkaKey: JsonObject | undefined;
}

export interface AsyncApiContract {
  document: JsonObject;
  address: string;
  messages: Map<string, AsyncApiMessage>;
}

function pointer(document: JsonObject, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, part) => {
      if (node === null || typeof node !== 'object' || !(part in node)) throw new Error(`unresolvable $ref ${ref}`);
      return (node as JsonObject)[part];
    }, document);
}

/** Replaces every local `$ref` by what it points at (keywords beside the `$ref` are kept); refuses cycles. */
export function inlineRefs(node: Json, document: JsonObject, seen: readonly string[] = []): Json {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, document, seen));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node;
  const inlinedRest = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inlineRefs(value, document, seen)]));
  if (typeof $ref !== 'string') return inlinedRest;
  if (seen.includes($ref)) throw new Error(`cyclic $ref ${$ref}`);
  const target = inlineRefs(pointer(document, $ref), document, [...seen, $ref]);
  if (target === null || typeof target !== 'object' || Array.isArray(target)) throw new Error(`$ref ${$ref} is not an object`);
  return { ...target, ...inlinedRest };
}

let cached: AsyncApiContract | null = null;

export function loadAsyncApi(path = ASYNCAPI_PATH): AsyncApiContract {
  if (path === ASYNCAPI_PATH && cached) return cached;
  const document = parse(readFileSync(path, 'utf8')) as JsonObject;
  const channels = document.channels as JsonObject | undefined;
  const channel = inlineRefs(channels?.[ORDER_EVENTS_CHANNEL] ?? null, document) as JsonObject | null;
  if (!channel) throw new Error(`${path}: no channel ${ORDER_EVENTS_CHANNEL}`);
  const messages = new Map<string, AsyncApiMessage>();
  for (const [key, raw] of Object.entries((channel.messages ?? {}) as JsonObject)) {
    const message = raw as JsonObject;
    const name = message.name;
    if (typeof name !== 'string') throw new Error(`${path}: message ${key} has no name`);
    if (messages.has(name)) throw new Error(`${path}: two messages are named ${name}`);
    const kafka = ((message.bindings as JsonObject | undefined)?.kafka ?? undefined) as JsonObject | undefined;
    messages.set(name, {
      key,
      name,
      contentType: (message.contentType as string | undefined) ?? (document.defaultContentType as string | undefined),
      payload: message.payload as JsonObject,
      headers: message.headers as JsonObject | undefined,
      kafkaKey: kafka?.key as JsonObject | undefined,
    });
  }
  const contract = { document, address: String(channel.address), messages };
  if (path === ASYNCAPI_PATH) cached = contract;
  return contract;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

const validators = new Map<string, { payload: ValidateFunction; headers?: ValidateFunction; key?: ValidateFunction }>();

function validatorsFor(message: AsyncApiMessage) {
  let found = validators.get(message.name);
  if (!found) {
    const ajv = newAjv();
    found = {
      payload: ajv.compile(message.payload),
      headers: message.headers ? ajv.compile(message.headers) : undefined,
      key: message.kafkaKey ? ajv.compile(message.kafkaKey) : undefined,
    };
    validators.set(message.name, found);
  }
  return found;
}

function explain(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`).join('; ');
}

/** Kafka header values arrive as Buffers (or arrays of them); compare them as strings. */
function headersAsStrings(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return out;
}

export interface KafkaRecordParts {
  key?: Buffer | string | null;
  headers?: Record<string, unknown>;
}

/**
 * Throws unless `event` (a CloudEvent, parsed from JSON) is one of the documented messages and matches its schema;
 * given the Kafka record's key and headers, checks those too.
 */
export function assertMatchesAsyncApi(event: unknown, record: KafkaRecordParts = {}): void {
  const type = event !== null && typeof event === 'object' ? (event as { type?: unknown }).type : undefined;
  const message = typeof type === 'string' ? loadAsyncApi().messages.get(type) : undefined;
  if (!message) throw new Error(`event type ${JSON.stringify(type)} is not a message of docs/asyncapi.yaml`);
  const { payload, headers, key } = validatorsFor(message);
  if (!payload(event)) throw new Error(`${type} event does not match docs/asyncapi.yaml: ${explain(payload)}\n${JSON.stringify(event)}`);
  if (record.headers !== undefined) {
    if (!headers) throw new Error(`${type}: the document describes no headers`);
    const values = headersAsStrings(record.headers);
    if (!headers(values)) throw new Error(`${type} record headers do not match docs/asyncapi.yaml: ${explain(headers)}`);
  }
  if (record.key !== undefined) {
    if (!key) throw new Error(`${type}: the document describes no Kafka key`);
    const value = record.key === null ? null : String(record.key);
    if (!key(value)) throw new Error(`${type} record key ${JSON.stringify(value)} does not match docs/asyncapi.yaml: ${explain(key)}`);
    const subject = (event as { subject?: unknown }).subject;
    if (value !== subject) throw new Error(`${type} record key ${JSON.stringify(value)} is not the event subject ${JSON.stringify(subject)}`);
  }
}
