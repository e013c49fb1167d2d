import { InvalidInputError } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { chooseRowKey } from './mysql-session.js';
import { insertColumns, keysetAfter, orderByKey, sameJson, setClause, whereKey, type ColumnMeta } from './mysql-statements.js';

const column = (name: string, type = 'int', extra: Partial<ColumnMeta> = {}): ColumnMeta => ({
  name,
  type,
  nullable: false,
  isPrimaryKey: false,
  autoIncrement: false,
  ...extra,
});

describe('keyset paging', () => {
  it('expands a composite key into an index-friendly OR chain', () => {
    const keys = [column('a'), column('b', 'varchar(10)'), column('c')];
    const after = keysetAfter(keys, [1, 'x', 3]);
    expect(after.sql).toBe('`a` > ? OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` > ?)');
    expect(after.params).toEqual([1, 1, 'x', 1, 'x', 3]);
    expect(orderByKey(keys)).toBe('`a`, `b`, `c`');
  });

  it('refuses a cursor that does not fit the key', () => {
    expect(() => keysetAfter([column('id')], [1, 2])).toThrow(InvalidInputError);
  });

  it('converts binary key values from base64', () => {
    expect(keysetAfter([column('id', 'binary(2)')], ['AP8=']).params).toEqual([Buffer.from([0, 255])]);
  });
});

describe('row statements', () => {
  const columns = [column('id', 'int', { isPrimaryKey: true }), column('name', 'varchar(20)', { nullable: true })];

  it('matches keys with = and IS NULL', () => {
    expect(whereKey(columns, { id: 7, name: null }, 't')).toEqual({ sql: '`id` = ? AND `name` IS NULL', params: [7] });
  });

  it('refuses unknown and empty column lists with clear errors', () => {
    expect(() => whereKey(columns, {}, 't')).toThrow(/key is empty/);
    expect(() => whereKey(columns, { 'id`; DROP TABLE t; --': 1 }, 't')).toThrow(/has no column/);
    expect(() => setClause(columns, {}, 't')).toThrow(/changes no column/);
    expect(() => insertColumns(columns, { nope: 1 }, 't')).toThrow(InvalidInputError);
  });

  it('builds SET and INSERT lists with placeholders', () => {
    expect(setClause(columns, { name: 'x' }, 't')).toEqual({ sql: '`name` = ?', params: ['x'] });
    expect(insertColumns(columns, { id: 1, name: 'x' }, 't')).toEqual({ names: '`id`, `name`', placeholders: '?, ?', params: [1, 'x'] });
  });

  it('compares JSON values the way clients see them', () => {
    expect(sameJson({ a: [1, 'b'] }, { a: [1, 'b'] })).toBe(true);
    expect(sameJson('10', 10)).toBe(true);
    expect(sameJson('10.50', 10.5)).toBe(true);
    expect(sameJson('', 0)).toBe(false);
    expect(sameJson(null, 0)).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});

describe('chooseRowKey', () => {
  const columns = [column('id'), column('email', 'varchar(50)'), column('nick', 'varchar(50)', { nullable: true }), column('x'), column('y')];

  it('prefers the primary key', () => {
    expect(chooseRowKey(columns, [{ index: 'PRIMARY', column: 'id', unique: true }, { index: 'u_email', column: 'email', unique: true }]).map((c) => c.name)).toEqual(['id']);
  });

  it('falls back to the smallest unique key over NOT NULL columns', () => {
    const key = chooseRowKey(columns, [
      { index: 'u_xy', column: 'x', unique: true },
      { index: 'u_xy', column: 'y', unique: true },
      { index: 'u_nick', column: 'nick', unique: true },
      { index: 'u_email', column: 'email', unique: true },
      { index: 'i_x', column: 'x', unique: false },
    ]);
    expect(key.map((c) => c.name)).toEqual(['email']);
  });

  it('finds no key when only nullable or non-unique indexes exist', () => {
    expect(chooseRowKey(columns, [{ index: 'u_nick', column: 'nick', unique: true }, { index: 'i_x', column: 'x', unique: false }])).toEqual([]);
  });
});
