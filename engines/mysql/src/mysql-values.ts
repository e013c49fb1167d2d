import type { FieldPacket } from 'mysql2';
import { InvalidInputError, type JsonValue } from '@krint/engine-sdk';

/**
 * Values cross the API as JSON. The driver is configured to hand over BIGINT and DECIMAL as strings
 * and dates as the server's text, so no precision or time zone is lost on the way; this file turns
 * what is left (binary data, BIT, date text) into JSON and back.
 */

/** Column type numbers of the client/server protocol (the same in MySQL and MariaDB). */
export const ProtocolType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

/** The character set number the protocol uses for binary data. */
const BINARY_CHARSET = 63;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ProtocolType.DECIMAL]: 'decimal',
  [ProtocolType.NEWDECIMAL]: 'decimal',
  [ProtocolType.TINY]: 'tinyint',
  [ProtocolType.SHORT]: 'smallint',
  [ProtocolType.LONG]: 'int',
  [ProtocolType.INT24]: 'mediumint',
  [ProtocolType.LONGLONG]: 'bigint',
  [ProtocolType.FLOAT]: 'float',
  [ProtocolType.DOUBLE]: 'double',
  [ProtocolType.NULL]: 'null',
  [ProtocolType.TIMESTAMP]: 'timestamp',
  [ProtocolType.DATE]: 'date',
  [ProtocolType.NEWDATE]: 'date',
  [ProtocolType.TIME]: 'time',
  [ProtocolType.DATETIME]: 'datetime',
  [ProtocolType.YEAR]: 'year',
  [ProtocolType.BIT]: 'bit',
  [ProtocolType.VECTOR]: 'vector',
  [ProtocolType.JSON]: 'json',
  [ProtocolType.ENUM]: 'enum',
  [ProtocolType.SET]: 'set',
  [ProtocolType.GEOMETRY]: 'geometry',
};

const TEXTUAL_TYPES: Readonly<Record<number, readonly [text: string, binary: string]>> = {
  [ProtocolType.VARCHAR]: ['varchar', 'varbinary'],
  [ProtocolType.VAR_STRING]: ['varchar', 'varbinary'],
  [ProtocolType.STRING]: ['char', 'binary'],
  [ProtocolType.TINY_BLOB]: ['tinytext', 'tinyblob'],
  [ProtocolType.BLOB]: ['text', 'blob'],
  [ProtocolType.MEDIUM_BLOB]: ['mediumtext', 'mediumblob'],
  [ProtocolType.LONG_BLOB]: ['longtext', 'longblob'],
};

/** A result column's type name, e.g. `bigint`, `varchar`, `blob`, `json`. */
export function fieldTypeName(field: FieldPacket): string {
  const extended = field.extendedTypeName ?? (field.extendedFormat === 'json' ? 'json' : undefined);
  if (extended) return extended;
  const type = field.columnType ?? field.type ?? -1;
  const textual = TEXTUAL_TYPES[type];
  if (textual) return field.characterSet === BINARY_CHARSET ? textual[1] : textual[0];
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Turns one value as the driver returned it into JSON, using the column's protocol type. */
export function fromDriverValue(value: unknown, field: FieldPacket): JsonValue {
  if (value === null || value === undefined) return null;
  const type = field.columnType ?? field.type;
  if (Buffer.isBuffer(value)) {
    if (type === ProtocolType.BIT) return bitValue(value);
    return value.toString('base64');
  }
  if (typeof value === 'string') {
    if (type === ProtocolType.DATETIME) return isoDateTime(value, false);
    // The session time zone is UTC, so a TIMESTAMP's text is a UTC instant.
    if (type === ProtocolType.TIMESTAMP) return isoDateTime(value, true);
    return value;
  }
  return toJsonValue(value);
}

/** `2024-05-01 10:00:00.5` → `2024-05-01T10:00:00.5` (+`Z` for instants); zero dates stay as stored. */
export function isoDateTime(text: string, utc: boolean): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) || text.startsWith('0000-00-00')) return text;
  return `${text.replace(' ', 'T')}${utc ? 'Z' : ''}`;
}

/** BIT(n) as a number when it fits exactly, otherwise as a decimal string. */
function bitValue(bytes: Buffer): JsonValue {
  let result = 0n;
  for (const byte of bytes) result = (result << 8n) | BigInt(byte);
  return result <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(result) : result.toString();
}

/** Makes any driver value JSON-safe: bigint as string, Date as ISO, buffers as base64. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (n) => toJsonValue(n));
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJsonValue(item)]));
  }
  return String(value);
}

/** A row from the driver (as an array) → column name → JSON value, using the result's fields. */
export function rowFromDriver(values: readonly unknown[], fields: readonly FieldPacket[], names: readonly string[]): Record<string, JsonValue> {
  const row: Record<string, JsonValue> = {};
  fields.forEach((field, index) => {
    row[names[index] ?? field.name] = fromDriverValue(values[index], field);
  });
  return row;
}

/**
 * Column names for a result, made unique (`a`, `a (2)`) so two columns with one name, as in
 * `SELECT 1 AS a, 2 AS a`, both survive in a row object.
 */
export function uniqueColumnNames(fields: readonly FieldPacket[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((field) => {
    const count = (seen.get(field.name) ?? 0) + 1;
    seen.set(field.name, count);
    return count === 1 ? field.name : `${field.name} (${count})`;
  });
}

const BINARY_COLUMN = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/i;
const INSTANT_COLUMN = /^(timestamp|datetime)\b/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]00:?00)?$/;

/**
 * Turns a JSON value from a client into what the driver should send for a column of `columnType`
 * (the `COLUMN_TYPE` text, e.g. `varbinary(16)`): base64 back to bytes for binary columns, ISO date
 * text back to the server's form, objects and arrays to JSON text.
 */
export function toDriverValue(value: JsonValue, columnType: string, column: string): unknown {
  if (value === null) return null;
  if (typeof value === 'string') {
    if (BINARY_COLUMN.test(columnType)) {
      if (!BASE64.test(value) || value.length % 4 !== 0) {
        throw new InvalidInputError(`Column "${column}" holds binary data; send it as base64.`, column);
      }
      return Buffer.from(value, 'base64');
    }
    if (INSTANT_COLUMN.test(columnType)) {
      const match = ISO_INSTANT.exec(value);
      // The session time zone is UTC, so a UTC instant is the server's text without the zone.
      if (match) return `${match[1]} ${match[2]}`;
    }
    return value;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}
