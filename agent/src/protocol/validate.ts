import { ACCESS_LEVELS, InvalidInputError, MAX_PAGE_SIZE, assertSafePassword } from '@krint/engine-sdk';
import type { JsonValue } from '@krint/engine-sdk';
import type { CommandArgs, CommandName, DumpChunk, StreamArgs, StreamName, UploadArgs, UploadName } from './commands.js';
import { DUMP_CHUNK_BYTES } from './commands.js';

/**
 * Runtime checks for every argument object that enters the agent: arguments arrive as JSON from a
 * hub or a caller that TypeScript cannot see, so shapes are checked before any handler runs. Each
 * failure is an InvalidInputError naming the field path (`instance.hostPort`); values are never
 * echoed, since some are passwords. Unknown fields are refused too: a misspelt optional field
 * would otherwise be silently ignored.
 */
export type Validator<T> = (value: unknown, path: string) => T;

function fail(path: string, rule: string): never {
  throw new InvalidInputError(`${path || 'The arguments'} ${rule}.`, path || undefined);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function str(options: { min?: number; max: number; pattern?: RegExp; rule?: string }): Validator<string> {
  const min = options.min ?? 0;
  return (value, path) => {
    if (typeof value !== 'string') fail(path, `must be a string, not ${describe(value)}`);
    if (value.length < min) fail(path, min === 1 ? 'must not be empty' : `must be at least ${min} characters long`);
    if (value.length > options.max) fail(path, `is ${value.length} characters long; the limit is ${options.max}`);
    if (options.pattern && !options.pattern.test(value)) fail(path, options.rule ?? 'has an invalid format');
    return value;
  };
}

export function int(min: number, max: number): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, `must be a whole number, not ${describe(value)}`);
    if (value < min || value > max) fail(path, `must be between ${min} and ${max}`);
    return value;
  };
}

export const bool: Validator<boolean> = (value, path) => {
  if (typeof value !== 'boolean') fail(path, `must be true or false, not ${describe(value)}`);
  return value;
};

export function oneOf<const T extends string>(values: readonly T[]): Validator<T> {
  return (value, path) => {
    if (typeof value !== 'string' || !values.includes(value as T)) fail(path, `must be one of ${values.join(', ')}`);
    return value as T;
  };
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> & { optional: true } {
  const check = ((value: unknown, path: string) => (value === undefined ? undefined : inner(value, path))) as Validator<T | undefined> & { optional: true };
  check.optional = true;
  return check;
}

/** Like {@link optional}, and `null` is accepted as "absent" too. */
export function nullable<T>(inner: Validator<T>): Validator<T | null | undefined> & { optional: true } {
  const check = ((value: unknown, path: string) => (value === undefined || value === null ? value : inner(value, path))) as Validator<T | null | undefined> & { optional: true };
  check.optional = true;
  return check;
}

export function array<T>(item: Validator<T>, maxItems: number): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, `must be an array, not ${describe(value)}`);
    if (value.length > maxItems) fail(path, `has ${value.length} items; the limit is ${maxItems}`);
    return value.map((entry, index) => item(entry, `${path}[${index}]`));
  };
}

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type Checked<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: ReturnType<S[K]> } & { [K in OptionalKeys<S>]?: ReturnType<S[K]> };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with exactly these fields (optional ones may be absent); nothing else. */
export function object<S extends Shape>(shape: S): Validator<Checked<S>> {
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, `must be an object, not ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) fail(join(path, key), 'is not a known field');
    }
    const result: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const checked = check(value[key], join(path, key));
      if (checked !== undefined) result[key] = checked;
    }
    return result as Checked<S>;
  };
}

/** A map from strings to values. */
export function record<T>(item: Validator<T>, maxEntries: number, key: Validator<string> = str({ min: 1, max: 255 })): Validator<Record<string, T>> {
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, `must be an object, not ${describe(value)}`);
    const entries = Object.entries(value);
    if (entries.length > maxEntries) fail(path, `has ${entries.length} entries; the limit is ${maxEntries}`);
    return Object.fromEntries(entries.map(([name, entry]) => [key(name, `${path} key`), item(entry, join(path, name))]));
  };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const MAX_JSON_DEPTH = 32;
const MAX_JSON_STRING = 16 * 1024 * 1024;

/** Any JSON value (a cell, a document), bounded in depth and string size. */
export const json: Validator<JsonValue> = (value, path) => checkJson(value, path, 0);

function checkJson(value: unknown, path: string, depth: number): JsonValue {
  if (depth > MAX_JSON_DEPTH) fail(path, `is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, 'must be a finite number');
    return value;
  }
  if (typeof value === 'string') {
    if (value.length > MAX_JSON_STRING) fail(path, `is longer than ${MAX_JSON_STRING} characters`);
    return value;
  }
  if (Array.isArray(value)) return value.map((entry, index) => checkJson(entry, `${path}[${index}]`, depth + 1));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, checkJson(entry, join(path, key), depth + 1)]));
  fail(path, `must be a JSON value, not ${describe(value)}`);
}

