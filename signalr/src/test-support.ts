/**
 * Shared pieces of the conformance suite: a server on an ephemeral port, the official client, a
 * raw WebSocket for wire-level checks, and the hub the tests call.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HubConnectionBuilder,
  LogLevel,
  type HubConnection as ClientConnection,
  type IHttpConnectionOptions,
  type IStreamSubscriber,
} from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { WebSocket } from 'ws';
import { Hub } from './hub.js';
import { HubError } from './errors/hub-error.js';
import type { HubServerOptions } from './hub-options.js';
import { HubServer, type MappedHub } from './hub-server.js';

export const SEPARATOR = '\u001e';

export interface TestUser {
  readonly id: string;
  readonly name: string;
}

/** Observations the test hub records for assertions. */
export interface HubLog {
  connected: string[];
  disconnected: Array<{ id: string; error: string | undefined }>;
  calls: Map<string, number>;
  streamAborted: string[];
  uploadErrors: string[];
  orderStarted: number[];
  concurrent: number;
  maxConcurrent: number;
  produced: number;
}

export function newHubLog(): HubLog {
  return { connected: [], disconnected: [], calls: new Map(), streamAborted: [], uploadErrors: [], orderStarted: [], concurrent: 0, maxConcurrent: 0, produced: 0 };
}

/** The hub of the conformance plan. */
export function testHub(log: HubLog): Hub<TestUser> {
  const count = (name: string) => log.calls.set(name, (log.calls.get(name) ?? 0) + 1);
  return new Hub<TestUser>()
    .method('Echo', (_ctx, value: unknown) => {
      count('Echo');
      return value;
    })
    .method('Add', (_ctx, a: number, b: number) => a + b)
    .method('Void', () => undefined)
    .method('Throw', () => {
      throw new Error('secret internals');
    })
    .method('ThrowHub', (_ctx, message: string) => {
      throw new HubError(message);
    })
    .method('Delay', async (_ctx, ms: number, value: unknown) => {
      log.orderStarted.push(value as number);
      log.concurrent++;
      log.maxConcurrent = Math.max(log.maxConcurrent, log.concurrent);
      await sleep(ms);
      log.concurrent--;
      return value;
    })
    .method('Count', (_ctx, key: string) => {
      count(key);
      return log.calls.get(key);
    })
    .stream('Counter', async function* (ctx, n: number, ms: number) {
      try {
        for (let i = 0; i < n; i++) {
          if (ms > 0) await sleep(ms, undefined, { signal: ctx.signal });
          yield i;
        }
      } finally {
        if (ctx.signal.aborted) log.streamAborted.push(ctx.connectionId);
      }
    })
    .stream('Flood', async function* (_ctx, count: number, size: number) {
      const chunk = 'f'.repeat(size);
      for (let i = 0; i < count; i++) {
        log.produced++;
        yield chunk;
      }
    })
    .stream('FailAfter', async function* (_ctx, n: number) {
      for (let i = 0; i < n; i++) yield i;
      throw new Error('producer failed');
    })
    .stream('FailAfterHub', async function* (_ctx, n: number) {
      for (let i = 0; i < n; i++) yield i;
      throw new HubError('no more items');
    })
    .method(
      'Sum',
      async (_ctx, values: AsyncIterable<number>) => {
        let sum = 0;
        try {
          for await (const value of values) sum += value;
        } catch (error) {
          log.uploadErrors.push((error as Error).message);
          throw error;
        }
        return sum;
      },
      { uploads: 1 },
    )
    .method(
      'Concat',
      async (_ctx, separator: string, first: AsyncIterable<string>, second: AsyncIterable<string>) => {
        const parts: string[] = [];
        for await (const value of first) parts.push(value);
        for await (const value of second) parts.push(value);
        return parts.join(separator);
      },
      { uploads: 2 },
    )
    .stream('EchoStream', async function* (_ctx, values: AsyncIterable<unknown>) {
      for await (const value of values) yield value;
    }, { uploads: 1 })
    .method('AskClient', (ctx, method: string, argument: unknown, timeoutMs: number) =>
      ctx.clients.caller.invoke(method, [argument], { timeoutMs }),
    )
    .method('JoinGroup', (ctx, group: string) => ctx.groups.add(ctx.connectionId, group))
    .method('LeaveGroup', (ctx, group: string) => ctx.groups.remove(ctx.connectionId, group))
    .method('SendToGroup', (ctx, group: string, message: string) => ctx.clients.group(group).send('groupMessage', message))
    .method('SendToOthers', (ctx, message: string) => ctx.clients.others.send('othersMessage', message))
    .method('Whoami', (ctx) => ctx.user?.name ?? null)
    .method('SetItem', (ctx, key: string, value: unknown) => void ctx.items.set(key, value))
    .method('GetItem', (ctx, key: string) => ctx.items.get(key) ?? null)
    .method('Big', (_ctx, size: number) => 'x'.repeat(size))
    .onConnected((ctx) => void log.connected.push(ctx.connectionId))
    .onDisconnected((ctx, error) => void log.disconnected.push({ id: ctx.connectionId, error: error?.message }));
}

export interface TestServer {
  readonly hubs: HubServer<TestUser>;
  readonly hub: MappedHub<TestUser>;
  readonly http: Server;
  readonly log: HubLog;
  readonly baseUrl: string;
  readonly hubUrl: string;
  /** Cuts every TCP connection the server holds, without any WebSocket close. */
  dropSockets(): void;
  close(): Promise<void>;
}

export const HUB_PATH = '/hubs/test';

