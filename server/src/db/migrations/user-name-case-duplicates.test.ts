import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireImage, startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivityEntry, User } from '../entities.js';
import { openDatabase, type KrintOrm } from '../orm.js';
import { postgresqlMigrations, sqliteMigrations } from './index.js';
import { caseDuplicateRenames } from './user-name-case-duplicates.js';

describe('caseDuplicateRenames', () => {
  it('keeps the oldest name and gives later ones the first free suffix, within 64 characters', () => {
    const long = `a${'b'.repeat(63)}`;
    const renames = caseDuplicateRenames([
      { id: '1', name: 'olga' },
      { id: '2', name: 'Olga' },
      { id: '3', name: 'olga-2' },
      { id: '4', name: 'OLGA' },
      { id: '5', name: 'kim' },
      { id: '6', name: long },
      { id: '7', name: long.toUpperCase() },
    ]);
    expect(renames.map(({ id, to }) => ({ id, to }))).toEqual([
      { id: '2', to: 'Olga-3' },
      { id: '4', to: 'OLGA-4' },
      { id: '7', to: `${long.toUpperCase().slice(0, 62)}-2` },
    ]);
    expect(renames[0]!.detail).toBe('renamed from "Olga": user names now ignore case and "olga" is older; sign in as "Olga-3"');
    expect(caseDuplicateRenames([{ id: '1', name: 'a' }, { id: '2', name: 'b' }])).toEqual([]);
  });
});

/** The migration on a database that already holds names differing only in case. */
function migrationSuite(label: string, open: () => Promise<KrintOrm | null>, previous: string) {
  describe(`the UserNamesIgnoreCase migration on ${label}`, () => {
    it('renames later case duplicates, logs each rename, and then refuses a new one', async (context) => {
      const orm = await open();
      if (!orm) return context.skip();
      try {
        await orm.getMigrator().up({ to: previous });
        const connection = orm.em.getConnection();
        const rows = [
          ['u1', 'olga', 1_000],
          ['u2', 'Olga', 2_000],
          ['u3', 'OLGA', 3_000],
          ['u4', 'kim', 4_000],
        ] as const;
        for (const [id, name, at] of rows) {
          await connection.execute('insert into users (id, name, password_hash, role, created_at, password_changed_at) values (?, ?, ?, ?, ?, ?)', [id, name, `scrypt$hash-of-${id}`, 'viewer', label === 'SQLite' ? at : new Date(at), label === 'SQLite' ? at : new Date(at)]);
        }
        await orm.getMigrator().up();
        expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
        expect((await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');

        const em = orm.em.fork();
        const users = await em.find(User, {}, { orderBy: { createdAt: 'asc' } });
        expect(users.map((u) => [u.id, u.name, u.nameKey, u.passwordHash])).toEqual([
          ['u1', 'olga', 'olga', 'scrypt$hash-of-u1'],
          ['u2', 'Olga-2', 'olga-2', 'scrypt$hash-of-u2'],
          ['u3', 'OLGA-3', 'olga-3', 'scrypt$hash-of-u3'],
          ['u4', 'kim', 'kim', 'scrypt$hash-of-u4'],
        ]);
        const log = await em.find(ActivityEntry, { action: 'krintUser.rename' }, { orderBy: { id: 'asc' } });
        expect(log.map((e) => [e.targetId, e.targetName, e.detail])).toEqual([
          ['u2', 'Olga-2', 'renamed from "Olga": user names now ignore case and "olga" is older; sign in as "Olga-2"'],
          ['u3', 'OLGA-3', 'renamed from "OLGA": user names now ignore case and "olga" is older; sign in as "OLGA-3"'],
        ]);
        expect(log[0]!.at).toBeInstanceOf(Date);
        expect(Math.abs(log[0]!.at.getTime() - Date.now())).toBeLessThan(60_000);

        const duplicate = orm.em.fork();
        duplicate.create(User, { name: 'KIM', nameKey: 'kim', passwordHash: 'x', role: 'viewer' });
        await expect(duplicate.flush()).rejects.toThrow(/unique/i);
      } finally {
        await orm.close(true);
      }
    });
  });
}

const previousOf = (list: { name: string }[]) => list.at(list.findIndex((m) => m.name.endsWith('_UserNamesIgnoreCase')) - 1)!.name;

migrationSuite('SQLite', async () => openDatabase({ kind: 'sqlite', file: path.join(mkdtempSync(path.join(tmpdir(), 'krint-names-')), 'krint.db') }, { migrate: false }), previousOf(sqliteMigrations));

let postgres: StartedTestContainer | null = null;
migrationSuite(
  'PostgreSQL',
  async () => {
    if (!(await requireImage('postgres:15'))) return null;
    postgres = await startTestContainer({ image: 'postgres:15', internalPort: 5432, env: { POSTGRES_PASSWORD: 'migration-tests' }, namePrefix: 'krint-server-names' });
    const connectionString = `postgresql://postgres:migration-tests@${postgres.host}:${postgres.port}/postgres`;
    return waitFor(() => openDatabase({ kind: 'postgresql', connectionString }, { migrate: false }), 90_000, 500);
  },
  previousOf(postgresqlMigrations),
);
afterAll(async () => {
  await postgres?.remove();
});
