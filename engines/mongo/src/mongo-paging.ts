import type { Document } from 'mongodb';
import { decodeCursor, encodeCursor, InvalidInputError } from '@krint/engine-sdk';
import { fromJsonValue, toJsonValue } from './mongo-ejson.js';

/**
 * Keyset paging on `_id`: each page asks for `_id` greater than the last one seen, sorted by
 * `_id`, so a page costs the same wherever it is and inserts do not shift pages.
 *
 * `{ _id: { $gt: x } }` only matches `_id`s of x's own BSON type (MongoDB's "type bracketing"),
 * while the sort orders all types one after another. A collection mixing ObjectIds and strings
 * would therefore stop after the first type. The filter adds "or any `_id` of a type that sorts
 * after x's type", in MongoDB's comparison order.
 */
const TYPE_ORDER: readonly (readonly string[])[] = [
  ['minKey'],
  ['null'],
  ['int', 'long', 'double', 'decimal'],
  ['symbol', 'string'],
  ['object'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
  ['maxKey'],
];

/** BSON type alias of a deserialized value, as `$type` names it. */
export function bsonTypeAlias(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  const bsonType = (value as { _bsontype?: string })._bsontype;
  switch (bsonType) {
    case 'ObjectId':
      return 'objectId';
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'BSONRegExp':
      return 'regex';
    case 'BSONSymbol':
      return 'symbol';
    default:
      return 'object';
  }
}

/** The filter for the page after `lastId`; `{}` for the first page. */
export function afterIdFilter(lastId: unknown): Document {
  const alias = bsonTypeAlias(lastId);
  const group = TYPE_ORDER.findIndex((aliases) => aliases.includes(alias));
  const laterTypes = TYPE_ORDER.slice(group + 1).flat();
  const sameType: Document = { _id: { $gt: lastId } };
  return laterTypes.length === 0 ? sameType : { $or: [sameType, { _id: { $type: laterTypes } }] };
}

export function encodeIdCursor(lastId: unknown): string {
  return encodeCursor([toJsonValue(lastId)]);
}

export function decodeIdCursor(cursor: string): unknown {
  const values = decodeCursor(cursor);
  if (values.length !== 1) throw new InvalidInputError('The page cursor is not valid; start again from the first page.', 'cursor');
  return fromJsonValue(values[0], 'cursor');
}

/** Sort order matching {@link afterIdFilter}. */
export const ID_ORDER = { _id: 1 } as const;
