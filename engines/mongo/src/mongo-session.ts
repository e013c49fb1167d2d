import type { Db, Document, MongoClient } from 'mongodb';
import {
  ConflictError,
  EngineError,
  InvalidInputError,
  MAX_PAGE_SIZE,
  NotFoundError,
  type ColumnInfo,
  type ConnectionTarget,
  type DatabaseInfo,
  type EngineSession,
  type JsonValue,
  type PageRequest,
  type QueryOptions,
  type QueryResult,
  type Row,
  type RowKey,
  type RowPage,
  type RowUpdate,
  type TableInfo,
} from '@krint/engine-sdk';
import { CURSOR_COMMANDS, parseConsoleCommand } from './mongo-command.js';
import { isMongoServerError, mongodbDriver } from './mongo-driver.js';
import { fromJsonDocument, fromJsonValue, toJsonDocument, toJsonValue } from './mongo-ejson.js';
import { assertCollectionName, assertCreatableDatabase, assertDatabaseName, assertNotSystem, SYSTEM_DATABASES } from './mongo-names.js';
import { ID_ORDER, afterIdFilter, decodeIdCursor, encodeIdCursor } from './mongo-paging.js';
import { MongoUsers } from './mongo-users.js';

/** Collection created so that a new database exists (MongoDB creates databases lazily). */
export const PLACEHOLDER_COLLECTION = 'krint_init';
const CONNECT_TIMEOUT_MS = 5_000;

/** Every document is one row: its `_id` (the key) and the whole document as Extended JSON. */
export const DOCUMENT_COLUMNS: readonly ColumnInfo[] = [
  { name: '_id', type: 'any', nullable: false, isPrimaryKey: true },
  { name: 'document', type: 'json', nullable: false },
];

/** Builds the connection URI with `URL`, so user names and passwords are escaped. */
export function mongoUri(target: ConnectionTarget, database = ''): string {
  const url = new URL('mongodb://placeholder');
  url.hostname = target.host;
  url.port = String(target.port);
  url.username = target.user;
  url.password = target.password;
  url.pathname = `/${database}`;
  url.searchParams.set('authSource', 'admin');
  return url.toString();
}

/** A driver error at connect time, naming the address and never the password. */
export function describeMongoConnectError(error: unknown, target: ConnectionTarget): EngineError {
  const where = `${target.host}:${target.port}`;
  if (isMongoServerError(error) && (error.code === 18 || /Authentication failed/i.test(error.message))) {
    return new EngineError('UNAVAILABLE', `The MongoDB server at ${where} refused the credentials of user "${target.user}".`, { cause: error });
  }
  const message = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
  const safe = message.split(target.password).join('***');
  return new EngineError('UNAVAILABLE', `Could not reach the MongoDB server at ${where}: ${safe}`, { cause: error });
}

export class MongoSession implements EngineSession {
  readonly users: MongoUsers;

  private constructor(
    private readonly client: MongoClient,
    rootUser: string,
  ) {
    this.users = new MongoUsers(() => this.client.db('admin'), rootUser);
  }

