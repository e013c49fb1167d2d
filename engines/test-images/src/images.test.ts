// Runs each local test image the way the engine plugins will: official environment variables,
// a random 127.0.0.1 port, and a real login through the real client library.
// Under CI=true a missing image fails; elsewhere the test is skipped (build with `npm run images`).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { TEST_IMAGES, postgresDataDir } from './index.js';

const execFileP = promisify(execFile);
const IN_CI = process.env.CI === 'true';
const PREFIX = 'krint-imgtest-';
const created = new Set<string>();
// containers share one daemon with other test files on a small machine: allow for slow starts
const SLOW = 240_000;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function dockerResult(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP('docker', args, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let dockerOk: boolean | undefined;
async function dockerAvailable(): Promise<boolean> {
  if (dockerOk === undefined) dockerOk = (await dockerResult('version', '--format', '{{.Server.Version}}')).code === 0;
  return dockerOk;
}

/** Skip (or, under CI, fail) when Docker or the image is not there. */
async function requireImage(ctx: TestContext, image: string): Promise<void> {
  if (!(await dockerAvailable())) {
    if (IN_CI) throw new Error('Docker daemon not reachable');
    ctx.skip();
  }
  const { code } = await dockerResult('image', 'inspect', image);
  if (code !== 0) {
    if (IN_CI) throw new Error(`image ${image} is missing: run npm run images`);
    ctx.skip();
  }
}

interface Started {
  name: string;
  port: number;
}

/** docker run -d with env, publishing containerPort on a random 127.0.0.1 port. */
async function run(image: string, containerPort: number, env: Record<string, string>, args: string[] = []): Promise<Started> {
  const name = `${PREFIX}${randomBytes(5).toString('hex')}`;
  created.add(name);
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await docker('run', '-d', '--name', name, '-p', `127.0.0.1::${containerPort}`, ...envArgs, image, ...args);
  return { name, port: await hostPort(name, containerPort) };
}

async function hostPort(name: string, containerPort: number): Promise<number> {
  const mapping = await docker('port', name, `${containerPort}/tcp`);
  const match = /127\.0\.0\.1:(\d+)/.exec(mapping);
  if (!match?.[1]) throw new Error(`no port mapping for ${name}: ${mapping}`);
  return Number(match[1]);
}

async function remove(name: string): Promise<void> {
  await dockerResult('rm', '-f', '-v', name);
  created.delete(name);
}

/** Retry fn until it resolves; give up after timeoutMs with the container's log in the error. */
async function eventually<T>(name: string, fn: () => Promise<T>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      const state = await dockerResult('inspect', '-f', '{{.State.Running}}', name);
      if (state.stdout.trim() === 'false') break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const logs = await dockerResult('logs', '--tail', '40', name);
  throw new Error(`${name} not ready: ${String(last)}\n${logs.stdout}${logs.stderr}`);
}

async function pgConnect(port: number, user: string, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

async function waitExit(name: string, timeoutMs: number): Promise<number> {
  const { stdout } = await execFileP('timeout', [String(Math.ceil(timeoutMs / 1000)), 'docker', 'wait', name]);
  return Number(stdout.trim());
}

afterAll(async () => {
  await Promise.all([...created].map((name) => remove(name)));
});

describe('krint-test/busybox', () => {
  it('runs sh and the basic applets from an otherwise empty image', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.busybox);
    const name = `${PREFIX}${randomBytes(5).toString('hex')}`;
    created.add(name);
    const out = await docker('run', '--name', name, TEST_IMAGES.busybox, 'sh', '-c', 'echo hello; sleep 0.1; cat /etc/passwd | head -n 1; ls /bin/sh');
    expect(out.split('\n')).toEqual(['hello', 'root:x:0:0:root:/root:/bin/sh', '/bin/sh']);
    await remove(name);
    const cmd = await docker('image', 'inspect', '-f', '{{json .Config.Cmd}}', TEST_IMAGES.busybox);
    expect(JSON.parse(cmd)).toEqual(['sh']);
    const size = Number(await docker('image', 'inspect', '-f', '{{.Size}}', TEST_IMAGES.busybox));
    expect(size).toBeLessThan(5_000_000);
  }, SLOW);
});

describe('postgres:15', () => {
  it('initialises with POSTGRES_USER/PASSWORD/DB, uses scram for host logins and has PostGIS', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.postgres15);
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const c = await run(TEST_IMAGES.postgres15, 5432, { POSTGRES_PASSWORD: password, POSTGRES_USER: 'krint', POSTGRES_DB: 'appdb' });
    const client = await eventually(c.name, () => pgConnect(c.port, 'krint', password, 'appdb'));
    try {
      const info = await client.query<{ u: string; db: string; v: string; enc: string }>(
        "SELECT current_user AS u, current_database() AS db, current_setting('server_version_num') AS v, current_setting('password_encryption') AS enc",
      );
      expect(info.rows[0]).toMatchObject({ u: 'krint', db: 'appdb', enc: 'scram-sha-256' });
      expect(Math.floor(Number(info.rows[0]?.v) / 10_000)).toBe(15);
      await client.query('CREATE EXTENSION postgis');
      const gis = await client.query<{ d: number }>("SELECT ST_Distance('POINT(0 0)'::geometry, 'POINT(3 4)'::geometry) AS d");
      expect(gis.rows[0]?.d).toBe(5);
    } finally {
      await client.end();
    }
    await expect(pgConnect(c.port, 'krint', 'wrong-password', 'appdb')).rejects.toThrow(/password authentication failed/);

    // client tools of version 15 on PATH
    const tools = await docker('exec', c.name, 'sh', '-c', 'for t in psql pg_dump pg_dumpall pg_restore; do $t --version; done');
    expect(tools.split('\n').filter((l) => /\) 15\./.test(l))).toHaveLength(4);
    const viaSocket = await docker('exec', c.name, 'psql', '-U', 'krint', '-d', 'appdb', '-Atc', 'SELECT 1');
    expect(viaSocket).toBe('1');

    // the server is PID 1 and a SIGTERM stops it cleanly
    expect(await docker('exec', c.name, 'cat', '/proc/1/comm')).toBe('postgres');
    await docker('kill', '-s', 'TERM', c.name);
    expect(await waitExit(c.name, 30_000)).toBe(0);
    // a restart keeps the data directory and skips initdb
    await docker('start', c.name);
    // (the random host port may change on restart)
    const port = await hostPort(c.name, 5432);
    const again = await eventually(c.name, () => pgConnect(port, 'krint', password, 'appdb'));
    try {
      const ext = await again.query("SELECT 1 FROM pg_extension WHERE extname = 'postgis'");
      expect(ext.rowCount).toBe(1);
    } finally {
      await again.end();
    }
    expect(await docker('logs', c.name)).toMatch(/appears to contain a database; Skipping initialization/);
    await remove(c.name);
  }, SLOW);

  it('refuses to initialise without POSTGRES_PASSWORD and runs other commands as given', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.postgres15);
    const name = `${PREFIX}${randomBytes(5).toString('hex')}`;
    created.add(name);
    const res = await dockerResult('run', '--name', name, TEST_IMAGES.postgres15);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/superuser password is not specified/);
    await remove(name);
    const out = await docker('run', '--rm', TEST_IMAGES.postgres15, 'echo', 'plain command');
    expect(out).toBe('plain command');
  }, SLOW);
});

