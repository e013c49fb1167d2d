import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILT_IN_ENGINES } from '@krint/agent';
import { requireImage } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlTestClient, type Data } from '../testing/graphql-client.js';
import { until } from '../testing/krint-processes.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';

/**
 * Hostile backup clients against a real control plane process (`src/main.ts`) and real
 * instances: uploads cut off in every way a client can cut them off, uploads over the size cap.
 * After every probe the process must still be up, and no partial file (nor its descriptor) may
 * be left behind.
 */
const run = promisify(execFile);
const ready = (await requireImage('postgres:15')) && (await requireImage('mariadb:10.11'));
const ADMIN_PASSWORD = 'Tq8-copper-willow-harbor-41';
const DB_PASSWORD = `Upload-pass-${randomUUID().slice(0, 8)}`;
/** Above a real MariaDB dump of a fresh instance (about 5.5 MB, its help tables). */
const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
const PORT_RANGE = [39460, 39479] as const;
const MARIADB_PORT_RANGE = [39480, 39489] as const;
const BOUNDARY = 'krint-test-boundary';
/** Partial files a crashed run of Krint left behind, and files of the same shape that are not Krint's. */
const STALE_PARTIAL = '.old-db-20260101T000000Z-a1b2c3.sql.partial';
const FOREIGN_FILES = ['.notes.partial', 'keep-me.partial', 'readme.txt'];

/** How often these waits look again: a partial file or a descriptor goes within milliseconds. */
const POLL_MS = 100;

/** The start of a plain pg_dumpall script, padded to `size` bytes with comment lines. */
function pgDumpBytes(size: number): Buffer {
  const head = '--\n-- PostgreSQL database cluster dump\n--\n\n';
  const line = '-- padding padding padding padding padding padding padding padding\n';
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length))).subarray(0, size);
}

function multipart(content: Buffer, filename = 'dump.sql'): { head: Buffer; tail: Buffer; whole: Buffer } {
  const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/sql\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  return { head, tail, whole: Buffer.concat([head, content, tail]) };
}

interface RawOutcome {
  /** The status line and headers and body the server sent, if any. */
  readonly response: string;
}

