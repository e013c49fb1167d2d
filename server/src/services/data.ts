import type { AccessLevel, Row, RowKey, RowUpdate } from '@krint/engine-sdk';
import { ACCESS_LEVELS, assertCreatableName, assertQuotableName, assertSafePassword, InvalidInputError, MAX_PAGE_SIZE, NotSupportedError } from '@krint/engine-sdk';
import { credentialRowsRefused, mayReadCredentials } from '../auth/graphql-policy.js';
import type { Caller } from '../auth/types.js';
import { ManagedDatabase, ManagedUser } from '../db/entities.js';
import { ConflictError, DOMAIN_ERRORS, toDomainError } from '../errors.js';
import { audited, generatePassword, handleFor, type Actor, type InstanceHandle, type ServiceDeps } from './context.js';

export const DEFAULT_QUERY_ROW_LIMIT = 250;
export const MAX_QUERY_ROW_LIMIT = 10_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
export const MAX_QUERY_TIMEOUT_MS = 300_000;
export const MAX_BULK_UPDATES = 1_000;

/**
 * Databases, users, grants, rows and the query console of one instance. Every call goes through
 * the instance's executor; names are validated here (bad input changes nothing) and quoted by the
 * engine. Capabilities are checked before anything is sent, so "not supported" is immediate.
 */
export class DataService {
  constructor(private readonly deps: ServiceDeps) {}

