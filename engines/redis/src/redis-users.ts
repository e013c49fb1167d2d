import type { Redis } from 'ioredis';
import {
  ConflictError,
  EngineError,
  InvalidInputError,
  NotFoundError,
  assertCreatableName,
  assertSafePassword,
  type AccessLevel,
  type Grant,
  type UserAdmin,
  type UserInfo,
} from '@krint/engine-sdk';

/** The user every Redis server has; Krint's root user. */
export const DEFAULT_USER = 'default';

/**
 * Redis ACLs are per server, not per DB number: a user who may read, reads every DB number. So a
 * grant's `database` must be `*`, and an access level maps to command categories on all keys:
 *
 * - `read`: `+@read +@connection` (GET, HGETALL, SCAN, TYPE, TTL... and SELECT, PING)
 * - `readwrite`: read plus `+@write +@transaction`, minus `@dangerous` (no FLUSHDB, KEYS, RESTORE)
 * - `all`: every command except `@admin` (no CONFIG, ACL changes, SHUTDOWN, DEBUG, REPLICAOF)
 */
export const ALL_DATABASES = '*';
const ACCESS_RULES: Readonly<Record<AccessLevel, readonly string[]>> = {
  read: ['-@all', '+@read', '+@connection'],
  readwrite: ['-@all', '+@read', '+@write', '+@transaction', '+@connection', '-@dangerous'],
  all: ['+@all', '-@admin'],
};
/** A grant resets the user's key and channel patterns to everything, then applies the rules. */
const GRANT_SCOPE = ['resetkeys', '~*', 'resetchannels', '&*'];
/** What a revoked (or new) user may do: sign in and check the connection, nothing else. */
const NO_ACCESS = ['-@all', '+ping', '+echo', 'resetkeys', 'resetchannels'];

/**
 * User administration through ACL SETUSER/DELUSER. When the server runs with an ACL file (as Krint
 * starts it), every change is saved to the file at once so users and passwords survive restarts.
 * Arguments carrying passwords (`>secret`) are never part of an error message.
 */
export class RedisUsers implements UserAdmin {
  constructor(private readonly client: () => Promise<Redis>) {}

  async listUsers(): Promise<UserInfo[]> {
    const names = (await (await this.client()).acl('USERS')) as string[];
    return names.map((name) => ({ name, isSystem: name === DEFAULT_USER, isSuperuser: name === DEFAULT_USER }));
  }

