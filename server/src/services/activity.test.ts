import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, startTestKrint, type TestKrint } from '../auth/testing.js';

let test: TestKrint;

describe('the activity log of a running control plane', () => {
  beforeAll(async () => {
    test = await startTestKrint({});
  });
  afterAll(async () => {
    await test?.krint.close();
  });

  it('stores details without anything an engine recognises as a password, as viewers then read them', async () => {
    const details = [
      `restore failed: psql:<stdin>:12: LINE 1: ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy' VALID`,
      `ERROR 1064 (42000) near 'IDENTIFIED BY 'Typed-Secret-1'' at line 1`,
      `dial mongodb://root:Typed-Secret-2@127.0.0.1:27017/admin`,
    ];
    for (const detail of details) await test.krint.services.deps.activity.record({ actor: 'test', action: 'backup.restore', targetType: 'instance', targetId: 'redaction-test', outcome: 'failed', detail });
    const viewer = await bearerFor(test.krint, 'viewer');
    const response = await test.krint.yoga.fetch('http://krint.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: viewer },
      body: JSON.stringify({ query: '{ activity(first: 10, targetId: "redaction-test") { entries { detail } } }' }),
    });
    const stored = ((await response.json()) as { data: { activity: { entries: { detail: string }[] } } }).data.activity.entries.map((entry) => entry.detail).reverse();
    expect(stored).toEqual([
      'restore failed: psql:<stdin>:12: LINE 1: ALTER ROLE app WITH LOGIN PASSWORD [redacted] VALID',
      // The server's closing quote doubles the password's: read as an escaped quote, the rest goes too.
      "ERROR 1064 (42000) near 'IDENTIFIED BY [redacted]",
      'dial mongodb://root:[redacted]@127.0.0.1:27017/admin',
    ]);
  });
});
