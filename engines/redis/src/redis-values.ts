import type { ChainableCommander, Redis } from 'ioredis';
import { InvalidInputError, type ColumnInfo, type JsonValue, type Row } from '@krint/engine-sdk';

/**
 * Keys as rows. Every row has the same columns, whatever the key's type:
 * `key`, `type`, `ttl` (seconds, `null` when the key never expires), `length` (characters of a
 * string, items of a collection) and `value` as JSON:
 *
 * | type   | value                                   |
 * |--------|-----------------------------------------|
 * | string | `"text"` (`{ "$base64": … }` when not UTF-8, read only) |
 * | hash   | `{ "field": "value" }`                  |
 * | list   | `["a", "b"]` in list order              |
 * | set    | `["a", "b"]` sorted                     |
 * | zset   | `[{ "member": "a", "score": 1 }]` by score |
 * | stream | `[{ "id": "1-0", "fields": {...} }]` (read only) |
 *
 * Values longer than {@link PREVIEW_ITEMS} items (or {@link PREVIEW_STRING_BYTES} bytes) are
 * shown cut, with `complete: false`; such keys cannot be edited here, since saving the preview
 * would drop the rest.
 */
export const KEY_COLUMNS: readonly ColumnInfo[] = [
  { name: 'key', type: 'string', nullable: false, isPrimaryKey: true },
  { name: 'type', type: 'string', nullable: false },
  { name: 'ttl', type: 'integer', nullable: true },
  { name: 'length', type: 'integer', nullable: false },
  { name: 'value', type: 'json', nullable: true },
  { name: 'complete', type: 'boolean', nullable: false },
];

export const PREVIEW_ITEMS = 1000;
export const PREVIEW_STRING_BYTES = 256 * 1024;

export const EDITABLE_TYPES = ['string', 'hash', 'list', 'set', 'zset'] as const;
export type EditableType = (typeof EDITABLE_TYPES)[number];

/** Reads several keys as rows with two pipelined round trips. Keys that vanished meanwhile are left out. */
export async function readKeyRows(client: Redis, keys: readonly string[]): Promise<Row[]> {
  if (keys.length === 0) return [];
  const meta = client.pipeline();
  for (const key of keys) meta.type(key).pttl(key);
  const metaResults = await execPipeline(meta);
  const types = keys.map((_, i) => String(metaResults[i * 2]));
  const ttls = keys.map((_, i) => Number(metaResults[i * 2 + 1]));

  const values = client.pipeline();
  keys.forEach((key, i) => queueValueRead(values, key, types[i]!));
  const valueResults = await execPipeline(values);

  const rows: Row[] = [];
  keys.forEach((key, i) => {
    const type = types[i]!;
    if (type === 'none') return;
    const [length, value, complete] = decodeValue(type, valueResults[i * 2], valueResults[i * 2 + 1]);
    const pttl = ttls[i]!;
    rows.push({ key, type, ttl: pttl >= 0 ? Math.ceil(pttl / 1000) : null, length, value, complete });
  });
  return rows;
}

/** Queues exactly two commands per key: its length and its (preview) value. */
function queueValueRead(pipeline: ChainableCommander, key: string, type: string): void {
  switch (type) {
    case 'string':
      pipeline.strlen(key).getrangeBuffer(key, 0, PREVIEW_STRING_BYTES - 1);
      break;
    case 'hash':
      pipeline.hlen(key).hscan(key, '0', 'COUNT', PREVIEW_ITEMS);
      break;
    case 'list':
      pipeline.llen(key).lrange(key, 0, PREVIEW_ITEMS - 1);
      break;
    case 'set':
      pipeline.scard(key).sscan(key, '0', 'COUNT', PREVIEW_ITEMS);
      break;
    case 'zset':
      pipeline.zcard(key).zrange(key, 0, PREVIEW_ITEMS - 1, 'WITHSCORES');
      break;
    case 'stream':
      pipeline.xlen(key).xrange(key, '-', '+', 'COUNT', PREVIEW_ITEMS);
      break;
    default:
      // Module types (JSON, time series...): shown by type only.
      pipeline.exists(key).exists(key);
  }
}

