import { describe, expect, it } from 'vitest';
import { buildCellUpdate, buildInsertValues, columnKind, formatCell, moveCursor, parseCellInput, rowKey, type GridColumn } from './use-grid-edit.js';

const col = (name: string, type: string, nullable = true, isPrimaryKey = false): GridColumn => ({ name, type, nullable, isPrimaryKey });

describe('grid editing', () => {
  it('classifies column types the way the editor needs them', () => {
    expect(columnKind(col('n', 'integer'))).toBe('number');
    expect(columnKind(col('n', 'numeric(10,2)'))).toBe('number');
    expect(columnKind(col('b', 'boolean'))).toBe('boolean');
    expect(columnKind(col('j', 'jsonb'))).toBe('json');
    expect(columnKind(col('t', 'text'))).toBe('text');
    expect(columnKind(col('d', 'mixed'), { a: 1 })).toBe('json');
  });

  it('parses numbers, refusing text and fractions in integer columns', () => {
    expect(parseCellInput('42', col('n', 'integer'))).toEqual({ ok: true, value: 42 });
    expect(parseCellInput('4.5', col('n', 'numeric'))).toEqual({ ok: true, value: 4.5 });
    expect(parseCellInput('4.5', col('n', 'integer'))).toMatchObject({ ok: false });
    expect(parseCellInput('abc', col('n', 'bigint'))).toEqual({ ok: false, error: 'n needs a number (bigint).' });
    expect(parseCellInput('12345678901234567890', col('n', 'bigint'))).toEqual({ ok: true, value: '12345678901234567890' });
  });

  it('reads NULL only where the column allows it', () => {
    expect(parseCellInput('NULL', col('a', 'text'))).toEqual({ ok: true, value: null });
    expect(parseCellInput('null', col('a', 'text', false))).toEqual({ ok: false, error: 'a cannot be NULL.' });
    expect(parseCellInput('', col('a', 'text'), null)).toEqual({ ok: true, value: null });
    expect(parseCellInput('', col('a', 'text'), 'x')).toEqual({ ok: true, value: '' });
  });

  it('parses booleans and JSON with readable errors', () => {
    expect(parseCellInput('yes', col('b', 'bool'))).toEqual({ ok: true, value: true });
    expect(parseCellInput('f', col('b', 'boolean'))).toEqual({ ok: true, value: false });
    expect(parseCellInput('maybe', col('b', 'boolean'))).toMatchObject({ ok: false });
    expect(parseCellInput('{"a":[1,2]}', col('j', 'jsonb'))).toEqual({ ok: true, value: { a: [1, 2] } });
    const bad = parseCellInput('{"a":', col('j', 'json'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^j needs valid JSON/);
  });

  it('formats cells for display', () => {
    expect(formatCell(null)).toBe('NULL');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell(3)).toBe('3');
  });

  it('builds a single-cell update with the key and the value last seen', () => {
    const row = { id: 7, name: 'old', note: null };
    expect(buildCellUpdate(row, ['id'], 'name', 'new')).toEqual({ key: { id: 7 }, changes: { name: 'new' }, expected: { name: 'old' } });
    expect(buildCellUpdate(row, ['id'], 'name', 'old')).toBeNull();
    expect(buildCellUpdate(row, [], 'name', 'x')).toBeNull();
    expect(rowKey(row, ['id', 'missing'])).toBeNull();
  });

  it('builds insert values, leaving blanks to defaults and checking types', () => {
    const columns = [col('id', 'integer', false, true), col('name', 'text'), col('n', 'integer')];
    expect(buildInsertValues({ name: 'a', n: '3' }, columns)).toEqual({ ok: true, values: { name: 'a', n: 3 } });
    expect(buildInsertValues({ n: 'x' }, columns)).toMatchObject({ ok: false });
    expect(buildInsertValues({}, columns)).toEqual({ ok: false, error: 'Fill in at least one field.' });
  });

  it('moves the keyboard cursor inside the grid', () => {
    expect(moveCursor({ row: 0, column: 0 }, 'ArrowUp', 3, 3)).toEqual({ row: 0, column: 0 });
    expect(moveCursor({ row: 0, column: 2 }, 'Tab', 3, 3)).toEqual({ row: 1, column: 0 });
    expect(moveCursor({ row: 2, column: 1 }, 'ArrowDown', 3, 3)).toEqual({ row: 2, column: 1 });
    expect(moveCursor({ row: 1, column: 1 }, 'End', 3, 4)).toEqual({ row: 1, column: 3 });
    expect(moveCursor({ row: 5, column: 5 }, 'x', 0, 0)).toEqual({ row: 0, column: 0 });
  });
});
