import type { Document, Long } from 'mongodb';
import { InvalidInputError, type JsonValue } from '@krint/engine-sdk';
import { mongodbDriver } from './mongo-driver.js';

/**
 * Documents cross the API as Extended JSON (relaxed): `ObjectId` ↔ `{ "$oid": "..." }`, dates ↔
 * `{ "$date": "..." }`, binary ↔ `{ "$binary": ... }`. Two deliberate differences from plain relaxed
 * mode, both so that saving a document shown in the editor does not change it:
 *
 * - 64-bit integers stay `{ "$numberLong": "..." }` (relaxed mode turns them into JSON numbers,
 *   which lose precision above 2^53 and come back as 32-bit integers or doubles);
 * - input is read in canonical mode, so `{ "$numberLong": "7" }` is stored as a 64-bit integer.
 */
export function toJsonDocument(document: Document): { [key: string]: JsonValue } {
  const { BSON, Long: longClass } = mongodbDriver.loaded();
  return BSON.EJSON.serialize(keepLongs(document, longClass), { relaxed: true }) as { [key: string]: JsonValue };
}

/** Any BSON value (an `_id`, a command reply field) as Extended JSON. */
export function toJsonValue(value: unknown): JsonValue {
  return toJsonDocument({ value }).value ?? null;
}

/** Reads an Extended JSON document; throws InvalidInputError naming the field when it is not one. */
export function fromJsonDocument(json: JsonValue | undefined, field = 'document'): Document {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidInputError(`The ${field} must be a JSON object.`, field);
  }
  const { EJSON } = mongodbDriver.loaded().BSON;
  try {
    return EJSON.deserialize(json, { relaxed: false }) as Document;
  } catch (error) {
    throw new InvalidInputError(`The ${field} is not valid Extended JSON: ${error instanceof Error ? error.message : String(error)}`, field);
  }
}

/** Reads one Extended JSON value, e.g. an `_id` given as `{ "$oid": "..." }`. */
export function fromJsonValue(json: JsonValue | undefined, field: string): unknown {
  if (json === undefined) throw new InvalidInputError(`The ${field} is missing.`, field);
  return fromJsonDocument({ value: json }, field).value;
}

/** Parses console text as an Extended JSON object (`{ "find": "users", "filter": {...} }`). */
export function parseJsonDocument(text: string, field: string): Document {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`The ${field} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, field);
  }
  return fromJsonDocument(parsed as JsonValue, field);
}

/** `longClass` is the driver's `Long`, passed down so the recursion does not look it up per value. */
function keepLongs(value: unknown, longClass: typeof Long): unknown {
  if (value instanceof longClass) return { $numberLong: value.toString() };
  if (Array.isArray(value)) return value.map((item) => keepLongs(item, longClass));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = keepLongs(item, longClass);
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
