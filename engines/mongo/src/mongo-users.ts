import type { Db, Document } from 'mongodb';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  assertCreatableName,
  assertSafePassword,
  type AccessLevel,
  type Grant,
  type UserAdmin,
  type UserInfo,
} from '@krint/engine-sdk';
import { assertDatabaseName } from './mongo-names.js';

/**
 * Users live in the `admin` database (clients sign in with `authSource=admin`) and get built-in
 * roles per database:
 *
 * | access    | role        |
 * |-----------|-------------|
 * | read      | `read`      |
 * | readwrite | `readWrite` |
 * | all       | `dbOwner`   |
 *
 * A grant replaces the user's Krint role on that database, so exactly one level applies.
 */
export const ROLE_FOR_ACCESS: Readonly<Record<AccessLevel, string>> = { read: 'read', readwrite: 'readWrite', all: 'dbOwner' };
const ACCESS_FOR_ROLE = new Map(Object.entries(ROLE_FOR_ACCESS).map(([access, role]) => [role, access as AccessLevel]));

export interface RoleRef {
  readonly role: string;
  readonly db: string;
}

/** The command documents behind each operation; pure, so they are tested without a server. */
export const UserCommands = {
  create(name: string, password: string): Document {
    return { createUser: assertCreatableName(name, 'user'), pwd: assertSafePassword(password), roles: [] };
  },
  setPassword(name: string, password: string): Document {
    return { updateUser: name, pwd: assertSafePassword(password) };
  },
  drop(name: string): Document {
    return { dropUser: name };
  },
  /** Removes every Krint role on `database`, then (with `access`) adds the one for the level. */
  regrant(name: string, database: string, access: AccessLevel | null): Document[] {
    assertDatabaseName(database);
    const commands: Document[] = [{ revokeRolesFromUser: name, roles: Object.values(ROLE_FOR_ACCESS).map((role) => ({ role, db: database })) }];
    if (access !== null) {
      const role = ROLE_FOR_ACCESS[access];
      if (!role) throw new InvalidInputError(`Unknown access level "${String(access)}"; use read, readwrite or all.`, 'access');
      commands.push({ grantRolesToUser: name, roles: [{ role, db: database }] });
    }
    return commands;
  },
};

/** Krint grants among a user's roles; other roles (root, clusterAdmin...) are shown by listUsers only. */
export function grantsFromRoles(user: string, roles: readonly RoleRef[]): Grant[] {
  return roles.flatMap((ref) => {
    const access = ACCESS_FOR_ROLE.get(ref.role);
    return access ? [{ user, database: ref.db, access, privileges: [ref.role] }] : [];
  });
}

export class MongoUsers implements UserAdmin {
  constructor(
    private readonly admin: () => Db,
    private readonly rootUser: string,
  ) {}

  async listUsers(): Promise<UserInfo[]> {
    const users = await this.#usersInfo();
    return users.map((user) => {
      const isRoot = user.user === this.rootUser || user.roles.some((ref) => ref.role === 'root');
      return { name: user.user, isSystem: user.user === this.rootUser, isSuperuser: isRoot };
    });
  }

  async createUser(name: string, password: string): Promise<void> {
    const command = UserCommands.create(name, password);
    if ((await this.#usersInfo(name)).length > 0) throw new ConflictError(`The user "${name}" already exists.`);
    await this.admin().command(command);
  }

  async dropUser(name: string): Promise<void> {
    this.#assertNotRoot(name, 'dropped');
    await this.#requireUser(name);
    await this.admin().command(UserCommands.drop(name));
  }

  async setPassword(name: string, password: string): Promise<void> {
    const command = UserCommands.setPassword(name, password);
    await this.#requireUser(name);
    await this.admin().command(command);
  }

  async grant(name: string, database: string, access: AccessLevel): Promise<void> {
    this.#assertNotRoot(name, 'granted access (it has every right already)');
    const commands = UserCommands.regrant(name, database, access);
    await this.#requireUser(name);
    for (const command of commands) await this.admin().command(command);
  }

  async revoke(name: string, database: string): Promise<void> {
    this.#assertNotRoot(name, 'revoked');
    const [command] = UserCommands.regrant(name, database, null);
    await this.#requireUser(name);
    await this.admin().command(command!);
  }

  async listGrants(name?: string): Promise<Grant[]> {
    const users = await this.#usersInfo(name);
    if (name !== undefined && users.length === 0) throw new NotFoundError(`The user "${name}" does not exist.`);
    return users.filter((user) => user.user !== this.rootUser).flatMap((user) => grantsFromRoles(user.user, user.roles));
  }

  async #usersInfo(name?: string): Promise<{ user: string; roles: RoleRef[] }[]> {
    const reply = await this.admin().command({ usersInfo: name === undefined ? 1 : { user: name, db: 'admin' } });
    return ((reply.users ?? []) as { user: string; roles?: RoleRef[] }[]).map((user) => ({ user: user.user, roles: user.roles ?? [] }));
  }

  async #requireUser(name: string): Promise<void> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw new InvalidInputError('The user name must be 1 to 128 characters.', 'user');
    }
    if ((await this.#usersInfo(name)).length === 0) throw new NotFoundError(`The user "${name}" does not exist.`);
  }

  #assertNotRoot(name: string, what: string): void {
    if (name === this.rootUser) {
      throw new InvalidInputError(`"${name}" is the instance's root user and cannot be ${what}; only its password can be changed.`, 'user');
    }
  }
}
