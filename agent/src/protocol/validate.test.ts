import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@krint/engine-sdk';
import { DUMP_CHUNK_BYTES } from './commands.js';
import { dumpChunk, validateCommand, validateStream, validateUpload } from './validate.js';

const instance = { engineId: 'postgres', version: '15', containerId: 'abc123', hostPort: 15432, rootUser: 'postgres', rootPassword: 'Old-password-1', defaultDatabase: 'app' };

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('protocol validation', () => {
  it('accepts well-formed arguments and drops nothing', () => {
    const args = { instance, database: 'app', table: 'items', update: { key: { id: 1 }, changes: { name: 'x', tags: ['a', null] }, expected: { name: 'y' } } };
    expect(validateCommand('db.updateRow', args)).toEqual(args);
    expect(validateCommand('db.readRows', { instance, database: 'app', table: 't', cursor: null, limit: 50 })).toEqual({ instance, database: 'app', table: 't', cursor: null, limit: 50 });
    expect(validateStream('exec.attach', { containerId: 'abc', columns: 80, rows: 24 })).toEqual({ containerId: 'abc', columns: 80, rows: 24 });
    expect(validateUpload('backup.restore', { instance })).toEqual({ instance });
  });

  it('refuses unknown names, unknown fields and wrong types, naming the field', () => {
    expect(refusal(() => validateCommand('db.explode', {})).message).toBe('Unknown command "db.explode".');
    expect(refusal(() => validateStream('logs.tail', {})).message).toBe('Unknown stream "logs.tail".');
    expect(refusal(() => validateCommand('__proto__', {})).field).toBe('name');
    expect(refusal(() => validateCommand('instance.stop', null)).message).toBe('The arguments must be an object, not null.');
    expect(refusal(() => validateCommand('db.countRows', { instance: { ...instance, hostPort: '15432' }, database: 'a', table: 'b' })).field).toBe('instance.hostPort');
    expect(refusal(() => validateCommand('db.countRows', { instance, database: 'a', table: 'b', sql: 'DROP' })).field).toBe('sql');
    expect(refusal(() => validateCommand('users.grant', { instance, name: 'u', database: 'd', access: 'owner' })).message).toBe('access must be one of read, readwrite, all.');
  });

  it('bounds sizes: 10 KB names, NUL, huge pages, deep JSON', () => {
    const long = refusal(() => validateCommand('db.createDatabase', { instance, database: 'x'.repeat(10_240) }));
    expect(long).toMatchObject({ field: 'database', message: 'database is 10240 characters long; the limit is 255.' });
    expect(refusal(() => validateCommand('db.listTables', { instance, database: 'a\u0000b' })).field).toBe('database');
    expect(refusal(() => validateCommand('db.readRows', { instance, database: 'a', table: 'b', limit: 100_000 })).field).toBe('limit');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(refusal(() => validateCommand('db.insertRow', { instance, database: 'a', table: 'b', values: { v: deep } })).message).toMatch(/nested deeper/);
  });

  it('checks new passwords against the safe alphabet without echoing them', () => {
    const error = refusal(() => validateCommand('users.setPassword', { instance, name: 'bob', password: "pa'ss word;--" }));
    expect(error.field).toBe('password');
    expect(error.message).not.toContain("pa'ss word;--");
    expect(refusal(() => validateCommand('users.create', { instance, name: 'bob', password: 'short' })).field).toBe('password');
  });

  it('accepts dump chunks of bytes up to the chunk size only, without copying them', () => {
    const full = Buffer.alloc(DUMP_CHUNK_BYTES, 7);
    expect(dumpChunk({ data: full }, 'body[0]').data).toBe(full);
    const view = new Uint8Array(new ArrayBuffer(DUMP_CHUNK_BYTES * 2), 10, 100);
    expect(dumpChunk({ data: view }, 'body[0]').data).toBe(view);
    expect(dumpChunk({ data: new Uint8Array(0) }, 'body[0]').data.byteLength).toBe(0);
    expect(refusal(() => dumpChunk({ data: Buffer.alloc(DUMP_CHUNK_BYTES + 1) }, 'body[0]'))).toMatchObject({
      field: 'body[0].data',
      message: `body[0].data is ${DUMP_CHUNK_BYTES + 1} bytes long; the limit is ${DUMP_CHUNK_BYTES}.`,
    });
    expect(refusal(() => dumpChunk({ data: 'QUJD' }, 'body[1]')).message).toBe('body[1].data must be bytes, not a string.');
    expect(refusal(() => dumpChunk({ data: [1, 2, 3] }, 'body[2]')).message).toBe('body[2].data must be bytes, not an array.');
    expect(refusal(() => dumpChunk({ data: new Uint16Array(4) }, 'body[3]')).message).toBe('body[3].data must be bytes, not an object.');
    expect(refusal(() => dumpChunk({ data: Buffer.alloc(1), extra: 1 }, 'body[4]')).field).toBe('body[4].extra');
  });
});