// ---- Building blocks of the protocol -----------------------------------------------------------

/** Ids of engines, containers and instances: printable, no spaces, bounded. */
const id = str({ min: 1, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, rule: 'may contain only letters, digits and . _ : -' });
/**
 * Names of databases, tables and users as the caller typed them. Engines apply their own naming
 * rules and quote; here only the size is bounded and NUL refused, which no engine can store.
 */
const name = str({ min: 1, max: 255, pattern: /^[^\u0000]*$/, rule: 'must not contain a NUL character' });
/** Passwords Krint sets: the SDK's safe alphabet and length. */
const newPassword: Validator<string> = (value, path) => {
  if (typeof value !== 'string') fail(path, `must be a string, not ${describe(value)}`);
  return assertSafePassword(value, path);
};
/** A password of an existing instance: it may predate Krint's rules, so only its size is bounded. */
const existingPassword = str({ min: 1, max: 1024 });
const port = int(1, 65_535);
const slug = str({ min: 1, max: 40, pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, rule: 'may contain only lower-case letters, digits and dashes, not at either end' });
const labels = record(str({ max: 1024 }), 32, str({ min: 1, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9_.\/-]*$/, rule: 'label keys may contain only letters, digits and . _ / -' }));
const containerIds = array(id, 500);

export const instanceAddress = object({
  engineId: id,
  version: str({ min: 1, max: 64 }),
  containerId: id,
  hostPort: port,
  rootUser: str({ min: 1, max: 255 }),
  rootPassword: existingPassword,
  defaultDatabase: str({ max: 255 }),
});

const addressed = <S extends Shape>(shape: S) => object({ instance: instanceAddress, ...shape });
const inDatabase = <S extends Shape>(shape: S) => addressed({ database: name, ...shape });
const inTable = <S extends Shape>(shape: S) => inDatabase({ table: name, ...shape });

const row = record(json, 1000, str({ min: 1, max: 255 }));
const rowUpdate = object({ key: row, changes: row, expected: optional(row) });
const empty = object({});

type CommandValidators = { [K in CommandName]: Validator<CommandArgs<K>> };
type StreamValidators = { [K in StreamName]: Validator<StreamArgs<K>> };
type UploadValidators = { [K in UploadName]: Validator<UploadArgs<K>> };

