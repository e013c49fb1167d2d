import type { FieldPacket } from 'mysql2';
import { describe, expect, it } from 'vitest';
import { fieldTypeName, fromDriverValue, isoDateTime, ProtocolType, toDriverValue, toJsonValue, uniqueColumnNames } from './mysql-values.js';

function field(columnType: number, characterSet = 45, name = 'c'): FieldPacket {
  return { columnType, characterSet, name } as unknown as FieldPacket;
}

describe('values from the driver', () => {
  it('turns date text into ISO, instants with Z, and keeps zero dates', () => {
    expect(fromDriverValue('2024-05-01 10:20:30', field(ProtocolType.DATETIME))).toBe('2024-05-01T10:20:30');
    expect(fromDriverValue('2024-05-01 10:20:30.125', field(ProtocolType.TIMESTAMP))).toBe('2024-05-01T10:20:30.125Z');
    expect(fromDriverValue('2024-05-01', field(ProtocolType.DATE))).toBe('2024-05-01');
    expect(isoDateTime('0000-00-00 00:00:00', true)).toBe('0000-00-00 00:00:00');
  });

  it('encodes binary as base64 and BIT as a number', () => {
    expect(fromDriverValue(Buffer.from([0, 255, 16]), field(ProtocolType.BLOB, 63))).toBe('AP8Q');
    expect(fromDriverValue(Buffer.from([1]), field(ProtocolType.BIT, 63))).toBe(1);
    expect(fromDriverValue(Buffer.from([255, 255, 255, 255, 255, 255, 255, 255]), field(ProtocolType.BIT, 63))).toBe('18446744073709551615');
  });

  it('keeps big numbers as the strings the driver returns', () => {
    expect(fromDriverValue('9007199254740993', field(ProtocolType.LONGLONG))).toBe('9007199254740993');
    expect(fromDriverValue('12345678901234567890.123456789', field(ProtocolType.NEWDECIMAL))).toBe('12345678901234567890.123456789');
  });

  it('makes anything else JSON-safe', () => {
    expect(toJsonValue(10n)).toBe('10');
    expect(toJsonValue(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(toJsonValue({ a: [1, Buffer.from('hi')] })).toEqual({ a: [1, 'aGk='] });
    expect(toJsonValue(Number.NaN)).toBe('NaN');
  });

  it('names result column types, telling text from binary', () => {
    expect(fieldTypeName(field(ProtocolType.VAR_STRING))).toBe('varchar');
    expect(fieldTypeName(field(ProtocolType.VAR_STRING, 63))).toBe('varbinary');
    expect(fieldTypeName(field(ProtocolType.LONGLONG))).toBe('bigint');
    expect(fieldTypeName({ ...field(ProtocolType.BLOB), extendedFormat: 'json' } as FieldPacket)).toBe('json');
  });

  it('makes duplicate result column names unique', () => {
    expect(uniqueColumnNames([field(1, 45, 'a'), field(1, 45, 'a'), field(1, 45, 'b')])).toEqual(['a', 'a (2)', 'b']);
  });
});

describe('values to the driver', () => {
  it('decodes base64 for binary columns and refuses anything else', () => {
    expect(toDriverValue('AP8Q', 'varbinary(16)', 'b')).toEqual(Buffer.from([0, 255, 16]));
    expect(() => toDriverValue('not base64!', 'blob', 'b')).toThrow(/base64/);
  });

  it('turns ISO instants into server text for date-time columns only', () => {
    expect(toDriverValue('2024-05-01T10:20:30.5Z', 'timestamp(3)', 't')).toBe('2024-05-01 10:20:30.5');
    expect(toDriverValue('2024-05-01T10:20:30', 'datetime', 't')).toBe('2024-05-01 10:20:30');
    expect(toDriverValue('2024-05-01T10:20:30Z', 'varchar(40)', 't')).toBe('2024-05-01T10:20:30Z');
  });

  it('sends objects as JSON text', () => {
    expect(toDriverValue({ a: 1 }, 'json', 'j')).toBe('{"a":1}');
    expect(toDriverValue(null, 'int', 'n')).toBeNull();
  });
});
