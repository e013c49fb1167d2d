import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, startTestKrint, type TestKrint } from '../../auth/testing.js';
import { parseInstant } from './scalars.js';

interface Answer {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

let test: TestKrint;
let admin: string;

async function call(query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await test.krint.yoga.fetch('http://krint.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: admin }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as Answer;
}

const TOKEN = 'mutation($at: DateTime!) { createApiToken(name: "scalar-test", role: VIEWER, expiresAt: $at) { __typename ... on CreatedApiToken { apiToken { expiresAt } } ... on Error { message } } }';
const tokenCount = async () => ((await call('{ apiTokens { id } }')).data!.apiTokens as unknown[]).length;

describe('scalar input through the API', () => {
  beforeAll(async () => {
    test = await startTestKrint({});
    admin = await bearerFor(test.krint, 'admin');
  });
  afterAll(async () => {
    await test?.krint.close();
  });

  it.each([
    ['an Int beyond 32 bits', 99_999_999_999, /Variable "\$n" got invalid value 99999999999; Int cannot represent non 32-bit signed integer value/],
    ['a Float for an Int', 1.5, /Variable "\$n" got invalid value 1.5; Int cannot represent non-integer value/],
    ['a string for an Int', '12', /Int cannot represent non-integer value: "12"/],
  ])('refuses %s in a variable as invalid input naming the variable', async (_what, value, message) => {
    const answer = await call('query($n: Int) { activity(first: $n) { nextCursor } }', { n: value });
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]).toMatchObject({ extensions: { code: 'InvalidInputError', field: 'n' } });
    expect(answer.errors![0]!.message).toMatch(message);
  });

  it('refuses a page size outside 1 to 500 instead of clamping it', async () => {
    for (const first of [0, -5, 501]) {
      const answer = await call('query($n: Int) { activity(first: $n) { nextCursor } }', { n: first });
      expect(answer.errors?.[0], String(first)).toMatchObject({ message: `first must be from 1 to 500, not ${first}.`, extensions: { code: 'InvalidInputError' } });
    }
    expect((await call('{ activity(first: 500) { nextCursor } }')).errors).toBeUndefined();
  });

  it.each([
    ['a day the month does not have', '2026-02-31T00:00:00Z', /not a real date and time/],
    ['February 29th of a common year', '2100-02-29T00:00:00Z', /not a real date and time/],
    ['hour 24', '2030-01-01T24:00:00Z', /not a real date and time/],
    ['a year beyond what a date can hold', '+275761-01-01T00:00:00Z', /not an ISO 8601 date-time/],
    ['text without a zone', '2030-01-01T00:00:00', /not an ISO 8601 date-time with a zone/],
    ['garbage', 'next tuesday', /not an ISO 8601 date-time/],
    ['a number', 12, /DateTime must be a string/],
  ])('refuses %s as a DateTime variable, and creates nothing', async (_what, value, message) => {
    const before = await tokenCount();
    const answer = await call(TOKEN, { at: value });
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors![0]).toMatchObject({ extensions: { code: 'InvalidInputError', field: 'at' } });
    expect(answer.errors![0]!.message).toMatch(message);
    expect(await tokenCount()).toBe(before);
  });

  it('refuses an invalid DateTime literal with the same code', async () => {
    for (const literal of ['"2026-02-31T00:00:00Z"', '12']) {
      const answer = await call(`mutation { createApiToken(name: "x", role: VIEWER, expiresAt: ${literal}) { __typename } }`);
      expect(answer.errors?.[0], literal).toMatchObject({ extensions: { code: 'InvalidInputError' } });
    }
  });

  it('accepts an offset and stores the instant in UTC', async () => {
    const year = new Date().getUTCFullYear() + 1;
    const answer = await call(TOKEN, { at: `${year}-01-31T14:00:00.5+02:00` });
    expect(answer.data!.createApiToken.apiToken.expiresAt).toBe(`${year}-01-31T12:00:00.500Z`);
  });
});

describe('parseInstant', () => {
  it('knows leap years and keeps fractions and offsets exact', () => {
    expect(parseInstant('2024-02-29T00:00:00Z').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseInstant('2000-02-29T23:59:59.999999999Z').toISOString()).toBe('2000-02-29T23:59:59.999Z');
    expect(parseInstant('0099-12-31T00:00Z').toISOString()).toBe('0099-12-31T00:00:00.000Z');
    expect(parseInstant('2030-01-01T00:30:00-01:30').toISOString()).toBe('2030-01-01T02:00:00.000Z');
    expect(() => parseInstant('2023-02-29T00:00:00Z')).toThrow(/not a real date/);
    expect(() => parseInstant('2030-13-01T00:00:00Z')).toThrow(/not a real date/);
    expect(() => parseInstant('2030-01-01T00:00:60Z')).toThrow(/not a real date/);
  });
});