describe.skipIf(!ready)('backup routes against hostile clients (a control plane process, postgres:15 and mariadb:10.11)', () => {
  let folder: string;
  let backupsDir: string;
  let server: ServerProcess;
  let base: string;
  let authorization: string;
  let postgresId: string;
  const created: string[] = [];

  const { gql, ok } = graphqlTestClient(() => base, () => authorization);

  /**
   * Sends a request by hand: headers, then `body`, then `finish`: `end` half-closes the socket and
   * waits for the answer, `destroy` drops the connection at once, `wait` keeps it open until the
   * server answers or closes.
   */
  function raw(path: string, headers: Record<string, string>, body: Buffer, finish: 'end' | 'destroy' | 'wait', afterWrite?: () => Promise<void>): Promise<RawOutcome> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ response: Buffer.concat(chunks).toString('utf8') });
      }, 15_000);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ response: Buffer.concat(chunks).toString('utf8') });
      });
      socket.on('connect', () => {
        const lines = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, `Authorization: ${authorization}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        socket.write(body, () => {
          void (afterWrite ?? (async () => undefined))().then(() => {
            if (finish === 'end') socket.end();
            else if (finish === 'destroy') socket.destroy();
          }, reject);
        });
      });
    });
  }

  async function provision(engine: string, version: string, name: string): Promise<string> {
    const provisioned = await ok(
      `mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id } ... on Error { message } } }`,
      { input: { engine, version, name, defaultDatabase: 'shop', password: DB_PASSWORD } },
    );
    const id = provisioned.provisionInstance.id as string;
    created.push(id);
    await until(`the ${engine} instance to be ready`, async () => {
      const data = await gql(`{ instance(id: "${id}") { ... on Instance { status statusDetail } } }`);
      if (data.instance.status === 'FAILED') throw new Error(data.instance.statusDetail);
      return data.instance.status === 'READY';
    }, 180_000, POLL_MS);
    return id;
  }

  function uploadPath(): string {
    return `/api/backups/upload?instanceId=${postgresId}`;
  }

  function multipartHeaders(length: number): Record<string, string> {
    return { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(length) };
  }

  function partialFiles(): string[] {
    return readdirSync(backupsDir).filter((name) => name.endsWith('.partial') && !FOREIGN_FILES.includes(name) && name !== STALE_PARTIAL);
  }

  /** Files the process holds open in the backup folder. */
  function openBackupFiles(): string[] {
    const open: string[] = [];
    for (const fd of readdirSync(`/proc/${server.pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${server.pid}/fd/${fd}`);
        if (target.startsWith(backupsDir + path.sep)) open.push(target);
      } catch {
        // closed meanwhile
      }
    }
    return open;
  }

  /** The process is up and answers, and holds no partial file, open or on disk. */
  async function expectAliveAndClean(): Promise<void> {
    await until('no partial file and no open file in the backup folder', () => partialFiles().length === 0 && openBackupFiles().length === 0, 10_000, POLL_MS).catch((error: unknown) => {
      throw new Error(`${String(error)}; partial: ${partialFiles().join(', ')}; open: ${openBackupFiles().join(', ')}`);
    });
    expect(await server.alive(), `the control plane process died; its output:\n${server.output().slice(-4000)}`).toBe(true);
  }

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'krint-uploads-'));
    backupsDir = path.join(folder, 'backups');
    mkdirSync(backupsDir);
    for (const name of [STALE_PARTIAL, ...FOREIGN_FILES]) writeFileSync(path.join(backupsDir, name), 'left over');
    writeFileSync(path.join(folder, 'krint.yaml'), `krint:\n  port_ranges:\n    postgres: ${PORT_RANGE[0]}-${PORT_RANGE[1]}\n    mariadb: ${MARIADB_PORT_RANGE[0]}-${MARIADB_PORT_RANGE[1]}\n`);
    server = await startServerProcess({
      Auth__AdminPassword: ADMIN_PASSWORD,
      Backups__Directory: backupsDir,
      Backups__MaxUploadBytes: String(MAX_UPLOAD_BYTES),
      Krint__ConfigFile: path.join(folder, 'krint.yaml'),
    });
    base = server.base;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const tokenResponse = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-krint-csrf': csrfToken },
      body: JSON.stringify({ query: 'mutation($at: DateTime!) { createApiToken(name: "upload-tests", role: ADMIN, expiresAt: $at) { __typename ... on CreatedApiToken { token } ... on Error { message } } }', variables: { at: new Date(Date.now() + 86_400_000).toISOString() } }),
    });
    authorization = `Bearer ${((await tokenResponse.json()) as Data).data.createApiToken.token as string}`;

    postgresId = await provision('postgres', '15', 'upload target');
  }, 240_000);

  afterAll(async () => {
    for (const id of created) {
      await gql(`mutation { deleteInstance(id: "${id}", deleteBackups: true) { __typename } }`).catch(() => undefined);
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=krint.instance=${id}`]).catch(() => ({ stdout: '' }));
      for (const container of stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', '-v', container]).catch(() => undefined);
      const volumes = await run('docker', ['volume', 'ls', '-q', '--filter', `label=krint.instance=${id}`]).catch(() => ({ stdout: '' }));
      for (const volume of volumes.stdout.split('\n').filter(Boolean)) await run('docker', ['volume', 'rm', '-f', volume]).catch(() => undefined);
    }
    const output = server?.output() ?? '';
    await server?.stop();
    rmSync(folder, { recursive: true, force: true });
    expect(output).not.toContain(DB_PASSWORD);
  }, 120_000);

  it('removes its own stale partial files at start, and nothing else', () => {
    const names = readdirSync(backupsDir);
    expect(names).not.toContain(STALE_PARTIAL);
    expect(names).toEqual(expect.arrayContaining(FOREIGN_FILES));
  });

  it.each([
    ['small enough to be parsed before the dump is opened', 1_000],
    ['larger than the parser buffers', 300_000],
  ])('survives a multipart body that ends before its closing boundary (%s), and keeps no file', async (_label, size) => {
    const { head } = multipart(pgDumpBytes(size));
    const truncated = Buffer.concat([head, pgDumpBytes(size)]);
    const { response } = await raw(uploadPath(), multipartHeaders(truncated.length), truncated, 'wait');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('ended before the multipart data was complete');
    await expectAliveAndClean();
  });

  it('survives a client that drops the connection mid-body, and keeps no file', async () => {
    const { whole } = multipart(pgDumpBytes(600_000));
    const sent = whole.subarray(0, 300_000);
    await raw(uploadPath(), multipartHeaders(whole.length), sent, 'destroy', async () => {
      // The server has started writing the dump when the client goes away.
      await until('the upload to reach the disk', () => partialFiles().length > 0, 10_000, POLL_MS);
    });
    await expectAliveAndClean();
  });

  it('survives a client that half-closes mid-body, and keeps no file', async () => {
    const { whole } = multipart(pgDumpBytes(600_000));
    const sent = whole.subarray(0, 300_000);
    await raw(uploadPath(), multipartHeaders(whole.length), sent, 'end', async () => {
      await until('the upload to reach the disk', () => partialFiles().length > 0, 10_000, POLL_MS);
    });
    await expectAliveAndClean();
  });

  it('survives a chunked body that stops without its last chunk', async () => {
    const { whole } = multipart(pgDumpBytes(200_000));
    const chunk = Buffer.concat([Buffer.from(`${whole.length.toString(16)}\r\n`), whole, Buffer.from('\r\n')]);
    await raw(uploadPath(), { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' }, chunk.subarray(0, chunk.length - 50), 'end');
    await expectAliveAndClean();
  });

  it('refuses an upload over Backups__MaxUploadBytes with 413, whether declared or streamed', async () => {
    const { whole } = multipart(pgDumpBytes(MAX_UPLOAD_BYTES + 200_000));
    const declared = await raw(uploadPath(), multipartHeaders(whole.length), whole.subarray(0, 1000), 'wait');
    expect(declared.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared.response).toContain(`larger than ${MAX_UPLOAD_BYTES} bytes`);
    expect(declared.response).toContain('Backups__MaxUploadBytes');
    await expectAliveAndClean();

    // Without a length the server only learns the size while it writes: it stops at the cap.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(pgDumpBytes(MAX_UPLOAD_BYTES + 200_000))]), 'big.sql');
    const body = new Response(form);
    const streamed = await fetch(`${base}${uploadPath()}`, { method: 'POST', headers: { authorization, 'content-type': body.headers.get('content-type')! }, body: body.body, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { type: string; message: string } }).error).toMatchObject({ type: 'InvalidInputError', message: expect.stringContaining('Backups__MaxUploadBytes') });
    await expectAliveAndClean();
  });

  it('refuses a backup schedule that would fill the disk, with the field to change', async () => {
    const create = (input: string) => gql(`mutation { createBackupSchedule(input: { instanceId: "${postgresId}", ${input} }) { __typename ... on BackupSchedule { id } ... on InvalidInputError { field message } } }`);
    const perSecond = await create('cron: "* * * * * *", retentionCount: 5');
    expect(perSecond.createBackupSchedule).toMatchObject({ __typename: 'InvalidInputError', field: 'cron', message: expect.stringContaining('shortest interval allowed is 60 s (Backups__MinScheduleIntervalSeconds)') });
    const perMinute = await create('cron: "* * * * *"');
    expect(perMinute.createBackupSchedule).toMatchObject({ __typename: 'InvalidInputError', field: 'retentionCount', message: expect.stringContaining('set retentionCount or retentionDays') });
    const kept = await create('cron: "*/5 * * * *", retentionDays: 1');
    expect(kept.createBackupSchedule.__typename).toBe('BackupSchedule');
    const daily = await create('cron: "0 3 * * *"');
    expect(daily.createBackupSchedule.__typename).toBe('BackupSchedule');
    const schedules = await gql(`{ backupSchedules(instanceId: "${postgresId}") { id } }`);
    expect(schedules.backupSchedules).toHaveLength(2);
    for (const { id } of schedules.backupSchedules as { id: string }[]) await ok(`mutation { deleteBackupSchedule(id: "${id}") { __typename ... on Error { message } } }`);
    await expectAliveAndClean();
  });

  it('still takes a whole dump of exactly the cap', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(pgDumpBytes(MAX_UPLOAD_BYTES))]), 'fine.sql');
    const response = await fetch(`${base}${uploadPath()}`, { method: 'POST', body: form, headers: { authorization } });
    expect(response.status).toBe(201);
    const { backup } = (await response.json()) as { backup: { id: string; sizeBytes: number } };
    expect(backup.sizeBytes).toBe(MAX_UPLOAD_BYTES);
    await ok(`mutation { deleteBackup(id: "${backup.id}") { __typename ... on Error { message } } }`);
    await expectAliveAndClean();
  });

  /** A real dump of each engine still restores; one with a client command is refused, and nothing runs. */
  describe.each([
    {
      engine: 'postgres',
      version: '15',
      internalPort: 5432,
      header: '--\n-- PostgreSQL database cluster dump\n--\n\n',
      // Standard strings: the backslashes are data.
      insert: "INSERT INTO notes VALUES ('C:\\temp \\! not a command')",
      shell: '\\! touch /tmp/pwned',
      refusal: /line 6: the psql meta-command "\\! touch \/tmp\/pwned" is not allowed/,
    },
    {
      engine: 'mariadb',
      version: '10.11',
      internalPort: 3306,
      header: '-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n',
      insert: "INSERT INTO notes VALUES ('C:\\\\temp \\\\! not a command')",
      shell: '\\! touch /tmp/pwned',
      refusal: /line 4: the client command "\\!" is not allowed/,
    },
  ])('dumps that would run more than SQL ($engine)', ({ engine, version, internalPort, header, insert, shell, refusal }) => {
    let instanceId: string;
    let container: string;
    let realBackup: { id: string; file: string };
    const hostile = `${header}SELECT 1;\n${shell}\nSELECT 2;\n`;

    async function pwned(): Promise<boolean> {
      return run('docker', ['exec', container, 'test', '-e', '/tmp/pwned']).then(
        () => true,
        () => false,
      );
    }

    async function upload(bytes: Buffer, name: string): Promise<Response> {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), name);
      return fetch(`${base}/api/backups/upload?instanceId=${instanceId}`, { method: 'POST', body: form, headers: { authorization } });
    }

    beforeAll(async () => {
      instanceId = engine === 'postgres' ? postgresId : await provision(engine, version, `${engine} restore target`);
      container = (await run('docker', ['ps', '-q', '--filter', `label=krint.instance=${instanceId}`])).stdout.trim();
      expect(container).not.toBe('');
    }, 240_000);

    it('still uploads and restores a real dump, backslashes in its data included', async () => {
      await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "CREATE TABLE notes (body text)") { __typename ... on Error { message } } }`);
      await ok(`mutation($sql: String!) { runQuery(instanceId: "${instanceId}", database: "shop", text: $sql) { __typename ... on Error { message } } }`, { sql: insert });
      // The engine's own dump command, run in the container by hand: the dump is what a user of
      // that server would upload.
      const engineDefinition = BUILT_IN_ENGINES.find((candidate) => candidate.id === engine)!;
      const command = engineDefinition.backup!.dumpCommand({ version, rootUser: engineDefinition.rootUser, rootPassword: DB_PASSWORD, defaultDatabase: 'shop', internalPort });
      const env = Object.keys(command.env ?? {}).flatMap((name) => ['-e', name]);
      const dumped = await run('docker', ['exec', ...env, container, ...command.argv], { env: { ...process.env, ...command.env }, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' });
      const bytes = dumped.stdout;
      const uploaded = await upload(bytes, 'real.sql');
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
      realBackup = ((await uploaded.json()) as { backup: { id: string; file: string } }).backup;
      await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "DELETE FROM notes") { __typename ... on Error { message } } }`);
      const restored = await ok(`mutation { restoreBackup(backupId: "${realBackup.id}") { __typename ... on RestoreResult { bytes } ... on Error { message } } }`);
      expect(restored.restoreBackup.bytes).toBe(bytes.length);
      const rows = await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "SELECT body FROM notes") { __typename ... on QueryResult { rows } ... on Error { message } } }`);
      expect(rows.runQuery.rows).toEqual([{ body: 'C:\\temp \\! not a command' }]);
      await expectAliveAndClean();
    }, 180_000);

    it('refuses to keep an uploaded dump with a shell command, naming the line', async () => {
      const before = readdirSync(backupsDir).length;
      const response = await upload(Buffer.from(hostile), 'hostile.sql');
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { type: string; message: string } };
      expect(error.type).toBe('InvalidInputError');
      expect(error.message).toMatch(refusal);
      expect(readdirSync(backupsDir)).toHaveLength(before);
      expect(await pwned()).toBe(false);
      await expectAliveAndClean();
    });

    it('refuses to restore a stored dump that was changed on disk to hold one, and nothing runs', async () => {
      writeFileSync(path.join(backupsDir, realBackup.file), hostile);
      const refused = await gql(`mutation { restoreBackup(backupId: "${realBackup.id}") { __typename ... on InvalidInputError { message field } } }`);
      expect(refused.restoreBackup).toMatchObject({ __typename: 'InvalidInputError', field: 'backupId', message: expect.stringMatching(refusal) });
      expect(await pwned()).toBe(false);
      const state = await gql(`{ instance(id: "${instanceId}") { ... on Instance { status } } activity(first: 1, targetId: "${instanceId}") { entries { action outcome } } }`);
      expect(state.instance.status).toBe('READY');
      expect(state.activity.entries[0]).toMatchObject({ action: 'backup.restore', outcome: 'FAILED' });
      await expectAliveAndClean();
    });
  });
});
