import { lazyModule } from '@krint/engine-sdk';

/**
 * `ioredis`, loaded when the first connection opens (a probe or a session), so a Krint process that
 * never talks to Redis or Valkey never loads it.
 */
export const ioredisDriver = lazyModule('The Redis driver (ioredis)', () => import('ioredis'));
