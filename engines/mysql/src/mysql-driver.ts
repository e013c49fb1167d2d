import { lazyModule } from '@krint/engine-sdk';

/**
 * `mysql2`, loaded when the first connection opens (a probe or a session), so a Krint process that
 * never talks to MySQL or MariaDB never loads it. Sessions and probes use its promise API; console
 * queries use the callback API underneath it (see mysql-query.ts). Both are the same package, so
 * whichever loads second costs next to nothing.
 */
export const mysqlPromiseDriver = lazyModule('The MySQL driver (mysql2/promise)', () => import('mysql2/promise'));
export const mysqlCallbackDriver = lazyModule('The MySQL driver (mysql2)', () => import('mysql2'));
