import type { MikroORM, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { mkdirSync } from 'node:fs';
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
    mkdirSync(path.dirname(config.file), { recursive: true });
    const { MikroORM: SqliteOrm } = await import('@mikro-orm/better-sqlite');
    orm = await SqliteOrm.init({
      ...common,
      dbName: config.file,
      migrations: { migrationsList: sqliteMigrations, transactional: true, snapshot: false, silent: true },
    });
    // Concurrent readers during writes, and a busy wait instead of SQLITE_BUSY errors.
    await orm.em.getConnection().execute('pragma journal_mode = WAL');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000');
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
