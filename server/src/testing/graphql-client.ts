/** Test support: a GraphQL-over-HTTP client that calls the API the way a real client does. */
/** Results are read loosely on purpose: the tests' assertions check their shape. */
export type Data = Record<string, any>;

export interface GraphqlTestClient {
  /** Runs an operation; GraphQL errors (refusals, masked failures) reject with their messages. */
  gql(query: string, variables?: Record<string, unknown>): Promise<Data>;
  /** Like {@link gql}, and a typed error in any root field fails with its type and message. */
  ok(query: string, variables?: Record<string, unknown>): Promise<Data>;
}

/** `base` and `authorization` are read on every call, so suites can set them up in `beforeAll`. */
export function graphqlTestClient(base: () => string, authorization: () => string): GraphqlTestClient {
  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
    const response = await fetch(`${base()}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: authorization() }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data!;
  }
  async function ok(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
    const data = await gql(query, variables);
    for (const [field, value] of Object.entries(data)) {
      if (value && typeof value === 'object' && 'message' in value && String(value.__typename).endsWith('Error')) throw new Error(`${field}: ${value.__typename}: ${value.message}`);
    }
    return data;
  }
  return { gql, ok };
}
