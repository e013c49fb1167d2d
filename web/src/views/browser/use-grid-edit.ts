/** JSON values as the API carries them in rows and keys. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type GridRow = Record<string, JsonValue>;

export interface GridColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly isPrimaryKey: boolean;
}

/** What `updateRow` takes: the row's key, the one change, and the value last seen (conflict check). */
export interface CellUpdate {
  readonly key: GridRow;
  readonly changes: GridRow;
  readonly expected: GridRow;
}

const NUMERIC = /^(smallint|integer|int|int2|int4|int8|bigint|tinyint|mediumint|serial|bigserial|smallserial|real|double|double precision|float|float4|float8|numeric|decimal|number|money)\b/i;
const INTEGER = /^(smallint|integer|int|int2|int4|int8|tinyint|mediumint|serial|smallserial)\b/i;
const BOOLEAN = /^(bool|boolean)\b/i;
const JSON_TYPE = /^(json|jsonb|object|array|document|hash|list|set|zset|stream)\b/i;

/** How a column is edited: as a number, a boolean, JSON or text. */
export function columnKind(column: GridColumn, sample?: JsonValue): 'number' | 'boolean' | 'json' | 'text' {
  const type = column.type.trim();
  if (BOOLEAN.test(type)) return 'boolean';
  if (JSON_TYPE.test(type) || (sample !== null && typeof sample === 'object')) return 'json';
  if (NUMERIC.test(type)) return 'number';
  return 'text';
}

/** The text shown in a cell and put in its editor. `null` shows as NULL; objects as compact JSON. */
export function formatCell(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The editor's starting text: empty for NULL so typing replaces it. */
export function editorText(value: JsonValue | undefined): string {
  return value === null || value === undefined ? '' : formatCell(value);
}

export type Parsed = { ok: true; value: JsonValue } | { ok: false; error: string };

/**
 * Reads what the person typed into a cell. `NULL` (any case) sets NULL on nullable columns; numbers,
 * booleans and JSON are checked before anything is sent, so a typo never reaches the server.
 */
export function parseCellInput(text: string, column: GridColumn, original?: JsonValue): Parsed {
  const trimmed = text.trim();
  if (/^null$/i.test(trimmed) || (trimmed === '' && original === null && column.nullable)) {
    return column.nullable ? { ok: true, value: null } : { ok: false, error: `${column.name} cannot be NULL.` };
  }
  switch (columnKind(column, original)) {
    case 'number': {
      if (trimmed === '' || !Number.isFinite(Number(trimmed))) return { ok: false, error: `${column.name} needs a number (${column.type}).` };
      if (INTEGER.test(column.type) && !Number.isInteger(Number(trimmed))) return { ok: false, error: `${column.name} needs a whole number (${column.type}).` };
      // Beyond 15 significant digits a JS number loses precision: send the exact digits as text.
      const digits = trimmed.replace(/^[-+]/, '').replace('.', '').replace(/^0+/, '');
      return { ok: true, value: digits.length > 15 ? trimmed : Number(trimmed) };
    }
    case 'boolean': {
      if (/^(true|t|1|yes)$/i.test(trimmed)) return { ok: true, value: true };
      if (/^(false|f|0|no)$/i.test(trimmed)) return { ok: true, value: false };
      return { ok: false, error: `${column.name} needs true or false.` };
    }
    case 'json': {
      if (typeof original === 'string' && !/^[[{"]/.test(trimmed)) return { ok: true, value: text };
      try {
        return { ok: true, value: JSON.parse(trimmed) as JsonValue };
      } catch (error) {
        return { ok: false, error: `${column.name} needs valid JSON: ${(error as Error).message}` };
      }
    }
    default:
      return { ok: true, value: text };
  }
}

/** The key that identifies `row` (its key columns and values); null when the page has no key. */
export function rowKey(row: GridRow, keyColumns: readonly string[]): GridRow | null {
  if (keyColumns.length === 0) return null;
  const key: GridRow = {};
  for (const column of keyColumns) {
    if (!(column in row)) return null;
    key[column] = row[column] ?? null;
  }
  return key;
}

/** The update for one edited cell, or null when nothing changed or the row has no key. */
export function buildCellUpdate(row: GridRow, keyColumns: readonly string[], column: string, value: JsonValue): CellUpdate | null {
  const key = rowKey(row, keyColumns);
  if (!key) return null;
  const before = row[column] ?? null;
  if (JSON.stringify(before) === JSON.stringify(value)) return null;
  return { key, changes: { [column]: value }, expected: { [column]: before } };
}

/** The values to insert from the insert form: blank fields are left out so defaults apply. */
export function buildInsertValues(texts: Record<string, string>, columns: readonly GridColumn[]): { ok: true; values: GridRow } | { ok: false; error: string } {
  const values: GridRow = {};
  for (const column of columns) {
    const text = texts[column.name] ?? '';
    if (text.trim() === '') continue;
    const parsed = parseCellInput(text, column);
    if (!parsed.ok) return parsed;
    values[column.name] = parsed.value;
  }
  if (Object.keys(values).length === 0) return { ok: false, error: 'Fill in at least one field.' };
  return { ok: true, values };
}

/** Where the keyboard cursor is in the grid. */
export interface CellPosition {
  readonly row: number;
  readonly column: number;
}

/** Moves the cursor by a key press, staying inside a `rows` × `columns` grid. */
export function moveCursor(position: CellPosition, key: string, rows: number, columns: number): CellPosition {
  if (rows === 0 || columns === 0) return { row: 0, column: 0 };
  const clamp = (value: number, size: number) => Math.max(0, Math.min(size - 1, value));
  switch (key) {
    case 'ArrowUp':
      return { row: clamp(position.row - 1, rows), column: position.column };
    case 'ArrowDown':
      return { row: clamp(position.row + 1, rows), column: position.column };
    case 'ArrowLeft':
      return { row: position.row, column: clamp(position.column - 1, columns) };
    case 'ArrowRight':
      return { row: position.row, column: clamp(position.column + 1, columns) };
    case 'Home':
      return { row: position.row, column: 0 };
    case 'End':
      return { row: position.row, column: columns - 1 };
    case 'Tab':
      return position.column + 1 < columns ? { row: position.row, column: position.column + 1 } : { row: clamp(position.row + 1, rows), column: 0 };
    default:
      return { row: clamp(position.row, rows), column: clamp(position.column, columns) };
  }
}
