import type { ContainerSpec, ProvisionInput } from '@krint/engine-sdk';

export const MONGO_PORT = 27017;
export const MONGO_DATA_PATH = '/data/db';
export const MONGO_ROOT_USER = 'root';

/**
 * The official image creates the root user in `admin` from these variables on first start (its
 * init runs a temporary server bound to the container's loopback, so readiness from outside only
 * succeeds once the real server is up). The image reads the password only from the environment.
 */
export function mongoContainerSpec(input: ProvisionInput): ContainerSpec {
  return {
    image: input.version.image,
    env: {
      MONGO_INITDB_ROOT_USERNAME: MONGO_ROOT_USER,
      MONGO_INITDB_ROOT_PASSWORD: input.rootPassword,
    },
    internalPort: MONGO_PORT,
    dataPath: MONGO_DATA_PATH,
  };
}
