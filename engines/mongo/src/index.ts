export { mongoEngine, mongoEngine as default } from './mongo-engine.js';
export { MongoSession, mongoUri, PLACEHOLDER_COLLECTION, DOCUMENT_COLUMNS } from './mongo-session.js';
export { MongoUsers, ROLE_FOR_ACCESS, UserCommands } from './mongo-users.js';
export { mongoBackup } from './mongo-backup.js';
export { mongoUpgrade } from './mongo-upgrade.js';
export { toJsonDocument, fromJsonDocument, toJsonValue, fromJsonValue } from './mongo-ejson.js';
export { parseConsoleCommand } from './mongo-command.js';
