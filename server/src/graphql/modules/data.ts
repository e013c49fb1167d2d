import type { ColumnInfo, DatabaseInfo, Grant, QueryResult, Row, RowKey, RowPage, RowUpdate, TableInfo, UserInfo } from '@krint/engine-sdk';
import { ACCESS_LEVELS } from '@krint/engine-sdk';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';

const AccessLevelEnum = stringEnum('AccessLevel', ACCESS_LEVELS);

const DatabaseInfoRef = builder.objectRef<DatabaseInfo>('DatabaseInfo').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    sizeBytes: t.float({ nullable: true, resolve: (d) => d.sizeBytes ?? null }),
    isSystem: t.boolean({ resolve: (d) => d.isSystem === true }),
  }),
});

const TableInfoRef = builder.objectRef<TableInfo>('TableInfo').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    schema: t.string({ nullable: true, resolve: (x) => x.schema ?? null }),
    rowCount: t.float({ nullable: true, resolve: (x) => x.rowCount ?? null }),
    rowCountIsEstimate: t.boolean({ resolve: (x) => x.rowCountIsEstimate === true }),
    kind: t.string({ nullable: true, resolve: (x) => x.kind ?? null }),
  }),
});

const ColumnInfoRef = builder.objectRef<ColumnInfo>('ColumnInfo').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.exposeString('type'),
    nullable: t.boolean({ resolve: (c) => c.nullable !== false }),
    isPrimaryKey: t.boolean({ resolve: (c) => c.isPrimaryKey === true }),
  }),
});

const RowPageRef = builder.objectRef<RowPage>('RowPage').implement({
  description: 'A page of rows; pass `nextCursor` back for the next page (keyset paging where the engine allows it).',
  fields: (t) => ({
    columns: t.field({ type: [ColumnInfoRef], resolve: (p) => [...p.columns] }),
    rows: t.field({ type: ['JSON'], resolve: (p) => [...p.rows] }),
    keyColumns: t.stringList({ resolve: (p) => [...p.keyColumns] }),
    nextCursor: t.string({ nullable: true, resolve: (p) => p.nextCursor }),
    total: t.float({ nullable: true, resolve: (p) => p.total ?? null }),
    totalIsEstimate: t.boolean({ resolve: (p) => p.totalIsEstimate === true }),
  }),
});

const QueryResultRef = builder.objectRef<QueryResult>('QueryResult').implement({
  fields: (t) => ({
    columns: t.field({ type: [ColumnInfoRef], resolve: (r) => [...r.columns] }),
    rows: t.field({ type: ['JSON'], resolve: (r) => [...r.rows] }),
    rowCount: t.float({ nullable: true, resolve: (r) => r.rowCount }),
    truncated: t.exposeBoolean('truncated'),
    command: t.string({ nullable: true, resolve: (r) => r.command ?? null }),
    durationMs: t.exposeFloat('durationMs'),
  }),
});

const UserInfoRef = builder.objectRef<UserInfo>('UserInfo').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    isSystem: t.boolean({ resolve: (u) => u.isSystem === true }),
    isSuperuser: t.boolean({ resolve: (u) => u.isSuperuser === true }),
  }),
});

const GrantRef = builder.objectRef<Grant>('Grant').implement({
  fields: (t) => ({
    user: t.exposeString('user'),
    database: t.exposeString('database'),
    access: t.field({ type: AccessLevelEnum, resolve: (g) => g.access }),
    privileges: t.stringList({ resolve: (g) => [...(g.privileges ?? [])] }),
  }),
});

const NamedRef = builder.objectRef<{ name: string }>('NamedObject').implement({ fields: (t) => ({ name: t.exposeString('name') }) });
const CredentialsRef = builder.objectRef<{ name: string; password: string }>('UserCredentials').implement({
  description: 'A user and its password, shown once after create or reset (also kept in `Instance.managedUsers`).',
  fields: (t) => ({ name: t.exposeString('name'), password: t.exposeString('password') }),
});
const RevokedRef = builder.objectRef<{ user: string; database: string }>('RevokedGrant').implement({ fields: (t) => ({ user: t.exposeString('user'), database: t.exposeString('database') }) });
const RowResultRef = builder.objectRef<{ row: Row }>('RowResult').implement({ fields: (t) => ({ row: t.field({ type: 'JSON', resolve: (r) => r.row }) }) });
const CountRef = builder.objectRef<{ count: number }>('AffectedRows').implement({ fields: (t) => ({ count: t.exposeInt('count') }) });
const TableRefType = builder.objectRef<{ database: string; table: string }>('TableRef').implement({ fields: (t) => ({ database: t.exposeString('database'), table: t.exposeString('table') }) });

const RowUpdateInput = builder.inputType('RowUpdateInput', {
  fields: (t) => ({
    key: t.field({ type: 'JSON', required: true, description: 'Key columns and values identifying exactly one row.' }),
    changes: t.field({ type: 'JSON', required: true, description: 'Column → new value.' }),
    expected: t.field({ type: 'JSON', description: 'Column → value last seen; the update fails with a conflict if the row differs.' }),
  }),
});

const toUpdate = (input: { key?: unknown; changes?: unknown; expected?: unknown }): RowUpdate => ({
  key: input.key as RowKey,
  changes: input.changes as Row,
  ...(input.expected === undefined || input.expected === null ? {} : { expected: input.expected as Row }),
});


