import { InvalidInputError, type JsonValue, type Row, type RowKey } from '@krint/engine-sdk';
import { quoteIdent } from './postgres-identifiers.js';
import { toParameter } from './postgres-values.js';

/** One column of a table as Krint needs it to build statements. */
export interface ColumnMeta {
  readonly name: string;
  /** `format_type` with the type modifier, for display: `character varying(40)`. */
  readonly type: string;
  /**
   * The type without its modifier, for casts of bind parameters: `character varying`. A cast to
   * `varchar(40)` would silently cut a longer key value and could match another row.
   */
  readonly castType: string;
  readonly nullable: boolean;
  readonly isPrimaryKey: boolean;
}

/** The pseudo-column that identifies rows of tables without a primary key. */
export const CTID_COLUMN: ColumnMeta = { name: 'ctid', type: 'tid', castType: 'tid', nullable: false, isPrimaryKey: false };

/** Collects bind parameters and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];

  /** Adds a value for `column` and returns its placeholder with a cast to the column's type. */
  add(value: JsonValue | undefined, column: ColumnMeta): string {
    this.values.push(toParameter(value, column.castType));
    return `$${this.values.length}::${column.castType}`;
  }
}

function columnsByName(columns: readonly ColumnMeta[]): Map<string, ColumnMeta> {
  return new Map(columns.map((column) => [column.name, column]));
}

function requireColumn(byName: Map<string, ColumnMeta>, name: string, table: string, field: string): ColumnMeta {
  const column = byName.get(name);
  if (!column) {
    throw new InvalidInputError(`Table "${table}" has no column "${name.length > 60 ? `${name.slice(0, 60)}…` : name}".`, field);
  }
  return column;
}

/** `ORDER BY` list of the key columns. */
export function orderByKey(keyColumns: readonly ColumnMeta[]): string {
  return keyColumns.map((column) => quoteIdent(column.name, 'column')).join(', ');
}

/**
 * The keyset condition "after the row whose key values are `values`": a row comparison
 * `(a, b) > ($1, $2)`, which PostgreSQL answers from the key's index, so every page costs the same
 * however deep it is.
 */
export function keysetAfter(keyColumns: readonly ColumnMeta[], values: readonly JsonValue[], params: Params): string {
  if (values.length !== keyColumns.length || values.some((value) => value === null || typeof value === 'object')) {
    throw new InvalidInputError('The page cursor does not belong to this table; start again from the first page.', 'cursor');
  }
  const names = keyColumns.map((column) => quoteIdent(column.name, 'column'));
  const placeholders = keyColumns.map((column, index) => params.add(values[index], column));
  return keyColumns.length === 1 ? `${names[0]} > ${placeholders[0]}` : `(${names.join(', ')}) > (${placeholders.join(', ')})`;
}

/**
 * `WHERE` conditions that pick rows by `key` (any columns of the table; the caller guards that
 * exactly one row matches). `=` keeps the key's index usable; a null key value matches NULL.
 */
export function whereKey(columns: readonly ColumnMeta[], key: RowKey, table: string, params: Params): string {
  const entries = Object.entries(key);
  if (entries.length === 0) throw new InvalidInputError('The row key is empty; name the key column(s) and their values.', 'key');
  const byName = columnsByName(columns);
  return entries
    .map(([name, value]) => {
      const column = requireColumn(byName, name, table, 'key');
      const quoted = quoteIdent(name, 'column');
      return value === null ? `${quoted} IS NULL` : `${quoted} = ${params.add(value, column)}`;
    })
    .join(' AND ');
}

/**
 * Optimistic-concurrency conditions: each column still holds the value the client saw. json has no
 * equality operator, so json values compare as jsonb.
 */
export function whereExpected(columns: readonly ColumnMeta[], expected: Row, table: string, params: Params): string[] {
  const byName = columnsByName(columns);
  return Object.entries(expected).map(([name, value]) => {
    const column = requireColumn(byName, name, table, 'expected');
    const quoted = quoteIdent(name, 'column');
    if (value === null) return `${quoted} IS NULL`;
    if (column.castType === 'json') {
      params.values.push(JSON.stringify(value));
      return `${quoted}::jsonb = $${params.values.length}::jsonb`;
    }
    return `${quoted} IS NOT DISTINCT FROM ${params.add(value, column)}`;
  });
}

/** `SET a = $1, b = $2` for the changed columns. */
export function setClause(columns: readonly ColumnMeta[], changes: Row, table: string, params: Params): string {
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new InvalidInputError('The update changes no column.', 'changes');
  const byName = columnsByName(columns);
  return entries
    .map(([name, value]) => `${quoteIdent(requireColumn(byName, name, table, 'changes').name, 'column')} = ${params.add(value, byName.get(name)!)}`)
    .join(', ');
}

/** Column list and placeholders of an INSERT; empty when the row takes only defaults. */
export function insertColumns(columns: readonly ColumnMeta[], values: Row, table: string, params: Params): { names: string; placeholders: string } {
  const byName = columnsByName(columns);
  const entries = Object.entries(values);
  return {
    names: entries.map(([name]) => quoteIdent(requireColumn(byName, name, table, 'values').name, 'column')).join(', '),
    placeholders: entries.map(([name, value]) => params.add(value, byName.get(name)!)).join(', '),
  };
}

/** Refuses anything but a plain object where a row, key or change set is expected. */
export function requireObject(value: unknown, field: string): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`The ${field} must be an object of column names to values.`, field);
  }
  return value as Row;
}
