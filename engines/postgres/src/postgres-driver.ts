import { lazyModule } from '@krint/engine-sdk';

/**
 * `pg`, loaded when the first connection opens (a probe or a session), so a Krint process that never
 * talks to PostgreSQL never loads it. Code that needs it synchronously (pools inside an open session,
 * type parsers `pg` itself calls) uses `pgDriver.loaded()`.
 */
export const pgDriver = lazyModule('The PostgreSQL driver (pg)', async () => (await import('pg')).default);

/** `pg-cursor`, which only console queries use. */
export const pgCursor = lazyModule('pg-cursor', async () => (await import('pg-cursor')).default);
