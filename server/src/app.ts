import type { CommandExecutor } from '@krint/agent';
import { passwordRedactor, type EngineRegistry } from '@krint/engine-sdk';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError } from 'graphql/index.js';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { NODE_HUB_PATH } from '@krint/agent';
import { HubServer } from '@krint/signalr';
import { Auth, authorizeSocket, boundedParserCache, checkRequestSize, exposeAuthorizationError, graphiqlFor, GraphQLCallers, handleAuthRoutes, MAX_GRAPHQL_REQUEST_BYTES, requireCaller, useCredentialRevocation, useGraphQLGuards, type AuthOptions } from './auth/index.js';
import type { KrintConfig } from './config.js';
import { randomUUID } from 'node:crypto';
import { Node, Setting } from './db/entities.js';
import { openDatabase, type KrintOrm } from './db/orm.js';
import { describeError, DOMAIN_ERRORS } from './errors.js';
import { ExecutorRouter, type NodeDescription } from './executors/router.js';
import { createContext, type KrintContext } from './graphql/context.js';
import { exposeInvalidVariable } from './graphql/input-errors.js';
import { createKrintPubSub } from './graphql/pubsub.js';
import { schema } from './graphql/schema.js';
import { handleBackupRoutes } from './http/backup-routes.js';
import { API_CSP, OriginPolicy, readPath, REQUEST_TIMEOUTS, sendJson, setSecurityHeaders, watchRequestBody, WEB_CLIENT_CSP } from './http/edge.js';
import { graphiqlPage } from './http/graphiql.js';
import { HostEvents } from './nodes/host-events.js';
import { REVOKED_TOKEN_HASH } from './nodes/node-tokens.js';
import { serveStatic } from './http/static.js';
import { ActivityLog } from './services/activity.js';
import { createServices, type Services } from './services/index.js';
import { FaultPoints } from './services/fault-points.js';
import { OperationTracker } from './services/progress.js';
import type { ReconcileReport } from './services/reconcile.js';
import { resolveVault, type Vault } from './vault/index.js';

export interface KrintOptions {
  readonly config: KrintConfig;
  /** The executor for the control plane's own Docker host (the in-process agent); null without Docker. */
  readonly localExecutor: CommandExecutor | null;
  readonly engines: EngineRegistry;
  readonly log?: (message: string) => void;
  /** Folder of the built web client; `web/dist` of the repository by default. */
  readonly webRoot?: string;
  /** Sign-in rate limits and OIDC key-refresh timing (tests shorten them). */
  readonly authOptions?: Pick<AuthOptions, 'loginLimits' | 'oidc' | 'socketRecheckMs'>;
  /** Failure points armed by a test (see `fault-points.ts`); none by default. */
  readonly faults?: FaultPoints;
  /** How long `close` lets running operations finish before marking them interrupted. */
  readonly shutdownGraceMs?: number;
}

/** A running control plane: its services, the executor router (for the node hub) and the HTTP server. */
export interface Krint {
  readonly services: Services;
  readonly executors: ExecutorRouter;
  readonly auth: Auth;
  readonly yoga: YogaServerInstance<Record<string, unknown>, KrintContext>;
  readonly server: Server;
  /** Settles when the reconciliation started at creation has finished (its report, or null without Docker). */
  readonly reconciled: Promise<ReconcileReport | null>;
  /** Listens on `port` (the configured one by default; 0 picks a free one) and returns it. */
  listen(port?: number): Promise<number>;
  close(): Promise<void>;
}

const VAULT_CHECK_KEY = 'vault.check';
const INSTALLATION_ID_KEY = 'installation.id';
/** Long enough for a short operation (a rename, a start) to end; upgrades are reconciled instead. */
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Builds the control plane: vault, state database (migrated), services, scheduler, GraphQL over
 * HTTP, SSE and WebSocket, the backup routes, `/health` and the web client. Start-up order is
 * the reading order of this function.
 */
