import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';
import type { Auth } from './authenticator.js';
import { graphqlCredentials, MAX_GRAPHQL_REQUEST_BYTES } from './graphql-guards.js';
import { isAuthorizationError } from './graphql-policy.js';
import type { EndReason } from './revocations.js';
import { AuthError, type Caller } from './types.js';

type InitialContext = Parameters<typeof graphqlCredentials>[0];

/**
 * The caller of a GraphQL operation (HTTP, SSE or graphql-ws). Wrong credentials become a
 * GraphQL error with the HTTP status and a clear message; no credentials mean anonymous.
 */
export async function authenticateGraphQL(auth: Auth, initial: InitialContext): Promise<Caller | null> {
  try {
    return await auth.authenticate(graphqlCredentials(initial));
  } catch (error) {
    if (error instanceof AuthError) throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: error.status } } });
    throw error;
  }
}

/**
 * The callers of GraphQL over HTTP and SSE, established before yoga reads the body: the plugin
 * answers an anonymous request (401) or one with wrong credentials (their status) before the
 * document is read, parsed or validated, so only a signed-in caller can make the server hold a
 * document, and an anonymous one never sees a validation message ("Did you mean …"). Nothing in
 * the schema answers anonymous callers (sign-in has its own routes), so nothing is lost.
 * graphql-ws sockets are refused at `connection_init` by {@link authorizeSocket} instead, before
 * any operation.
 */
export class GraphQLCallers {
  readonly #byRequest = new WeakMap<Request, Caller>();

  constructor(private readonly auth: Auth) {}

  /** The yoga plugin; its `onRequest` runs after CORS and GraphiQL and before the body is read. */
  plugin(): Plugin {
    return {
      onRequest: async ({ request, endResponse, fetchAPI }) => {
        let caller: Caller | null;
        try {
          caller = await this.auth.authenticate({ method: request.method, header: (name) => request.headers.get(name) });
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
          if (error.retryAfterSeconds) headers['retry-after'] = String(error.retryAfterSeconds);
          return endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }), { status: error.status, headers }));
        }
        if (!caller) {
          const message = 'Sign in first: GraphQL needs an authenticated caller (session cookie with its x-krint-csrf token, or "Authorization: Bearer <token>").';
          return endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }), { status: 401, headers: { 'content-type': 'application/json; charset=utf-8' } }));
        }
        this.#byRequest.set(request, caller);
      },
    };
  }

  /** The caller for yoga's context: the one the plugin found for an HTTP request, else the socket's. */
  async callerOf(initial: InitialContext): Promise<Caller | null> {
    const known = initial.request ? this.#byRequest.get(initial.request) : undefined;
    return known ?? authenticateGraphQL(this.auth, initial);
  }
}

/**
 * graphql-ws `onConnect`: a socket without valid credentials is closed (4403) before any
 * operation. An accepted socket is closed as soon as its credential is revoked (sign-out, revoked
 * token, deleted or re-roled user) or expires, and re-checks its credentials every
 * `socketRecheckMs` for changes this process did not see.
 */
export async function authorizeSocket(
  auth: Auth,
  context: { connectionParams?: Readonly<Record<string, unknown>>; extra: { request: IncomingMessage; socket?: { close(code: number, reason: string): void; once(event: 'close', listener: () => void): unknown } } },
): Promise<boolean> {
  const credentials = graphqlCredentials({ req: context.extra.request, connectionParams: context.connectionParams ?? {}, extra: context.extra });
  const check = async () => {
    try {
      return await auth.authenticate(credentials);
    } catch {
      return null;
    }
  };
  const caller = await check();
  if (!caller) return false;
  const socket = context.extra.socket;
  if (socket) {
    const close = () => socket.close(4403, 'Forbidden: the credentials of this connection are no longer valid');
    const untrack = auth.live.track(caller, close);
    const timer = setInterval(() => {
      void check().then((valid) => {
        if (!valid) {
          clearInterval(timer);
          close();
        }
      });
    }, auth.options.socketRecheckMs ?? 30_000);
    timer.unref();
    socket.once('close', () => {
      clearInterval(timer);
      untrack();
    });
  }
  return true;
}

