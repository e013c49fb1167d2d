import type { JsonValue } from '@krint/engine-sdk';
import type pg from 'pg';
import { pgDriver } from './postgres-driver.js';

/**
 * How values cross between PostgreSQL and JSON. Every value arrives as the server's text and is
 * turned into a JSON value that loses nothing: 64-bit integers and numerics stay strings (a JS
 * number would round them), timestamps become ISO 8601 strings (with the connection's TimeZone set
 * to UTC), bytea stays the server's `\x…` hex form, json and jsonb become JSON.
 */

/** Built-in type OIDs and the names `format_type` gives them. Other OIDs are looked up on the server. */
export const BUILTIN_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'boolean'], [17, 'bytea'], [18, '"char"'], [19, 'name'], [20, 'bigint'], [21, 'smallint'], [23, 'integer'],
  [25, 'text'], [26, 'oid'], [27, 'tid'], [28, 'xid'], [114, 'json'], [142, 'xml'], [600, 'point'], [650, 'cidr'],
  [700, 'real'], [701, 'double precision'], [705, 'unknown'], [790, 'money'], [829, 'macaddr'], [869, 'inet'],
  [1042, 'character'], [1043, 'character varying'], [1082, 'date'], [1083, 'time without time zone'],
  [1114, 'timestamp without time zone'], [1184, 'timestamp with time zone'], [1186, 'interval'],
  [1266, 'time with time zone'], [1560, 'bit'], [1562, 'bit varying'], [1700, 'numeric'], [2950, 'uuid'],
  [3614, 'tsvector'], [3802, 'jsonb'], [3904, 'int4range'], [3926, 'int8range'], [3912, 'daterange'],
  [3910, 'tstzrange'], [3908, 'tsrange'], [3906, 'numrange'], [4089, 'regnamespace'], [2205, 'regclass'],
  [1000, 'boolean[]'], [1001, 'bytea[]'], [1005, 'smallint[]'], [1007, 'integer[]'], [1009, 'text[]'],
  [1014, 'character[]'], [1015, 'character varying[]'], [1016, 'bigint[]'], [1021, 'real[]'], [1022, 'double precision[]'],
  [1115, 'timestamp without time zone[]'], [1182, 'date[]'], [1185, 'timestamp with time zone[]'], [1231, 'numeric[]'],
  [199, 'json[]'], [3807, 'jsonb[]'], [2951, 'uuid[]'], [1028, 'oid[]'],
]);

/** Array type OID → element type OID, for the arrays parsed element by element. */
const ARRAY_ELEMENTS: ReadonlyMap<number, number> = new Map([
  [1000, 16], [1001, 17], [1005, 21], [1007, 23], [1009, 25], [1014, 1042], [1015, 1043], [1016, 20], [1021, 700],
  [1022, 701], [1115, 1114], [1182, 1082], [1185, 1184], [1231, 1700], [199, 114], [3807, 3802], [2951, 2950], [1028, 26],
]);

type TextParser = (text: string) => JsonValue;

const keepText: TextParser = (text) => text;

/** `2024-05-01 10:00:00.5+00` → `2024-05-01T10:00:00.5Z`; `+05:30` offsets are kept, `+05` becomes `+05:00`. */
export function isoTimestamp(text: string): string {
  if (!/^\d{4,}-\d\d-\d\d \d/.test(text)) return text; // infinity, -infinity, BC dates stay as the server wrote them
  return text.replace(' ', 'T').replace(/\+00(?::00)?$/, 'Z').replace(/([+-]\d\d)$/, '$1:00');
}

function parseFloatText(text: string): JsonValue {
  const value = Number(text);
  return Number.isFinite(value) ? value : text; // NaN and Infinity have no JSON number
}

function parserForElement(oid: number): TextParser {
  switch (oid) {
    case 16:
      return (text) => text === 't' || text === 'true';
    case 21:
    case 23:
    case 26:
      return (text) => Number(text);
    case 700:
    case 701:
      return parseFloatText;
    case 114:
    case 3802:
      return (text) => JSON.parse(text) as JsonValue;
    case 1114:
    case 1184:
      return isoTimestamp;
    default:
      // bigint, numeric, money, date, bytea (`\x…`), uuid, text and everything else: the server's text.
      return keepText;
  }
}

let textArrayParser: ((text: string) => unknown) | undefined;

/**
 * `pg`'s own parser of `text[]` literals (quoting, NULL, nesting); elements are converted by Krint's
 * parsers. Taken from the loaded driver: array values only arrive through it.
 */
function parseTextArray(text: string): unknown {
  textArrayParser ??= (pgDriver.loaded().types.getTypeParser as (oid: number, format: 'text') => (text: string) => unknown)(1009, 'text');
  return textArrayParser(text);
}

function mapArray(value: unknown, element: TextParser): JsonValue {
  if (Array.isArray(value)) return value.map((item) => mapArray(item, element));
  return value === null ? null : element(String(value));
}

/** The parser for one column type: scalars by {@link parserForElement}, known arrays element by element. */
export function parserForType(oid: number): TextParser {
  const element = ARRAY_ELEMENTS.get(oid);
  if (element !== undefined) {
    const parseElement = parserForElement(element);
    return (text) => mapArray(parseTextArray(text), parseElement);
  }
  return parserForElement(oid);
}

const parserCache = new Map<number, TextParser>();

/**
 * The `types` setting of every Krint connection. Binary results are never requested, so only
 * text parsers are needed.
 */
export const jsonSafeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => {
    let parser = parserCache.get(oid);
    if (!parser) {
      parser = parserForType(oid);
      parserCache.set(oid, parser);
    }
    return parser;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The column types Krint sends as JSON text rather than letting `pg` format them. */
export function isJsonType(typeName: string): boolean {
  return typeName === 'json' || typeName === 'jsonb';
}

/**
 * A JSON value as a bind parameter for a column of `typeName`. json/jsonb get JSON text (`pg` would
 * turn a JS array into a PostgreSQL array literal); other objects are JSON text too; arrays for
 * array columns and scalars go as they are and the server casts them.
 */
export function toParameter(value: JsonValue | undefined, typeName: string): unknown {
  if (value === undefined || value === null) return null;
  if (isJsonType(typeName)) return JSON.stringify(value);
  if (typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}
