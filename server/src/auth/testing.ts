import { createEngineRegistry } from '@krint/agent';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKrint, type Krint, type KrintOptions } from '../app.js';
import { loadConfig } from '../config.js';
import type { AuthRole } from './types.js';

/**
 * Test helpers: a control plane on a fresh SQLite file whose log lines (and console output) are
 * captured, and API tokens minted directly for a role. Tests that only need "an admin" use
 * {@link bearerFor} instead of signing in.
 */
export interface TestKrint {
  readonly krint: Krint;
  readonly dataDir: string;
  /** Everything the server logged through `log` or the console while the test ran. */
  readonly logs: string[];
}

export async function startTestKrint(
  env: Record<string, string> = {},
  options: Pick<KrintOptions, 'authOptions' | 'localExecutor'> & { readonly krintYaml?: string } = { localExecutor: null },
): Promise<TestKrint> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-auth-'));
  if (options.krintYaml) writeFileSync(path.join(dataDir, 'krint.yaml'), options.krintYaml);
  const logs: string[] = [];
  const krint = await createKrint({
    config: loadConfig({ env: { Krint__DataDir: dataDir, ...env }, cwd: dataDir }),
    localExecutor: options.localExecutor ?? null,
    engines: await createEngineRegistry(),
    log: (message) => logs.push(message),
    ...(options.authOptions ? { authOptions: options.authOptions } : {}),
  });
  return { krint, dataDir, logs };
}

/** `Authorization` header value of a fresh API token with `role`, valid for an hour. */
export async function bearerFor(krint: Krint, role: AuthRole, name = `test-${role}`): Promise<string> {
  const { token } = await krint.auth.apiTokens.create({ name, role, expiresAt: new Date(Date.now() + 3_600_000), createdBy: 'test' });
  return `Bearer ${token}`;
}
