import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  getNamedType,
  isLeafType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../graphql/schema.js';
import { FIELD_SCOPES } from './graphql-policy.js';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

/**
 * Walks EVERY root field of the generated schema through yoga.fetch: an anonymous call is refused
 * as UNAUTHENTICATED, a viewer is refused every mutation (and the admin-only fields) as FORBIDDEN,
 * and a viewer's allowed reads are not refused for authorisation reasons.
 */
let test: TestKrint;
let viewer: string;

beforeAll(async () => {
  test = await startTestKrint({ Auth__AdminPassword: 'walk-Schema-pw-1-krint' });
  viewer = await bearerFor(test.krint, 'viewer');
});
afterAll(async () => {
  await test?.krint.close();
});

/** A literal that satisfies `type` (required input fields only). */
function literal(type: GraphQLInputType): string {
  if (type instanceof GraphQLNonNull) return literal(type.ofType);
  if (type instanceof GraphQLList) return `[${literal(type.ofType)}]`;
  if (type instanceof GraphQLEnumType) return type.getValues()[0]!.name;
  if (type instanceof GraphQLInputObjectType) {
    const fields = Object.values(type.getFields()).filter((f) => f.type instanceof GraphQLNonNull);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  const scalar = type as GraphQLScalarType;
  switch (scalar.name) {
    case 'Int':
      return '1';
    case 'Float':
      return '1.5';
    case 'Boolean':
      return 'false';
    case 'ID':
      return '"00000000-0000-0000-0000-000000000000"';
    case 'DateTime':
      return '"2030-01-01T00:00:00Z"';
    case 'JSON':
      return '{}';
    default:
      return '"x"';
  }
}

function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>): string {
  const required = field.args.filter((a) => a.type instanceof GraphQLNonNull);
  const args = required.length ? `(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${kind} { ${field.name}${args}${selection} }`;
}

interface GqlError {
  message: string;
  extensions?: { code?: string };
}

async function call(query: string, authorization: string | null, subscription: boolean): Promise<GqlError[]> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: subscription ? 'text/event-stream' : 'application/json' };
  if (authorization) headers.authorization = authorization;
  const response = await test.krint.yoga.fetch('http://krint.test/graphql', { method: 'POST', headers, body: JSON.stringify({ query }) });
  // A subscription refused before its stream opens (an anonymous caller) is answered as JSON too.
  if (!subscription || !response.headers.get('content-type')?.includes('text/event-stream')) return ((await response.json()) as { errors?: GqlError[] }).errors ?? [];
  // The first SSE event of a refused subscription carries the errors; the stream is not awaited to its end.
  const reader = response.body!.getReader();
  let text = '';
  const deadline = Date.now() + 2_000;
  while (!/\ndata: .*\n/.test(`\n${text}`) && Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((resolve) => setTimeout(() => resolve({ value: undefined, done: true }), 2_000))]);
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel().catch(() => undefined);
  const data = /(?:^|\n)data: (.*)\n/.exec(text)?.[1];
  if (!data) return [];
  return ((JSON.parse(data) as { errors?: GqlError[] }).errors ?? []);
}

const roots = [
  ['query', schema.getQueryType()!],
  ['mutation', schema.getMutationType()!],
  ['subscription', schema.getSubscriptionType()!],
] as const;

describe('every root field of the schema', () => {
  it('has the three root types with fields', () => {
    for (const [, type] of roots) expect(Object.keys(type.getFields()).length).toBeGreaterThan(0);
  });

  it('refuses an anonymous call to each one as UNAUTHENTICATED', async () => {
    const walked: string[] = [];
    for (const [kind, type] of roots) {
      for (const field of Object.values(type.getFields())) {
        const errors = await call(operationFor(kind, field), null, kind === 'subscription');
        expect(errors.map((e) => e.extensions?.code), `${type.name}.${field.name}: ${JSON.stringify(errors)}`).toContain('UNAUTHENTICATED');
        walked.push(`${type.name}.${field.name}`);
      }
    }
    expect(walked.length).toBe(roots.reduce((n, [, t]) => n + Object.keys(t.getFields()).length, 0));
  }, 60_000);

  it('refuses every mutation to a viewer as FORBIDDEN, and only the admin-only reads', async () => {
    for (const [kind, type] of roots) {
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        const errors = await call(operationFor(kind, field), viewer, kind === 'subscription');
        const codes = errors.map((e) => e.extensions?.code);
        if (kind === 'mutation' || FIELD_SCOPES[key] === 'admin') {
          expect(codes, `${key}: ${JSON.stringify(errors)}`).toContain('FORBIDDEN');
        } else {
          expect(codes, `${key} must be readable by a viewer: ${JSON.stringify(errors)}`).not.toContain('FORBIDDEN');
          expect(codes).not.toContain('UNAUTHENTICATED');
        }
      }
    }
  }, 60_000);
});
