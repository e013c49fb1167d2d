import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { addressKey, DEFAULT_LOGIN_LIMITS, SignInThrottle, type LoginLimits } from './rate-limit.js';
import { startTestKrint, type TestKrint } from './testing.js';

/**
 * Sign-in throttling against the real server (default limits), then the throttle's backoff with
 * short durations.
 */
const USER = 'vera';
const PASSWORD = 'Kx7mQ2-sign-in-secret';
let test: TestKrint;
let port: number;

beforeAll(async () => {
  test = await startTestKrint({ Auth__AdminPassword: 'throttle-Pw7-first-krint' });
  port = await test.krint.listen(0);
  await test.krint.auth.users.create(USER, PASSWORD, 'viewer');
});

afterAll(async () => {
  await test?.krint.close();
});

/** POST /api/auth/login from a chosen loopback address (the whole 127/8 reaches this machine). */
function login(username: string, password: string, from: string): Promise<{ status: number; retryAfter: number | null; message: string }> {
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/api/auth/login', method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const retryAfter = response.headers['retry-after'];
        resolve({ status: response.statusCode ?? 0, retryAfter: retryAfter ? Number(retryAfter) : null, message: response.statusCode === 200 ? '' : (JSON.parse(text) as { error: { message: string } }).error.message });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('sign-in throttling on the real server', () => {
  it('checks at most the allowed number of 60 concurrent guesses, and the real user at another address still signs in', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(USER, `wrong-guess-${i}`, '127.0.0.1')));
    const checked = answers.filter((a) => a.status === 401).length;
    const throttled = answers.filter((a) => a.status === 429);
    expect(checked).toBe(DEFAULT_LOGIN_LIMITS.perUserAndAddress);
    expect(throttled).toHaveLength(60 - DEFAULT_LOGIN_LIMITS.perUserAndAddress);
    expect(throttled[0]!.message).toMatch(/^Too many sign-in attempts for this user name from this address; try again in \d+ (second|minute)\(s\)\.$/);
    expect(throttled.every((a) => a.retryAfter !== null && a.retryAfter > 0)).toBe(true);

    // The guesser now waits, even with the right password…
    const guesser = await login(USER, PASSWORD, '127.0.0.1');
    expect(guesser.status).toBe(429);
    expect(guesser.retryAfter).toBeGreaterThan(DEFAULT_LOGIN_LIMITS.backoffMs / 1000 - 5);
    // …while the real user, elsewhere, is not locked out by a stranger.
    expect((await login(USER, PASSWORD, '127.0.0.2')).status).toBe(200);
    // And other users at the guesser's address are not affected either.
    expect((await login('admin', 'throttle-Pw7-first-krint', '127.0.0.1')).status).toBe(200);
  });
});

describe('SignInThrottle', () => {
  const limits: LoginLimits = { perUserAndAddress: 2, perAddress: 100, perUser: 100, windowMs: 60_000, backoffMs: 300, maxBackoffMs: 600 };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function fail(throttle: SignInThrottle, user: string, address: string): Promise<boolean> {
    const attempt = await throttle.begin(user, address);
    if (attempt.allowed) await attempt.failed();
    return attempt.allowed;
  }

  it('backs off exponentially per user name and address, up to the cap, and forgives on success', async () => {
    const throttle = new SignInThrottle(limits);
    expect(await fail(throttle, 'Kim', '10.0.0.1')).toBe(true);
    expect(await fail(throttle, 'kim', '10.0.0.1')).toBe(true); // names compare case-insensitively
    const refused = await throttle.begin('kim', '10.0.0.1');
    expect(refused).toMatchObject({ allowed: false, limitedBy: 'user-and-address', retryAfterSeconds: 1 });
    expect((await throttle.begin('kim', '10.0.0.2')).allowed).toBe(true);

    await sleep(350); // first backoff: 300 ms, then one attempt
    expect(await fail(throttle, 'kim', '10.0.0.1')).toBe(true);
    expect((await throttle.begin('kim', '10.0.0.1')).allowed).toBe(false);
    await sleep(350); // second backoff: 600 ms
    expect((await throttle.begin('kim', '10.0.0.1')).allowed).toBe(false);
    await sleep(300);
    expect(await fail(throttle, 'kim', '10.0.0.1')).toBe(true);
    await sleep(650); // third backoff: capped at 600 ms
    const attempt = await throttle.begin('kim', '10.0.0.1');
    expect(attempt.allowed).toBe(true);
    if (attempt.allowed) await attempt.succeeded();
    // Forgiven: the full allowance again.
    expect(await fail(throttle, 'kim', '10.0.0.1')).toBe(true);
    expect(await fail(throttle, 'kim', '10.0.0.1')).toBe(true);
    expect((await throttle.begin('kim', '10.0.0.1')).allowed).toBe(false);
  });

  it('bounds one address trying many names, and many addresses trying one name', async () => {
    const throttle = new SignInThrottle({ ...limits, perAddress: 3, perUser: 3 });
    for (const name of ['a1', 'a2', 'a3']) expect(await fail(throttle, name, '10.1.0.1')).toBe(true);
    expect(await throttle.begin('a4', '10.1.0.1')).toMatchObject({ allowed: false, limitedBy: 'address' });
    for (const address of ['10.2.0.1', '10.2.0.2', '10.2.0.3']) expect(await fail(throttle, 'bo', address)).toBe(true);
    expect(await throttle.begin('bo', '10.2.0.4')).toMatchObject({ allowed: false, limitedBy: 'user' });
  });

  it('counts an IPv6 /64 as one address and an IPv4-mapped address as IPv4', () => {
    expect(addressKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:0db8:0000:0000:ffff:1:2:3')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