for (const major of [16, 17, 18] as const) {
  const image = TEST_IMAGES[`postgres${major}`];
  describe(image, () => {
    it(`runs PostgreSQL ${major} (embedded binaries) with the official environment and options`, async (ctx) => {
      await requireImage(ctx, image);
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const c = await run(image, 5432, { POSTGRES_PASSWORD: password }, ['-c', 'shared_buffers=32MB']);
      const client = await eventually(c.name, () => pgConnect(c.port, 'postgres', password, 'postgres'));
      try {
        const info = await client.query<{ v: string; sb: string; dir: string }>(
          "SELECT current_setting('server_version_num') AS v, current_setting('shared_buffers') AS sb, current_setting('data_directory') AS dir",
        );
        expect(Math.floor(Number(info.rows[0]?.v) / 10_000)).toBe(major);
        expect(info.rows[0]?.sb).toBe('32MB');
        expect(info.rows[0]?.dir).toBe(postgresDataDir(major));
        await client.query('CREATE EXTENSION pgcrypto');
        await client.query('CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text)');
        await client.query("INSERT INTO t (name) VALUES ('a')");
      } finally {
        await client.end();
      }
      await expect(pgConnect(c.port, 'postgres', 'nope', 'postgres')).rejects.toThrow(/password authentication failed/);
      // psql / pg_restore 15 reach the newer server through the default socket
      const viaSocket = await docker('exec', c.name, 'psql', '-U', 'postgres', '-Atc', 'SELECT count(*) FROM t');
      expect(viaSocket).toBe('1');
      expect(await docker('exec', c.name, 'pg_restore', '--version')).toMatch(/\) 15\./);
      expect(await docker('exec', c.name, 'postgres', '--version')).toMatch(new RegExp(`\\) ${major}\\.`));
      expect(await docker('exec', c.name, 'cat', '/proc/1/comm')).toBe('postgres');
      await docker('kill', '-s', 'TERM', c.name);
      expect(await waitExit(c.name, 30_000)).toBe(0);
      await remove(c.name);
    }, SLOW);
  });
}

