import type { UpgradeSupport } from '@krint/engine-sdk';
import { sameOrNewerUpgrade } from '@krint/engine-mysql';

/** MariaDB: 10.11 → 11.4, or the same version again; downgrades are refused. */
export const mariadbUpgrade: UpgradeSupport = sameOrNewerUpgrade('MariaDB', ['11.4', '10.11']);
