import { beforeAll, describe, expect, it } from 'vitest';
import { Long, MaxKey, ObjectId } from 'mongodb';
import { mongodbDriver } from './mongo-driver.js';
import { afterIdFilter, bsonTypeAlias, decodeIdCursor, encodeIdCursor } from './mongo-paging.js';

// Extended JSON goes through the driver's BSON, which sessions load when they open.
beforeAll(() => mongodbDriver.load());

describe('keyset paging on _id', () => {
  it('round-trips cursors for every common _id type', () => {
    const id = new ObjectId();
    expect((decodeIdCursor(encodeIdCursor(id)) as ObjectId).equals(id)).toBe(true);
    expect(decodeIdCursor(encodeIdCursor('user-17'))).toBe('user-17');
    expect(String(decodeIdCursor(encodeIdCursor(Long.fromString('9007199254740993'))))).toBe('9007199254740993');
    expect((decodeIdCursor(encodeIdCursor(new Date(5))) as Date).getTime()).toBe(5);
    const numeric = decodeIdCursor(encodeIdCursor(42));
    expect(Number(numeric)).toBe(42);
    expect(bsonTypeAlias(numeric)).toBe('int');
  });

  it('refuses cursors that were not made here', () => {
    expect(() => decodeIdCursor('garbage')).toThrow(/cursor is not valid/);
    expect(() => decodeIdCursor(Buffer.from('[1,2]').toString('base64url'))).toThrow(/cursor is not valid/);
  });

  it('continues into _id types that sort after the last one (MongoDB compares $gt within one type only)', () => {
    const id = new ObjectId();
    expect(afterIdFilter(id)).toEqual({
      $or: [{ _id: { $gt: id } }, { _id: { $type: ['bool', 'date', 'timestamp', 'regex', 'maxKey'] } }],
    });
    expect(afterIdFilter('m')).toEqual({
      $or: [{ _id: { $gt: 'm' } }, { _id: { $type: ['object', 'binData', 'objectId', 'bool', 'date', 'timestamp', 'regex', 'maxKey'] } }],
    });
    const numberFilter = afterIdFilter(7) as { $or: { _id: { $type?: string[] } }[] };
    expect(numberFilter.$or[1]?._id.$type?.[0]).toBe('symbol');
    expect(afterIdFilter(new MaxKey())).toEqual({ _id: { $gt: new MaxKey() } });
  });

  it('names BSON types as $type does', () => {
    expect(bsonTypeAlias(new ObjectId())).toBe('objectId');
    expect(bsonTypeAlias(1)).toBe('int');
    expect(bsonTypeAlias(1.5)).toBe('double');
    expect(bsonTypeAlias(Long.fromNumber(1))).toBe('long');
    expect(bsonTypeAlias('s')).toBe('string');
    expect(bsonTypeAlias({ a: 1 })).toBe('object');
    expect(bsonTypeAlias(null)).toBe('null');
  });
});
