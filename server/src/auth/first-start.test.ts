import { createEngineRegistry } from '@krint/agent';
import { describe, expect, it } from 'vitest';
import { createKrint } from '../app.js';
import { loadConfig } from '../config.js';
import { startTestKrint } from './testing.js';

describe('first start', () => {
  it('creates admin with a generated password logged exactly once, and never again on the next start', async () => {
    const first = await startTestKrint();
    const lines = first.logs.filter((line) => line.includes('built-in user'));
    expect(lines).toHaveLength(1);
    const password = /generated password (\S+) /.exec(lines[0]!)?.[1];
    expect(password && password.length >= 40).toBe(true);
    expect(lines[0]).toMatch(/only secret Krint ever logs/);
    expect(await first.krint.auth.users.verify('admin', password!)).not.toBeNull();
    expect(await first.krint.auth.users.verify('admin', `${password}x`)).toBeNull();
    await first.krint.close();

    const logs: string[] = [];
    const again = await createKrint({ config: loadConfig({ env: { Krint__DataDir: first.dataDir }, cwd: first.dataDir }), localExecutor: null, engines: await createEngineRegistry(), log: (m) => logs.push(m) });
    await again.close();
    expect(logs.join('\n')).not.toContain(password!);
    expect(logs.filter((line) => line.includes('built-in user'))).toHaveLength(0);
  });

  it('refuses a too-short Auth__AdminPassword and half an OIDC configuration', () => {
    expect(() => loadConfig({ env: { Auth__AdminPassword: 'short' }, cwd: '/' })).toThrow(/Auth__AdminPassword must have at least 12 characters/);
    expect(() => loadConfig({ env: { Oidc__Authority: 'https://id.example' }, cwd: '/' })).toThrow(/needs both Oidc__Authority and Oidc__ClientId/);
    expect(() => loadConfig({ env: { Oidc__Authority: 'http://id.example', Oidc__ClientId: 'krint' }, cwd: '/' })).toThrow(/must be an https:\/\/ URL/);
  });
});

describe('cookies behind an https public URL', () => {
  it('are marked Secure', async () => {
    const started = await startTestKrint({ Auth__AdminPassword: 'secure-cookie-password', Krint__PublicUrl: 'https://krint.test' });
    try {
      const port = await started.krint.listen(0);
      const response = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'secure-cookie-password' }) });
      expect(response.status).toBe(200);
      const cookies = response.headers.getSetCookie();
      expect(cookies).toHaveLength(2);
      for (const cookie of cookies) expect(cookie).toMatch(/; Secure/);
    } finally {
      await started.krint.close();
    }
  });
});