/**
 * Ends a running subscription, on any transport (SSE and graphql-ws alike), when the credential
 * it was started with is revoked or expires: the client gets one last event with an
 * `UNAUTHENTICATED` error, then the stream completes.
 */
export function useCredentialRevocation(auth: Auth): Plugin<{ caller?: Caller | null }> {
  return {
    onSubscribe: ({ args }) => {
      const caller = args.contextValue.caller;
      if (!caller) return;
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (!isAsyncIterable(result)) return;
          setResult(endWhenRevoked(result, (end) => auth.live.track(caller, end)));
        },
      };
    },
  };
}

const ENDED_EVENT: Record<EndReason, string> = {
  revoked: 'The credentials of this subscription were revoked (signed out, token revoked, or the user changed); sign in again.',
  expired: 'The credentials of this subscription expired; sign in again.',
};

/**
 * `source`, until `track` reports that its credential ended. Written out as an iterator object
 * rather than an async generator: a generator cannot be returned while it awaits the next event,
 * so neither a revocation nor the client leaving could end it before that event arrived.
 */
function endWhenRevoked(source: AsyncIterable<ExecutionResult>, track: (end: (reason: EndReason) => void) => () => void): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let ended: EndReason | null = null;
  let finished = false;
  let wake: (reason: EndReason) => void = () => undefined;
  const endedSignal = new Promise<EndReason>((resolve) => (wake = resolve));
  const untrack = track((reason) => {
    ended = reason;
    wake(reason);
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    untrack();
    // Not awaited: a source that is an async generator only returns once its pending next settles.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  };
  const lastEvent = (reason: EndReason): IteratorResult<ExecutionResult> => {
    finish();
    return { done: false, value: { errors: [new GraphQLError(ENDED_EVENT[reason], { extensions: { code: 'UNAUTHENTICATED' } })] } };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      if (ended) return lastEvent(ended);
      const next = await Promise.race([iterator.next(), endedSignal]);
      if (typeof next === 'string') return lastEvent(next);
      if (next.done) {
        finished = true;
        untrack();
      }
      return next;
    },
    async return() {
      finish();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      finish();
      throw error;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Lets authorisation and limit errors keep their message through yoga's error masking. */
export function exposeAuthorizationError(error: unknown): GraphQLError | null {
  if (isAuthorizationError(error) || (error instanceof GraphQLError && ['CSRF', 'RATE_LIMITED'].includes(String(error.extensions?.code)))) return error as GraphQLError;
  if (error instanceof GraphQLError && isAuthorizationError(error.originalError)) {
    const original = error.originalError as GraphQLError;
    return new GraphQLError(original.message, { ...(error.nodes ? { nodes: error.nodes } : {}), ...(error.path ? { path: error.path } : {}), extensions: original.extensions });
  }
  return null;
}

/**
 * GraphiQL only for a signed-in caller. The page is the same for everyone and holds no secret
 * (`http/graphiql.ts`): with a cookie session its script reads the CSRF token from the cookie.
 */
export async function graphiqlFor(auth: Auth, request: Request): Promise<boolean> {
  try {
    return (await auth.authenticate({ method: 'GET', header: (name) => request.headers.get(name) })) !== null;
  } catch {
    return false;
  }
}

/**
 * Bounds a GraphQL request before yoga reads it: a declared body over the limit is refused (413),
 * and so is a POST without a declared length (411), which could otherwise stream without end.
 * Returns false when it answered.
 */
export function checkRequestSize(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== 'POST') return true;
  const declared = request.headers['content-length'];
  if (declared === undefined) {
    response.writeHead(411, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'Send GraphQL requests with a Content-Length.' }] }));
    return false;
  }
  if (!(Number(declared) <= MAX_GRAPHQL_REQUEST_BYTES)) {
    response.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ errors: [{ message: `The request body is larger than ${MAX_GRAPHQL_REQUEST_BYTES} bytes.` }] }));
    return false;
  }
  return true;
}
