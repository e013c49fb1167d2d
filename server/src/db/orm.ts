import type { MikroORM, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseConfig } from '../config.js';
import { ALL_ENTITIES } from './entities.js';
import { postgresqlMigrations, sqliteMigrations } from './migrations/index.js';

export type KrintOrm = MikroORM;

/**
 * Opens the state database (SQLite file by default, PostgreSQL for a connection string) and runs
 * the checked-in migrations of that driver. Schema changes never happen any other way. Only the
 * configured driver is imported: the other one (with `pg` or the native `better-sqlite3`) would
 * only take memory.
 */
export async function openDatabase(config: DatabaseConfig, options: { migrate?: boolean } = {}): Promise<KrintOrm> {
  const common: Options = {
    entities: ALL_ENTITIES,
    discovery: { requireEntitiesArray: true },
    extensions: [Migrator],
    allowGlobalContext: false,
    debug: false,
    forceUtcTimezone: true,
  };
  let orm: KrintOrm;
  if (config.kind === 'sqlite') {
    protectStateFile(config.file);
    const { MikroORM: SqliteOrm } = await import('@mikro-orm/better-sqlite');
    orm = await SqliteOrm.init({
      ...common,
      dbName: config.file,
      migrations: { migrationsList: sqliteMigrations, transactional: true, snapshot: false, silent: true },
    });
    // Concurrent readers during writes, and a busy wait instead of SQLITE_BUSY errors.
    await orm.em.getConnection().execute('pragma journal_mode = WAL');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000');
    // SQLite creates the -wal and -shm files with the database file's mode; ones left by an older
    // version that did not restrict it are tightened here.
    for (const suffix of SQLITE_SIDE_FILES) if (existsSync(config.file + suffix)) chmodSync(config.file + suffix, OWNER_ONLY_FILE);
  } else {
    const { MikroORM: PostgresOrm } = await import('@mikro-orm/postgresql');
    orm = await PostgresOrm.init({
      ...common,
      clientUrl: config.connectionString,
      migrations: { migrationsList: postgresqlMigrations, transactional: true, snapshot: false, silent: true },
    });
  }
  if (options.migrate !== false) await orm.getMigrator().up();
  return orm;
}

/** Mode of the state database and its side files: they hold sealed secrets, the activity log and session hashes. */
export const OWNER_ONLY_FILE = 0o600;
/** Mode of the state database's folder, which also holds the vault key file. */
export const OWNER_ONLY_FOLDER = 0o700;
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/**
 * Creates the SQLite file (and its folder) readable by the owner only before SQLite opens it, and
 * tightens both when an existing installation left them readable by others (the umask's 0644).
 * SQLite gives the -wal and -shm files the mode of the database file.
 */
function protectStateFile(file: string): void {
  const folder = path.dirname(file);
  mkdirSync(folder, { recursive: true, mode: OWNER_ONLY_FOLDER });
  chmodSync(folder, OWNER_ONLY_FOLDER);
  closeSync(openSync(file, 'a', OWNER_ONLY_FILE));
  chmodSync(file, OWNER_ONLY_FILE);
}