  /** Connects directly to one server (no replica-set discovery) and runs a real `ping`. */
  static async open(target: ConnectionTarget, rootUser: string): Promise<MongoSession> {
    const { MongoClient } = await mongodbDriver.load();
    const client = new MongoClient(mongoUri(target), {
      directConnection: true,
      serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      maxPoolSize: 4,
      appName: 'krint',
    });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return new MongoSession(client, rootUser);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw describeMongoConnectError(error, target);
    }
  }

  async ping(): Promise<void> {
    await this.client.db('admin').command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    const reply = await this.client.db('admin').admin().listDatabases();
    return reply.databases.map((db) => ({
      name: db.name,
      sizeBytes: db.sizeOnDisk,
      isSystem: SYSTEM_DATABASES.has(db.name),
    }));
  }

  /**
   * MongoDB creates a database when its first collection is created, so creating one creates an
   * empty `krint_init` collection, which stays (dropping it would make the database vanish).
   */
  async createDatabase(name: string): Promise<void> {
    assertCreatableDatabase(name);
    const existing = await this.client.db(name).listCollections({}, { nameOnly: true }).toArray();
    if (existing.length > 0) throw new ConflictError(`The database "${name}" already exists.`);
    await this.client.db(name).createCollection(PLACEHOLDER_COLLECTION);
  }

  async dropDatabase(name: string): Promise<void> {
    assertDatabaseName(name);
    assertNotSystem(name, 'dropped');
    const databases = await this.listDatabases();
    if (!databases.some((db) => db.name === name)) throw new NotFoundError(`The database "${name}" does not exist.`);
    await this.client.db(name).dropDatabase();
  }

  async listTables(database: string): Promise<TableInfo[]> {
    const db = this.#db(database);
    const collections = await db.listCollections({}, { nameOnly: false, authorizedCollections: true }).toArray();
    const tables: TableInfo[] = [];
    for (const info of collections.sort((a, b) => a.name.localeCompare(b.name))) {
      const kind = info.type ?? 'collection';
      const rowCount = kind === 'collection' ? await db.collection(info.name).estimatedDocumentCount() : undefined;
      tables.push({ name: info.name, kind, ...(rowCount === undefined ? {} : { rowCount, rowCountIsEstimate: true }) });
    }
    return tables;
  }

  async describeTable(database: string, table: string): Promise<ColumnInfo[]> {
    this.#collection(database, table);
    return [...DOCUMENT_COLUMNS];
  }

  async countRows(database: string, table: string): Promise<number> {
    return this.#collection(database, table).countDocuments({});
  }

  async readRows(database: string, table: string, page: PageRequest): Promise<RowPage> {
    const collection = this.#collection(database, table);
    const limit = Math.max(1, Math.min(Math.floor(page.limit) || 1, MAX_PAGE_SIZE));
    const filter = page.cursor ? afterIdFilter(decodeIdCursor(page.cursor)) : {};
    const documents = await collection.find(filter).sort(ID_ORDER).limit(limit + 1).toArray();
    const shown = documents.slice(0, limit);
    const last = shown.at(-1);
    return {
      columns: DOCUMENT_COLUMNS,
      rows: shown.map(documentRow),
      keyColumns: ['_id'],
      nextCursor: documents.length > limit && last ? encodeIdCursor(last._id) : null,
      total: await collection.estimatedDocumentCount(),
      totalIsEstimate: true,
    };
  }

  /** Inserts `values.document` (Extended JSON); the server adds an ObjectId `_id` when it has none. */
  async insertRow(database: string, table: string, values: Row): Promise<Row> {
    const collection = this.#collection(database, table, 'write');
    const document = fromJsonDocument(values.document, 'document');
    try {
      const { insertedId } = await collection.insertOne(document);
      const stored = await collection.findOne({ _id: insertedId });
      if (!stored) throw new NotFoundError('The document was inserted but could not be read back.');
      return documentRow(stored);
    } catch (error) {
      if (isMongoServerError(error) && error.code === 11000) {
        throw new ConflictError(`A document with _id ${JSON.stringify(toJsonValue(document._id))} already exists.`);
      }
      throw error;
    }
  }

  /**
   * Replaces one document by `_id`. With `expected.document`, the replacement applies only if the
   * stored document still equals it (field order included), checked by the server in the same
   * operation, so a concurrent change is a conflict and nothing is written.
   */
  async updateRow(database: string, table: string, update: RowUpdate): Promise<Row> {
    const collection = this.#collection(database, table, 'write');
    const id = keyId(update.key);
    const replacement = fromJsonDocument(update.changes.document, 'document');
    if ('_id' in replacement && JSON.stringify(toJsonValue(replacement._id)) !== JSON.stringify(toJsonValue(id))) {
      throw new InvalidInputError('The _id of a document cannot be changed; insert a new document and delete this one.', '_id');
    }
    delete replacement._id;
    const filter: Document = { _id: id };
    if (update.expected?.document !== undefined) {
      filter.$expr = { $eq: ['$$ROOT', { $literal: fromJsonDocument(update.expected.document, 'expected.document') }] };
    }
    const result = await collection.replaceOne(filter, replacement);
    if (result.matchedCount === 0) {
      const exists = (await collection.countDocuments(byId(id), { limit: 1 })) > 0;
      if (!exists) throw new NotFoundError('The document does not exist.');
      throw new ConflictError('The document changed since it was read; reload it and try again. Nothing was written.');
    }
    const stored = await collection.findOne(byId(id));
    if (!stored) throw new NotFoundError('The document was deleted right after it was replaced.');
    return documentRow(stored);
  }

  async deleteRow(database: string, table: string, key: RowKey): Promise<void> {
    const collection = this.#collection(database, table, 'write');
    const result = await collection.deleteOne(byId(keyId(key)));
    if (result.deletedCount === 0) throw new NotFoundError('The document does not exist.');
  }

  async dropTable(database: string, table: string): Promise<void> {
    const collection = this.#collection(database, table, 'write');
    const exists = await this.#db(database).listCollections({ name: table }, { nameOnly: true }).hasNext();
    if (!exists) throw new NotFoundError(`The collection "${table}" does not exist.`);
    await collection.drop();
  }

  /**
   * Runs one command document (see `mongo-command.ts`). Cursor replies become one row per document
   * of the first batch, up to `rowLimit`; other replies are one row holding the reply.
   */
  async query(database: string, text: string, options: QueryOptions): Promise<QueryResult> {
    const db = this.#db(database);
    const { name, document } = parseConsoleCommand(text, options);
    const started = Date.now();
    let reply: Document;
    let timer: NodeJS.Timeout | undefined;
    // maxTimeMS makes the server stop the command; this bound covers a server that does not answer.
    const unanswered = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EngineError('UNAVAILABLE', `The command did not finish within ${options.timeoutMs} ms.`)),
        options.timeoutMs + 2_000,
      );
    });
    try {
      reply = await Promise.race([db.command(document), unanswered]);
    } catch (error) {
      if (isMongoServerError(error)) throw new InvalidInputError(`MongoDB refused ${name}: ${error.message}`, 'text');
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const limit = Math.max(1, Math.floor(options.rowLimit));
    const { rows, more } = consoleRows(name, reply, limit);
    const cursorId = (reply.cursor as { id?: unknown } | undefined)?.id;
    if (more && cursorId && String(cursorId) !== '0') {
      const ns = String((reply.cursor as { ns?: string }).ns ?? '');
      const collection = ns.slice(ns.indexOf('.') + 1);
      await db.command({ killCursors: collection, cursors: [cursorId] }).catch(() => undefined);
    }
    return {
      columns: CURSOR_COMMANDS.has(name) ? DOCUMENT_COLUMNS.slice(1) : [{ name: 'reply', type: 'json' }],
      rows,
      rowCount: typeof reply.n === 'number' ? reply.n : rows.length,
      truncated: more,
      command: name,
      durationMs: Date.now() - started,
    };
  }

  #db(database: string): Db {
    return this.client.db(assertDatabaseName(database));
  }

  #collection(database: string, table: string, purpose: 'read' | 'write' = 'read') {
    assertCollectionName(table, purpose);
    return this.#db(database).collection(table);
  }
}

/** Rows of a console reply: the first batch of a cursor (at most `limit`), or the reply itself. */
export function consoleRows(name: string, reply: Document, limit: number): { rows: Row[]; more: boolean } {
  const cursor = reply.cursor as { firstBatch?: Document[]; id?: unknown } | undefined;
  if (CURSOR_COMMANDS.has(name) && cursor && Array.isArray(cursor.firstBatch)) {
    const batch = cursor.firstBatch;
    const more = batch.length > limit || (cursor.id !== undefined && String(cursor.id) !== '0');
    return { rows: batch.slice(0, limit).map((doc) => ({ document: toJsonDocument(doc) })), more };
  }
  return { rows: [{ reply: toJsonDocument(reply) }], more: false };
}

function documentRow(document: Document): Row {
  return { _id: toJsonValue(document._id), document: toJsonDocument(document) };
}

/** A filter on `_id`; typed as a plain Document because `_id`s of any BSON type are allowed. */
function byId(id: unknown): Document {
  return { _id: id };
}

function keyId(key: RowKey): unknown {
  if (!('_id' in key)) throw new InvalidInputError('A document is identified by its _id, e.g. { "_id": { "$oid": "..." } }.', '_id');
  return fromJsonValue(key._id as JsonValue, '_id');
}
