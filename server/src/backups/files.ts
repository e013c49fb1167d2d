import { DUMP_CHUNK_BYTES, type DumpChunk } from '@krint/agent';
import type { DumpScanner } from '@krint/engine-sdk';
import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Result of writing a dump: its size and the first bytes (for format checks). */
export interface WrittenFile {
  readonly sizeBytes: number;
  readonly head: Buffer;
}

const HEAD_BYTES = 64;

/** Names {@link BackupFiles.newFileName} makes: `<slug>-<yyyymmddThhmmssZ>-<6 hex>.<extension>`. */
const BACKUP_FILE_NAME = /^[a-z0-9][a-z0-9-]*-\d{8}T\d{6}Z-[0-9a-f]{6}\.[A-Za-z0-9]+$/;
const PARTIAL_FILE_NAME = /^\.(.+)\.partial$/;

/** The hidden name a dump is written under until it is complete. */
function partialNameOf(file: string): string {
  return `.${file}.partial`;
}

/**
 * The backup directory. Dumps are written to a hidden `.partial` file, fsynced, and renamed to
 * their final name only when complete, so a file with a backup's name is always a whole dump.
 * File names are made here, never taken from a client.
 */
export class BackupFiles {
  constructor(readonly directory: string) {}

  /** `<slug>-<UTC stamp>-<random>.<ext>`: sortable, unique, safe in any shell. */
  newFileName(slug: string, extension: string, now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return `${slug}-${stamp}-${randomBytes(3).toString('hex')}.${extension}`;
  }

  pathOf(file: string): string {
    if (file !== path.basename(file) || file.startsWith('.')) throw new Error(`Not a backup file name: ${file}`);
    return path.join(this.directory, file);
  }

  /**
   * Writes `chunks` (raw bytes) to `file` atomically. `check` sees the first bytes once and may
   * refuse the file; `scanner` sees every byte and may refuse it anywhere. On any failure the
   * partial file is removed and nothing is left.
   */
  async write(file: string, chunks: AsyncIterable<Uint8Array>, check?: (head: Buffer) => string | null, scanner?: DumpScanner): Promise<WrittenFile> {
    await mkdir(this.directory, { recursive: true });
    const finalPath = this.pathOf(file);
    const partialPath = path.join(this.directory, partialNameOf(file));
    const handle = await open(partialPath, 'wx', 0o600);
    let sizeBytes = 0;
    let head = Buffer.alloc(0);
    let checked = check === undefined;
    try {
      for await (const chunk of chunks) {
        if (!checked && head.length < HEAD_BYTES) head = Buffer.concat([head, Buffer.from(chunk.subarray(0, HEAD_BYTES - head.length))]);
        if (!checked && head.length >= HEAD_BYTES) {
          const problem = check!(head);
          if (problem) throw new InvalidDumpError(problem);
          checked = true;
        }
        const unsafe = scanner?.push(chunk);
        if (unsafe) throw new UnsafeDumpError(unsafe);
        await handle.write(chunk);
        sizeBytes += chunk.length;
      }
      if (!checked) {
        const problem = check!(head);
        if (problem) throw new InvalidDumpError(problem);
      }
      const unsafe = scanner?.end();
      if (unsafe) throw new UnsafeDumpError(unsafe);
      if (sizeBytes === 0) throw new InvalidDumpError('The dump is empty.');
      await handle.sync();
      await handle.close();
      await rename(partialPath, finalPath);
      await syncDirectory(this.directory);
      return { sizeBytes, head };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(partialPath, { force: true });
      throw error;
    }
  }

  /** The file as protocol chunks of at most DUMP_CHUNK_BYTES, read lazily; each read is handed on as it is. */
  async *chunks(file: string): AsyncGenerator<DumpChunk> {
    const stream = this.open(file, DUMP_CHUNK_BYTES);
    for await (const chunk of stream) yield { data: chunk as Buffer };
  }

  /** Passes the whole file through `scanner`; returns its first problem, or null. */
  async scan(file: string, scanner: DumpScanner): Promise<string | null> {
    for await (const chunk of this.open(file, DUMP_CHUNK_BYTES)) {
      const problem = scanner.push(chunk as Buffer);
      if (problem) return problem;
    }
    return scanner.end();
  }

  open(file: string, highWaterMark = 64 * 1024): ReadStream {
    return createReadStream(this.pathOf(file), { highWaterMark });
  }

  async size(file: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(file))).size;
    } catch {
      return null;
    }
  }

  /**
   * Removes the partial files of dumps a stopped process never finished. Only names this class
   * makes are touched, so other files in a shared folder are safe. Call it before any write starts.
   */
  async sweepPartials(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const removed: string[] = [];
    for (const name of names) {
      const file = PARTIAL_FILE_NAME.exec(name)?.[1];
      if (file === undefined || !BACKUP_FILE_NAME.test(file)) continue;
      await rm(path.join(this.directory, name), { force: true });
      removed.push(name);
    }
    return removed;
  }

  /** Removes a backup file and any partial file of the same name. */
  async removeFile(file: string): Promise<void> {
    await rm(this.pathOf(file), { force: true });
    await rm(path.join(this.directory, partialNameOf(file)), { force: true });
  }
}

/** An uploaded or dumped file is not a dump of the expected engine. */
export class InvalidDumpError extends Error {
  override readonly name = 'InvalidDumpError';
}

/** A dump holds something the restore client would run besides SQL (a shell command, say). */
export class UnsafeDumpError extends Error {
  override readonly name = 'UnsafeDumpError';
}

/** The bytes of protocol chunks, as received (no copy), for {@link BackupFiles.write}. */
export async function* chunkBytes(chunks: AsyncIterable<DumpChunk>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield chunk.data;
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is already synced.
  } finally {
    await handle.close();
  }
}
