import type { InventoryEntry } from '../protocol/commands.js';
import type { CommandHandlers } from './context.js';
import { sessionMember, withSession } from './context.js';

/** Databases, tables and rows, through the instance's engine session. */
export const databaseCommands = {
  'db.listDatabases': (context, args) => withSession(context, args.instance, (session) => session.listDatabases()),

  'db.createDatabase': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await sessionMember(engine, session, 'createDatabase')(args.database);
      return {};
    }),

  'db.dropDatabase': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await sessionMember(engine, session, 'dropDatabase')(args.database);
      return {};
    }),

  'db.listTables': (context, args) => withSession(context, args.instance, (session) => session.listTables(args.database)),

  'db.describeTable': (context, args) =>
    withSession(context, args.instance, (session, engine) => sessionMember(engine, session, 'describeTable')(args.database, args.table)),

  'db.countRows': (context, args) => withSession(context, args.instance, (session) => session.countRows(args.database, args.table)),

  'db.readRows': (context, args) =>
    withSession(context, args.instance, (session) => session.readRows(args.database, args.table, { cursor: args.cursor ?? null, limit: args.limit })),

  'db.insertRow': (context, args) =>
    withSession(context, args.instance, (session, engine) => sessionMember(engine, session, 'insertRow')(args.database, args.table, args.values)),

  'db.updateRow': (context, args) =>
    withSession(context, args.instance, (session, engine) => sessionMember(engine, session, 'updateRow')(args.database, args.table, args.update)),

  'db.bulkUpdate': (context, args) =>
    withSession(context, args.instance, (session, engine) => sessionMember(engine, session, 'bulkUpdate')(args.database, args.table, args.updates)),

  'db.deleteRow': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await sessionMember(engine, session, 'deleteRow')(args.database, args.table, args.key);
      return {};
    }),

  'db.dropTable': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await sessionMember(engine, session, 'dropTable')(args.database, args.table);
      return {};
    }),

  /**
   * Exact row counts of every table in every user database (engine-owned databases left out, as
   * they differ between versions), sorted, so two inventories compare with a deep equal.
   */
  'db.inventory': (context, args) =>
    withSession(context, args.instance, async (session) => {
      const entries: InventoryEntry[] = [];
      for (const database of await session.listDatabases()) {
        if (database.isSystem) continue;
        for (const table of await session.listTables(database.name)) {
          // `name` is what clients pass back (schema-qualified where the engine needs it).
          entries.push({ database: database.name, table: table.name, rows: await session.countRows(database.name, table.name) });
        }
      }
      return entries.sort((a, b) => a.database.localeCompare(b.database) || a.table.localeCompare(b.table));
    }),
} satisfies Pick<
  CommandHandlers,
  | 'db.listDatabases'
  | 'db.createDatabase'
  | 'db.dropDatabase'
  | 'db.listTables'
  | 'db.describeTable'
  | 'db.countRows'
  | 'db.readRows'
  | 'db.insertRow'
  | 'db.updateRow'
  | 'db.bulkUpdate'
  | 'db.deleteRow'
  | 'db.dropTable'
  | 'db.inventory'
>;
