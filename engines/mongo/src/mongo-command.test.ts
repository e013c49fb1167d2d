import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { parseConsoleCommand } from './mongo-command.js';
import { mongodbDriver } from './mongo-driver.js';
import { consoleRows } from './mongo-session.js';

// Extended JSON goes through the driver's BSON, which sessions load when they open.
beforeAll(() => mongodbDriver.load());

const options = { rowLimit: 50, timeoutMs: 10_000 };

describe('console command documents', () => {
  it('reads the command name from the first key and bounds time and batch size', () => {
    const { name, document } = parseConsoleCommand('{ "find": "users", "filter": { "_id": { "$oid": "65a1b2c3d4e5f60718293a4b" } } }', options);
    expect(name).toBe('find');
    expect(document.filter._id).toBeInstanceOf(ObjectId);
    expect(document).toMatchObject({ find: 'users', maxTimeMS: 10_000, batchSize: 51 });
    expect(parseConsoleCommand('{ "count": "users", "maxTimeMS": 500 }', options).document.maxTimeMS).toBe(500);
    expect(parseConsoleCommand('{ "count": "users", "maxTimeMS": 999999 }', options).document.maxTimeMS).toBe(10_000);
    expect(parseConsoleCommand('{ "aggregate": "users", "pipeline": [{ "$match": {} }], "cursor": {} }', options).document.cursor).toEqual({ batchSize: 51 });
  });

  it.each([
    ['{ "shutdown": 1 }', /shutdown is not allowed.*stop the instance/],
    ['{ "dropDatabase": 1 }', /drop database/],
    ['{ "createUser": "x", "pwd": "y", "roles": [] }', /Users page/],
    ['{ "setParameter": 1, "logLevel": 5 }', /configuration/],
    ['{ "aggregate": "a", "pipeline": [{ "$out": "b" }], "cursor": {} }', /\$out or \$merge/],
    ['{}', /document is empty/],
    ['[]', /must be a JSON object/],
    ['find users', /not valid JSON/],
    ['   ', /Type a command document/],
  ])('refuses %s with a reason', (text, reason) => {
    expect(() => parseConsoleCommand(text, options)).toThrow(reason);
  });
});

describe('console rows', () => {
  it('turns a cursor first batch into at most rowLimit document rows and says when it was cut', () => {
    const reply = { cursor: { id: 0, ns: 'app.users', firstBatch: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] }, ok: 1 };
    expect(consoleRows('find', reply, 2)).toEqual({ rows: [{ document: { _id: 1 } }, { document: { _id: 2 } }], more: true });
    expect(consoleRows('find', reply, 3)).toEqual({ rows: reply.cursor.firstBatch.map((document) => ({ document })), more: false });
    expect(consoleRows('find', { cursor: { id: 99, firstBatch: [{ _id: 1 }] } }, 5).more).toBe(true);
  });

  it('shows other replies as one row', () => {
    expect(consoleRows('count', { n: 12, ok: 1 }, 10)).toEqual({ rows: [{ reply: { n: 12, ok: 1 } }], more: false });
  });
});