  async #handle(instanceId: string, capability?: keyof InstanceHandle['engine']['capabilities']): Promise<InstanceHandle> {
    const handle = await handleFor(this.deps, instanceId);
    if (capability && !handle.engine.capabilities[capability]) throw new NotSupportedError(handle.engine.id, CAPABILITY_WORDS[capability] ?? capability);
    return handle;
  }

  async listDatabases(instanceId: string) {
    const handle = await this.#handle(instanceId);
    return handle.executor.run('db.listDatabases', { instance: handle.address });
  }

  async createDatabase(instanceId: string, name: string, actor: Actor) {
    assertCreatableName(name, 'database');
    const handle = await this.#handle(instanceId, 'createDatabase');
    return audited(this.deps, { actor, action: 'database.create', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: name }, async () => {
      await handle.executor.run('db.createDatabase', { instance: handle.address, database: name });
      const em = this.deps.orm.em.fork();
      if (!(await em.findOne(ManagedDatabase, { instanceId, name }))) await em.persistAndFlush(em.create(ManagedDatabase, { instanceId, name }));
      return { name };
    });
  }

  async dropDatabase(instanceId: string, name: string, actor: Actor) {
    assertQuotableName(name, 'database');
    const handle = await this.#handle(instanceId, 'createDatabase');
    if (name === handle.instance.defaultDatabase) throw new ConflictError(`"${name}" is the instance's default database and cannot be dropped.`);
    return audited(this.deps, { actor, action: 'database.drop', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: name }, async () => {
      await handle.executor.run('db.dropDatabase', { instance: handle.address, database: name });
      await this.deps.orm.em.fork().nativeDelete(ManagedDatabase, { instanceId, name });
      return { name };
    });
  }

  async listTables(instanceId: string, database: string) {
    assertQuotableName(database, 'database');
    const handle = await this.#handle(instanceId, 'browse');
    return handle.executor.run('db.listTables', { instance: handle.address, database });
  }

  async describeTable(instanceId: string, database: string, table: string) {
    this.#names(database, table);
    const handle = await this.#handle(instanceId, 'browse');
    return handle.executor.run('db.describeTable', { instance: handle.address, database, table });
  }

  /**
   * A page of rows for `reader`. Relations the engine marks as holding credentials are refused to
   * readers without the scope for them, before anything is sent to the instance.
   */
  async readRows(instanceId: string, database: string, table: string, cursor: string | null | undefined, limit: number, reader: Caller | null) {
    this.#names(database, table);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new InvalidInputError(`limit must be from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
    const handle = await this.#handle(instanceId, 'browse');
    if (!mayReadCredentials(reader) && handle.engine.credentials?.holdsCredentials(database, table)) {
      throw credentialRowsRefused(reader, `${handle.engine.terms.table[0]!.toUpperCase()}${handle.engine.terms.table.slice(1)} "${table}" of ${handle.engine.terms.database} "${database}"`);
    }
    return handle.executor.run('db.readRows', { instance: handle.address, database, table, cursor: cursor ?? null, limit });
  }

  async insertRow(instanceId: string, database: string, table: string, values: Row, actor: Actor) {
    this.#names(database, table);
    assertObject(values, 'values');
    const handle = await this.#handle(instanceId, 'editRows');
    return this.#audit(handle, actor, 'row.insert', `${database}.${table}`, () => handle.executor.run('db.insertRow', { instance: handle.address, database, table, values }));
  }

  async updateRow(instanceId: string, database: string, table: string, update: RowUpdate, actor: Actor) {
    this.#names(database, table);
    assertUpdate(update, 'update');
    const handle = await this.#handle(instanceId, 'editRows');
    return this.#audit(handle, actor, 'row.update', `${database}.${table}`, () => handle.executor.run('db.updateRow', { instance: handle.address, database, table, update }));
  }

  async bulkUpdate(instanceId: string, database: string, table: string, updates: readonly RowUpdate[], actor: Actor) {
    this.#names(database, table);
    if (!Array.isArray(updates) || updates.length === 0 || updates.length > MAX_BULK_UPDATES) throw new InvalidInputError(`updates must hold 1 to ${MAX_BULK_UPDATES} row updates.`, 'updates');
    updates.forEach((update, index) => assertUpdate(update, `updates[${index}]`));
    const handle = await this.#handle(instanceId, 'bulkUpdate');
    return this.#audit(handle, actor, 'row.bulk-update', `${database}.${table} (${updates.length} rows)`, () => handle.executor.run('db.bulkUpdate', { instance: handle.address, database, table, updates }));
  }

  async deleteRow(instanceId: string, database: string, table: string, key: RowKey, actor: Actor) {
    this.#names(database, table);
    assertObject(key, 'key', true);
    const handle = await this.#handle(instanceId, 'editRows');
    return this.#audit(handle, actor, 'row.delete', `${database}.${table}`, () => handle.executor.run('db.deleteRow', { instance: handle.address, database, table, key }));
  }

  async dropTable(instanceId: string, database: string, table: string, actor: Actor) {
    this.#names(database, table);
    const handle = await this.#handle(instanceId, 'dropTable');
    return this.#audit(handle, actor, 'table.drop', `${database}.${table}`, () => handle.executor.run('db.dropTable', { instance: handle.address, database, table }));
  }

  async query(instanceId: string, database: string, text: string, rowLimit: number | null | undefined, timeoutMs: number | null | undefined, actor: Actor) {
    assertQuotableName(database, 'database');
    if (typeof text !== 'string' || text.trim() === '') throw new InvalidInputError('The query is empty.', 'text');
    if (text.length > 1_000_000) throw new InvalidInputError('The query is longer than 1,000,000 characters.', 'text');
    const limit = rowLimit ?? DEFAULT_QUERY_ROW_LIMIT;
    const timeout = timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_ROW_LIMIT) throw new InvalidInputError(`rowLimit must be from 1 to ${MAX_QUERY_ROW_LIMIT}.`, 'rowLimit');
    if (!Number.isInteger(timeout) || timeout < 100 || timeout > MAX_QUERY_TIMEOUT_MS) throw new InvalidInputError(`timeoutMs must be from 100 to ${MAX_QUERY_TIMEOUT_MS}.`, 'timeoutMs');
    const handle = await this.#handle(instanceId, 'query');
    // Only the statement's first keyword is recorded: the text may hold a password (ALTER ROLE ... PASSWORD).
    // So is a failure: the engine's message can quote the statement (a syntax error "near '…'"),
    // password included, and the activity log is read by viewers. The caller gets the message.
    const keyword = /^[A-Za-z]+/.exec(text.trim())?.[0]?.toUpperCase() ?? 'statement';
    return this.#audit(handle, actor, 'query.run', `${database}: ${keyword}`, () => handle.executor.run('db.query', { instance: handle.address, database, text, rowLimit: limit, timeoutMs: timeout }), statementFailure);
  }

  async listUsers(instanceId: string) {
    const handle = await this.#handle(instanceId, 'users');
    return handle.executor.run('users.list', { instance: handle.address });
  }

  /** Creates a user with the given (or a generated) password and keeps the password sealed. */
  async createUser(instanceId: string, name: string, password: string | null | undefined, actor: Actor) {
    assertCreatableName(name, 'user');
    const secret = password ? assertSafePassword(password) : generatePassword();
    const handle = await this.#handle(instanceId, 'users');
    return audited(this.deps, { actor, action: 'user.create', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: name }, async () => {
      await handle.executor.run('users.create', { instance: handle.address, name, password: secret });
      const em = this.deps.orm.em.fork();
      const existing = await em.findOne(ManagedUser, { instanceId, name });
      if (existing) existing.passwordSealed = this.deps.vault.seal(secret);
      else em.persist(em.create(ManagedUser, { instanceId, name, passwordSealed: this.deps.vault.seal(secret) }));
      await em.flush();
      return { name, password: secret };
    });
  }

  async dropUser(instanceId: string, name: string, actor: Actor) {
    assertQuotableName(name, 'user');
    const handle = await this.#handle(instanceId, 'users');
    if (name === handle.instance.rootUser) throw new ConflictError(`"${name}" is the instance's administrative user and cannot be dropped.`);
    return audited(this.deps, { actor, action: 'user.drop', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: name }, async () => {
      await handle.executor.run('users.drop', { instance: handle.address, name });
      await this.deps.orm.em.fork().nativeDelete(ManagedUser, { instanceId, name });
      return { name };
    });
  }

  async resetUserPassword(instanceId: string, name: string, password: string | null | undefined, actor: Actor) {
    assertQuotableName(name, 'user');
    const secret = password ? assertSafePassword(password) : generatePassword();
    const handle = await this.#handle(instanceId, 'users');
    if (name === handle.instance.rootUser) throw new InvalidInputError('Use rotateRootPassword for the administrative user, so Krint keeps the new password.', 'name');
    return audited(this.deps, { actor, action: 'user.password', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: name }, async () => {
      await handle.executor.run('users.setPassword', { instance: handle.address, name, password: secret });
      const em = this.deps.orm.em.fork();
      const existing = await em.findOne(ManagedUser, { instanceId, name });
      if (existing) existing.passwordSealed = this.deps.vault.seal(secret);
      else em.persist(em.create(ManagedUser, { instanceId, name, passwordSealed: this.deps.vault.seal(secret) }));
      await em.flush();
      return { name, password: secret };
    });
  }

  async grant(instanceId: string, name: string, database: string, access: AccessLevel, actor: Actor) {
    assertQuotableName(name, 'user');
    assertQuotableName(database, 'database');
    if (!(ACCESS_LEVELS as readonly string[]).includes(access)) throw new InvalidInputError(`access must be one of ${ACCESS_LEVELS.join(', ')}.`, 'access');
    const handle = await this.#handle(instanceId, 'users');
    return audited(this.deps, { actor, action: 'user.grant', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: `${name} ${access} on ${database}` }, async () => {
      await handle.executor.run('users.grant', { instance: handle.address, name, database, access });
      return { user: name, database, access };
    });
  }

  async revoke(instanceId: string, name: string, database: string, actor: Actor) {
    assertQuotableName(name, 'user');
    assertQuotableName(database, 'database');
    const handle = await this.#handle(instanceId, 'users');
    return audited(this.deps, { actor, action: 'user.revoke', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: `${name} on ${database}` }, async () => {
      await handle.executor.run('users.revoke', { instance: handle.address, name, database });
      return { user: name, database };
    });
  }

  async listGrants(instanceId: string, name?: string | null) {
    if (name) assertQuotableName(name, 'user');
    const handle = await this.#handle(instanceId, 'users');
    return handle.executor.run('users.listGrants', { instance: handle.address, ...(name ? { name } : {}) });
  }

  /** Managed users with their stored passwords (for the details view). */
  async managedUsers(instanceId: string): Promise<{ name: string; password: string; createdAt: Date }[]> {
    const users = await this.deps.orm.em.fork().find(ManagedUser, { instanceId }, { orderBy: { name: 'asc' } });
    return users.map((user) => ({ name: user.name, password: this.deps.vault.open(user.passwordSealed), createdAt: user.createdAt }));
  }

  #names(database: string, table: string): void {
    assertQuotableName(database, 'database');
    assertQuotableName(table, 'table');
  }

  #audit<T>(handle: InstanceHandle, actor: Actor, action: string, detail: string, work: () => Promise<T>, describeFailure?: (error: unknown) => string): Promise<T> {
    return audited(this.deps, { actor, action, targetType: 'instance', targetId: handle.instance.id, targetName: handle.instance.name, detail }, work, describeFailure);
  }
}

