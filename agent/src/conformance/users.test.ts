import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionTarget, EngineSession } from '@krint/engine-sdk';
import type { InstanceAddress } from '../protocol/commands.js';
import { ConformanceAgent, failureOf, generatePassword, resolveTargets } from './harness.js';

const targets = await resolveTargets();

for (const { target, engine, skipReason } of targets) {
  describe.skipIf(skipReason !== null)(`users: ${target.name}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const instanceId = `conf-users-${target.name}`;
    const { data } = target;
    const clerkPassword = generatePassword();
    let harness: ConformanceAgent;
    let instance: InstanceAddress;
    const clerkTarget = (database: string, password = clerkPassword): ConnectionTarget => ({ host: '127.0.0.1', port: instance.hostPort, user: 'clerk', password, database });

    async function asClerk<T>(database: string, work: (session: EngineSession) => Promise<T>): Promise<T> {
      const session = await engine!.connect(clerkTarget(database));
      try {
        return await work(session);
      } finally {
        await session.close();
      }
    }

    beforeAll(async () => {
      harness = await ConformanceAgent.start(engine!);
      instance = await harness.provision(instanceId, { version: target.version });
      for (const database of [data.database, data.otherDatabase]) {
        if (database && engine!.capabilities.createDatabase) await harness.executor.run('db.createDatabase', { instance, database });
      }
      await data.createTable(harness.executor, instance, data.database, data.table);
      await harness.executor.run('db.insertRow', { instance, database: data.database, table: data.table, values: data.row(1) });
      if (data.otherDatabase) {
        await data.createTable(harness.executor, instance, data.otherDatabase, data.table);
        await harness.executor.run('db.insertRow', { instance, database: data.otherDatabase, table: data.table, values: data.row(7) });
      }
    });
    afterAll(async () => harness?.close());

    it('creates a user, grants one database, and the user works there with its own password', async () => {
      await harness.executor.run('users.create', { instance, name: 'clerk', password: clerkPassword });
      await harness.executor.run('users.grant', { instance, name: 'clerk', database: data.grantDatabase, access: 'readwrite' });
      const users = await harness.executor.run('users.list', { instance });
      expect(users.map((user) => user.name)).toContain('clerk');
      const grants = await harness.executor.run('users.listGrants', { instance, name: 'clerk' });
      expect(grants).toContainEqual(expect.objectContaining({ user: 'clerk', database: data.grantDatabase, access: 'readwrite' }));
      const page = await asClerk(data.database, (session) => session.readRows(data.database, data.table, { limit: 10 }));
      expect(page.rows.map((row) => data.valueOf(row))).toEqual(['item 1']);
    });

    it(target.isolatesDatabases ? 'keeps the user out of other databases' : 'refuses a per-database grant it could not enforce', async () => {
      if (!target.isolatesDatabases) {
        // Redis-family ACLs cover every DB number at once: a grant naming one would promise an
        // isolation the server cannot give, so it is refused instead.
        const refused = await failureOf(harness.executor.run('users.grant', { instance, name: 'clerk', database: '1', access: 'read' }));
        expect(refused.name).toBe('InvalidInputError');
        expect(refused.message).not.toContain(clerkPassword);
        return;
      }
      const other = data.otherDatabase!;
      const refused = await failureOf(
        engine!.connect(clerkTarget(other)).then(async (session) => {
          try {
            return await session.readRows(other, data.table, { limit: 10 });
          } finally {
            await session.close();
          }
        }),
      );
      expect(refused.message).not.toContain(clerkPassword);
    });

    it('refuses the user with a wrong password, and after revoke and drop', async () => {
      const wrong = generatePassword();
      const error = await failureOf(engine!.connect(clerkTarget(data.database, wrong)).then((session) => session.readRows(data.database, data.table, { limit: 1 }).finally(() => session.close())));
      expect(error.message).not.toContain(wrong);
      await harness.executor.run('users.revoke', { instance, name: 'clerk', database: data.grantDatabase });
      await expect(asClerk(data.database, (session) => session.readRows(data.database, data.table, { limit: 1 }))).rejects.toThrow();
      await harness.executor.run('users.drop', { instance, name: 'clerk' });
      expect((await harness.executor.run('users.list', { instance })).map((user) => user.name)).not.toContain('clerk');
    });

    it('refuses hostile user names and passwords, creating nobody', async () => {
      const before = (await harness.executor.run('users.list', { instance })).map((user) => user.name).sort();
      for (const name of [`bo"b`, "x'; DROP USER root; --", 'ünï', 'a b', 'x'.repeat(10_240)]) {
        const error = await failureOf(harness.executor.run('users.create', { instance, name, password: generatePassword() }));
        expect(error.code).toBe('INVALID_INPUT');
      }
      const badPassword = await failureOf(harness.executor.run('users.create', { instance, name: 'mallory', password: "pa'ss; DROP" }));
      expect(badPassword).toMatchObject({ code: 'INVALID_INPUT', field: 'password' });
      expect(badPassword.message).not.toContain("pa'ss");
      expect((await harness.executor.run('users.list', { instance })).map((user) => user.name).sort()).toEqual(before);
    });

    it('rotates the root password: the new one works, the old one is refused', async () => {
      const rotated = generatePassword();
      await harness.executor.run('users.setPassword', { instance, name: instance.rootUser, password: rotated });
      const old = instance;
      instance = { ...instance, rootPassword: rotated };
      const databases = await harness.executor.run('db.listDatabases', { instance });
      expect(databases.length).toBeGreaterThan(0);
      const refused = await failureOf(harness.executor.run('db.listDatabases', { instance: old }));
      expect(refused.message).not.toContain(old.rootPassword);
      expect(refused.message).not.toContain(rotated);
    });
  });
}
