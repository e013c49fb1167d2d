/**
 * How an engine moves between versions. Krint's upgrade is the same for every engine that allows
 * it: back up, start the new version beside the old one, restore, verify counts, swap; roll back on
 * any failure. The engine only says which moves are safe.
 */
export interface UpgradeSupport {
  /**
   * Returns `null` when moving from `from` to `to` is supported, otherwise the reason a person
   * reads ("downgrades are not supported", "restore needs client tools of 16 or newer", ...).
   */
  check(from: string, to: string): string | null;
}
