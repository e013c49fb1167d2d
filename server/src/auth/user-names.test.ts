import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

/** User names are one name whatever their case, against the real server. */
const PASSWORD = 'Kx7-names-pass-word';
let test: TestKrint;
let base: string;
let admin: string;

beforeAll(async () => {
  test = await startTestKrint({ Auth__AdminPassword: 'names-Pw7-first-krint' });
  base = `http://127.0.0.1:${await test.krint.listen(0)}`;
  admin = await bearerFor(test.krint, 'admin');
});

afterAll(async () => {
  await test?.krint.close();
});

async function createUser(name: string): Promise<{ __typename: string; message?: string; name?: string }> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: admin },
    body: JSON.stringify({ query: 'mutation($n: String!, $p: String!) { createKrintUser(name: $n, password: $p, role: VIEWER) { __typename ... on KrintUser { name } ... on Error { message } } }', variables: { n: name, p: PASSWORD } }),
  });
  return ((await response.json()) as { data: { createKrintUser: { __typename: string; message?: string; name?: string } } }).data.createKrintUser;
}

describe('user names ignore case', () => {
  it('refuses a name that differs from an existing one only in case, saying which one', async () => {
    expect(await createUser('Olga.Berg')).toEqual({ __typename: 'KrintUser', name: 'Olga.Berg' });
    expect(await createUser('olga.berg')).toEqual({ __typename: 'ConflictError', message: 'A user named "Olga.Berg" already exists; user names ignore case, so "olga.berg" is the same name.' });
    expect(await createUser('ADMIN')).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('"admin" already exists') });
    expect((await test.krint.auth.users.list()).map((user) => user.name)).toEqual(['admin', 'Olga.Berg']);
  });

  it('refuses the same name created twice at once', async () => {
    const results = await Promise.all([createUser('Twin'), createUser('twin'), createUser('TWIN')]);
    expect(results.filter((r) => r.__typename === 'KrintUser')).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'ConflictError')).toHaveLength(2);
  });

  it('signs in with the name in any case, as the name it was created with', async () => {
    for (const typed of ['olga.berg', 'OLGA.BERG', 'Olga.Berg']) {
      const response = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: typed, password: PASSWORD }) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { user: { name: string } }).user.name).toBe('Olga.Berg');
    }
  });
});
