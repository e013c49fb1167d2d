import type { ResultSetHeader, RowDataPacket } from 'mysql2';
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
import type { MysqlDialect } from './mysql-dialect.js';
import { MysqlErrorNumber } from './mysql-dialect.js';
import { errorNumber, translateError } from './mysql-errors.js';
import { accountName, grantDatabase, isWildcardGrant, quoteStringLiteral, unescapeGrantDatabase, USER_HOST } from './mysql-identifiers.js';

/** Runs one statement; provided by the session so users share its pool and error handling. */
export type StatementRunner = <T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(sql: string, params?: unknown[]) => Promise<T>;

/** The privileges behind each access level, on `` `db`.* ``. */
export const ACCESS_PRIVILEGES: Readonly<Record<AccessLevel, readonly string[]>> = {
  read: ['SELECT'],
  readwrite: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  all: ['ALL PRIVILEGES'],
};

/**
 * Users are accounts `'name'@'%'`: Krint's users reach the server through the published port from
 * anywhere. Grants are database-level (`` ON `db`.* ``) with `_` and `%` escaped, so a grant never
 * matches a second database by wildcard. Passwords only ever appear in `IDENTIFIED BY`, after
 * {@link assertSafePassword}, and are removed from every error message.
 */
export class MysqlUserAdmin implements UserAdmin {
  readonly #run: StatementRunner;
  readonly #dialect: MysqlDialect;
  readonly #sessionPassword: string;

  /** `run` executes raw statements (driver errors pass through; this class translates them). */
  constructor(run: StatementRunner, dialect: MysqlDialect, sessionPassword: string) {
    this.#run = run;
    this.#dialect = dialect;
    this.#sessionPassword = sessionPassword;
  }

