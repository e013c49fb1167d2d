import { beforeAll, describe, expect, it } from 'vitest';
import { Binary, Decimal128, Int32, Long, ObjectId } from 'mongodb';
import { InvalidInputError } from '@krint/engine-sdk';
import { mongodbDriver } from './mongo-driver.js';
import { fromJsonDocument, fromJsonValue, parseJsonDocument, toJsonDocument, toJsonValue } from './mongo-ejson.js';

// Extended JSON goes through the driver's BSON, which sessions load when they open.
beforeAll(() => mongodbDriver.load());

describe('Extended JSON conversion', () => {
  const id = new ObjectId('65a1b2c3d4e5f60718293a4b');

  it('shows ObjectIds, dates, binaries and decimals as Extended JSON', () => {
    const json = toJsonDocument({
      _id: id,
      name: 'Ada',
      born: new Date('1815-12-10T00:00:00Z'),
      tags: ['math', { nested: new Int32(3) }],
      raw: new Binary(Buffer.from('hi')),
      price: Decimal128.fromString('9.99'),
    });
    expect(json).toEqual({
      _id: { $oid: '65a1b2c3d4e5f60718293a4b' },
      name: 'Ada',
      born: { $date: { $numberLong: String(Date.parse('1815-12-10T00:00:00Z')) } },
      tags: ['math', { nested: 3 }],
      raw: { $binary: { base64: 'aGk=', subType: '00' } },
      price: { $numberDecimal: '9.99' },
    });
    expect(toJsonValue(id)).toEqual({ $oid: id.toHexString() });
  });

  it('keeps 64-bit integers exact in both directions', () => {
    const big = Long.fromString('1152921504606846977');
    const json = toJsonDocument({ big, small: Long.fromNumber(5) });
    expect(json).toEqual({ big: { $numberLong: '1152921504606846977' }, small: { $numberLong: '5' } });
    const back = fromJsonDocument(json);
    expect(back.big).toBeInstanceOf(Long);
    expect((back.big as Long).toString()).toBe('1152921504606846977');
    expect((back.small as Long).toString()).toBe('5');
  });

  it('reads { "$oid": ... } back into an ObjectId, and round-trips a document unchanged', () => {
    const original = { _id: id, count: new Int32(2), at: new Date(1_700_000_000_000), list: [1.5, 'x'] };
    const back = fromJsonDocument(toJsonDocument(original));
    expect(back._id).toBeInstanceOf(ObjectId);
    expect((back._id as ObjectId).equals(id)).toBe(true);
    expect(toJsonDocument(back)).toEqual(toJsonDocument(original));
    expect(fromJsonValue({ $oid: id.toHexString() }, '_id')).toBeInstanceOf(ObjectId);
    expect(fromJsonValue('plain-string-id', '_id')).toBe('plain-string-id');
  });

  it('refuses documents that are not objects or not valid Extended JSON, naming the field', () => {
    expect(() => fromJsonDocument([1, 2] as never)).toThrow(/document must be a JSON object/);
    expect(() => fromJsonDocument('text')).toThrow(InvalidInputError);
    expect(() => fromJsonDocument({ _id: { $oid: 'not-hex' } })).toThrow(/not valid Extended JSON/);
    expect(() => parseJsonDocument('{ "find": ', 'command')).toThrow(/command is not valid JSON/);
    expect(() => fromJsonValue(undefined, '_id')).toThrow(/_id is missing/);
  });
});
