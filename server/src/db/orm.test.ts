import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityLog } from '../services/activity.js';
import { openDatabase, type KrintOrm } from './orm.js';

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('the SQLite state database on disk', () => {
  let orm: KrintOrm | undefined;
  afterEach(async () => {
    await orm?.close(true);
    orm = undefined;
  });

  it('is created readable by its owner only, with its -wal and -shm files and its folder', async () => {
    const previous = process.umask(0o022);
    try {
      const folder = path.join(mkdtempSync(path.join(tmpdir(), 'krint-orm-')), 'state');
      const file = path.join(folder, 'krint.db');
      orm = await openDatabase({ kind: 'sqlite', file });
      // A write while the database is open: the WAL and its index exist now.
      await new ActivityLog(orm).record({ actor: 'test', action: 'test.write', targetType: 'test', detail: 'something only the owner may read' });
      expect(modeOf(folder)).toBe(0o700);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens a file and folder an older installation left readable by others', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'krint-orm-'));
    chmodSync(folder, 0o755);
    const file = path.join(folder, 'krint.db');
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    mkdirSync(path.join(folder, 'backups'));
    orm = await openDatabase({ kind: 'sqlite', file });
    expect(modeOf(folder)).toBe(0o700);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
  });
});
