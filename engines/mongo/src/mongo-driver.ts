import type { MongoServerError } from 'mongodb';
import { lazyModule } from '@krint/engine-sdk';

/**
 * `mongodb`, loaded when the first session opens, so a Krint process that never talks to MongoDB
 * never loads it (its BSON serializer alone allocates a 17 MiB buffer at import). Extended JSON
 * conversions and error checks use `mongodbDriver.loaded()`: they only run on values a session
 * handles, so the driver is there by then.
 */
export const mongodbDriver = lazyModule('The MongoDB driver (mongodb)', () => import('mongodb'));

/** True for an error the server sent back (a refused login, a duplicate key, a failed command). */
export function isMongoServerError(error: unknown): error is MongoServerError {
  return error instanceof mongodbDriver.loaded().MongoServerError;
}
