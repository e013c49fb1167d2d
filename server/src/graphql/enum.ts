import { builder } from './builder.js';

/**
 * A GraphQL enum over internal string values: `pre-upgrade` is exposed as `PRE_UPGRADE`, and
 * resolvers keep using the internal value.
 */
export function stringEnum<const T extends readonly string[]>(name: string, values: T, description?: string) {
  const entries = Object.fromEntries(values.map((value) => [value.replace(/[^A-Za-z0-9]+/g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), { value }]));
  return builder.enumType(name, { ...(description ? { description } : {}), values: entries as { [K in string]: { value: T[number] } } });
}
