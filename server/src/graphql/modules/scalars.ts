import { GraphQLError, Kind, print, type ValueNode } from 'graphql/index.js';
import { invalidScalarValue } from '../input-errors.js';
import { builder } from '../builder.js';

builder.scalarType('DateTime', {
  description: 'An instant as an ISO 8601 string in UTC. Input: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or an offset such as `+02:00`; dates that do not exist (2026-02-31) are refused, not moved.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  parseValue: (value) => parseInstant(value),
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) throw invalidScalarValue(`DateTime must be a string such as "${EXAMPLE_INSTANT}", not ${print(node)}.`);
    return parseInstant(node.value);
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value: rows, keys and cell values.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node) => literalValue(node),
});

function literalValue(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalValue(field.value)]));
    default:
      throw new GraphQLError('Variables are not allowed inside JSON literals; pass the whole value as a variable.');
  }
}

const EXAMPLE_INSTANT = '2030-01-31T12:00:00Z';

/**
 * An RFC 3339 date-time: date, time and a zone (Z or ±HH:MM) are all required, so a value never
 * depends on the server's time zone. Seconds and fractions are optional.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an instant strictly. `new Date(text)` is not enough: it accepts 2026-02-31 as March 3rd,
 * numbers as years and many non-ISO forms, and parses zone-less text in local time. Hand-written
 * because no date library is a dependency of the server, and this check is a dozen lines.
 */
export function parseInstant(value: unknown): Date {
  if (typeof value !== 'string') throw invalidScalarValue(`DateTime must be a string such as "${EXAMPLE_INSTANT}".`);
  const match = INSTANT.exec(value);
  if (!match) throw invalidScalarValue(`"${printable(value)}" is not an ISO 8601 date-time with a zone, such as "${EXAMPLE_INSTANT}" or "2030-01-31T14:00:00+02:00".`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0) : 0;
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    throw invalidScalarValue(`"${printable(value)}" is not a real date and time (month 01-12, a day that month has, hours 00-23, minutes and seconds 00-59).`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(`0.${match[7] ?? '0'}`) * 1000);
  const sign = match[9] === '-' ? -1 : 1;
  return new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** At most 64 characters of a refused value, for the message. */
function printable(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