/** Starts a server with the test hub at {@link HUB_PATH} on 127.0.0.1 and an ephemeral port. */
export async function startServer(options: HubServerOptions<TestUser> = {}): Promise<TestServer> {
  const log = newHubLog();
  const hubs = new HubServer<TestUser>(options);
  const hub = hubs.mapHub(HUB_PATH, testHub(log));
  const http = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('other handler');
  });
  hubs.attach(http);
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    hubs,
    hub,
    http,
    log,
    baseUrl,
    hubUrl: `${baseUrl}${HUB_PATH}`,
    dropSockets: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      await hubs.close({ timeoutMs: 1_000 });
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export interface ClientSetup {
  readonly options?: IHttpConnectionOptions;
  readonly configure?: (builder: HubConnectionBuilder) => HubConnectionBuilder;
}

/** Builds the official client for `url` with logging off; does not start it. */
export function buildClient(url: string, setup: ClientSetup = {}): ClientConnection {
  let builder = new HubConnectionBuilder().withUrl(url, setup.options ?? {}).configureLogging(LogLevel.None);
  if (setup.configure) builder = setup.configure(builder);
  return builder.build();
}

/** The hub protocols of the official client, for running the same tests over each (`describe.each`). */
export const CLIENT_PROTOCOLS: ReadonlyArray<{ readonly protocol: 'json' | 'messagepack'; readonly configure: (builder: HubConnectionBuilder) => HubConnectionBuilder }> = [
  { protocol: 'json', configure: (builder) => builder },
  { protocol: 'messagepack', configure: (builder) => builder.withHubProtocol(new MessagePackHubProtocol()) },
];

export interface StatefulSetup {
  /** The client's replay buffer, in bytes; the client's default when left out. */
  readonly bufferSize?: number;
  /** Adds automatic reconnect, for when the server refuses the resume. */
  readonly reconnect?: boolean;
}

/** Builds the official client with stateful reconnect, on top of `setup` (e.g. a protocol); does not start it. */
export function buildStatefulClient(url: string, stateful: StatefulSetup = {}, setup: ClientSetup = {}): ClientConnection {
  return buildClient(url, {
    ...setup,
    configure: (builder) => {
      const configured = setup.configure ? setup.configure(builder) : builder;
      const withStateful = configured.withStatefulReconnect(stateful.bufferSize === undefined ? undefined : { bufferSize: stateful.bufferSize });
      return stateful.reconnect ? withStateful.withAutomaticReconnect([0, 100, 100]) : withStateful;
    },
  });
}

/** Builds and starts the official client. */
export async function connectClient(url: string, setup: ClientSetup = {}): Promise<ClientConnection> {
  const client = buildClient(url, setup);
  await client.start();
  return client;
}

/** Collects a client stream into a promise of its items, or its error. */
export function collect<T>(client: ClientConnection, method: string, ...args: unknown[]): Promise<{ items: T[]; error?: Error }> {
  const items: T[] = [];
  return new Promise((resolve) => {
    const subscriber: IStreamSubscriber<T> = {
      next: (item) => void items.push(item),
      complete: () => resolve({ items }),
      error: (error) => resolve({ items, error }),
    };
    client.stream<T>(method, ...args).subscribe(subscriber);
  });
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A bare WebSocket speaking the wire protocol by hand. */
export class RawClient {
  readonly records: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #buffer = '';
  #waiters: Array<() => void> = [];
  #read = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.#buffer += data.toString('utf8');
      let index = this.#buffer.indexOf(SEPARATOR);
      while (index !== -1) {
        this.records.push(this.#buffer.slice(0, index));
        this.#buffer = this.#buffer.slice(index + 1);
        index = this.#buffer.indexOf(SEPARATOR);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  /** Opens a socket to `hubUrl` with an optional query (e.g. `id=...`) and headers. */
  static async open(hubUrl: string, query = '', headers: Record<string, string> = {}): Promise<RawClient> {
    const url = hubUrl.replace(/^http/, 'ws') + (query ? `?${query}` : '');
    const socket = new WebSocket(url, { headers });
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    });
    return client;
  }

  /** Negotiates over HTTP, then opens the socket with the token; returns the negotiate body too. */
  static async negotiated(hubUrl: string, query = 'negotiateVersion=1'): Promise<{ client: RawClient; negotiate: NegotiateBody }> {
    const response = await fetch(`${hubUrl}/negotiate?${query}`, { method: 'POST' });
    const negotiate = (await response.json()) as NegotiateBody;
    const client = await RawClient.open(hubUrl, `id=${negotiate.connectionToken ?? negotiate.connectionId}`);
    return { client, negotiate };
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends the JSON handshake and expects `{}`. */
  async handshake(version = 1): Promise<void> {
    this.send(`{"protocol":"json","version":${version}}${SEPARATOR}`);
    const reply = await this.next();
    if (reply !== '{}') throw new Error(`Handshake failed: ${reply}`);
  }

  /** The next record, as text. */
  async next(timeoutMs = 2_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.records.length) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('No record arrived in time');
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('Socket closed');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.records[this.#read++] as string;
  }

  /** The next record that is not a Ping, parsed. */
  async nextMessage(timeoutMs = 2_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = JSON.parse(await this.next(Math.max(1, deadline - Date.now()))) as Record<string, unknown>;
      if (message['type'] !== 6) return message;
    }
  }

  close(): void {
    this.socket.terminate();
  }
}

export interface NegotiateBody {
  negotiateVersion?: number;
  connectionId: string;
  connectionToken?: string;
  availableTransports: Array<{ transport: string; transferFormats: string[] }>;
  useStatefulReconnect?: boolean;
  error?: string;
}

/** Records an error passed to `onclose` / `onreconnecting`, for asserting texts. */
export function captureClose(client: ClientConnection): Promise<Error | undefined> {
  return new Promise((resolve) => client.onclose((error) => resolve(error)));
}
