import { serverSuite } from '@krint/engine-mysql/testing';
import { MARIADB_VERSIONS, mariadbEngine } from './mariadb-engine.js';

// The whole story against the local mariadb:10.11 image, started from the engine's own container
// spec (its environment and server options), with the engine's own dump and restore commands.
const version = MARIADB_VERSIONS.find((v) => v.isDefault)!;
const spec = (rootPassword: string) => mariadbEngine.containerSpec({ version, rootPassword, defaultDatabase: 'app', plugins: [] });

await serverSuite({
  engine: mariadbEngine,
  image: version.image,
  env: (rootPassword) => ({ ...spec(rootPassword).env }),
  cmd: spec('placeholder-pass').cmd ?? [],
  namePrefix: 'krint-mariadb-test',
});
