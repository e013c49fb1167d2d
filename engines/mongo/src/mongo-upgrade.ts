import type { UpgradeSupport } from '@krint/engine-sdk';

/**
 * MongoDB upgrades one major version at a time: a server reads data files whose
 * featureCompatibilityVersion is its own or the previous major's. 7 → 8 works; 6 → 8 must stop at 7
 * first (start 7, set FCV 7.0, then 8). Downgrades are refused.
 */
export const mongoUpgrade: UpgradeSupport = {
  check(from, to) {
    const source = major(from);
    const target = major(to);
    if (source === null) return `"${from}" is not a MongoDB version Krint understands.`;
    if (target === null) return `"${to}" is not a MongoDB version Krint understands.`;
    if (target < source) return `Downgrades are not supported: MongoDB ${to} cannot read the data of MongoDB ${from}.`;
    if (target - source > 1) {
      return `MongoDB upgrades one major version at a time: upgrade ${from} → ${source + 1} first, then ${source + 1} → ${to}.`;
    }
    return null;
  },
};

function major(version: string): number | null {
  const match = /^(\d{1,2})(?:\.\d{1,2}){0,2}$/.exec(version);
  return match ? Number(match[1]) : null;
}
