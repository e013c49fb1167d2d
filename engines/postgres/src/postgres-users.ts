import type pg from 'pg';
import {
  ACCESS_LEVELS,
  assertCreatableName,
  assertSafePassword,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  type AccessLevel,
  type Grant,
  type UserAdmin,
  type UserInfo,
} from '@krint/engine-sdk';
import { translateError } from './postgres-errors.js';
import { quoteIdent, quoteLiteral } from './postgres-identifiers.js';
import { scramSha256Secret } from './postgres-scram.js';

/** Roles with an OID below this were created by initdb (the bootstrap superuser is OID 10). */
const FIRST_NORMAL_OBJECT_ID = 16384;
/** Databases that never get grants: they are templates, not places for data. */
const TEMPLATE_DATABASES = new Set(['template0', 'template1']);
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

/**
 * What each access level means in PostgreSQL. The database privileges alone encode the level
 * (read: CONNECT; readwrite: + TEMPORARY; all: + CREATE), so listGrants reads it back from
 * `pg_database.datacl` without connecting to every database.
 */
export const ACCESS_PRIVILEGES: Readonly<Record<AccessLevel, { database: string[]; schema: string[]; tables: string[]; sequences: string[] }>> = {
  read: { database: ['CONNECT'], schema: ['USAGE'], tables: ['SELECT'], sequences: ['SELECT'] },
  readwrite: { database: ['CONNECT', 'TEMPORARY'], schema: ['USAGE'], tables: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], sequences: ['USAGE', 'SELECT'] },
  all: { database: ['CONNECT', 'TEMPORARY', 'CREATE'], schema: ['USAGE', 'CREATE'], tables: ['ALL PRIVILEGES'], sequences: ['ALL PRIVILEGES'] },
};

/** The access level a set of database privileges stands for, or null when Krint did not grant it. */
export function accessFromDatabasePrivileges(privileges: readonly string[]): AccessLevel | null {
  const has = new Set(privileges);
  if (!has.has('CONNECT')) return null;
  if (has.has('CREATE')) return 'all';
  if (has.has('TEMPORARY')) return 'readwrite';
  return 'read';
}

