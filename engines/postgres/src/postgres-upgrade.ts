import type { UpgradeSupport } from '@krint/engine-sdk';
import { majorOf } from './postgres-container.js';

/**
 * Same-or-newer moves between the majors Krint offers. A dump of a newer server can use syntax and
 * catalog features an older one lacks, so downgrades are refused instead of attempted.
 */
export function postgresUpgradeFor(offered: readonly string[]): UpgradeSupport {
  return {
    check(from, to) {
      const source = majorOf(from);
      const destination = majorOf(to);
      if (source === null) return `"${from}" is not a PostgreSQL version Krint knows (expected a major version such as ${offered[0]}).`;
      if (destination === null || !offered.includes(String(destination))) {
        return `PostgreSQL ${to} is not offered; choose one of ${offered.join(', ')}.`;
      }
      if (destination < source) {
        return `Downgrades are not supported: a dump of PostgreSQL ${source} may use features PostgreSQL ${destination} does not have.`;
      }
      return null;
    },
  };
}
