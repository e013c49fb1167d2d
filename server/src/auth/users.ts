import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { User, type AuthRole } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import { ConfigError } from '../config.js';
import { passwordProblem } from './password-policy.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import { randomSecret } from './secrets.js';

/** Built-in user names: letters, digits and `. _ @ -`, 1 to 64 characters (no quoting needed anywhere). */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const ADMIN_USER = 'admin';

/** The form two names are compared in: they differ only if their keys do (names are ASCII). */
export function userNameKey(name: string): string {
  return name.toLowerCase();
}

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw new InvalidInputError('A user name has 1 to 64 characters: letters, digits and . _ @ - (starting with a letter or digit).', 'name');
  }
  return name;
}

function sameName(requested: string, existing: string): ConflictError {
  return new ConflictError(existing === requested ? `A user named "${existing}" already exists.` : `A user named "${existing}" already exists; user names ignore case, so "${requested}" is the same name.`);
}

/** Built-in users: the first-start admin, sign-in checks, password changes and role changes. */
export class UserStore {
  constructor(private readonly orm: KrintOrm) {}

  /**
   * On the first start (no users yet) creates `admin` with `Auth__AdminPassword` or a generated
   * password, which is logged once. That line is the only secret Krint ever writes to its log:
   * the person installing Krint has no other way to learn it.
   */
  async ensureAdmin(configured: string | null, log: (message: string) => void): Promise<void> {
    const em = this.orm.em.fork();
    if ((await em.count(User, {})) > 0) return;
    if (configured) {
      const problem = await passwordProblem(configured, ADMIN_USER);
      if (problem) throw new ConfigError([`Auth__AdminPassword is not accepted for the first admin: ${problem}`]);
    }
    const password = configured ?? randomSecret();
    em.create(User, { name: ADMIN_USER, nameKey: userNameKey(ADMIN_USER), passwordHash: await hashPassword(password), role: 'admin' });
    await em.flush();
    if (configured) log(`Created the built-in user "${ADMIN_USER}" with the password from Auth__AdminPassword.`);
    else log(`Created the built-in user "${ADMIN_USER}" with the generated password ${password} — shown only this once (the only secret Krint ever logs); sign in and change it.`);
  }

  /** The user when name (in any case) and password match; null otherwise (same work either way). */
  async verify(name: string, password: string): Promise<User | null> {
    const user = USER_NAME.test(name) ? await this.orm.em.fork().findOne(User, { nameKey: userNameKey(name) }) : null;
    const matches = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    return user && matches ? user : null;
  }

  async get(id: string): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { id });
  }

  async list(): Promise<User[]> {
    return this.orm.em.fork().find(User, {}, { orderBy: { nameKey: 'asc' } });
  }

  async create(name: string, password: string, role: AuthRole): Promise<User> {
    checkUserName(name);
    const problem = await passwordProblem(password, name);
    if (problem) throw new InvalidInputError(problem, 'password');
    const em = this.orm.em.fork();
    const nameKey = userNameKey(name);
    const existing = await em.findOne(User, { nameKey });
    if (existing) throw sameName(name, existing.name);
    const user = em.create(User, { name, nameKey, passwordHash: await hashPassword(password), role });
    try {
      await em.flush();
    } catch (error) {
      // Another request created the name meanwhile: the unique key refused this one.
      if (error instanceof UniqueConstraintViolationException) throw sameName(name, name);
      throw error;
    }
    return user;
  }

  /** Checks the current password, then stores the new one. */
  async changePassword(userId: string, current: string, next: string): Promise<User> {
    const em = this.orm.em.fork();
    const user = await em.findOne(User, { id: userId });
    if (!user) throw new NotFoundError('This user no longer exists.');
    if (!(await verifyPassword(current, user.passwordHash))) throw new InvalidInputError('The current password is not correct.', 'currentPassword');
    const problem = await passwordProblem(next, user.name);
    if (problem) throw new InvalidInputError(problem, 'newPassword');
    if (current === next) throw new InvalidInputError('The new password must differ from the current one.', 'newPassword');
    user.passwordHash = await hashPassword(next);
    user.passwordChangedAt = new Date();
    await em.flush();
    return user;
  }

  async setRole(id: string, role: AuthRole): Promise<User> {
    const em = this.orm.em.fork();
    const user = await em.findOne(User, { id });
    if (!user) throw new NotFoundError(`No user with id "${id}".`);
    if (user.role === 'admin' && role !== 'admin' && (await em.count(User, { role: 'admin' })) === 1) {
      throw new ConflictError(`"${user.name}" is the last admin; make another user admin first.`);
    }
    user.role = role;
    await em.flush();
    return user;
  }

  async delete(id: string): Promise<User> {
    const em = this.orm.em.fork();
    const user = await em.findOne(User, { id });
    if (!user) throw new NotFoundError(`No user with id "${id}".`);
    if (user.role === 'admin' && (await em.count(User, { role: 'admin' })) === 1) {
      throw new ConflictError(`"${user.name}" is the last admin and cannot be deleted.`);
    }
    em.remove(user);
    await em.flush();
    return user;
  }
}