builder.queryFields((t) => ({
  databases: t.field({
    type: [DatabaseInfoRef],
    args: { instanceId: t.arg.id({ required: true }) },
    errors: {},
    resolve: (_r, a, ctx) => ctx.services.data.listDatabases(String(a.instanceId)),
  }),
  tables: t.field({
    type: [TableInfoRef],
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }) },
    errors: {},
    resolve: (_r, a, ctx) => ctx.services.data.listTables(String(a.instanceId), a.database),
  }),
  columns: t.field({
    type: [ColumnInfoRef],
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }) },
    errors: {},
    resolve: (_r, a, ctx) => ctx.services.data.describeTable(String(a.instanceId), a.database, a.table),
  }),
  rows: t.field({
    type: RowPageRef,
    args: {
      instanceId: t.arg.id({ required: true }),
      database: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      cursor: t.arg.string(),
      limit: t.arg.int({ defaultValue: 50 }),
    },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.readRows(String(a.instanceId), a.database, a.table, a.cursor, a.limit ?? 50, ctx.caller),
  }),
  users: t.field({
    type: [UserInfoRef],
    args: { instanceId: t.arg.id({ required: true }) },
    errors: {},
    resolve: (_r, a, ctx) => ctx.services.data.listUsers(String(a.instanceId)),
  }),
  grants: t.field({
    type: [GrantRef],
    args: { instanceId: t.arg.id({ required: true }), user: t.arg.string() },
    errors: {},
    resolve: (_r, a, ctx) => ctx.services.data.listGrants(String(a.instanceId), a.user),
  }),
}));

builder.mutationFields((t) => ({
  createDatabase: t.field({
    type: NamedRef,
    args: { instanceId: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.createDatabase(String(a.instanceId), a.name, ctx.actor),
  }),
  dropDatabase: t.field({
    type: NamedRef,
    args: { instanceId: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.dropDatabase(String(a.instanceId), a.name, ctx.actor),
  }),
  createUser: t.field({
    type: CredentialsRef,
    args: { instanceId: t.arg.id({ required: true }), name: t.arg.string({ required: true }), password: t.arg.string({ description: 'Generated when absent.' }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.createUser(String(a.instanceId), a.name, a.password, ctx.actor),
  }),
  dropUser: t.field({
    type: NamedRef,
    args: { instanceId: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.dropUser(String(a.instanceId), a.name, ctx.actor),
  }),
  resetUserPassword: t.field({
    type: CredentialsRef,
    args: { instanceId: t.arg.id({ required: true }), name: t.arg.string({ required: true }), password: t.arg.string() },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.resetUserPassword(String(a.instanceId), a.name, a.password, ctx.actor),
  }),
  grantAccess: t.field({
    type: GrantRef,
    args: { instanceId: t.arg.id({ required: true }), user: t.arg.string({ required: true }), database: t.arg.string({ required: true }), access: t.arg({ type: AccessLevelEnum, required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.grant(String(a.instanceId), a.user, a.database, a.access, ctx.actor),
  }),
  revokeAccess: t.field({
    type: RevokedRef,
    args: { instanceId: t.arg.id({ required: true }), user: t.arg.string({ required: true }), database: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.revoke(String(a.instanceId), a.user, a.database, ctx.actor),
  }),
  insertRow: t.field({
    type: RowResultRef,
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }), values: t.arg({ type: 'JSON', required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => ({ row: await ctx.services.data.insertRow(String(a.instanceId), a.database, a.table, a.values as Row, ctx.actor) }),
  }),
  updateRow: t.field({
    description: 'Updates exactly one row; with `expected`, only if it still has those values.',
    type: RowResultRef,
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }), update: t.arg({ type: RowUpdateInput, required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => ({ row: await ctx.services.data.updateRow(String(a.instanceId), a.database, a.table, toUpdate(a.update), ctx.actor) }),
  }),
  bulkUpdateRows: t.field({
    description: 'Applies every update in one transaction, or none.',
    type: CountRef,
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }), updates: t.arg({ type: [RowUpdateInput], required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => ({ count: await ctx.services.data.bulkUpdate(String(a.instanceId), a.database, a.table, a.updates.map(toUpdate), ctx.actor) }),
  }),
  deleteRow: t.field({
    type: TableRefType,
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }), key: t.arg({ type: 'JSON', required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      await ctx.services.data.deleteRow(String(a.instanceId), a.database, a.table, a.key as RowKey, ctx.actor);
      return { database: a.database, table: a.table };
    },
  }),
  dropTable: t.field({
    type: TableRefType,
    args: { instanceId: t.arg.id({ required: true }), database: t.arg.string({ required: true }), table: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      await ctx.services.data.dropTable(String(a.instanceId), a.database, a.table, ctx.actor);
      return { database: a.database, table: a.table };
    },
  }),
  runQuery: t.field({
    description: 'The query console: at most `rowLimit` rows, cancelled after `timeoutMs`.',
    type: QueryResultRef,
    args: {
      instanceId: t.arg.id({ required: true }),
      database: t.arg.string({ required: true }),
      text: t.arg.string({ required: true }),
      rowLimit: t.arg.int({ defaultValue: 250 }),
      timeoutMs: t.arg.int({ defaultValue: 30_000 }),
    },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.data.query(String(a.instanceId), a.database, a.text, a.rowLimit, a.timeoutMs, ctx.actor),
  }),
}));