/** What the user admin needs from its session. */
export interface UserAdminHost {
  /** The role the session logs in as; it owns what Krint creates and cannot be dropped here. */
  readonly rootUser: string;
  readonly maintenanceDatabase: string;
  secrets(): readonly string[];
  run(database: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  inTransaction<T>(database: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  databaseExists(database: string): Promise<boolean>;
  /** Told after a password change, so the session can log in with the new password. */
  passwordChanged(user: string, password: string): void;
}

/**
 * Roles and grants of one PostgreSQL server. Role names are validated (what Krint creates) or
 * quoted (what it looks up); passwords are validated, turned into a SCRAM secret, and sent as a
 * quoted literal because `CREATE ROLE` and `ALTER ROLE` take no bind parameters.
 */
export class PostgresUserAdmin implements UserAdmin {
  readonly #host: UserAdminHost;

  constructor(host: UserAdminHost) {
    this.#host = host;
  }

  async listUsers(): Promise<UserInfo[]> {
    const result = await this.#admin(
      `SELECT rolname AS name, rolsuper AS superuser, oid::int8 < ${FIRST_NORMAL_OBJECT_ID} AS system
         FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname`,
    );
    return (result.rows as { name: string; superuser: boolean; system: boolean }[]).map((row) => ({
      name: row.name,
      isSystem: row.system || row.name === this.#host.rootUser,
      isSuperuser: row.superuser,
    }));
  }

  async createUser(name: string, password: string): Promise<void> {
    assertCreatableName(name, 'user');
    if (/^pg_/i.test(name)) throw new InvalidInputError('User names starting with "pg_" are reserved by PostgreSQL.', 'user');
    assertSafePassword(password);
    if (await this.#roleExists(name)) throw new ConflictError(`User "${name}" already exists.`);
    await this.#admin(`CREATE ROLE ${quoteIdent(name, 'user')} WITH LOGIN PASSWORD ${quoteLiteral(scramSha256Secret(password), 'password')}`, [], `create user "${name}"`, password);
  }

  /**
   * Drops a role. A role that owns objects or holds privileges cannot be dropped, so in every
   * database it can reach, what it owns is first handed to the root user (REASSIGN OWNED: no data
   * is lost) and its privileges are removed (DROP OWNED).
   */
  async dropUser(name: string): Promise<void> {
    const role = await this.#requireRole(name);
    if (role.system || name === this.#host.rootUser) throw new InvalidInputError(`"${name}" is a built-in administrative user and cannot be dropped.`, 'user');
    const quoted = quoteIdent(name, 'user');
    const databases = await this.#admin('SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname');
    for (const { datname } of databases.rows as { datname: string }[]) {
      await this.#host.inTransaction(datname, async (client) => {
        await client.query(`REASSIGN OWNED BY ${quoted} TO ${quoteIdent(this.#host.rootUser, 'user')}`);
        await client.query(`DROP OWNED BY ${quoted}`);
      }).catch((error: unknown) => {
        throw translateError(error, { secrets: this.#host.secrets(), action: `release what user "${name}" owns in database "${datname}"` });
      });
    }
    await this.#admin(`DROP ROLE ${quoted}`, [], `drop user "${name}"`);
  }

  async setPassword(name: string, password: string): Promise<void> {
    assertSafePassword(password);
    await this.#requireRole(name);
    await this.#admin(`ALTER ROLE ${quoteIdent(name, 'user')} WITH PASSWORD ${quoteLiteral(scramSha256Secret(password), 'password')}`, [], `set the password of "${name}"`, password);
    this.#host.passwordChanged(name, password);
  }

  /**
   * Grants one access level on one database, replacing the level granted before: CONNECT (and
   * TEMPORARY/CREATE) on the database, USAGE on schema `public`, privileges on its existing tables
   * and sequences, and default privileges for tables the root user creates later. The database
   * loses PUBLIC's CONNECT, so it is reachable only by the users granted access to it.
   */
  async grant(name: string, database: string, access: AccessLevel): Promise<void> {
    if (!ACCESS_LEVELS.includes(access)) throw new InvalidInputError(`Unknown access level "${String(access)}"; use one of ${ACCESS_LEVELS.join(', ')}.`, 'access');
    const role = await this.#requireGrantee(name);
    await this.#requireDatabase(database);
    if (TEMPLATE_DATABASES.has(database)) throw new InvalidInputError(`"${database}" is a template database; access to it is not granted.`, 'database');
    const user = quoteIdent(role, 'user');
    const db = quoteIdent(database, 'database');
    const privileges = ACCESS_PRIVILEGES[access];
    await this.#host.inTransaction(database, async (client) => {
      for (const statement of revokeInDatabase(user, this.#host.rootUser)) await client.query(statement);
      await client.query(`GRANT ${privileges.schema.join(', ')} ON SCHEMA public TO ${user}`);
      await client.query(`GRANT ${privileges.tables.join(', ')} ON ALL TABLES IN SCHEMA public TO ${user}`);
      await client.query(`GRANT ${privileges.sequences.join(', ')} ON ALL SEQUENCES IN SCHEMA public TO ${user}`);
      const root = quoteIdent(this.#host.rootUser, 'user');
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${root} IN SCHEMA public GRANT ${privileges.tables.join(', ')} ON TABLES TO ${user}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${root} IN SCHEMA public GRANT ${privileges.sequences.join(', ')} ON SEQUENCES TO ${user}`);
    }).catch((error: unknown) => {
      throw translateError(error, { secrets: this.#host.secrets(), action: `grant ${access} on "${database}" to "${name}"` });
    });
    await this.#host.inTransaction(this.#host.maintenanceDatabase, async (client) => {
      await client.query(`REVOKE ALL ON DATABASE ${db} FROM ${user}`);
      await client.query(`GRANT ${privileges.database.join(', ')} ON DATABASE ${db} TO ${user}`);
      if (!SYSTEM_DATABASES.has(database)) await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
    }).catch(async (error: unknown) => {
      // Take back the table privileges granted above, so a failed grant leaves nothing half-made.
      await this.#host
        .inTransaction(database, async (client) => {
          for (const statement of revokeInDatabase(user, this.#host.rootUser)) await client.query(statement);
        })
        .catch(() => undefined);
      throw translateError(error, { secrets: this.#host.secrets(), action: `grant ${access} on "${database}" to "${name}"` });
    });
  }

  /** Removes every privilege Krint grants on `database`, CONNECT included. */
  async revoke(name: string, database: string): Promise<void> {
    const role = await this.#requireGrantee(name);
    await this.#requireDatabase(database);
    const user = quoteIdent(role, 'user');
    if (!TEMPLATE_DATABASES.has(database)) {
      await this.#host.inTransaction(database, async (client) => {
        for (const statement of revokeInDatabase(user, this.#host.rootUser)) await client.query(statement);
      }).catch((error: unknown) => {
        throw translateError(error, { secrets: this.#host.secrets(), action: `revoke access to "${database}" from "${name}"` });
      });
    }
    await this.#admin(`REVOKE ALL ON DATABASE ${quoteIdent(database, 'database')} FROM ${user}`, [], `revoke access to "${database}" from "${name}"`);
  }

  async listGrants(name?: string): Promise<Grant[]> {
    if (name !== undefined) await this.#requireRole(name);
    const result = await this.#admin(
      `SELECT r.rolname AS user, d.datname AS database, array_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
         FROM pg_database d
         CROSS JOIN LATERAL aclexplode(d.datacl) a
         JOIN pg_roles r ON r.oid = a.grantee
        WHERE r.oid >= ${FIRST_NORMAL_OBJECT_ID} AND r.rolname <> $1 AND ($2::text IS NULL OR r.rolname = $2)
        GROUP BY r.rolname, d.datname ORDER BY r.rolname, d.datname`,
      [this.#host.rootUser, name ?? null],
    );
    const grants: Grant[] = [];
    for (const row of result.rows as { user: string; database: string; privileges: string[] }[]) {
      const access = accessFromDatabasePrivileges(row.privileges);
      if (!access) continue;
      grants.push({
        user: row.user,
        database: row.database,
        access,
        privileges: [...row.privileges.map((p) => `${p} ON DATABASE`), ...ACCESS_PRIVILEGES[access].tables.map((p) => `${p} ON TABLES`)],
      });
    }
    return grants;
  }

  // ---- internals -------------------------------------------------------------------------------

  async #admin(sql: string, params: unknown[] = [], action?: string, extraSecret?: string): Promise<pg.QueryResult> {
    try {
      return await this.#host.run(this.#host.maintenanceDatabase, sql, params);
    } catch (error) {
      const secrets = [...this.#host.secrets(), ...(extraSecret ? [extraSecret] : [])];
      throw translateError(error, { secrets, ...(action ? { action } : {}) });
    }
  }

  async #roleExists(name: string): Promise<boolean> {
    const result = await this.#admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    return (result.rowCount ?? 0) > 0;
  }

  async #requireRole(name: string): Promise<{ system: boolean }> {
    quoteIdent(name, 'user');
    const result = await this.#admin(`SELECT oid::int8 < ${FIRST_NORMAL_OBJECT_ID} AS system FROM pg_roles WHERE rolname = $1`, [name]);
    const row = result.rows[0] as { system: boolean } | undefined;
    if (!row) throw new NotFoundError(`User "${printable(name)}" does not exist.`);
    return row;
  }

  /** A role that may receive grants: it exists and is neither predefined nor the root user. */
  async #requireGrantee(name: string): Promise<string> {
    const role = await this.#requireRole(name);
    if (role.system || name === this.#host.rootUser || /^pg_/.test(name)) {
      throw new InvalidInputError(`"${name}" is a built-in user; it already has every privilege it needs.`, 'user');
    }
    return name;
  }

  async #requireDatabase(database: string): Promise<void> {
    quoteIdent(database, 'database');
    if (!(await this.#host.databaseExists(database))) throw new NotFoundError(`Database "${printable(database)}" does not exist.`);
  }
}

/** Statements (run inside the database) that take back every schema, table and default privilege. */
function revokeInDatabase(user: string, rootUser: string): string[] {
  const root = quoteIdent(rootUser, 'user');
  return [
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${user}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${user}`,
    `REVOKE ALL ON SCHEMA public FROM ${user}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${root} IN SCHEMA public REVOKE ALL ON TABLES FROM ${user}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${root} IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${user}`,
  ];
}

function printable(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}
