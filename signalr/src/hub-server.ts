import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { accessTokenOf } from './access-token.js';
import type { Hub } from './hub.js';
import type { GroupManager, HubClients, HubConnectionInfo } from './hub-context.js';
import { HubConnection } from './hub-connection.js';
import { HubLifetime } from './hub-lifetime.js';
import { LongPollingTransport, ServerSentEventsTransport } from './http-transports.js';
import { WebSocketTransport, type TransportName } from './transport.js';
import { resolveOptions, type HubServerOptions, type ResolvedHubOptions } from './hub-options.js';
import { negotiateResponse, negotiateVersionOf, newConnectionToken, queryValue } from './negotiate.js';

/** Only a placeholder origin to parse request paths; requests never carry a full URL. */
const URL_BASE = 'http://hub.invalid';
/** Frames larger than this are refused by the WebSocket layer, on top of the per-record limit. */
const MIN_FRAME_LIMIT = 1024 * 1024;
/** How long the long-polling transport of an ended connection still answers polls. */
const ENDED_POLL_GRACE_MS = 5_000;

/** A hub mounted at a path: send to its clients and look at its connections from anywhere. */
export interface MappedHub<TUser> {
  readonly path: string;
  readonly clients: HubClients;
  readonly groups: GroupManager;
  /** A live connection (past its handshake), or `undefined`. */
  connection(connectionId: string): HubConnectionInfo<TUser> | undefined;
  /** Every live connection. */
  connections(): Array<HubConnectionInfo<TUser>>;
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

interface Mount<TUser> {
  readonly path: string;
  readonly hub: Hub<TUser>;
  readonly lifetime: HubLifetime;
  /** Every connection not yet ended, by the secret token transports present as `id`. */
  readonly byToken: Map<string, HubConnection<TUser>>;
  /** Long-polling transports of ended connections, kept briefly to answer their last polls. */
  readonly endedPolls: Map<string, LongPollingTransport>;
  readonly api: MappedHub<TUser>;
}

/**
 * Serves SignalR hubs (WebSockets, Server-Sent Events, long polling) next to whatever else an
 * `http.Server` does.
 *
 * ```ts
 * const hubs = new HubServer({ authenticate: ({ token }) => verify(token) });
 * const node = hubs.mapHub('/hubs/node', nodeHub);
 * hubs.attach(httpServer);               // or call handleRequest/handleUpgrade yourself
 * await node.clients.client(id).invoke('status', []);
 * ```
 *
 * It answers `POST <path>/negotiate`, WebSocket upgrades of `<path>` and the HTTP transports'
 * requests to `<path>`, and leaves every other request and upgrade alone.
 */
export class HubServer<TUser = unknown> {
  readonly #options: ResolvedHubOptions<TUser>;
  readonly #mounts = new Map<string, Mount<TUser>>();
  readonly #sockets: WebSocketServer;
  readonly #detachers: Array<() => void> = [];
  #closing = false;
  /** Largest WebSocket frame or POST body taken. */
  readonly #frameLimit: number;

  constructor(options: HubServerOptions<TUser> = {}) {
    this.#options = resolveOptions(options);
    const limit = this.#options.maximumMessageSize;
    // Several records may share a frame, so the frame limit sits above the record limit.
    this.#frameLimit = limit === null ? 100 * 1024 * 1024 : Math.max(MIN_FRAME_LIMIT, limit * 16);
    this.#sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: this.#frameLimit });
  }

