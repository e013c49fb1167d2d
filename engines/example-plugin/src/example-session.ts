import {
  EngineError,
  MAX_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  InvalidInputError,
  type ColumnInfo,
  type ConnectionTarget,
  type DatabaseInfo,
  type EngineSession,
  type PageRequest,
  type Row,
  type RowPage,
  type TableInfo,
} from '@krint/engine-sdk';
import { RespClient, RespError } from './resp-client.js';

const COLUMNS: readonly ColumnInfo[] = [
  { name: 'key', type: 'string', isPrimaryKey: true, nullable: false },
  { name: 'type', type: 'string', nullable: false },
  { name: 'value', type: 'string', nullable: true },
];

/**
 * A read-only session: one DB ("0"), one table ("keys"), rows are keys with their string values.
 * Only `browse` is declared, so this class has no insertRow/updateRow/query members at all:
 * optional members are capabilities.
 */
export class ExampleSession implements EngineSession {
  private constructor(private readonly client: RespClient) {}

  static async open(target: ConnectionTarget): Promise<ExampleSession> {
    let client: RespClient;
    try {
      client = await RespClient.open(target.host, target.port);
    } catch (error) {
      throw new EngineError('UNAVAILABLE', `Could not reach ${target.host}:${target.port}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await client.call('AUTH', target.user, target.password);
      const session = new ExampleSession(client);
      await session.ping();
      return session;
    } catch (error) {
      client.close();
      const refused = error instanceof RespError && /WRONGPASS|NOAUTH/.test(error.message);
      throw new EngineError('UNAVAILABLE', refused ? `The server refused the credentials of "${target.user}".` : (error as Error).message, { cause: error });
    }
  }

  async ping(): Promise<void> {
    const reply = await this.client.call('PING');
    if (reply !== 'PONG') throw new EngineError('UNAVAILABLE', 'The server did not answer PING.');
  }

  async close(): Promise<void> {
    this.client.close();
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    return [{ name: '0', rowCount: Number(await this.client.call('DBSIZE')) }];
  }

  async listTables(database: string): Promise<TableInfo[]> {
    assertDatabase(database);
    return [{ name: 'keys', rowCount: Number(await this.client.call('DBSIZE')), kind: 'keys' }];
  }

  async countRows(database: string, table: string): Promise<number> {
    assertTable(database, table);
    return Number(await this.client.call('DBSIZE'));
  }

  /** Pages with SCAN; the page cursor is SCAN's cursor. A page may hold a few more keys than asked. */
  async readRows(database: string, table: string, page: PageRequest): Promise<RowPage> {
    assertTable(database, table);
    const limit = Math.max(1, Math.min(Math.floor(page.limit) || 1, MAX_PAGE_SIZE));
    const [start] = page.cursor ? decodeCursor(page.cursor) : ['0'];
    if (typeof start !== 'string' || !/^\d+$/.test(start)) throw new InvalidInputError('The page cursor is not valid.', 'cursor');
    const [next, keys] = (await this.client.call('SCAN', start, 'COUNT', String(limit))) as [string, string[]];
    const rows: Row[] = [];
    for (const key of keys) {
      const type = String(await this.client.call('TYPE', key));
      const value = type === 'string' ? ((await this.client.call('GET', key)) as string | null) : null;
      rows.push({ key, type, value });
    }
    return { columns: COLUMNS, rows, keyColumns: ['key'], nextCursor: next === '0' ? null : encodeCursor([next]) };
  }
}

function assertDatabase(database: string): void {
  if (database !== '0') throw new InvalidInputError(`This engine has one database, "0"; not "${database.slice(0, 40)}".`, 'database');
}

function assertTable(database: string, table: string): void {
  assertDatabase(database);
  if (table !== 'keys') throw new InvalidInputError(`This engine has one table, "keys"; not "${table.slice(0, 40)}".`, 'table');
}
