import type { InventoryEntry } from '@krint/agent';

/**
 * Differences between two inventories (database → table → row count), in words. Empty when the
 * restored copy holds exactly what the original held.
 */
export function compareInventories(before: readonly InventoryEntry[], after: readonly InventoryEntry[]): string[] {
  const key = (entry: InventoryEntry) => `${entry.database}.${entry.table}`;
  const afterByKey = new Map(after.map((entry) => [key(entry), entry.rows]));
  const problems: string[] = [];
  for (const entry of before) {
    const rows = afterByKey.get(key(entry));
    if (rows === undefined) problems.push(`${key(entry)} is missing (had ${entry.rows} rows)`);
    else if (rows !== entry.rows) problems.push(`${key(entry)} has ${rows} rows instead of ${entry.rows}`);
    afterByKey.delete(key(entry));
  }
  for (const [name, rows] of afterByKey) problems.push(`${name} appeared with ${rows} rows`);
  return problems;
}