  /** Serves `hub` at `path` (e.g. `/hubs/node`). */
  mapHub(path: string, hub: Hub<TUser>): MappedHub<TUser> {
    const normalized = path.replace(/\/+$/, '') || '/';
    if (!normalized.startsWith('/')) throw new Error(`Hub path must start with '/': ${path}`);
    if (this.#mounts.has(normalized)) throw new Error(`A hub is already mapped at ${normalized}.`);
    const lifetime = new HubLifetime();
    const visible = (connection: HubConnection<TUser> | undefined) =>
      connection && lifetime.connections.get(connection.connectionId) === connection ? connection : undefined;
    const api: MappedHub<TUser> = {
      path: normalized,
      clients: lifetime.clients,
      groups: lifetime.groups,
      connection: (id) => visible(lifetime.connections.get(id) as HubConnection<TUser> | undefined),
      connections: () => [...lifetime.connections.values()] as Array<HubConnection<TUser>>,
    };
    this.#mounts.set(normalized, { path: normalized, hub, lifetime, byToken: new Map(), endedPolls: new Map(), api });
    return api;
  }

  /**
   * Handles the request if it is a negotiate of a mapped hub or an HTTP transport request to a
   * hub path, and returns true; otherwise calls `next` (when given) and returns false.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse, next?: () => void): boolean {
    const route = this.#route(request);
    if (!route) {
      next?.();
      return false;
    }
    if (route.endpoint === 'negotiate') {
      request.resume();
      this.#negotiate(route.mount, route.url, request, response).catch(() => sendStatus(response, 500));
    } else {
      this.#serveHttpTransport(route.mount, route.url, request, response).catch(() => sendStatus(response, 500));
    }
    return true;
  }

  /** Takes the upgrade if it targets a mapped hub and returns true; otherwise returns false and leaves the socket alone. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const route = this.#route(request);
    if (!route || route.endpoint !== 'hub') return false;
    this.#upgrade(route.mount, route.url, request, socket, head).catch(() => refuseUpgrade(socket, 500));
    return true;
  }

  /**
   * Puts this server in front of `server`'s current `request` and `upgrade` listeners: requests
   * for hub paths are answered here, all others go on to those listeners. Attach after the other
   * handlers are registered.
   */
  attach(server: Server): this {
    const requestListeners = server.listeners('request') as RequestListener[];
    const upgradeListeners = server.listeners('upgrade') as UpgradeListener[];
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    const onRequest: RequestListener = (request, response) => {
      if (this.handleRequest(request, response)) return;
      for (const listener of requestListeners) listener.call(server, request, response);
      if (requestListeners.length === 0) sendStatus(response, 404);
    };
    const onUpgrade: UpgradeListener = (request, socket, head) => {
      if (this.handleUpgrade(request, socket, head)) return;
      for (const listener of upgradeListeners) listener.call(server, request, socket, head);
      if (upgradeListeners.length === 0) refuseUpgrade(socket, 404);
    };
    server.on('request', onRequest);
    server.on('upgrade', onUpgrade);
    this.#detachers.push(() => {
      server.off('request', onRequest);
      server.off('upgrade', onUpgrade);
      for (const listener of requestListeners) server.on('request', listener);
      for (const listener of upgradeListeners) server.on('upgrade', listener);
    });
    return this;
  }