describe('mariadb:10.11', () => {
  it('initialises root, database and user from MARIADB_* and listens on 0.0.0.0:3306', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.mariadb);
    const rootPassword = `r'oo\\t-${randomBytes(4).toString('hex')}`;
    const c = await run(TEST_IMAGES.mariadb, 3306, {
      MARIADB_ROOT_PASSWORD: rootPassword,
      MARIADB_DATABASE: 'shop',
      MARIADB_USER: 'bob',
      MARIADB_PASSWORD: 'bob-pw',
    });
    const root = await eventually(c.name, () =>
      mysql.createConnection({ host: '127.0.0.1', port: c.port, user: 'root', password: rootPassword, connectTimeout: 5_000 }),
    );
    try {
      const [rows] = await root.query('SELECT User AS user, Host AS host FROM mysql.user ORDER BY user, host');
      expect(rows).toEqual(
        expect.arrayContaining([
          { user: 'root', host: '%' },
          { user: 'root', host: 'localhost' },
          { user: 'bob', host: '%' },
        ]),
      );
      const [dbs] = await root.query("SHOW DATABASES LIKE 'shop'");
      expect(dbs).toHaveLength(1);
      const [ver] = await root.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
      expect(String(ver[0]?.v)).toMatch(/^10\.11\./);
    } finally {
      await root.end();
    }
    const user = await mysql.createConnection({ host: '127.0.0.1', port: c.port, user: 'bob', password: 'bob-pw', database: 'shop' });
    try {
      await user.query('CREATE TABLE items (id INT PRIMARY KEY)');
      await user.query('INSERT INTO items VALUES (1)');
    } finally {
      await user.end();
    }
    await expect(
      mysql.createConnection({ host: '127.0.0.1', port: c.port, user: 'root', password: 'wrong' }),
    ).rejects.toThrow(/Access denied/);
    // clients inside the image, under both names; root@localhost uses the same password
    const dump = await docker('exec', c.name, 'mysqldump', '-uroot', `-p${rootPassword}`, 'shop', 'items');
    expect(dump).toMatch(/INSERT INTO `items` VALUES\s*\(1\)/);
    expect(await docker('exec', c.name, 'mariadb', '-uroot', `-p${rootPassword}`, '-N', '-e', 'SELECT CURRENT_USER()')).toBe('root@localhost');
    expect(await docker('exec', c.name, 'sh', '-c', 'for t in mariadb mariadb-dump mysql mysqldump; do command -v $t; done')).toBe(
      '/usr/bin/mariadb\n/usr/bin/mariadb-dump\n/usr/bin/mysql\n/usr/bin/mysqldump',
    );
    expect(await docker('exec', c.name, 'cat', '/proc/1/comm')).toBe('mariadbd');
    await docker('kill', '-s', 'TERM', c.name);
    expect(await waitExit(c.name, 60_000)).toBe(0);
    await remove(c.name);
  }, SLOW);

  it('accepts the MYSQL_* aliases and MARIADB_ALLOW_EMPTY_ROOT_PASSWORD', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.mariadb);
    const aliased = await run(TEST_IMAGES.mariadb, 3306, {
      MYSQL_ROOT_PASSWORD: 'alias-root',
      MYSQL_DATABASE: 'legacy',
      MARIADB_INITDB_SKIP_TZINFO: '1',
    });
    const empty = await run(TEST_IMAGES.mariadb, 3306, { MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1', MARIADB_INITDB_SKIP_TZINFO: '1' });
    const a = await eventually(aliased.name, () =>
      mysql.createConnection({ host: '127.0.0.1', port: aliased.port, user: 'root', password: 'alias-root', database: 'legacy' }),
    );
    await a.end();
    const e = await eventually(empty.name, () => mysql.createConnection({ host: '127.0.0.1', port: empty.port, user: 'root' }));
    await e.end();
    await remove(aliased.name);
    await remove(empty.name);
  }, SLOW);
});

describe('redis:7', () => {
  it('listens on every interface without arguments and treats leading options as redis-server options', async (ctx) => {
    await requireImage(ctx, TEST_IMAGES.redis);
    const open = await run(TEST_IMAGES.redis, 6379, {});
    const secured = await run(TEST_IMAGES.redis, 6379, {}, ['--requirepass', 'sekret', '--appendonly', 'yes']);
    const r = await eventually(open.name, async () => {
      const client = new Redis({ host: '127.0.0.1', port: open.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        await client.ping();
        return client;
      } catch (err) {
        client.disconnect();
        throw err;
      }
    });
    try {
      await r.set('k', 'v');
      expect(await r.get('k')).toBe('v');
      const version = (await r.info('server')).match(/redis_version:(\S+)/)?.[1];
      expect(version).toMatch(/^7\./);
    } finally {
      r.disconnect();
    }
    expect(await docker('exec', open.name, 'redis-cli', 'ping')).toBe('PONG');
    expect(await docker('exec', open.name, 'pwd')).toBe('/data');

    const s = await eventually(secured.name, async () => {
      const client = new Redis({ host: '127.0.0.1', port: secured.port, password: 'sekret', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        return client;
      } catch (err) {
        client.disconnect();
        throw err;
      }
    });
    try {
      expect(await s.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      s.disconnect();
    }
    const anon = new Redis({ host: '127.0.0.1', port: secured.port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anon.on('error', () => undefined);
    try {
      await anon.connect();
      await expect(anon.get('k')).rejects.toThrow(/NOAUTH/);
    } finally {
      anon.disconnect();
    }
    expect(await docker('exec', open.name, 'cat', '/proc/1/comm')).toMatch(/^redis-server/);
    await docker('stop', open.name);
    expect(await waitExit(open.name, 30_000)).toBe(0);
    await remove(open.name);
    await remove(secured.name);
  }, SLOW);
});
