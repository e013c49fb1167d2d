import { execFile, spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireImage } from '@krint/engine-sdk/testing';
import { createDockerClient } from './client.js';
import { execOutput, execWithInput } from './exec.js';
import { ExecSessionTable } from './exec-sessions.js';

/**
 * An exec whose caller is gone is ended inside the container: each case starts a long command in a
 * real container, takes its caller away (a loop left early, an abort, a terminal closed, the
 * caller's process killed outright) and watches the container's process table until it is gone.
 */
const run = promisify(execFile);
const IMAGE = 'krint-test/busybox:latest';
const LABEL = 'krint.test=exec-reaper';
const docker = createDockerClient();
const hasImage = await requireImage(IMAGE);
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** How soon an abandoned command must be gone: the watchdog's TERM is immediate. */
const GONE_WITHIN_MS = 2_000;

/** Command lines of the container's processes, from the daemon's view (`docker top`). */
async function processes(containerId: string): Promise<string[]> {
  const { stdout } = await run('docker', ['top', containerId, '-o', 'pid,args']);
  return stdout.split('\n').slice(1).map((line) => line.trim().replace(/^\d+\s+/, '')).filter(Boolean);
}

/** Waits until no process's command line contains `needle`; returns how long that took. */
async function goneWithin(containerId: string, needle: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!(await processes(containerId)).some((line) => line.includes(needle))) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`"${needle}" still runs after ${timeoutMs} ms: ${(await processes(containerId)).join(' | ')}`);
}

async function waitFor(containerId: string, needle: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await processes(containerId)).some((line) => line.includes(needle))) {
    if (Date.now() > deadline) throw new Error(`"${needle}" never started`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasImage)('an exec whose caller is gone is ended in the container', { timeout: 30_000 }, () => {
  let containerId = '';

  beforeAll(async () => {
    const { stdout } = await run('docker', ['run', '-d', '--label', LABEL, IMAGE, 'sh', '-c', 'while true; do sleep 1; done']);
    containerId = stdout.trim();
  });
  afterAll(async () => {
    if (containerId) await run('docker', ['rm', '-f', containerId]);
  });

  it('still reports output and the exit code of a command that ends by itself', async () => {
    const chunks: string[] = [];
    const failing = (async () => {
      for await (const chunk of execOutput(docker, containerId, { argv: ['sh', '-c', 'echo one; sleep 0.2; echo two; exit 4'] }, 1024)) chunks.push(chunk.toString());
    })();
    await expect(failing).rejects.toThrow(/exited with code 4/);
    expect(chunks.join('')).toBe('one\ntwo\n');
  });

  it('kills a command and its children when the reader leaves the loop', async () => {
    // The shell starts two children, as pg_dumpall starts pg_dump: all of them must go.
    // Chunks of 8 bytes: `started\n` is handed out as soon as it is written.
    for await (const chunk of execOutput(docker, containerId, { argv: ['sh', '-c', 'echo started; sleep 301 & sleep 302; echo never'] }, 8)) {
      expect(chunk.toString()).toBe('started\n');
      await waitFor(containerId, 'sleep 302');
      break;
    }
    const took = await goneWithin(containerId, 'sleep 30', GONE_WITHIN_MS);
    expect(took).toBeLessThan(GONE_WITHIN_MS);
  });

  it('kills a command when its signal aborts', async () => {
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _ of execOutput(docker, containerId, { argv: ['sleep', '303'] }, 1024, controller.signal)) void _;
    })();
    await waitFor(containerId, 'sleep 303');
    controller.abort();
    await expect(reading).rejects.toThrow();
    await goneWithin(containerId, 'sleep 303', GONE_WITHIN_MS);
  });

  it('kills a command whose caller process dies without a word (SIGKILL)', async () => {
    // The caller is a separate Node process running the same execOutput; SIGKILL leaves it no
    // chance to clean up, as when a node dies mid-dump.
    const folder = mkdtempSync(path.join(tmpdir(), 'krint-reaper-'));
    const script = path.join(folder, 'caller.mts');
    writeFileSync(
      script,
      [
        `import { createDockerClient } from ${JSON.stringify(path.join(HERE, 'client.ts'))};`,
        `import { execOutput } from ${JSON.stringify(path.join(HERE, 'exec.ts'))};`,
        `for await (const chunk of execOutput(createDockerClient(), ${JSON.stringify(containerId)}, { argv: ['sh', '-c', 'echo started; sleep 304'] }, 8)) console.log(chunk.toString().trim());`,
      ].join('\n'),
    );
    const caller = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        caller.stdout!.on('data', (data: Buffer) => data.toString().includes('started') && resolve());
        caller.once('exit', () => reject(new Error('the caller exited early')));
      });
      await waitFor(containerId, 'sleep 304');
      const exited = new Promise((resolve) => caller.once('exit', resolve));
      caller.kill('SIGKILL');
      await exited;
      await goneWithin(containerId, 'sleep 304', GONE_WITHIN_MS);
    } finally {
      caller.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('kills a command reading its input when the input is abandoned', async () => {
    const controller = new AbortController();
    async function* input(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('first part\n');
      await new Promise(() => undefined); // the uploader went away: no more input, no end
    }
    const restoring = execWithInput(docker, containerId, { argv: ['sh', '-c', 'cat > /dev/null; sleep 305'] }, input(), controller.signal);
    restoring.catch(() => undefined);
    await waitFor(containerId, 'cat > /dev/null; sleep 305');
    controller.abort();
    await expect(restoring).rejects.toThrow();
    // Closing stdin alone would have let `sleep 305` run: it is reaped instead.
    await goneWithin(containerId, 'sleep 305', GONE_WITHIN_MS);
  });

  it('kills what runs in a terminal when the terminal is closed', async () => {
    const table = new ExecSessionTable(docker);
    const session = table.attach(containerId, { command: ['sh'], columns: 80, rows: 24 });
    const first = await session.next();
    expect(first.value).toMatchObject({ kind: 'started' });
    await table.write((first.value as { sessionId: string }).sessionId, 'sleep 306\n');
    await waitFor(containerId, 'sleep 306');
    await session.return(undefined);
    await goneWithin(containerId, 'sleep 306', GONE_WITHIN_MS);
    expect(table.ids).toEqual([]);
  });
});