  /**
   * Graceful shutdown: refuses new connections, sends every client Close with `allowReconnect`
   * (so clients with automatic reconnect dial again, e.g. to the restarted server), waits up to
   * `timeoutMs` for `onDisconnected` hooks, and gives attached servers their listeners back.
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#closing = true;
    const connections = [...this.#mounts.values()].flatMap((mount) => [...mount.byToken.values()]);
    for (const connection of connections) connection.close({ allowReconnect: true });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(connections.map((connection) => connection.ended)),
      new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 5_000))),
    ]);
    clearTimeout(timer);
    for (const detach of this.#detachers.splice(0)) detach();
    for (const socket of this.#sockets.clients) socket.terminate();
    this.#sockets.close();
  }

  #route(request: IncomingMessage): { mount: Mount<TUser>; endpoint: 'negotiate' | 'hub'; url: URL } | undefined {
    const url = new URL(request.url ?? '/', URL_BASE);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const hubMount = this.#mounts.get(path);
    if (hubMount) return { mount: hubMount, endpoint: 'hub', url };
    if (path.endsWith('/negotiate')) {
      const negotiateMount = this.#mounts.get(path.slice(0, -'/negotiate'.length) || '/');
      if (negotiateMount) return { mount: negotiateMount, endpoint: 'negotiate', url };
    }
    return undefined;
  }

  async #negotiate(mount: Mount<TUser>, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') return sendStatus(response, 405, undefined, { Allow: 'POST' });
    if (this.#closing) return sendStatus(response, 503);
    const auth = await this.#authenticate('negotiate', request, url);
    if (!auth.ok) return sendStatus(response, 401);
    const version = negotiateVersionOf(url.searchParams);
    if (!version.ok) return sendJson(response, { error: version.error });
    const decision = await this.#options.negotiate?.({ phase: 'negotiate', token: accessTokenOf(request, url), request, url, user: auth.user });
    if (decision) return sendJson(response, decision);
    const stateful = this.#options.statefulReconnect && queryValue(url.searchParams, 'useStatefulReconnect') === 'true';
    const connectionId = newConnectionToken();
    const token = version.version >= 1 ? newConnectionToken() : connectionId;
    this.#createConnection(mount, connectionId, token, auth.user, stateful);
    sendJson(response, negotiateResponse(version.version, connectionId, token, stateful, this.#options.transports));
  }

  async #upgrade(mount: Mount<TUser>, url: URL, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.#closing) return refuseUpgrade(socket, 503);
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') return refuseUpgrade(socket, 400, 'Expected a WebSocket upgrade.');
    const auth = await this.#authenticate('connect', request, url);
    if (!auth.ok) return refuseUpgrade(socket, 401);
    const token = queryValue(url.searchParams, 'id');
    let connection: HubConnection<TUser> | undefined;
    if (token === undefined) {
      // skipNegotiation: the client dials the hub directly and the connection is made here.
      const id = newConnectionToken();
      connection = this.#createConnection(mount, id, newConnectionToken(), auth.user, false);
    } else {
      connection = mount.byToken.get(token);
      if (!connection) return refuseUpgrade(socket, 404, 'No Connection with that ID');
      const userId = auth.user === undefined ? undefined : this.#options.userIdOf(auth.user);
      if (userId !== connection.userId) return refuseUpgrade(socket, 403, 'The user changed since negotiate.');
      if (!connection.canAttach) return refuseUpgrade(socket, 409, 'Connection already has a transport.');
    }
    const target = connection;
    this.#sockets.handleUpgrade(request, socket, head, (webSocket: WebSocket) => {
      if (target.canAttach) target.attach(new WebSocketTransport(webSocket));
      else webSocket.terminate();
    });
  }

  /** Server-Sent Events (GET with `Accept: text/event-stream`), long polls (GET), sends (POST), DELETE. */
  async #serveHttpTransport(mount: Mount<TUser>, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.#closing) return sendStatus(response, 503);
    const auth = await this.#authenticate('connect', request, url);
    if (!auth.ok) return sendStatus(response, 401);
    const token = queryValue(url.searchParams, 'id');
    if (token === undefined) return sendStatus(response, 400, 'Connection ID required');
    const connection = mount.byToken.get(token);
    if (!connection) {
      const ended = mount.endedPolls.get(token);
      if (ended && request.method === 'GET') return ended.poll(response);
      return sendStatus(response, 404, 'No Connection with that ID');
    }
    const userId = auth.user === undefined ? undefined : this.#options.userIdOf(auth.user);
    if (userId !== connection.userId) return sendStatus(response, 403);
    const transport = connection.transport;
    const wanted: TransportName = request.method !== 'GET' ? (transport?.name ?? 'LongPolling')
      : (request.headers.accept ?? '').includes('text/event-stream') ? 'ServerSentEvents' : 'LongPolling';
    if (!this.#options.transports.includes(wanted)) return sendStatus(response, 404, `${wanted} is not enabled.`);

    if (request.method === 'GET') {
      if (connection.state === 'negotiated') {
        const opened = wanted === 'ServerSentEvents' ? new ServerSentEventsTransport(response) : new LongPollingTransport(this.#options.negotiateTimeoutMs);
        connection.attach(opened);
        if (opened instanceof LongPollingTransport) opened.poll(response);
        return;
      }
      if (transport instanceof LongPollingTransport && wanted === 'LongPolling') return transport.poll(response);
      return sendStatus(response, 400, 'Cannot change transports mid-connection');
    }
    if (request.method === 'POST') {
      if (!(transport instanceof LongPollingTransport || transport instanceof ServerSentEventsTransport)) {
        return sendStatus(response, 405, undefined, { Allow: 'GET' });
      }
      const body = await readBody(request, this.#frameLimit);
      if (!body) return sendStatus(response, 413);
      await transport.receive(body);
      return sendStatus(response, 200);
    }
    if (request.method === 'DELETE') {
      if (transport instanceof LongPollingTransport) transport.terminate(1000);
      else connection.close();
      return sendStatus(response, 202);
    }
    sendStatus(response, 405, undefined, { Allow: 'GET, POST, DELETE' });
  }

  #createConnection(mount: Mount<TUser>, connectionId: string, token: string, user: TUser | undefined, stateful: boolean): HubConnection<TUser> {
    const connection: HubConnection<TUser> = new HubConnection<TUser>({
      connectionId,
      token,
      user,
      statefulReconnectAllowed: stateful,
      hub: mount.hub,
      lifetime: mount.lifetime,
      options: this.#options,
      onEnded: (lastTransport) => {
        if (mount.byToken.get(token) === connection) mount.byToken.delete(token);
        if (lastTransport instanceof LongPollingTransport) {
          // Its Close record still waits for the next poll, and later polls should get 204, not 404.
          mount.endedPolls.set(token, lastTransport);
          setTimeout(() => mount.endedPolls.delete(token), ENDED_POLL_GRACE_MS).unref();
        }
      },
    });
    mount.byToken.set(token, connection);
    return connection;
  }

  async #authenticate(phase: 'negotiate' | 'connect', request: IncomingMessage, url: URL): Promise<{ ok: true; user: TUser | undefined } | { ok: false }> {
    const authenticate = this.#options.authenticate;
    if (!authenticate) return { ok: true, user: undefined };
    try {
      const user = await authenticate({ phase, token: accessTokenOf(request, url), request, url });
      return user === null || user === undefined ? { ok: false } : { ok: true, user };
    } catch {
      return { ok: false };
    }
  }
}

function sendStatus(response: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

/** Reads a request body, or returns undefined once it passes `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function sendJson(response: ServerResponse, value: object): void {
  const body = JSON.stringify(value);
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  response.end(body);
}

function refuseUpgrade(socket: Duplex, status: number, body = ''): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