export async function createKrint(options: KrintOptions): Promise<Krint> {
  const log = options.log ?? ((message: string) => console.log(message));
  const { config } = options;

  const { vault } = resolveVault(config.vault, log);
  const orm = await openDatabase(config.database);
  try {
    await checkVaultKey(orm, vault);
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  const installationId = await installationIdOf(orm);
  const auth = new Auth({ config, orm, log, ...options.authOptions });
  await auth.start();

  const knownNodes = new Map<string, NodeDescription>((await orm.em.fork().find(Node, {})).map((node) => [node.id, { name: node.name, revoked: node.tokenHash === REVOKED_TOKEN_HASH }]));
  const executors = new ExecutorRouter(options.localExecutor, (id) => knownNodes.get(id) ?? null);
  const pubsub = createKrintPubSub();
  const activity = new ActivityLog(orm, (entry) => pubsub.publish('activity.recorded', entry), passwordRedactor(options.engines.list().flatMap((engine) => engine.credentials?.passwordPatterns ?? [])));
  const operations = new OperationTracker(orm);
  const services = createServices({ config, orm, vault, engines: options.engines, executors, activity, pubsub, operations, faults: options.faults ?? new FaultPoints(), installationId }, log);
  // Abandoned operations are marked at once; the containers are looked at in the background, and
  // the instances involved stay claimed (no other operation can start on them) until it is done.
  const reconciled = services.reconciler.reconcileAtStart().catch((error: unknown) => {
    log(`Reconcile: failed: ${describeError(error)}`);
    return null;
  });
  await services.schedules.start();
  for (const line of await services.nodes.describeAtStart()) log(line);

  const callers = new GraphQLCallers(auth);
  const origins = new OriginPolicy(config.allowedOrigins, config.publicUrl);
  const graphiql = graphiqlPage(auth.cookies.csrf);
  const yoga = createYoga<Record<string, unknown>, KrintContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: (request) => graphiqlFor(auth, request),
    renderGraphiQL: () => graphiql.html,
    // Cross-origin rules are the edge's (OriginPolicy, in route below): yoga's default would grant
    // credentialed CORS to any origin.
    cors: false,
    landingPage: false,
    context: async (initial) => createContext(services, auth, await callers.callerOf(initial)),
    plugins: [callers.plugin(), useGraphQLGuards(), useCredentialRevocation(auth)],
    parserAndValidationCache: boundedParserCache(),
    maskedErrors: { maskError: (error, message) => exposeAuthorizationError(error) ?? exposeInvalidVariable(error) ?? exposeDomainError(error) ?? new GraphQLError(message) },
    logging: false,
    // checkRequestSize (in route, below) refuses a body over the limit or without a Content-Length
    // before yoga sees it, and Node's parser reads no more than the declared length; yoga's own
    // limit would only pipe every body through one more stream.
    maxRequestBodySize: false,
  });

  const webRoot = options.webRoot ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
  const server = createServer({ headersTimeout: REQUEST_TIMEOUTS.headersMs, connectionsCheckingInterval: REQUEST_TIMEOUTS.checkEveryMs }, (request, response) => {
    void route(request, response).catch((error: unknown) => {
      // One line: the cause, not a stack trace per request (a client can trigger this at will).
      console.error(`Request failed: ${request.method} ${request.url?.slice(0, 200)}: ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : 'unknown error'}`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' }).end('Unexpected error; see the server log.');
      else response.destroy();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestPath = readPath(request);
    if (!requestPath) {
      setSecurityHeaders(response, API_CSP);
      return sendJson(response, 400, { error: { type: 'InvalidInput', message: 'The request path is malformed (a % not followed by two hex digits of valid UTF-8?).' } }, { connection: 'close' });
    }
    const { pathname } = requestPath;
    const graphql = pathname === '/graphql' || pathname.startsWith('/graphql/');
    const api = graphql || pathname.startsWith('/api/');
    const graphiqlPageRequest = graphql && request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    setSecurityHeaders(response, graphiqlPageRequest ? graphiql.contentSecurityPolicy : api ? API_CSP : WEB_CLIENT_CSP);
    if (api && origins.guard(request, response)) return;
    watchRequestBody(request, response, pathname.startsWith('/api/backups/') ? 'large' : 'small');
    if (graphql) return void (checkRequestSize(request, response) && (await yoga.handle(request, response)));
    if (pathname === '/health') return health(response);
    if (await handleAuthRoutes(auth, request, response, config.publicUrl)) return;
    if (pathname.startsWith('/api/backups/')) {
      // Backups hold every secret of an instance: download and upload are for admins only.
      const caller = await requireCaller(auth, request, response, 'admin');
      if (!caller) return;
      if (await handleBackupRoutes(request, response, services, caller.name)) return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') return serveStatic(webRoot, requestPath.decoded, response);
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
  }

  function health(response: ServerResponse): void {
    const body = { status: 'ok', docker: executors.isConnected(null), nodes: executors.connectedNodes().length };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  // graphql-ws on the same path; yoga's own transport serves SSE subscriptions.
  const webSockets = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: MAX_GRAPHQL_REQUEST_BYTES,
    // A browser always names the page that opens a WebSocket; one of another origin is refused
    // before the upgrade (the browser would send it our cookies).
    verifyClient: ({ req }: { req: IncomingMessage }, done: (verified: boolean, code?: number, message?: string) => void) =>
      origins.judge(req) === 'foreign' ? done(false, 403, 'Forbidden: this origin may not open GraphQL sockets') : done(true),
  });
  const wsCleanup = useServer(
    {
      // A socket without valid credentials (connectionParams or cookie + CSRF token) is closed at once.
      onConnect: (context) => authorizeSocket(auth, context),
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (context, _id, payload) => {
        const enveloped = yoga.getEnveloped({ ...context, req: context.extra.request, socket: context.extra.socket, params: payload });
        let document: ReturnType<Enveloped['parse']>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          // A syntax error, or the parser's token limit: an error result for this operation, not a closed socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    webSockets,
  );

  // The node hub: our SignalR server, answering only its own path; attached last so it sees
  // requests and upgrades first and hands every other one to the listeners above.
  const hubOptions = services.nodeHub.serverOptions();
  const hubs = new HubServer({
    ...hubOptions,
    // Nodes are programs and send no Origin; one that is present and foreign is a browser page
    // trying the hub, refused before its token is looked at.
    authenticate: (request) => (origins.judge(request.request) === 'foreign' ? null : hubOptions.authenticate?.(request)),
  });
  services.nodeHub.onNodeChanged(({ nodeId, name, status }) => {
    if (status === 'deleted') knownNodes.delete(nodeId);
    else knownNodes.set(nodeId, { name, revoked: status === 'revoked' });
    // What a stop cut short on that node's host is reconciled once the node is back.
    if (status === 'online') void services.reconciler.reconcileHost(nodeId).catch((error: unknown) => log(`Reconcile (node ${name}): failed: ${describeError(error)}`));
  });
  services.nodeHub.bind(hubs.mapHub(NODE_HUB_PATH, services.nodeHub.hub));
  hubs.attach(server);
  const hostEvents = new HostEvents({ deps: services.deps, hub: services.nodeHub, log });
  hostEvents.start();

  return {
    services,
    executors,
    auth,
    yoga,
    server,
    reconciled,
    listen(port = config.port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.bindAddress ?? undefined, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async close() {
      hostEvents.stop();
      services.schedules.stop();
      // No new requests; running operations get the grace period, the rest is marked interrupted.
      server.close();
      const interrupted = await operations.shutdown(options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      if (interrupted.length > 0) log(`Shutdown: ${interrupted.length} operation(s) did not finish in time and were marked interrupted; the next start reconciles them.`);
      services.shells.closeAll();
      await hubs.close({ timeoutMs: 2_000 });
      await wsCleanup.dispose();
      webSockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      await orm.close(true);
    },
  };
}

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, KrintContext>['getEnveloped']>;

/** A typed error that escaped a field without an error union (subscriptions) keeps its message. */
function exposeDomainError(error: unknown): GraphQLError | null {
  const candidate = error instanceof GraphQLError ? error.originalError : error;
  if (!(candidate instanceof Error) || !DOMAIN_ERRORS.some((type) => candidate instanceof type)) return error instanceof GraphQLError && !error.originalError ? error : null;
  const original: Error = candidate;
  const base = error instanceof GraphQLError ? error : null;
  return new GraphQLError(original.message, {
    ...(base?.nodes ? { nodes: base.nodes } : {}),
    ...(base?.path ? { path: base.path } : {}),
    extensions: { code: original.name },
  });
}

/** The first start stores a check value; later starts prove the key is the same one. */
async function checkVaultKey(orm: KrintOrm, vault: Vault): Promise<void> {
  const em = orm.em.fork();
  const check = await em.findOne(Setting, { key: VAULT_CHECK_KEY });
  if (check) {
    vault.verifyCheckValue(check.value);
    return;
  }
  em.create(Setting, { key: VAULT_CHECK_KEY, value: vault.createCheckValue() });
  await em.flush();
}

/** This control plane's id, made at the first start; it labels every container it makes. */
async function installationIdOf(orm: KrintOrm): Promise<string> {
  const em = orm.em.fork();
  const stored = await em.findOne(Setting, { key: INSTALLATION_ID_KEY });
  if (stored) return stored.value;
  const id = randomUUID();
  em.create(Setting, { key: INSTALLATION_ID_KEY, value: id });
  await em.flush();
  return id;
}