const CAPABILITY_WORDS: Record<string, string> = {
  createDatabase: 'creating and dropping databases',
  browse: 'browsing rows',
  editRows: 'editing rows',
  bulkUpdate: 'bulk row updates',
  dropTable: 'dropping tables',
  query: 'the query console',
  users: 'user management',
  backup: 'backups',
  upgrade: 'upgrades',
  keysetPaging: 'keyset paging',
};

/** A failed console statement as the activity log keeps it: the kind of failure, never the engine's message. */
function statementFailure(error: unknown): string {
  const kind = toDomainError(error);
  const name = kind instanceof Error && DOMAIN_ERRORS.some((type) => kind instanceof type) ? kind.name.replace(/Error$/, '') : 'Internal';
  return `failed (${name}; the message went to the caller only, since it can quote the statement)`;
}

function assertObject(value: unknown, field: string, nonEmpty = false): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${field} must be a JSON object of column → value.`, field);
  if (nonEmpty && Object.keys(value).length === 0) throw new InvalidInputError(`${field} must name at least one column.`, field);
}

function assertUpdate(update: RowUpdate, field: string): void {
  assertObject(update, field);
  assertObject(update.key, `${field}.key`, true);
  assertObject(update.changes, `${field}.changes`, true);
  if (update.expected !== undefined && update.expected !== null) assertObject(update.expected, `${field}.expected`);
}
