import { InvalidInputError, type JsonValue, type Row } from '@krint/engine-sdk';
import { quoteIdentifier } from './mysql-identifiers.js';
import { toDriverValue } from './mysql-values.js';

/**
 * Pure builders for the row statements: each returns SQL with `?` placeholders and the values in
 * order. Column names are checked against the table's real columns before they are quoted, so an
 * unknown name is a clear error, not a server error.
 */

/** A table column as the row code needs it. */
export interface ColumnMeta {
  readonly name: string;
  /** `COLUMN_TYPE`, e.g. `int unsigned`, `varbinary(16)`, `datetime(3)`. */
  readonly type: string;
  readonly nullable: boolean;
  readonly isPrimaryKey: boolean;
  readonly autoIncrement: boolean;
}

export interface Fragment {
  readonly sql: string;
  readonly params: unknown[];
}

/** Looks a column up by name, with an error naming the table's columns when it is not there. */
export function columnNamed(columns: readonly ColumnMeta[], name: string, table: string): ColumnMeta {
  const column = columns.find((c) => c.name === name);
  if (!column) {
    const known = columns.map((c) => c.name).slice(0, 20).join(', ');
    throw new InvalidInputError(`Table "${table}" has no column "${shorten(name)}". Columns: ${known}.`, 'column');
  }
  return column;
}

/**
 * The keyset condition for the page after `values` in `ORDER BY k1, k2, …`, written out as
 * `k1 > ? OR (k1 = ? AND k2 > ?) …` rather than a row comparison, because both servers turn the
 * expanded form into an index range scan. Key columns are never NULL (primary or NOT NULL unique key).
 */
export function keysetAfter(keyColumns: readonly ColumnMeta[], values: readonly JsonValue[]): Fragment {
  if (values.length !== keyColumns.length || keyColumns.length === 0) {
    throw new InvalidInputError('The page cursor does not match this table; start again from the first page.', 'cursor');
  }
  const branches: string[] = [];
  const params: unknown[] = [];
  keyColumns.forEach((column, depth) => {
    const parts: string[] = [];
    for (let i = 0; i < depth; i++) {
      const equal = keyColumns[i]!;
      parts.push(`${quoteIdentifier(equal.name, 'column')} = ?`);
      params.push(toDriverValue(values[i] ?? null, equal.type, equal.name));
    }
    parts.push(`${quoteIdentifier(column.name, 'column')} > ?`);
    params.push(toDriverValue(values[depth] ?? null, column.type, column.name));
    branches.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
  });
  return { sql: branches.join(' OR '), params };
}

/** `ORDER BY` over the key columns, ascending. */
export function orderByKey(keyColumns: readonly ColumnMeta[]): string {
  return keyColumns.map((c) => quoteIdentifier(c.name, 'column')).join(', ');
}

/** `a = ? AND b IS NULL …` matching a row key; every column must exist. */
export function whereKey(columns: readonly ColumnMeta[], key: Row, table: string): Fragment {
  const entries = Object.entries(key);
  if (entries.length === 0) {
    throw new InvalidInputError('The row key is empty; name the key columns and their values.', 'key');
  }
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of entries) {
    const column = columnNamed(columns, name, table);
    if (value === null) {
      parts.push(`${quoteIdentifier(column.name, 'column')} IS NULL`);
    } else {
      parts.push(`${quoteIdentifier(column.name, 'column')} = ?`);
      params.push(toDriverValue(value, column.type, column.name));
    }
  }
  return { sql: parts.join(' AND '), params };
}

/** `a = ?, b = ?` for an UPDATE; at least one column. */
export function setClause(columns: readonly ColumnMeta[], changes: Row, table: string): Fragment {
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new InvalidInputError('The update changes no column.', 'changes');
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of entries) {
    const column = columnNamed(columns, name, table);
    parts.push(`${quoteIdentifier(column.name, 'column')} = ?`);
    params.push(toDriverValue(value, column.type, column.name));
  }
  return { sql: parts.join(', '), params };
}

/** Column list and placeholders for an INSERT; `() VALUES ()` inserts all defaults. */
export function insertColumns(columns: readonly ColumnMeta[], values: Row, table: string): { names: string; placeholders: string; params: unknown[] } {
  const entries = Object.entries(values);
  const names: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of entries) {
    const column = columnNamed(columns, name, table);
    names.push(quoteIdentifier(column.name, 'column'));
    params.push(toDriverValue(value, column.type, column.name));
  }
  return { names: names.join(', '), placeholders: names.map(() => '?').join(', '), params };
}

/** Deep equality of JSON values; object key order does not matter. */
export function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    // A number a client read back may come as text (BIGINT, DECIMAL); compare the values.
    return (typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string') && Number(a) === Number(b) && String(a).trim() !== '' && String(b).trim() !== '';
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => sameJson(a[key], b[key]));
  }
  return false;
}

function shorten(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
