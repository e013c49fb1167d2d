import { ENGINE_SDK_VERSION, Ready, defineCapabilities, type Engine } from '@krint/engine-sdk';
import { mongoBackup } from './mongo-backup.js';
import { MONGO_ROOT_USER, mongoContainerSpec } from './mongo-container.js';
import { mongoCredentials } from './mongo-credentials.js';
import { MongoSession, mongoUri } from './mongo-session.js';
import { mongoUpgrade } from './mongo-upgrade.js';

/** First start runs the image's init (a temporary server, then a restart): allow a minute. */
const READY_CEILING_MS = 60_000;

export const mongoEngine: Engine = {
  id: 'mongo',
  displayName: 'MongoDB',
  description: 'Document database: JSON-like documents in collections, with secondary indexes and aggregation.',
  sdkVersion: ENGINE_SDK_VERSION,
  versions: [
    { version: '8', image: 'mongo:8', isDefault: true },
    { version: '7', image: 'mongo:7' },
  ],
  hostPortRange: [27100, 27399],
  rootUser: MONGO_ROOT_USER,
  defaultDatabase: 'app',
  capabilities: defineCapabilities({
    createDatabase: true,
    browse: true,
    editRows: true,
    dropTable: true,
    query: true,
    users: true,
    backup: true,
    upgrade: true,
    keysetPaging: true,
  }),
  terms: { database: 'database', table: 'collection', row: 'document', queryLanguage: 'json' },
  plugins: [],
  containerSpec: mongoContainerSpec,
  readiness: Ready.forProbe(
    async (target) => {
      const session = await MongoSession.open(target, MONGO_ROOT_USER);
      await session.close();
    },
    { ceilingMs: READY_CEILING_MS },
  ),
  connect: (target) => MongoSession.open(target, MONGO_ROOT_USER),
  connectionStrings(target) {
    const uri = mongoUri(target, target.database ?? 'app');
    return [
      { label: 'URI', value: uri },
      { label: 'mongosh', value: `mongosh "${uri}"` },
    ];
  },
  backup: mongoBackup,
  upgrade: mongoUpgrade,
  credentials: mongoCredentials,
};
