import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

describe('passwordProblem', () => {
  const refused: [password: string, userName: string, reason: RegExp][] = [
    ['short-Kx7', 'olga', /at least 12 characters/],
    ['aaaaaaaaaaaa', 'olga', /at least 6 different characters/],
    [' '.repeat(12), 'olga', /at least 6 different characters/],
    ['abcabcabcabc', 'olga', /at least 6 different characters/],
    ['margarethe-krause', 'Margarethe-Krause', /must not be the user name/],
    ['my-Olga-pass-Kx7q', 'olga', /must not contain the user name/],
    ['password1234', 'olga', /too easy to guess: it is built on a common password, word or name\./],
    ['Password123!', 'olga', /too easy to guess: it is built on a common password/],
    ['iloveyou2024', 'olga', /too easy to guess/],
    ['qwertyuiop12', 'olga', /too easy to guess/],
    ['zxcvbnm,./asdf', 'olga', /too easy to guess: it is mostly a row or pattern of keys on the keyboard/],
    ['1234567890ab', 'olga', /too easy to guess/],
    ['trustno1trustno1', 'olga', /too easy to guess: it repeats a short part/],
  ];

  it.each(refused)('refuses %j for %s with a specific reason that does not quote it', async (password, userName, reason) => {
    const problem = await passwordProblem(password, userName);
    expect(problem).toMatch(reason);
    if (password.trim().length > 3) expect(problem!.toLowerCase()).not.toContain(password.toLowerCase());
  });

  it.each([
    ['correct horse battery staple', 'olga'],
    ['Kx7mQ2-sign-in-secret', 'vera'],
    ['e2e-Rotated-pass_2', 'admin'],
    ['Zq8#v1Lw!r4Tn0pB', 'admin'],
  ])('accepts %j', async (password, userName) => {
    expect(await passwordProblem(password, userName)).toBeNull();
  });
});

describe('password policy on the real server', () => {
  let test: TestKrint;
  let base: string;

  beforeAll(async () => {
    test = await startTestKrint({ Auth__AdminPassword: 'policy-Pw7-first-krint' });
    base = `http://127.0.0.1:${await test.krint.listen(0)}`;
  });

  afterAll(async () => {
    await test?.krint.close();
  });

  it('refuses weak passwords for new users with InvalidInput naming the field, and creates nobody', async () => {
    const admin = await bearerFor(test.krint, 'admin');
    for (const password of ['aaaaaaaaaaaa', ' '.repeat(12), 'password1234', 'hugo-hugo-Kx7q1']) {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: admin },
        body: JSON.stringify({ query: 'mutation($p: String!) { createKrintUser(name: "hugo", password: $p, role: VIEWER) { __typename ... on InvalidInputError { message field } } }', variables: { p: password } }),
      });
      const body = (await response.json()) as { data: { createKrintUser: { __typename: string; message: string; field: string } } };
      expect(body.data.createKrintUser).toMatchObject({ __typename: 'InvalidInputError', field: 'password', message: expect.stringMatching(/^The password must|^The password is too easy to guess/) });
    }
    expect((await test.krint.auth.users.list()).map((user) => user.name)).toEqual(['admin']);
  });

  it('refuses a weak new password on /api/auth/password and keeps the old one', async () => {
    const signIn = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'policy-Pw7-first-krint' }) });
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const cookie = signIn.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const change = await fetch(`${base}/api/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-krint-csrf': csrfToken }, body: JSON.stringify({ currentPassword: 'policy-Pw7-first-krint', newPassword: 'qwertyuiop12' }) });
    expect(change.status).toBe(400);
    expect(await change.json()).toEqual({ error: { type: 'InvalidInputError', message: expect.stringMatching(/too easy to guess/), field: 'newPassword' } });
    expect(await test.krint.auth.users.verify('admin', 'policy-Pw7-first-krint')).not.toBeNull();
  });

  it('refuses to start with a weak Auth__AdminPassword for the first admin', async () => {
    await expect(startTestKrint({ Auth__AdminPassword: 'Password123!' })).rejects.toThrow(/Auth__AdminPassword is not accepted for the first admin: The password is too easy to guess/);
  });
});