export const commandValidators: CommandValidators = {
  'agent.info': empty as Validator<Record<string, never>>,
  'agent.ping': object({ sentAt: int(0, Number.MAX_SAFE_INTEGER) }),

  'instance.create': object({
    engineId: id,
    version: str({ min: 1, max: 64 }),
    instanceId: id,
    slug,
    rootPassword: newPassword,
    defaultDatabase: str({ max: 63 }),
    plugins: array(str({ min: 1, max: 64 }), 32),
    isPublic: bool,
    storage: oneOf(['volume', 'host'] as const),
    hostPath: optional(str({ min: 1, max: 4096 })),
    hostPort: optional(port),
    labels: optional(labels),
  }),
  'instance.start': object({ containerId: id }),
  'instance.stop': object({ containerId: id }),
  'instance.restart': object({ containerId: id }),
  'instance.remove': object({ containerId: id, removeVolume: bool }),
  'instance.status': object({ containerIds }),
  'instance.stats': object({ containerIds }),
  'instance.discover': object({ installationId: id }),
  'volume.remove': object({ name: str({ min: 1, max: 255, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, rule: 'is not a volume name' }) }),
  'instance.waitReady': addressed({ ceilingMs: optional(int(1, 30 * 60_000)) }),
  'instance.installPlugins': addressed({ plugins: array(str({ min: 1, max: 64 }), 32) }),

  'db.listDatabases': addressed({}),
  'db.createDatabase': inDatabase({}),
  'db.dropDatabase': inDatabase({}),
  'db.listTables': inDatabase({}),
  'db.describeTable': inTable({}),
  'db.countRows': inTable({}),
  'db.readRows': inTable({ cursor: nullable(str({ max: 64 * 1024 })), limit: int(1, MAX_PAGE_SIZE) }),
  'db.insertRow': inTable({ values: row }),
  'db.updateRow': inTable({ update: rowUpdate }),
  'db.bulkUpdate': inTable({ updates: array(rowUpdate, 10_000) }),
  'db.deleteRow': inTable({ key: row }),
  'db.dropTable': inTable({}),
  'db.query': inDatabase({ text: str({ min: 1, max: 1024 * 1024 }), rowLimit: int(1, 100_000), timeoutMs: int(1, 60 * 60_000) }),
  'db.inventory': addressed({}),

  'users.list': addressed({}),
  'users.create': addressed({ name, password: newPassword }),
  'users.drop': addressed({ name }),
  'users.setPassword': addressed({ name, password: newPassword }),
  'users.grant': addressed({ name, database: name, access: oneOf(ACCESS_LEVELS) }),
  'users.revoke': addressed({ name, database: name }),
  'users.listGrants': addressed({ name: optional(name) }),

  'exec.input': object({ sessionId: id, data: str({ max: 1024 * 1024 }) }),
  'exec.resize': object({ sessionId: id, columns: int(1, 1000), rows: int(1, 1000) }),
};

export const streamValidators: StreamValidators = {
  'image.pull': object({ image: str({ min: 1, max: 512, pattern: /^[a-z0-9][a-z0-9._\/:@-]*$/i, rule: 'is not an image reference' }) }),
  'logs.follow': object({ containerId: id, tail: int(0, 100_000), follow: bool }),
  'backup.dump': addressed({}),
  'exec.attach': object({ containerId: id, command: optional(array(str({ min: 1, max: 4096 }), 64)), columns: int(1, 1000), rows: int(1, 1000) }),
  'events.watch': object({}),
};

export const uploadValidators: UploadValidators = {
  'backup.restore': addressed({}),
};

/**
 * A chunk's bytes arrive as a `Uint8Array` (a `Buffer` in process, MessagePack `bin` from a hub),
 * never as text, and at most one chunk size long. The bytes themselves are the engine's business:
 * the restore checks the dump header before anything runs.
 */
export const dumpChunk: Validator<DumpChunk> = object({
  data: (value, path) => {
    if (!(value instanceof Uint8Array)) fail(path, `must be bytes, not ${describe(value)}`);
    if (value.byteLength > DUMP_CHUNK_BYTES) fail(path, `is ${value.byteLength} bytes long; the limit is ${DUMP_CHUNK_BYTES}`);
    return value;
  },
});

function lookup<T>(table: Record<string, T>, kind: string, commandName: unknown): T {
  if (typeof commandName !== 'string' || !Object.hasOwn(table, commandName)) {
    throw new InvalidInputError(`Unknown ${kind} "${String(commandName).slice(0, 64)}".`, 'name');
  }
  return table[commandName] as T;
}

/** Checks a command's name and arguments; returns the checked arguments. */
export function validateCommand<K extends CommandName>(commandName: K | string, args: unknown): CommandArgs<K> {
  return lookup(commandValidators, 'command', commandName)(args, '') as CommandArgs<K>;
}

export function validateStream<K extends StreamName>(streamName: K | string, args: unknown): StreamArgs<K> {
  return lookup(streamValidators, 'stream', streamName)(args, '') as StreamArgs<K>;
}

export function validateUpload<K extends UploadName>(uploadName: K | string, args: unknown): UploadArgs<K> {
  return lookup(uploadValidators, 'upload', uploadName)(args, '') as UploadArgs<K>;
}
