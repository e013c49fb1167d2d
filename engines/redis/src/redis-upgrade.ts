import type { UpgradeSupport } from '@krint/engine-sdk';

/**
 * Redis loads RDB files of its own and older versions, never newer ones, so any move to the same or
 * a newer version is safe and downgrades are refused. Versions compare as `major.minor`.
 */
export function sameOrNewerUpgrade(productName: string): UpgradeSupport {
  return {
    check(from, to) {
      const source = parseVersion(from);
      const target = parseVersion(to);
      if (!source) return `"${from}" is not a ${productName} version Krint understands.`;
      if (!target) return `"${to}" is not a ${productName} version Krint understands.`;
      if (compare(target, source) < 0) {
        return `Downgrades are not supported: ${productName} ${to} cannot load the data files of ${productName} ${from}.`;
      }
      return null;
    },
  };
}

/** `7` → [7, 0], `7.4` → [7, 4]; `null` for anything else. */
export function parseVersion(version: string): [number, number] | null {
  const match = /^(\d{1,3})(?:\.(\d{1,3}))?(?:\.\d{1,3})?$/.exec(version);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : null;
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