  listUsers(): Promise<UserInfo[]> {
    return this.#guard('list users', null, async () => {
      const rows = await this.#run<RowDataPacket[]>(
        `SELECT User AS name, MAX(Super_priv = 'Y') AS superuser FROM mysql.user WHERE User <> '' GROUP BY User ORDER BY User`,
      );
      return rows.map((row) => {
        const name = String(row.name);
        return { name, isSystem: this.#isSystem(name), isSuperuser: Number(row.superuser) === 1 };
      });
    });
  }

  async createUser(name: string, password: string): Promise<void> {
    this.#assertManageable(name);
    assertSafePassword(password);
    await this.#guard(`create user "${name}"`, password, async () => {
      try {
        await this.#run(`CREATE USER ${accountName(name)} IDENTIFIED BY ${quoteStringLiteral(password, 'password')}`);
      } catch (error) {
        if (errorNumber(error) === MysqlErrorNumber.operationFailedForUser) throw new ConflictError(`User "${name}" already exists.`);
        throw error;
      }
    });
  }

  async dropUser(name: string): Promise<void> {
    this.#assertManageable(name);
    await this.#guard(`drop user "${name}"`, null, async () => {
      try {
        await this.#run(`DROP USER ${accountName(name)}`);
      } catch (error) {
        if (errorNumber(error) === MysqlErrorNumber.operationFailedForUser) throw new NotFoundError(`User "${name}" does not exist.`);
        throw error;
      }
    });
  }

  /**
   * Changes the password of every host entry of the user in one statement. For `root` that is
   * `root@'%'` and `root@localhost`: dumps and restores log in inside the container as
   * `root@localhost`, so both must move together.
   */
  async setPassword(name: string, password: string): Promise<void> {
    assertCreatableName(name, 'user');
    assertSafePassword(password);
    await this.#guard(`set the password of "${name}"`, password, async () => {
      const hosts = await this.#hostsOf(name);
      if (hosts.length === 0) throw new NotFoundError(`User "${name}" does not exist.`);
      const literal = quoteStringLiteral(password, 'password');
      await this.#run(`ALTER USER ${hosts.map((host) => `${accountName(name, host)} IDENTIFIED BY ${literal}`).join(', ')}`);
    });
  }

  /**
   * Gives `name` exactly `access` on `database`, replacing a previous level there. The user and the
   * database are checked first, so a typo changes nothing.
   */
  async grant(name: string, database: string, access: AccessLevel): Promise<void> {
    this.#assertManageable(name);
    if (!ACCESS_LEVELS.includes(access)) {
      throw new InvalidInputError(`Unknown access level "${String(access)}"; use one of ${ACCESS_LEVELS.join(', ')}.`, 'access');
    }
    const target = grantDatabase(database);
    await this.#guard(`grant ${access} on "${database}" to "${name}"`, null, async () => {
      await this.#requireUser(name);
      const schemata = await this.#run<RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
      if (schemata.length === 0) throw new NotFoundError(`Database "${database}" does not exist.`);
      await this.#revokeQuietly(name, target);
      await this.#run(`GRANT ${ACCESS_PRIVILEGES[access].join(', ')} ON ${target}.* TO ${accountName(name)}`);
    });
  }

  /** Removes every privilege of `name` on `database`. Revoking what was never granted changes nothing. */
  async revoke(name: string, database: string): Promise<void> {
    this.#assertManageable(name);
    const target = grantDatabase(database);
    await this.#guard(`revoke "${name}" on "${database}"`, null, async () => {
      await this.#requireUser(name);
      await this.#revokeQuietly(name, target);
    });
  }

  /** Database-level grants read from `mysql.db`; each is shown as the largest level it covers. */
  async listGrants(name?: string): Promise<Grant[]> {
    if (name !== undefined) assertCreatableName(name, 'user');
    return this.#guard('list grants', null, async () => {
      const rows = await this.#run<RowDataPacket[]>(
        `SELECT * FROM mysql.db WHERE Host = ?${name === undefined ? '' : ' AND User = ?'} ORDER BY User, Db`,
        name === undefined ? [USER_HOST] : [USER_HOST, name],
      );
      const grants: Grant[] = [];
      for (const row of rows) {
        const user = String(row.User);
        if (name === undefined && this.#isSystem(user)) continue;
        const grant = grantFromDbRow(user, String(row.Db), row);
        if (grant) grants.push(grant);
      }
      return grants;
    });
  }

  #isSystem(name: string): boolean {
    return this.#dialect.systemUsers.has(name) || name.startsWith('mysql.') || name.startsWith('mariadb.');
  }

  #assertManageable(name: string): void {
    assertCreatableName(name, 'user');
    if (this.#isSystem(name)) {
      throw new InvalidInputError(`"${name}" is a ${this.#dialect.productName} system account; Krint does not create, drop or re-grant it.`, 'user');
    }
  }

  async #hostsOf(name: string): Promise<string[]> {
    const rows = await this.#run<RowDataPacket[]>('SELECT Host AS host FROM mysql.user WHERE User = ? ORDER BY Host', [name]);
    return rows.map((row) => String(row.host));
  }

  async #requireUser(name: string): Promise<void> {
    const rows = await this.#run<RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [name, USER_HOST]);
    if (rows.length === 0) throw new NotFoundError(`User "${name}" does not exist.`);
  }

  async #revokeQuietly(name: string, target: string): Promise<void> {
    try {
      await this.#run(`REVOKE ALL PRIVILEGES ON ${target}.* FROM ${accountName(name)}`);
    } catch (error) {
      // "There is no such grant": nothing to take away.
      if (errorNumber(error) !== MysqlErrorNumber.noSuchGrant) throw error;
    }
  }

  /** Runs `work`; an escaping error becomes an EngineError holding neither `secret` nor the session password. */
  async #guard<T>(action: string, secret: string | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const secrets = secret ? [this.#sessionPassword, secret] : [this.#sessionPassword];
      throw translateError(error, { product: this.#dialect.productName, secrets, action });
    }
  }
}

/** Privilege columns of `mysql.db` (`Select_priv`…) that hold `Y`, as privilege names. */
function grantedPrivileges(row: RowDataPacket): string[] {
  return Object.entries(row)
    .filter(([column, value]) => column.endsWith('_priv') && String(value) === 'Y')
    .map(([column]) => column.slice(0, -'_priv'.length).replaceAll('_', ' ').toUpperCase());
}

/**
 * Maps one `mysql.db` row to a grant: `all` when every privilege column is `Y`, else `readwrite`
 * or `read` when their privileges are all there. Rows covering none of them, and pattern grants
 * that Krint did not make, are left out.
 */
export function grantFromDbRow(user: string, pattern: string, row: RowDataPacket): Grant | null {
  if (isWildcardGrant(pattern)) return null;
  const privileges = grantedPrivileges(row);
  const columns = Object.keys(row).filter((column) => column.endsWith('_priv'));
  const has = (privilege: string) => privileges.includes(privilege);
  let access: AccessLevel | null = null;
  if (columns.length > 0 && privileges.length === columns.length) access = 'all';
  else if (ACCESS_PRIVILEGES.readwrite.every(has)) access = 'readwrite';
  else if (has('SELECT')) access = 'read';
  if (!access) return null;
  return { user, database: unescapeGrantDatabase(pattern), access, privileges };
}
