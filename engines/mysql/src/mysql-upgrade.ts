import type { UpgradeSupport } from '@krint/engine-sdk';

/** `8.4` → [8, 4]; null when the text is not a `major.minor` version. */
export function parseVersion(version: string): readonly [number, number] | null {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Same-or-newer moves only, between versions the engine offers. A logical dump of a newer server
 * can use syntax, collations (`utf8mb4_0900_ai_ci`, `uca1400`) and system tables an older one does
 * not have, so downgrades are refused rather than attempted.
 */
export function sameOrNewerUpgrade(productName: string, offered: readonly string[]): UpgradeSupport {
  return {
    check(from, to) {
      const source = parseVersion(from);
      const destination = parseVersion(to);
      if (!source) return `"${from}" is not a ${productName} version Krint knows (expected major.minor, e.g. ${offered[0]}).`;
      if (!destination || !offered.includes(to)) return `${productName} ${to} is not offered; choose one of ${offered.join(', ')}.`;
      if (compareVersions(destination, source) < 0) {
        return `Downgrades are not supported: a dump of ${productName} ${from} may use features ${productName} ${to} does not have.`;
      }
      return null;
    },
  };
}

/** MySQL: 8.0 → 8.4, or the same version again. */
export const mysqlUpgrade: UpgradeSupport = sameOrNewerUpgrade('MySQL', ['8.4', '8.0']);
