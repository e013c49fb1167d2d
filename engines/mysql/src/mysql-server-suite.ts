import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictError,
  encodeCursor,
  EngineError,
  InvalidInputError,
  NotFoundError,
  type ConnectionTarget,
  type DumpContext,
  type Engine,
  type EngineSession,
  type ExecCommand,
} from '@krint/engine-sdk';
import { requireImage, startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The real-server suite both MySQL-family engines run, each against the local `mariadb:10.11`
 * image: one container per suite, one story from provisioning to restore. Imported by the engines'
 * `*.test.ts` files through `@krint/engine-mysql/testing`; not part of the runtime.
 */
export interface ServerSuiteOptions {
  readonly engine: Engine;
  /** The image the container runs (the MySQL engine is exercised against MariaDB here). */
  readonly image: string;
  /** Container environment and server options for that image. */
  readonly env: (rootPassword: string) => Record<string, string>;
  readonly cmd?: readonly string[];
  /** Prefix of the test container's name. */
  readonly namePrefix: string;
  /**
   * What the engine's `checkDumpHeader` should say about a dump of this server: `null` when it must
   * accept it, or a pattern its refusal must match (MySQL refuses a MariaDB dump).
   */
  readonly dumpHeaderVerdict?: RegExp | null;
}

const ROOT_PASSWORD = 'Root-pass.1234';
const NEW_ROOT_PASSWORD = 'Rotated-pass.5678';
const CLERK_PASSWORD = 'Clerk-pass.9012';

export async function serverSuite(options: ServerSuiteOptions): Promise<void> {
  const available = await requireImage(options.image);
  const { engine } = options;

  describe.skipIf(!available)(`${engine.displayName} engine against a real ${options.image} server`, () => {
    let container: StartedTestContainer;
    let root: EngineSession;
    let rootPassword = ROOT_PASSWORD;
    let workDir: string;
    const target = (user = 'root', password = rootPassword, database?: string): ConnectionTarget => ({
      host: container.host,
      port: container.port,
      user,
      password,
      ...(database ? { database } : {}),
    });
    const dumpContext = (): DumpContext => ({
      version: '10.11',
      rootUser: engine.rootUser,
      rootPassword,
      defaultDatabase: engine.defaultDatabase,
      internalPort: 3306,
    });
    const sql = async (text: string, database = 'app_db') => root.query!(database, text, { rowLimit: 1000, timeoutMs: 20_000 });

    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), `${options.namePrefix}-`));
      container = await startTestContainer({
        image: options.image,
        internalPort: 3306,
        env: options.env(ROOT_PASSWORD),
        ...(options.cmd ? { cmd: options.cmd } : {}),
        namePrefix: options.namePrefix,
      });
      const started = Date.now();
      await waitFor(() => engine.readiness.probe(target()), engine.readiness.ceilingMs, 500).catch(async (error: unknown) => {
        throw new Error(`Server never became ready: ${String(error)}\n${await container.logs()}`);
      });
      expect(Date.now() - started).toBeLessThan(engine.readiness.ceilingMs);
      root = await engine.connect(target());
    });

    afterAll(async () => {
      await root?.close();
      await container?.remove();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('refuses a wrong password with a clear error that does not contain it', async () => {
      const wrong = 'Wrong-pass.0000';
      const error = await engine.connect(target('root', wrong)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).message).toMatch(/refused the login/);
      expect((error as EngineError).message).not.toContain(wrong);
      expect((error as Error).cause).toBeUndefined();
      await expect(engine.readiness.probe(target('root', wrong))).rejects.toThrow(/refused the login/);
    });

    it('creates databases, marks system ones, refuses duplicates and system drops', async () => {
      await root.createDatabase!('app_db');
      await root.createDatabase!('appXdb');
      await root.createDatabase!('shop');
      const databases = await root.listDatabases();
      const names = databases.map((d) => d.name);
      expect(names).toEqual(expect.arrayContaining(['app_db', 'appXdb', 'shop', 'mysql', 'information_schema']));
      expect(databases.find((d) => d.name === 'mysql')?.isSystem).toBe(true);
      expect(databases.find((d) => d.name === 'performance_schema')?.isSystem).toBe(true);
      expect(databases.find((d) => d.name === 'shop')?.isSystem).toBe(false);
      await expect(root.createDatabase!('shop')).rejects.toBeInstanceOf(ConflictError);
      await expect(root.dropDatabase!('mysql')).rejects.toThrow(/system database/);
      await expect(root.dropDatabase!('no_such_db')).rejects.toBeInstanceOf(NotFoundError);
      await expect(root.listTables('no_such_db')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('creates a user that reaches only the database it was granted', async () => {
      await sql('CREATE TABLE app_db.notes (id INT PRIMARY KEY, body VARCHAR(100))');
      await sql('CREATE TABLE appXdb.secrets (id INT PRIMARY KEY, body VARCHAR(100))');
      await sql("INSERT INTO appXdb.secrets VALUES (1, 'hidden')");
      await root.users!.createUser('clerk', CLERK_PASSWORD);
      await expect(root.users!.createUser('clerk', CLERK_PASSWORD)).rejects.toBeInstanceOf(ConflictError);
      await root.users!.grant('clerk', 'app_db', 'readwrite');
      expect(await root.users!.listGrants('clerk')).toEqual([
        { user: 'clerk', database: 'app_db', access: 'readwrite', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      ]);
      const users = await root.users!.listUsers();
      expect(users.find((u) => u.name === 'clerk')).toEqual({ name: 'clerk', isSystem: false, isSuperuser: false });
      expect(users.find((u) => u.name === 'root')?.isSystem).toBe(true);

      const clerk = await engine.connect(target('clerk', CLERK_PASSWORD));
      try {
        const visible = (await clerk.listDatabases()).map((d) => d.name);
        expect(visible).toContain('app_db');
        // `appXdb` would match an unescaped `app_db` grant pattern; the escaped grant keeps it out.
        expect(visible).not.toContain('appXdb');
        expect(visible).not.toContain('shop');
        await clerk.insertRow!('app_db', 'notes', { id: 1, body: 'mine' });
        await expect(clerk.countRows('appXdb', 'secrets')).rejects.toBeInstanceOf(EngineError);
        await expect(clerk.query!('appXdb', 'SELECT * FROM secrets', { rowLimit: 10, timeoutMs: 5000 })).rejects.toThrow(/denied/i);

        await root.users!.grant('clerk', 'app_db', 'read');
        expect((await root.users!.listGrants('clerk')).map((g) => g.access)).toEqual(['read']);
        await expect(clerk.insertRow!('app_db', 'notes', { id: 2, body: 'not allowed' })).rejects.toThrow(/denied/i);
        expect(await clerk.countRows('app_db', 'notes')).toBe(1);
      } finally {
        await clerk.close();
      }
      await root.users!.revoke('clerk', 'app_db');
      expect(await root.users!.listGrants('clerk')).toEqual([]);
      await root.users!.grant('clerk', 'app_db', 'readwrite');
      await expect(root.users!.grant('clerk', 'no_such_db', 'read')).rejects.toBeInstanceOf(NotFoundError);
      await expect(root.users!.grant('nobody', 'app_db', 'read')).rejects.toBeInstanceOf(NotFoundError);
      await expect(root.users!.dropUser('root')).rejects.toThrow(/system account/);
    });

    it('inserts rows and returns them as stored, with JSON-safe values', async () => {
      await sql(`CREATE TABLE items (
        id BIGINT AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(50) NOT NULL,
        price DECIMAL(12,2),
        big BIGINT,
        created DATETIME(3),
        seen TIMESTAMP NULL,
        data VARBINARY(16),
        flag BIT(1)
      )`);
      const first = await root.insertRow!('app_db', 'items', {
        name: 'first',
        price: '1234567890.25',
        big: '9007199254740993',
        created: '2024-05-01T10:20:30.125',
        seen: '2024-05-01T10:20:30Z',
        data: Buffer.from([0, 1, 255]).toString('base64'),
        flag: 1,
      });
      expect(first).toEqual({
        id: '1',
        name: 'first',
        price: '1234567890.25',
        big: '9007199254740993',
        created: '2024-05-01T10:20:30.125',
        seen: '2024-05-01T10:20:30Z',
        data: 'AAH/',
        flag: 1,
      });
      for (let i = 2; i <= 25; i++) {
        const row = await root.insertRow!('app_db', 'items', { name: i % 5 === 0 ? 'dup' : `item ${i}`, price: `${i}.50` });
        expect(row.id).toBe(String(i));
      }
      await expect(root.insertRow!('app_db', 'items', { nope: 1 })).rejects.toBeInstanceOf(InvalidInputError);
      const columns = await root.describeTable!('app_db', 'items');
      expect(columns[0]).toEqual({ name: 'id', type: 'bigint(20)', nullable: false, isPrimaryKey: true });
      const tables = await root.listTables('app_db');
      expect(tables.map((t) => t.name)).toEqual(['items', 'notes']);
      expect(tables[0]?.rowCountIsEstimate).toBe(true);
      expect(await root.countRows('app_db', 'items')).toBe(25);
    });

    it('pages by keyset through several pages', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await root.readRows('app_db', 'items', { cursor, limit: 10 });
        pages += 1;
        expect(page.keyColumns).toEqual(['id']);
        expect(page.total).toBe(25);
        expect(page.totalIsEstimate).toBe(false);
        seen.push(...page.rows.map((r) => String(r.id)));
        cursor = page.nextCursor;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
      await expect(root.readRows('app_db', 'items', { cursor: 'not-a-cursor', limit: 10 })).rejects.toBeInstanceOf(InvalidInputError);

      // A page deep in a large table is an index range scan, not a scan past every earlier row.
      await sql('CREATE TABLE digits (d INT NOT NULL)');
      await sql('INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
      await sql('CREATE TABLE big (id INT PRIMARY KEY, pad CHAR(20) NOT NULL)');
      await sql(`INSERT INTO big SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1, 'padding'
                   FROM digits a, digits b, digits c, digits e, digits f`);
      const firstStarted = performance.now();
      const firstPage = await root.readRows('app_db', 'big', { limit: 10 });
      const firstMs = performance.now() - firstStarted;
      expect(firstPage.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(firstPage.totalIsEstimate).toBe(true);
      const deepStarted = performance.now();
      const deepPage = await root.readRows('app_db', 'big', { cursor: encodeCursor([99_990]), limit: 10 });
      const deepMs = performance.now() - deepStarted;
      expect(deepPage.rows.map((r) => r.id)).toEqual([99_991, 99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999, 100_000]);
      expect(deepPage.nextCursor).toBeNull();
      expect(deepMs).toBeLessThan(Math.max(500, firstMs * 5));
      const plan = await sql('EXPLAIN SELECT * FROM big WHERE `id` > 99990 ORDER BY `id` LIMIT 11');
      expect(plan.rows[0]).toMatchObject({ type: 'range', key: 'PRIMARY' });
      expect(Number(plan.rows[0]?.rows)).toBeLessThan(1000);
      await root.dropTable!('app_db', 'big');
      await root.dropTable!('app_db', 'digits');

      // A composite primary key pages in key order too.
      await sql('CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(5) NOT NULL, PRIMARY KEY (a, b))');
      await sql("INSERT INTO pairs VALUES (1,'a'),(1,'b'),(1,'c'),(2,'a'),(2,'b'),(3,'a'),(3,'z')");
      const pairs: string[] = [];
      cursor = null;
      for (let i = 0; i < 10; i++) {
        const page = await root.readRows('app_db', 'pairs', { cursor, limit: 2 });
        pairs.push(...page.rows.map((r) => `${String(r.a)}${String(r.b)}`));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(pairs).toEqual(['1a', '1b', '1c', '2a', '2b', '3a', '3z']);

      // No primary key: a NOT NULL unique key is used; without one the table is read-only.
      await sql('CREATE TABLE by_code (code VARCHAR(10) NOT NULL, UNIQUE KEY u_code (code), note TEXT)');
      await sql("INSERT INTO by_code VALUES ('b', 'x'), ('a', 'y'), ('c', 'z')");
      const byCode = await root.readRows('app_db', 'by_code', { limit: 2 });
      expect(byCode.keyColumns).toEqual(['code']);
      expect(byCode.rows.map((r) => r.code)).toEqual(['a', 'b']);
      expect((await root.readRows('app_db', 'by_code', { cursor: byCode.nextCursor, limit: 2 })).rows.map((r) => r.code)).toEqual(['c']);
      await sql('CREATE TABLE loose (v INT)');
      await sql('INSERT INTO loose VALUES (1), (1), (2)');
      const loose = await root.readRows('app_db', 'loose', { limit: 10 });
      expect(loose.keyColumns).toEqual([]);
      expect(loose.keyNote).toMatch(/no primary key and no unique key on NOT NULL columns/);
      expect(byCode.keyNote).toBeUndefined();
      expect(loose.nextCursor).toBeNull();
      expect(loose.rows).toHaveLength(3);
      await expect(root.updateRow!('app_db', 'loose', { key: { v: 2 }, changes: { v: 3 } })).rejects.toThrow(/no primary key/);
    });

    it('reads pages with cached table metadata yet sees tables changed by another connection at once', async () => {
      // DDL from another session: this session's own console would simply forget its cache.
      const other = await engine.connect(target());
      const otherSql = (text: string) => other.query!('app_db', text, { rowLimit: 10, timeoutMs: 20_000 });
      try {
        await otherSql('CREATE TABLE shapes (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL)');
        await otherSql("INSERT INTO shapes VALUES (1, 'x'), (2, 'y'), (3, 'z')");
        expect(await root.readRows('app_db', 'shapes', { limit: 2 })).toMatchObject({ keyColumns: ['id'], total: 3, totalIsEstimate: false });
        // A small table's total is counted with every page, never reused.
        await otherSql("INSERT INTO shapes VALUES (4, 'w')");
        expect(await root.readRows('app_db', 'shapes', { limit: 2 })).toMatchObject({ total: 4, totalIsEstimate: false });

        await otherSql('ALTER TABLE shapes ADD COLUMN qty INT DEFAULT 7');
        const widened = await root.readRows('app_db', 'shapes', { limit: 1 });
        expect(widened.columns.map((column) => column.name)).toEqual(['id', 'a', 'qty']);
        expect(widened.rows).toEqual([{ id: 1, a: 'x', qty: 7 }]);

        // The key moves to another column: the key flags in the result description move with it.
        await otherSql('ALTER TABLE shapes DROP PRIMARY KEY, ADD PRIMARY KEY (a)');
        const rekeyed = await root.readRows('app_db', 'shapes', { limit: 5 });
        expect(rekeyed.keyColumns).toEqual(['a']);
        expect(rekeyed.rows.map((row) => row.a)).toEqual(['w', 'x', 'y', 'z']);

        await otherSql('DROP TABLE shapes');
        await expect(root.readRows('app_db', 'shapes', { limit: 5 })).rejects.toBeInstanceOf(NotFoundError);
      } finally {
        await other.close();
      }
    });

    it('edits exactly one row, or changes nothing', async () => {
      const updated = await root.updateRow!('app_db', 'items', { key: { id: '2' }, changes: { name: 'second' } });
      expect(updated).toMatchObject({ id: '2', name: 'second', price: '2.50' });
      await expect(root.updateRow!('app_db', 'items', { key: { id: 999 }, changes: { name: 'x' } })).rejects.toBeInstanceOf(NotFoundError);
      // A key that matches several rows is refused and rolled back.
      await expect(root.updateRow!('app_db', 'items', { key: { name: 'dup' }, changes: { name: 'changed' } })).rejects.toBeInstanceOf(ConflictError);
      expect((await sql("SELECT COUNT(*) AS n FROM items WHERE name = 'dup'")).rows[0]?.n).toBe('5');
      // Optimistic concurrency: stale expected values conflict, current ones apply.
      await expect(
        root.updateRow!('app_db', 'items', { key: { id: '3' }, changes: { price: '9.99' }, expected: { price: '1.00' } }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await sql('SELECT price FROM items WHERE id = 3')).rows[0]?.price).toBe('3.50');
      const fresh = await root.updateRow!('app_db', 'items', { key: { id: '3' }, changes: { price: '9.99' }, expected: { price: '3.50', name: 'item 3' } });
      expect(fresh.price).toBe('9.99');
      // Changing the key itself returns the row under its new key.
      expect((await root.updateRow!('app_db', 'pairs', { key: { a: 3, b: 'z' }, changes: { b: 'y' } })).b).toBe('y');

      // Bulk: all or nothing.
      await expect(
        root.bulkUpdate!('app_db', 'items', [
          { key: { id: '4' }, changes: { name: 'bulk 4' } },
          { key: { id: '999' }, changes: { name: 'missing' } },
        ]),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect((await sql('SELECT name FROM items WHERE id = 4')).rows[0]?.name).toBe('item 4');
      expect(
        await root.bulkUpdate!('app_db', 'items', [
          { key: { id: '4' }, changes: { name: 'bulk 4' } },
          { key: { id: '6' }, changes: { name: 'bulk 6' } },
        ]),
      ).toBe(2);
      expect((await sql('SELECT name FROM items WHERE id IN (4, 6) ORDER BY id')).rows.map((r) => r.name)).toEqual(['bulk 4', 'bulk 6']);

      await expect(root.deleteRow!('app_db', 'items', { name: 'dup' })).rejects.toBeInstanceOf(ConflictError);
      await root.deleteRow!('app_db', 'items', { id: '25' });
      await expect(root.deleteRow!('app_db', 'items', { id: '25' })).rejects.toBeInstanceOf(NotFoundError);
      expect(await root.countRows('app_db', 'items')).toBe(24);
    });

    it('runs console queries with a row limit, a time limit and column types', async () => {
      const limited = await root.query!('app_db', 'SELECT id, name, price FROM items ORDER BY id', { rowLimit: 5, timeoutMs: 10_000 });
      expect(limited.rows).toHaveLength(5);
      expect(limited.truncated).toBe(true);
      expect(limited.command).toBe('SELECT');
      expect(limited.columns).toEqual([
        { name: 'id', type: 'bigint' },
        { name: 'name', type: 'varchar' },
        { name: 'price', type: 'decimal' },
      ]);
      // 24^4 = 331,776 rows: the limit stops the transfer instead of reading them all.
      const huge = await root.query!('app_db', 'SELECT a.id FROM items a, items b, items c, items d', { rowLimit: 10, timeoutMs: 20_000 });
      expect(huge.rows).toHaveLength(10);
      expect(huge.truncated).toBe(true);
      expect(huge.durationMs).toBeLessThan(10_000);

      const started = Date.now();
      await expect(root.query!('app_db', 'SELECT SLEEP(10)', { rowLimit: 10, timeoutMs: 700 })).rejects.toThrow(/cancelled after 700 ms/);
      expect(Date.now() - started).toBeLessThan(6_000);
      await expect(root.query!('app_db', "UPDATE items SET name = CONCAT(name, '') WHERE id < 0 OR SLEEP(10)", { rowLimit: 1, timeoutMs: 700 })).rejects.toThrow(/cancelled/);
      await root.ping();

      const write = await root.query!('app_db', "UPDATE items SET name = 'via console' WHERE id = 5", { rowLimit: 10, timeoutMs: 5000 });
      expect(write).toMatchObject({ rowCount: 1, truncated: false, command: 'UPDATE', rows: [] });
      const dupNames = await root.query!('app_db', 'SELECT 1 AS a, 2 AS a', { rowLimit: 10, timeoutMs: 5000 });
      expect(dupNames.rows).toEqual([{ a: 1, 'a (2)': 2 }]);
      await expect(root.query!('no_such_db', 'SELECT 1', { rowLimit: 1, timeoutMs: 1000 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(root.query!('app_db', 'SELECT * FROM nowhere', { rowLimit: 1, timeoutMs: 1000 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(root.query!('app_db', 'SELECT 1; DROP DATABASE shop', { rowLimit: 1, timeoutMs: 1000 })).rejects.toBeInstanceOf(EngineError);
      expect((await root.listDatabases()).map((d) => d.name)).toContain('shop');
    });

    it('dumps every database and the users, and restores them after everything is dropped', async () => {
      const dumpFile = join(workDir, `dump.${engine.backup!.fileExtension}`);
      await execToFile(container.id, engine.backup!.dumpCommand(dumpContext()), dumpFile);
      expect((await stat(dumpFile)).size).toBeGreaterThan(1000);
      const verdict = engine.backup!.checkDumpHeader!(await firstBytes(dumpFile));
      if (options.dumpHeaderVerdict) expect(verdict).toMatch(options.dumpHeaderVerdict);
      else expect(verdict).toBeNull();

      const before = await inventory(root, ['app_db', 'appXdb', 'shop']);
      await root.dropDatabase!('app_db');
      await root.dropDatabase!('appXdb');
      await root.dropDatabase!('shop');
      await root.users!.dropUser('clerk');
      await expect(root.users!.dropUser('clerk')).rejects.toBeInstanceOf(NotFoundError);
      expect((await root.listDatabases()).map((d) => d.name)).not.toContain('app_db');

      await execFromFile(container.id, engine.backup!.restoreCommand(dumpContext()), dumpFile);
      expect(await inventory(root, ['app_db', 'appXdb', 'shop'])).toEqual(before);
      expect((await root.readRows('app_db', 'items', { limit: 1 })).rows[0]).toMatchObject({ id: '1', data: 'AAH/', price: '1234567890.25' });
      expect(await root.users!.listGrants('clerk')).toEqual([expect.objectContaining({ database: 'app_db', access: 'readwrite' })]);
      const clerk = await engine.connect(target('clerk', CLERK_PASSWORD));
      expect(await clerk.countRows('app_db', 'notes')).toBe(1);
      await clerk.close();
      // The restore kept root's current password.
      await engine.readiness.probe(target());
    });

    it('restores a dump that hides client commands from the scanner without running any of them', async () => {
      // With NO_BACKSLASH_ESCAPES the client ends the string at the backslash, so the commands on
      // the next lines are outside quotes; read with escapes on (as dumps are) they are inside.
      const hidden = ["SET sql_mode = 'NO_BACKSLASH_ESCAPES';", "SELECT 'a\\';", '\\! touch /tmp/pwned-bang', 'system touch /tmp/pwned-system', "';", ''].join('\n');
      expect(engine.backup!.createDumpScanner!().push(Buffer.from(hidden))).toBeNull();
      const file = join(workDir, 'hidden.sql');
      await writeFile(file, hidden);
      await expect(execFromFile(container.id, engine.backup!.restoreCommand(dumpContext()), file)).rejects.toThrow(/Unknown command/);
      for (const name of ['/tmp/pwned-bang', '/tmp/pwned-system']) await expect(container.exec(['test', '-e', name])).rejects.toThrow();
      await engine.readiness.probe(target());
    });

    it('rotates the root password on every root account', async () => {
      await root.users!.setPassword('root', NEW_ROOT_PASSWORD);
      await expect(engine.connect(target('root', ROOT_PASSWORD))).rejects.toThrow(/refused the login/);
      rootPassword = NEW_ROOT_PASSWORD;
      const fresh = await engine.connect(target());
      await root.close();
      root = fresh;
      // Dumps log in inside the container as root@localhost: that account moved too.
      const dumpFile = join(workDir, 'after-rotation.sql');
      await execToFile(container.id, engine.backup!.dumpCommand(dumpContext()), dumpFile);
      expect((await stat(dumpFile)).size).toBeGreaterThan(1000);
      await expect(root.users!.setPassword('root', "bad'password")).rejects.toBeInstanceOf(InvalidInputError);
      await expect(root.users!.setPassword('nobody', NEW_ROOT_PASSWORD)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses or quotes injection attempts and changes nothing', async () => {
      const databasesBefore = (await root.listDatabases()).map((d) => d.name);
      const usersBefore = (await root.users!.listUsers()).map((u) => u.name);
      const tablesBefore = await inventory(root, ['app_db']);
      const huge = 'x'.repeat(10_240);
      const hostile = ["x`; DROP DATABASE app_db; --", "a'; DROP DATABASE app_db; --", 'b" OR 1=1 --', 'c/* c */', 'd;e', 'ñame', huge];

      for (const name of hostile) {
        await expect(root.createDatabase!(name)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(root.users!.createUser(name, CLERK_PASSWORD)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(root.users!.grant('clerk', name, 'all')).rejects.toBeInstanceOf(InvalidInputError);
        await expect(root.users!.grant(name, 'app_db', 'all')).rejects.toBeInstanceOf(InvalidInputError);
        await expect(root.dropDatabase!(name)).rejects.toBeInstanceOf(EngineError);
        await expect(root.readRows('app_db', name, { limit: 5 })).rejects.toBeInstanceOf(EngineError);
        await expect(root.dropTable!('app_db', name)).rejects.toBeInstanceOf(EngineError);
        await expect(root.countRows('app_db', name)).rejects.toBeInstanceOf(EngineError);
        await expect(root.updateRow!('app_db', 'items', { key: { id: '1' }, changes: { [name]: 1 } })).rejects.toBeInstanceOf(InvalidInputError);
      }
      const badPassword = "pw' OR '1'='1";
      const error = await root.users!.createUser('mallory', badPassword).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).not.toContain(badPassword);
      await expect(root.users!.grant('clerk', 'app_db', 'everything' as never)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(root.users!.createUser('mallory', huge)).rejects.toBeInstanceOf(InvalidInputError);

      // Values with quotes go through placeholders and are stored as they are.
      const stored = await root.insertRow!('app_db', 'items', { name: "O'Brien\"; DROP TABLE items; --" });
      expect(stored.name).toBe("O'Brien\"; DROP TABLE items; --");
      await root.deleteRow!('app_db', 'items', { id: stored.id! });

      // Existing tables with hostile names are reachable through quoting.
      const odd = 'ñ表 `q`?; -- /*x*/';
      await sql('CREATE TABLE `ñ表 ``q``?; -- /*x*/` (id INT PRIMARY KEY, v VARCHAR(10))');
      await root.insertRow!('app_db', odd, { id: 1, v: 'ok' });
      expect((await root.readRows('app_db', odd, { limit: 5 })).rows).toEqual([{ id: 1, v: 'ok' }]);
      await root.dropTable!('app_db', odd);

      expect((await root.listDatabases()).map((d) => d.name)).toEqual(databasesBefore);
      expect((await root.users!.listUsers()).map((u) => u.name)).toEqual(usersBefore);
      expect(await inventory(root, ['app_db'])).toEqual(tablesBefore);
    });
  });
}

/** Every table of `databases` with its exact row count. */
async function inventory(session: EngineSession, databases: readonly string[]): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const database of databases) {
    for (const table of await session.listTables(database)) {
      result[`${database}.${table.name}`] = await session.countRows(database, table.name);
    }
  }
  return result;
}

async function firstBytes(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * `docker exec` of an engine command the way the agent runs it: secrets reach the command through
 * the environment (`-e NAME` copies the value from this process's environment, so it is not in the
 * Docker CLI's arguments either).
 */
function dockerExec(containerId: string, command: ExecCommand, interactive: boolean) {
  const env = command.env ?? {};
  const args = ['exec', ...(interactive ? ['-i'] : []), ...Object.keys(env).flatMap((name) => ['-e', name]), containerId, ...command.argv];
  return spawn('docker', args, { env: { ...process.env, ...env }, stdio: [interactive ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

function finished(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker exec did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`docker exec exited with ${code}: ${stderr}`));
    });
  });
}

/** Streams a dump command's stdout into `file`. */
async function execToFile(containerId: string, command: ExecCommand, file: string): Promise<void> {
  const child = dockerExec(containerId, command, false);
  const out = createWriteStream(file);
  child.stdout?.pipe(out);
  await finished(child, 120_000);
  await new Promise<void>((resolve, reject) => {
    if (out.writableFinished) resolve();
    else out.on('finish', resolve).on('error', reject);
  });
}

/** Streams `file` into a restore command's stdin. */
async function execFromFile(containerId: string, command: ExecCommand, file: string): Promise<void> {
  const child = dockerExec(containerId, command, true);
  createReadStream(file).pipe(child.stdin!);
  await finished(child, 180_000);
}

