export { redisEngine, createRedisFamilyEngine, type RedisFamilyOptions } from './redis-engine.js';
export { RedisSession } from './redis-session.js';
export { RedisUsers, DEFAULT_USER, ALL_DATABASES } from './redis-users.js';
export { redisBackup, REDIS_BINARIES, type RedisBinaries } from './redis-backup.js';
export { redisContainerSpec, REDIS_PORT, REDIS_DATA_PATH, ACL_FILE } from './redis-container.js';
export { sameOrNewerUpgrade } from './redis-upgrade.js';
export { parseCommandLine, parseConsoleCommand, refusalReason } from './redis-command-line.js';
export { redisEngine as default } from './redis-engine.js';
