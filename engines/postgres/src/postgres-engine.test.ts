import { mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, EngineError, InvalidInputError, NotFoundError, type ConnectionTarget, type EngineSession, type Row } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEngine } from './postgres-engine.js';
import { dumpToFile, restoreFromFile, startInstance, type TestInstance } from './postgres-test-support.js';

const IMAGE = 'postgres:15';
const ROOT_PASSWORD = 'Root-pass.15a';
const FRESH_ROOT_PASSWORD = 'Fresh-root.15b';
const USER_PASSWORD = 'User-pass.42x';
const limits = { rowLimit: 1000, timeoutMs: 10_000 };

const available = await requireImage(IMAGE);

/** The error an operation failed with, so a test can check its class, code and message. */
async function failure(work: () => Promise<unknown>): Promise<EngineError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail');
}

function firstBytes(file: string, count = 256): Uint8Array {
  const buffer = Buffer.alloc(count);
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, buffer, 0, count, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!available)('postgres engine against a real postgres:15', () => {
  let source: TestInstance;
  let fresh: TestInstance | undefined;
  let root: EngineSession;
  const workDir = mkdtempSync(join(tmpdir(), 'krint-pgengine-'));
  const dumpFile = join(workDir, 'cluster.sql');
  const as = (instance: TestInstance, patch: Partial<ConnectionTarget>): ConnectionTarget => ({ ...instance.target, ...patch });

  beforeAll(async () => {
    source = await startInstance('15', ROOT_PASSWORD);
    root = await postgresEngine.connect(source.target);
  });

  afterAll(async () => {
    await root?.close();
    await source?.container.remove();
    await fresh?.container.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a wrong password with a clear error that does not contain it', async () => {
    const error = await failure(() => postgresEngine.connect(as(source, { password: 'Wrong-pass.99' })));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/password/);
    expect(error.message).not.toContain('Wrong-pass.99');
    expect(error.message).not.toContain(ROOT_PASSWORD);
  });

  it('creates databases and users, and a user reaches only the databases it was granted', async () => {
    await root.createDatabase!('shop');
    await root.createDatabase!('other');
    expect(await failure(() => root.createDatabase!('shop'))).toBeInstanceOf(ConflictError);
    const names = (await root.listDatabases()).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['app', 'postgres', 'shop', 'other']));
    expect((await root.listDatabases()).find((d) => d.name === 'postgres')?.isSystem).toBe(true);

    await root.users!.createUser('app_user', USER_PASSWORD);
    expect(await failure(() => root.users!.createUser('app_user', USER_PASSWORD))).toBeInstanceOf(ConflictError);
    await root.users!.grant('app_user', 'shop', 'readwrite');
    expect(await root.users!.listGrants('app_user')).toEqual([
      expect.objectContaining({ user: 'app_user', database: 'shop', access: 'readwrite' }),
    ]);
    const users = await root.users!.listUsers();
    expect(users.find((u) => u.name === 'postgres')).toMatchObject({ isSystem: true, isSuperuser: true });
    expect(users.find((u) => u.name === 'app_user')).toMatchObject({ isSystem: false, isSuperuser: false });

    const user = await postgresEngine.connect(as(source, { user: 'app_user', password: USER_PASSWORD, database: 'shop' }));
    try {
      await user.ping();
      const denied = await failure(() => postgresEngine.connect(as(source, { user: 'app_user', password: USER_PASSWORD, database: 'other' })));
      expect(denied.message).toMatch(/permission denied for database|not have CONNECT/);
      expect(denied.message).not.toContain(USER_PASSWORD);
    } finally {
      await user.close();
    }
  });

  it('creates a table, inserts, pages by key and reads values JSON-safe', async () => {
    await root.query!(
      'shop',
      `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, price numeric(12,2), tags text[], doc jsonb, raw bytea,
                           created timestamptz NOT NULL DEFAULT '2024-05-01 10:00:00+00')`,
      limits,
    );
    const first = await root.insertRow!('shop', 'items', { name: 'first', price: '12.50', tags: ['a', 'b,c'], doc: { n: [1, 2] }, raw: '\\xdeadbeef' });
    expect(first).toEqual({ id: '1', name: 'first', price: '12.50', tags: ['a', 'b,c'], doc: { n: [1, 2] }, raw: '\\xdeadbeef', created: '2024-05-01T10:00:00Z' });
    for (let i = 2; i <= 25; i++) await root.insertRow!('shop', 'items', { name: i % 10 === 0 ? 'dup' : `item ${i}` });

    // The user granted readwrite sees and writes the table the root user created after the grant.
    const user = await postgresEngine.connect(as(source, { user: 'app_user', password: USER_PASSWORD, database: 'shop' }));
    try {
      expect(await user.countRows('shop', 'items')).toBe(25);
    } finally {
      await user.close();
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await root.readRows('shop', 'items', { limit: 10, cursor });
      expect(page.keyColumns).toEqual(['id']);
      expect(page.total).toBe(25);
      expect(page.totalIsEstimate).toBe(false);
      seen.push(...page.rows.map((row) => String(row.id)));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));

    const tables = await root.listTables('shop');
    expect(tables).toEqual([{ name: 'items', schema: 'public', kind: 'table', rowCount: 25, rowCountIsEstimate: false }]);
    const columns = await root.describeTable!('shop', 'items');
    expect(columns.find((c) => c.name === 'id')).toEqual({ name: 'id', type: 'bigint', nullable: false, isPrimaryKey: true });
    expect(columns.find((c) => c.name === 'price')?.type).toBe('numeric(12,2)');
  });

  it('edits exactly one row, with guards and optimistic concurrency', async () => {
    const updated = await root.updateRow!('shop', 'items', { key: { id: '2' }, changes: { name: 'second', price: '3.00' } });
    expect(updated).toMatchObject({ id: '2', name: 'second', price: '3.00' });

    expect(await failure(() => root.updateRow!('shop', 'items', { key: { id: '999' }, changes: { name: 'x' } }))).toBeInstanceOf(NotFoundError);
    const ambiguous = await failure(() => root.updateRow!('shop', 'items', { key: { name: 'dup' }, changes: { name: 'changed' } }));
    expect(ambiguous).toBeInstanceOf(ConflictError);
    expect(ambiguous.message).toMatch(/2 rows/);
    expect(await failure(() => root.deleteRow!('shop', 'items', { name: 'dup' }))).toBeInstanceOf(ConflictError);
    const dups = await root.query!('shop', "SELECT count(*)::int AS n FROM items WHERE name = 'dup'", limits);
    expect(dups.rows[0]).toEqual({ n: 2 });

    const stale = await failure(() => root.updateRow!('shop', 'items', { key: { id: '2' }, changes: { name: 'lost update' }, expected: { name: 'not what it is' } }));
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.message).toMatch(/changed since it was read/);
    expect((await root.query!('shop', 'SELECT name FROM items WHERE id = 2', limits)).rows[0]).toEqual({ name: 'second' });
    const current = await root.updateRow!('shop', 'items', { key: { id: '2' }, changes: { name: 'checked' }, expected: { name: 'second', doc: null } });
    expect(current.name).toBe('checked');

    // Bulk: one failing update rolls back the others.
    const bulk = await failure(() =>
      root.bulkUpdate!('shop', 'items', [
        { key: { id: '3' }, changes: { name: 'bulk 3' } },
        { key: { id: '999' }, changes: { name: 'nowhere' } },
      ]),
    );
    expect(bulk).toBeInstanceOf(NotFoundError);
    expect((await root.query!('shop', 'SELECT name FROM items WHERE id = 3', limits)).rows[0]).toEqual({ name: 'item 3' });
    expect(await root.bulkUpdate!('shop', 'items', [{ key: { id: '3' }, changes: { name: 'bulk 3' } }, { key: { id: '4' }, changes: { name: 'bulk 4' } }])).toBe(2);

    await root.deleteRow!('shop', 'items', { id: '25' });
    expect(await failure(() => root.deleteRow!('shop', 'items', { id: '25' }))).toBeInstanceOf(NotFoundError);
    expect(await root.countRows('shop', 'items')).toBe(24);
    expect(await failure(() => root.updateRow!('shop', 'items', { key: { id: '2' }, changes: { nope: 1 } }))).toBeInstanceOf(InvalidInputError);
  });

  it('pages and edits a table without a primary key by ctid', async () => {
    await root.query!('shop', 'CREATE TABLE notes (body text)', limits);
    await root.query!('shop', "INSERT INTO notes SELECT 'note ' || g FROM generate_series(1, 7) g", limits);
    const first = await root.readRows('shop', 'notes', { limit: 5 });
    expect(first.keyColumns).toEqual(['ctid']);
    expect(first.columns[0]).toMatchObject({ name: 'ctid', type: 'tid' });
    const second = await root.readRows('shop', 'notes', { limit: 5, cursor: first.nextCursor });
    expect(second.nextCursor).toBeNull();
    expect([...first.rows, ...second.rows].map((r) => r.body)).toEqual(Array.from({ length: 7 }, (_, i) => `note ${i + 1}`));
    const target = first.rows[1] as Row;
    const changed = await root.updateRow!('shop', 'notes', { key: { ctid: target.ctid! }, changes: { body: 'edited' } });
    expect(changed.body).toBe('edited');
    await root.deleteRow!('shop', 'notes', { ctid: changed.ctid! });
    expect(await root.countRows('shop', 'notes')).toBe(6);

    // Views show their first page and are read-only: no key columns, no cursor, edits refused.
    await root.query!('shop', 'CREATE VIEW notes_view AS SELECT body FROM notes', limits);
    await root.query!('shop', 'CREATE MATERIALIZED VIEW notes_snapshot AS SELECT body FROM notes', limits);
    for (const view of ['notes_view', 'notes_snapshot']) {
      const page = await root.readRows('shop', view, { limit: 3 });
      expect(page.keyColumns).toEqual([]);
      expect(page.rows).toHaveLength(3);
      expect((await failure(() => root.insertRow!('shop', view, { body: 'x' }))).message).toMatch(/edits rows of tables only/);
    }
    expect((await root.listTables('shop')).find((t) => t.name === 'notes_view')).toEqual({ name: 'notes_view', schema: 'public', kind: 'view' });
    await root.dropTable!('shop', 'notes_view');
    await root.dropTable!('shop', 'notes_snapshot');
  });

  it('reads pages with cached table metadata yet sees tables changed by another connection at once', async () => {
    // DDL from another session: this session's own console would simply forget its cache.
    const other = await postgresEngine.connect(source.target);
    try {
      await other.query!('shop', 'CREATE TABLE shapes (id int PRIMARY KEY, "__proto__" text)', limits);
      await other.query!('shop', "INSERT INTO shapes SELECT g, 'p' || g FROM generate_series(1, 3) g", limits);
      const first = await root.readRows('shop', 'shapes', { limit: 2 });
      expect(first.rows).toEqual([{ id: 1, ['__proto__']: 'p1' }, { id: 2, ['__proto__']: 'p2' }]);
      expect(Object.keys(first.rows[0]!)).toEqual(['id', '__proto__']);
      expect(first).toMatchObject({ keyColumns: ['id'], total: 3, totalIsEstimate: false });
      expect((await root.readRows('shop', 'shapes', { limit: 2, cursor: first.nextCursor })).rows).toEqual([{ id: 3, ['__proto__']: 'p3' }]);
      // A small table's total is counted with every page, never reused.
      await other.query!('shop', "INSERT INTO shapes VALUES (4, 'p4')", limits);
      expect(await root.readRows('shop', 'shapes', { limit: 2 })).toMatchObject({ total: 4, totalIsEstimate: false });

      await other.query!('shop', 'ALTER TABLE shapes ADD COLUMN qty int DEFAULT 7', limits);
      const widened = await root.readRows('shop', 'shapes', { limit: 1 });
      expect(widened.columns.map((column) => column.name)).toEqual(['id', '__proto__', 'qty']);
      expect(widened.rows).toEqual([{ id: 1, ['__proto__']: 'p1', qty: 7 }]);

      // Same name and columns, another table: a different key to page by.
      await other.query!('shop', 'DROP TABLE shapes', limits);
      await other.query!('shop', 'CREATE TABLE shapes (id int, "__proto__" text PRIMARY KEY, qty int)', limits);
      await other.query!('shop', "INSERT INTO shapes VALUES (9, 'b', 1), (8, 'a', 2)", limits);
      const replaced = await root.readRows('shop', 'shapes', { limit: 5 });
      expect(replaced.keyColumns).toEqual(['__proto__']);
      expect(replaced.rows.map((row) => row.id)).toEqual([8, 9]);

      await other.query!('shop', 'DROP TABLE shapes', limits);
      expect(await failure(() => root.readRows('shop', 'shapes', { limit: 5 }))).toBeInstanceOf(NotFoundError);

      // An empty page carries no statistics column: the total is read on its own.
      await other.query!('shop', 'CREATE TABLE nothing_yet (id int PRIMARY KEY)', limits);
      for (let round = 0; round < 2; round++) {
        expect(await root.readRows('shop', 'nothing_yet', { limit: 5 })).toMatchObject({ rows: [], nextCursor: null, total: 0, totalIsEstimate: false });
      }
      await other.query!('shop', 'DROP TABLE nothing_yet', limits);
    } finally {
      await other.close();
    }
  });

  it('pages a 1,000,000-row table by key: a deep page costs what the first page costs', async () => {
    await root.query!('shop', 'CREATE TABLE big (id int PRIMARY KEY, payload text)', limits);
    await root.query!('shop', "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g", { rowLimit: 1, timeoutMs: 120_000 });
    const timed = async (cursor: string | null) => {
      const started = performance.now();
      const page = await root.readRows('shop', 'big', { limit: 50, cursor });
      return { page, ms: performance.now() - started };
    };
    // Warm up the catalog and the index once, then take the best of three of each.
    await timed(null);
    const firstRuns = [await timed(null), await timed(null), await timed(null)];
    const deepCursor = Buffer.from(JSON.stringify([999_900]), 'utf8').toString('base64url');
    const deepRuns = [await timed(deepCursor), await timed(deepCursor), await timed(deepCursor)];
    const first = Math.min(...firstRuns.map((r) => r.ms));
    const deep = Math.min(...deepRuns.map((r) => r.ms));
    expect(firstRuns[0]!.page.rows[0]).toMatchObject({ id: 1 });
    expect(deepRuns[0]!.page.rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => 999_901 + i));
    expect(deepRuns[0]!.page.nextCursor).not.toBeNull();
    expect(deepRuns[0]!.page.total).toBeGreaterThan(900_000);
    expect(deepRuns[0]!.page.totalIsEstimate).toBe(true);
    // OFFSET 999,900 would scan a million rows (hundreds of ms); a keyset page stays near the first page's cost.
    expect(deep).toBeLessThan(first * 3 + 25);
    const plan = await root.query!('shop', 'EXPLAIN SELECT * FROM "public"."big" WHERE "id" > 999900::integer ORDER BY "id" LIMIT 51', limits);
    expect(JSON.stringify(plan.rows)).toMatch(/Index Scan using big_pkey/);
    await root.dropTable!('shop', 'big');
    expect((await root.listTables('shop')).map((t) => t.name)).not.toContain('big');
  });

  it('runs console queries with a row limit, a time limit, column types and the command tag', async () => {
    const huge = await root.query!('shop', 'SELECT g AS n, g::bigint AS big, now() AS at FROM generate_series(1, 5000000) g', { rowLimit: 5, timeoutMs: 20_000 });
    expect(huge.truncated).toBe(true);
    expect(huge.rows).toHaveLength(5);
    expect(huge.columns).toEqual([
      { name: 'n', type: 'integer' },
      { name: 'big', type: 'bigint' },
      { name: 'at', type: 'timestamp with time zone' },
    ]);
    expect(huge.command).toBe('SELECT');
    expect(huge.durationMs).toBeLessThan(5_000);

    const insert = await root.query!('shop', "INSERT INTO items (name) VALUES ('via console'), ('via console 2')", limits);
    expect(insert).toMatchObject({ command: 'INSERT', rowCount: 2, truncated: false, rows: [] });
    const custom = await root.query!('shop', "SELECT '1 day'::interval AS i, 1 AS x, 2 AS x", limits);
    expect(custom.columns.map((c) => c.name)).toEqual(['i', 'x', 'x_2']);
    expect(custom.rows[0]).toEqual({ i: 'P1D', x: 1, x_2: 2 });

    const started = performance.now();
    const slow = await failure(() => root.query!('shop', 'SELECT pg_sleep(30)', { rowLimit: 10, timeoutMs: 500 }));
    expect(slow).toBeInstanceOf(InvalidInputError);
    expect(slow.message).toMatch(/500 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);

    const several = await failure(() => root.query!('shop', 'SELECT 1; SELECT 2', limits));
    expect(several.message).toMatch(/one statement at a time/);
    expect(await failure(() => root.query!('shop', 'SELEC nonsense', limits))).toBeInstanceOf(InvalidInputError);
  });

  it('refuses injection attempts and long names, and the database shows no side effect', async () => {
    const before = {
      databases: (await root.listDatabases()).map((d) => d.name).sort(),
      users: (await root.users!.listUsers()).map((u) => u.name).sort(),
      items: await root.countRows('shop', 'items'),
    };
    const hostile = ['x"; DROP DATABASE shop; --', "x'; DROP TABLE items; --", 'items; DROP TABLE items', 'a/*', 'ünïcödé', 'x'.repeat(10_240)];
    for (const name of hostile) {
      expect(await failure(() => root.createDatabase!(name))).toBeInstanceOf(InvalidInputError);
      expect(await failure(() => root.users!.createUser(name, USER_PASSWORD))).toBeInstanceOf(InvalidInputError);
      const dropped = await failure(() => root.dropDatabase!(name));
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(dropped.code);
      const read = await failure(() => root.readRows('shop', name, { limit: 5 }));
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(read.code);
      const dropTable = await failure(() => root.dropTable!('shop', name));
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(dropTable.code);
      const grant = await failure(() => root.users!.grant('app_user', name, 'all'));
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(grant.code);
      const listed = await failure(() => root.listTables(name));
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(listed.code);
    }
    for (const password of ["x'; DROP TABLE items; --", 'short', 'with space inside', 'p'.repeat(10_240)]) {
      const refused = await failure(() => root.users!.createUser('new_user', password));
      expect(refused).toBeInstanceOf(InvalidInputError);
      expect(refused.message).not.toContain(password);
    }
    expect(await failure(() => root.updateRow!('shop', 'items', { key: { 'id" = id OR "1': '1' }, changes: { name: 'pwned' } }))).toBeInstanceOf(InvalidInputError);
    expect(await failure(() => root.updateRow!('shop', 'items', { key: { id: "1' OR '1'='1" }, changes: { name: 'pwned' } }))).toBeInstanceOf(InvalidInputError);
    await root.updateRow!('shop', 'items', { key: { id: '5' }, changes: { name: "x'); DROP TABLE items; --" } });

    // A table whose name is quoting trouble is still browsable: quoted, not refused.
    await root.query!('shop', 'CREATE TABLE "we""ird; tåble ☃" (id int PRIMARY KEY)', limits);
    await root.insertRow!('shop', 'we"ird; tåble ☃', { id: 1 });
    expect((await root.readRows('shop', 'we"ird; tåble ☃', { limit: 5 })).rows).toEqual([{ id: 1 }]);
    await root.dropTable!('shop', 'we"ird; tåble ☃');

    expect((await root.listDatabases()).map((d) => d.name).sort()).toEqual(before.databases);
    expect((await root.users!.listUsers()).map((u) => u.name).sort()).toEqual(before.users);
    expect(await root.countRows('shop', 'items')).toBe(before.items);
    expect((await root.query!('shop', 'SELECT name FROM items WHERE id = 5', limits)).rows[0]).toEqual({ name: "x'); DROP TABLE items; --" });
  });

  it('protects system and default databases', async () => {
    expect((await failure(() => root.dropDatabase!('postgres'))).message).toMatch(/system database/);
    expect((await failure(() => root.dropDatabase!('template1'))).message).toMatch(/system database/);
    expect((await failure(() => root.dropDatabase!('app'))).message).toMatch(/default database/);
    expect(await failure(() => root.dropDatabase!('missing_db'))).toBeInstanceOf(NotFoundError);
    expect(await failure(() => root.users!.dropUser('postgres'))).toBeInstanceOf(InvalidInputError);
  });

  it('dumps every database and role, then restores them into a fresh instance', async () => {
    // Something in the other database too, and a second user with read access to it.
    await root.query!('other', 'CREATE TABLE things (id int PRIMARY KEY, label text)', limits);
    await root.query!('other', "INSERT INTO things SELECT g, 'thing ' || g FROM generate_series(1, 40) g", limits);
    await root.users!.createUser('reader', 'Reader-pass.7');
    await root.users!.grant('reader', 'other', 'read');
    const counts = { items: await root.countRows('shop', 'items'), notes: await root.countRows('shop', 'notes'), things: await root.countRows('other', 'things') };

    const dumpContext = { version: '15', rootUser: 'postgres', rootPassword: ROOT_PASSWORD, defaultDatabase: 'app', internalPort: 5432 };
    const dumped = await dumpToFile(source.container.id, postgresEngine.backup!.dumpCommand(dumpContext), dumpFile);
    expect(dumped.stderr).toBe('');
    expect(dumped.code).toBe(0);
    expect(statSync(dumpFile).size).toBeGreaterThan(1000);
    expect(postgresEngine.backup!.checkDumpHeader!(firstBytes(dumpFile))).toBeNull();

    // Drop everything on the source: what comes back must come from the dump.
    await root.users!.revoke('reader', 'other');
    expect(await root.users!.listGrants('reader')).toEqual([]);
    // Another client still connected to a database does not block dropping it: it is disconnected.
    const holder = await postgresEngine.connect(as(source, { database: 'other' }));
    await holder.ping();
    await root.dropDatabase!('shop');
    await root.dropDatabase!('other');
    await expect(holder.ping()).rejects.toThrow();
    await holder.close();
    await root.users!.dropUser('app_user');
    await root.users!.dropUser('reader');
    expect((await root.listDatabases()).map((d) => d.name)).not.toContain('shop');

    fresh = await startInstance('15', FRESH_ROOT_PASSWORD);
    const restoreContext = { ...dumpContext, rootPassword: FRESH_ROOT_PASSWORD };
    const restored = await restoreFromFile(fresh.container.id, postgresEngine.backup!.restoreCommand(restoreContext), dumpFile);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);

    const session = await postgresEngine.connect(fresh.target); // the fresh instance keeps its own root password
    try {
      expect((await session.listDatabases()).map((d) => d.name)).toEqual(expect.arrayContaining(['app', 'shop', 'other']));
      expect(await session.countRows('shop', 'items')).toBe(counts.items);
      expect(await session.countRows('shop', 'notes')).toBe(counts.notes);
      expect(await session.countRows('other', 'things')).toBe(counts.things);
      expect((await session.readRows('shop', 'items', { limit: 1 })).rows[0]).toMatchObject({ id: '1', name: 'first', doc: { n: [1, 2] }, raw: '\\xdeadbeef' });
      expect((await session.users!.listUsers()).map((u) => u.name)).toEqual(expect.arrayContaining(['app_user', 'reader', 'postgres']));
      expect(await session.users!.listGrants('reader')).toEqual([expect.objectContaining({ database: 'other', access: 'read' })]);
      const user = await postgresEngine.connect(as(fresh, { user: 'app_user', password: USER_PASSWORD, database: 'shop' }));
      await user.close();
      await expect(postgresEngine.connect(as(fresh, { user: 'reader', password: 'Reader-pass.7', database: 'shop' }))).rejects.toThrow(/permission denied|CONNECT/);
      await expect(postgresEngine.connect(as(fresh, { password: ROOT_PASSWORD }))).rejects.toThrow(/password/);

      // Rotate the root password: new connections need it, and the open session keeps working.
      await session.users!.setPassword('postgres', 'Rotated-root.1');
      await expect(postgresEngine.connect(as(fresh, { password: FRESH_ROOT_PASSWORD }))).rejects.toThrow(/password/);
      const rotated = await postgresEngine.connect(as(fresh, { password: 'Rotated-root.1' }));
      await rotated.close();
      expect(await session.countRows('other', 'things')).toBe(counts.things);
      // A pool opened after the rotation logs in with the new password.
      expect(await session.listTables('postgres')).toEqual([]);

      // Dropping a user that owns objects hands them to the root user instead of failing or losing data.
      await session.users!.grant('app_user', 'shop', 'all');
      const owner = await postgresEngine.connect(as(fresh, { user: 'app_user', password: USER_PASSWORD, database: 'shop' }));
      try {
        await owner.query!('shop', 'CREATE TABLE owned_by_user (id int PRIMARY KEY)', limits);
        await owner.insertRow!('shop', 'owned_by_user', { id: 1 });
      } finally {
        await owner.close();
      }
      await session.users!.dropUser('app_user');
      expect((await session.users!.listUsers()).map((u) => u.name)).not.toContain('app_user');
      expect(await session.countRows('shop', 'owned_by_user')).toBe(1);
      const ownership = await session.query!('shop', "SELECT tableowner FROM pg_tables WHERE tablename = 'owned_by_user'", limits);
      expect(ownership.rows[0]).toEqual({ tableowner: 'postgres' });
    } finally {
      await session.close();
    }
  });

  it('restores a dump into the instance it came from, including the postgres database', async () => {
    await root.query!('postgres', 'CREATE TABLE kept_in_postgres (id int PRIMARY KEY)', limits);
    await root.query!('postgres', 'INSERT INTO kept_in_postgres SELECT generate_series(1, 25)', limits);
    const dumpContext = { version: '15', rootUser: 'postgres', rootPassword: ROOT_PASSWORD, defaultDatabase: 'app', internalPort: 5432 };
    const samePlace = join(workDir, 'same-instance.sql');
    expect((await dumpToFile(source.container.id, postgresEngine.backup!.dumpCommand(dumpContext), samePlace)).code).toBe(0);
    // Changes after the dump, in the postgres database the dump never creates.
    await root.query!('postgres', 'DELETE FROM kept_in_postgres WHERE id > 5', limits);
    await root.query!('postgres', 'CREATE TABLE made_after_dump (id int)', limits);
    const restored = await restoreFromFile(source.container.id, postgresEngine.backup!.restoreCommand(dumpContext), samePlace);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const session = await postgresEngine.connect(source.target);
    try {
      expect(await session.countRows('postgres', 'kept_in_postgres')).toBe(25);
      expect((await session.listTables('postgres')).map((t) => t.name)).not.toContain('made_after_dump');
    } finally {
      await session.close();
    }
  });

  it('installs plugins: CREATE EXTENSION postgis works', async () => {
    const postgis = postgresEngine.plugins.find((p) => p.id === 'postgis')!;
    if (postgis.install.kind !== 'statements') throw new Error('postgis is installed by statements');
    for (const statement of postgis.install.statements) await root.query!('app', statement, limits);
    const version = await root.query!('app', 'SELECT postgis_version() AS v', limits);
    expect(String(version.rows[0]!.v)).toMatch(/^3\./);
    const point = await root.query!('app', "SELECT ST_AsText(ST_MakePoint(1, 2)) AS p, ST_MakePoint(1, 2) AS g", limits);
    expect(point.rows[0]!.p).toBe('POINT(1 2)');
    expect(point.columns[1]).toEqual({ name: 'g', type: 'geometry' });
  });
});
