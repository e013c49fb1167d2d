import { REDACTED, redactPasswords } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { mongoEngine } from './mongo-engine.js';

/** No MongoDB server runs here; the rule itself is what keeps `admin.system.users` from viewers. */
describe('MongoDB credentials declaration', () => {
  const credentials = mongoEngine.credentials!;

  it('marks every system collection, in any case, and no user collection', () => {
    for (const [database, collection] of [['admin', 'system.users'], ['admin', 'System.Users'], ['admin', 'system.keys'], ['app', 'system.profile'], ['app', 'system.js']]) {
      expect(credentials.holdsCredentials(database!, collection!), `${database}.${collection}`).toBe(true);
    }
    for (const [database, collection] of [['app', 'users'], ['admin', 'systems'], ['app', 'my.system.users']]) {
      expect(credentials.holdsCredentials(database!, collection!), `${database}.${collection}`).toBe(false);
    }
  });

  it('recognises passwords in user commands and connection strings', () => {
    expect(redactPasswords(`db.createUser({ user: "app", pwd: "S3cret-pass", roles: [] })`, credentials.passwordPatterns)).toBe(`db.createUser({ user: "app", pwd: ${REDACTED}, roles: [] })`);
    expect(redactPasswords(`{"updateUser":"app","pwd":'x"y'}`, credentials.passwordPatterns)).toBe(`{"updateUser":"app","pwd":${REDACTED}}`);
    expect(redactPasswords('mongodb://root:S3cret@127.0.0.1:27017/admin', credentials.passwordPatterns)).toBe(`mongodb://root:${REDACTED}@127.0.0.1:27017/admin`);
  });
});