function decodeValue(type: string, lengthReply: unknown, valueReply: unknown): [number, JsonValue, boolean] {
  const length = Number(lengthReply);
  switch (type) {
    case 'string': {
      const bytes = valueReply as Buffer;
      const text = decodeUtf8(bytes, bytes.length < length);
      // Binary strings are shown as base64 and are never complete, so the editor cannot save a
      // text version of them over the original bytes.
      if (text === null) return [length, { $base64: bytes.toString('base64') }, false];
      return [length, text, bytes.length >= length];
    }
    case 'hash': {
      const [, flat] = valueReply as [string, string[]];
      const object: Record<string, JsonValue> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) object[flat[i]!] = flat[i + 1]!;
      return [length, object, Object.keys(object).length >= length];
    }
    case 'list': {
      const items = valueReply as string[];
      return [length, items, items.length >= length];
    }
    case 'set': {
      const [, members] = valueReply as [string, string[]];
      const unique = [...new Set(members)].sort();
      return [length, unique, unique.length >= length];
    }
    case 'zset': {
      const flat = valueReply as string[];
      const items: JsonValue[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) items.push({ member: flat[i]!, score: Number(flat[i + 1]) });
      return [length, items, items.length >= length];
    }
    case 'stream': {
      const entries = valueReply as [string, string[]][];
      const items: JsonValue[] = entries.map(([id, flat]) => {
        const fields: Record<string, JsonValue> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
        return { id, fields };
      });
      return [length, items, items.length >= length];
    }
    default:
      return [0, null, false];
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of `bytes`, or `null` when they are not valid UTF-8. A preview cut at a byte limit may
 * end inside a character, so up to three trailing bytes may be dropped from a cut preview.
 */
function decodeUtf8(bytes: Buffer, cut: boolean): string | null {
  for (let drop = 0; drop <= (cut ? 3 : 0) && drop < bytes.length; drop++) {
    try {
      return strictUtf8.decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      // try one byte shorter
    }
  }
  return bytes.length === 0 ? '' : null;
}

async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** A value checked and converted into the arguments Redis needs. */
export type TypedValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'hash'; readonly value: ReadonlyArray<readonly [string, string]> }
  | { readonly type: 'list' | 'set'; readonly value: readonly string[] }
  | { readonly type: 'zset'; readonly value: ReadonlyArray<readonly [number, string]> };

/** The type a JSON value is stored as when the row names none. */
export function inferType(value: JsonValue | undefined): EditableType {
  if (Array.isArray(value)) {
    return value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item) && 'member' in item)
      ? 'zset'
      : 'list';
  }
  if (typeof value === 'object' && value !== null) return 'hash';
  return 'string';
}

/**
 * Checks `value` against the shape of `type` (see {@link KEY_COLUMNS}) before anything is sent.
 * Numbers and booleans inside are stored as their text, as Redis itself does.
 */
export function toTypedValue(typeName: unknown, value: JsonValue | undefined): TypedValue {
  const type = typeName ?? inferType(value);
  if (typeof type !== 'string' || !(EDITABLE_TYPES as readonly string[]).includes(type)) {
    throw new InvalidInputError(`Keys of type "${String(type)}" cannot be edited here; editable types: ${EDITABLE_TYPES.join(', ')}.`, 'type');
  }
  switch (type as EditableType) {
    case 'string':
      return { type: 'string', value: scalarText(value, 'value') };
    case 'hash': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InvalidInputError('A hash value must be a JSON object of field → value.', 'value');
      }
      const entries = Object.entries(value).map(([field, item]) => [field, scalarText(item, `value.${field}`)] as const);
      if (entries.length === 0) throw new InvalidInputError('Redis cannot store an empty hash; delete the key instead.', 'value');
      return { type: 'hash', value: entries };
    }
    case 'list':
    case 'set': {
      if (!Array.isArray(value)) throw new InvalidInputError(`A ${type} value must be a JSON array of strings.`, 'value');
      if (value.length === 0) throw new InvalidInputError(`Redis cannot store an empty ${type}; delete the key instead.`, 'value');
      return { type: type as 'list' | 'set', value: value.map((item, i) => scalarText(item, `value[${i}]`)) };
    }
    case 'zset': {
      if (!Array.isArray(value) || value.length === 0) {
        throw new InvalidInputError('A zset value must be a non-empty JSON array of { "member": "...", "score": 1 }.', 'value');
      }
      return {
        type: 'zset',
        value: value.map((item, i) => {
          if (typeof item !== 'object' || item === null || Array.isArray(item)) {
            throw new InvalidInputError(`value[${i}] must be { "member": "...", "score": 1 }.`, 'value');
          }
          const score = item.score;
          if (typeof score !== 'number' || !Number.isFinite(score)) {
            throw new InvalidInputError(`value[${i}].score must be a finite number.`, 'value');
          }
          return [score, scalarText(item.member, `value[${i}].member`)] as const;
        }),
      };
    }
  }
}

function scalarText(value: JsonValue | undefined, field: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  throw new InvalidInputError(`${field} must be a string or a number.`, 'value');
}

/** Queues the commands that replace `key` with `typed` on a MULTI. */
export function queueWrite(multi: ChainableCommander, key: string, typed: TypedValue): void {
  multi.del(key);
  switch (typed.type) {
    case 'string':
      multi.set(key, typed.value);
      break;
    case 'hash':
      multi.hset(key, ...typed.value.flat());
      break;
    case 'list':
      multi.rpush(key, ...typed.value);
      break;
    case 'set':
      multi.sadd(key, ...typed.value);
      break;
    case 'zset':
      multi.zadd(key, ...typed.value.flat());
      break;
  }
}

/** Checks a TTL given in seconds: a positive integer, or `null` for "never expires". */
export function parseTtl(ttl: JsonValue | undefined): number | null {
  if (ttl === null) return null;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > 10 * 365 * 24 * 3600) {
    throw new InvalidInputError('ttl must be a whole number of seconds between 1 and ten years, or null for no expiry.', 'ttl');
  }
  return ttl;
}