  /** Creates an enabled user that can sign in but run nothing until granted access. */
  async createUser(name: string, password: string): Promise<void> {
    assertCreatableName(name, 'user');
    assertSafePassword(password);
    const client = await this.client();
    if (await this.#exists(client, name)) throw new ConflictError(`The user "${name}" already exists.`);
    await this.#setUser(client, name, ['reset', 'on', `>${password}`, ...NO_ACCESS], 'create the user');
  }

  async dropUser(name: string): Promise<void> {
    this.#assertManagedUser(name, 'dropped');
    const client = await this.client();
    const removed = (await client.acl('DELUSER', name)) as number;
    if (removed === 0) throw new NotFoundError(`The user "${name}" does not exist.`);
    await this.#save(client);
  }

  /** Replaces every password of the user with `password`; also rotates the root (`default`) password. */
  async setPassword(name: string, password: string): Promise<void> {
    assertUserName(name);
    assertSafePassword(password);
    const client = await this.client();
    if (!(await this.#exists(client, name))) throw new NotFoundError(`The user "${name}" does not exist.`);
    await this.#setUser(client, name, ['resetpass', `>${password}`], 'set the password');
  }

  async grant(name: string, database: string, access: AccessLevel): Promise<void> {
    this.#assertManagedUser(name, 'granted access');
    assertAllDatabases(database);
    const rules = ACCESS_RULES[access];
    if (!rules) throw new InvalidInputError(`Unknown access level "${String(access)}"; use read, readwrite or all.`, 'access');
    const client = await this.client();
    if (!(await this.#exists(client, name))) throw new NotFoundError(`The user "${name}" does not exist.`);
    await this.#setUser(client, name, [...GRANT_SCOPE, ...rules], 'grant access');
  }

  async revoke(name: string, database: string): Promise<void> {
    this.#assertManagedUser(name, 'revoked');
    assertAllDatabases(database);
    const client = await this.client();
    if (!(await this.#exists(client, name))) throw new NotFoundError(`The user "${name}" does not exist.`);
    await this.#setUser(client, name, NO_ACCESS, 'revoke access');
  }

  /**
   * Grants as the server enforces them: each user's access is found with ACL DRYRUN (may it GET,
   * SET, FLUSHDB?), so rules set outside Krint are reported by what they allow, and the raw rules
   * are shown as `privileges`.
   */
  async listGrants(name?: string): Promise<Grant[]> {
    const client = await this.client();
    const names = name === undefined ? (await this.listUsers()).filter((user) => !user.isSystem).map((user) => user.name) : [assertUserName(name)];
    if (name !== undefined && !(await this.#exists(client, name))) throw new NotFoundError(`The user "${name}" does not exist.`);
    const grants: Grant[] = [];
    for (const user of names) {
      const access = await this.#effectiveAccess(client, user);
      if (!access) continue;
      grants.push({ user, database: ALL_DATABASES, access, privileges: await this.#rules(client, user) });
    }
    return grants;
  }

  async #effectiveAccess(client: Redis, user: string): Promise<AccessLevel | null> {
    const allowed = async (...command: string[]) => (await client.call('ACL', 'DRYRUN', user, ...command).catch(() => 'denied')) === 'OK';
    const probeKey = 'krint:access-probe';
    if (!(await allowed('GET', probeKey))) return null;
    if (!(await allowed('SET', probeKey, '1'))) return 'read';
    return (await allowed('FLUSHDB')) ? 'all' : 'readwrite';
  }

  async #rules(client: Redis, user: string): Promise<string[]> {
    const reply = (await client.acl('GETUSER', user)) as unknown[];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      if (reply[i] === 'commands') return String(reply[i + 1]).split(' ').filter(Boolean);
    }
    return [];
  }

  async #exists(client: Redis, name: string): Promise<boolean> {
    return (await client.acl('GETUSER', name)) !== null;
  }

  #assertManagedUser(name: string, what: string): void {
    assertUserName(name);
    if (name === DEFAULT_USER) {
      throw new InvalidInputError(`The "${DEFAULT_USER}" user is the instance's root user and cannot be ${what}; only its password can be changed.`, 'user');
    }
  }

  async #setUser(client: Redis, name: string, rules: readonly string[], what: string): Promise<void> {
    try {
      await client.acl('SETUSER', name, ...rules);
    } catch (error) {
      // Redis echoes the failing rule, which may be a password; report the failure without it.
      throw new EngineError('INVALID_INPUT', `Redis refused to ${what} for "${name}".`, { cause: sanitized(error) });
    }
    await this.#save(client);
  }

  /** Writes users to the ACL file when the server has one; servers without one keep them in memory. */
  async #save(client: Redis): Promise<void> {
    const [, aclFile] = (await client.config('GET', 'aclfile')) as string[];
    if (!aclFile) return;
    try {
      await client.acl('SAVE');
    } catch (error) {
      throw new EngineError('UNAVAILABLE', 'The user change is active but could not be saved to the ACL file; it will be lost at restart.', {
        cause: sanitized(error),
      });
    }
  }
}

/** User names looked up (not created) may be any bounded name without spaces or control characters. */
function assertUserName(name: string): string {
  if (typeof name !== 'string' || !/^[^\s\u0000-\u001f\u007f]{1,128}$/.test(name)) {
    throw new InvalidInputError('The user name must be 1 to 128 characters without spaces or control characters.', 'user');
  }
  return name;
}

function assertAllDatabases(database: string): void {
  if (database !== ALL_DATABASES) {
    throw new InvalidInputError(
      `Redis access applies to every DB number at once (ACLs are per server), so grants use the database "*", not "${String(database).slice(0, 20)}".`,
      'database',
    );
  }
}

/** Keeps the error class but drops the message, which may contain a `>password` rule. */
function sanitized(error: unknown): Error {
  return new Error(error instanceof Error ? `${error.name}: (message withheld, it may contain a password)` : 'unknown error');
}
