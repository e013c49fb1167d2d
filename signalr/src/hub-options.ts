import type { IncomingMessage } from 'node:http';
import { protocolsNamed } from './handshake.js';
import type { HubProtocol, HubProtocolName } from './hub-protocol.js';
import type { TransportName } from './transport.js';

/** What the `authenticate` hook is given, once on negotiate and again on the WebSocket upgrade. */
export interface AuthenticationRequest {
  readonly phase: 'negotiate' | 'connect';
  /**
   * The bearer token from `Authorization: Bearer <token>`, or else from the `access_token` query
   * parameter (browsers cannot set headers on a WebSocket). `undefined` when neither is present.
   */
  readonly token: string | undefined;
  readonly request: IncomingMessage;
  readonly url: URL;
}

/**
 * What the `negotiate` hook may answer instead of a connection: a refusal the client shows word
 * for word (`start()` rejects with `error`), or a redirect to another hub URL, optionally with the
 * bearer token the client should use there.
 */
export type NegotiateDecision = { readonly error: string } | { readonly url: string; readonly accessToken?: string };

/** Settings of a {@link HubServer}. Every field is optional; defaults follow ASP.NET Core. */
export interface HubServerOptions<TUser> {
  /**
   * Decides who is calling. Return the user to accept the request, or `null`/`undefined` (or throw)
   * to refuse it with 401, which the client reports as `Status code '401'`. Without this hook
   * every request is accepted and `user` is `undefined`.
   */
  authenticate?: (request: AuthenticationRequest) => TUser | null | undefined | Promise<TUser | null | undefined>;
  /**
   * Runs on each negotiate after `authenticate` accepted it. Return `undefined` to go ahead, or a
   * {@link NegotiateDecision} to refuse or redirect (e.g. to the instance that owns the hub).
   */
  negotiate?: (
    request: AuthenticationRequest & { readonly user: TUser | undefined },
  ) => NegotiateDecision | undefined | Promise<NegotiateDecision | undefined>;
  /** The id `clients.user(id)` targets. Defaults to the user's `id` property when it is a string. */
  userIdOf?: (user: TUser) => string | undefined;
  /**
   * Transports offered in negotiate, in the client's order of preference. Long polling drops a
   * client that has not polled for `negotiateTimeoutMs`.
   * @default ['WebSockets', 'ServerSentEvents', 'LongPolling']
   */
  transports?: TransportName[];
  /**
   * Hub protocols accepted at the handshake. MessagePack (the client's `MessagePackHubProtocol`)
   * carries `Uint8Array` values as raw bytes instead of JSON; it needs a binary transport, so a
   * MessagePack client skips Server-Sent Events.
   * @default ['json', 'messagepack']
   */
  protocols?: HubProtocolName[];
  /** Ping the client after this much silence. `0` disables pings. @default 15_000 */
  keepAliveIntervalMs?: number;
  /** Close a connection that has pinged once and then stayed silent this long. @default 30_000 */
  clientTimeoutMs?: number;
  /** Time allowed between opening the socket and the handshake. @default 15_000 */
  handshakeTimeoutMs?: number;
  /** How long a negotiated connection waits for its WebSocket. @default 15_000 */
  negotiateTimeoutMs?: number;
  /**
   * Largest record accepted from a client, in bytes (the handshake included; for MessagePack the
   * body after the length prefix); `null` for no limit. @default 32_768
   */
  maximumMessageSize?: number | null;
  /** Non-streaming invocations of one connection that may run at once. @default 1 */
  maxParallelInvocationsPerClient?: number;
  /** Default timeout of client results; `0` waits forever. @default 30_000 */
  clientResultTimeoutMs?: number;
  /** Items buffered per upload before reading from the socket pauses. @default 10 */
  streamBufferCapacity?: number;
  /** Offer stateful reconnect to clients that ask for it. @default false */
  statefulReconnect?: boolean;
  /** How long a dropped stateful connection is kept for its client to resume. @default 15_000 */
  statefulReconnectWindowMs?: number;
  /** Unacknowledged bytes kept for replay before sends wait for the client's Ack. @default 100_000 */
  statefulReconnectBufferSize?: number;
  /** Bytes queued on a socket above which sends wait for it to drain. @default 262_144 */
  sendHighWaterMark?: number;
  /**
   * Bytes queued for one connection (socket plus replay buffer) above which it is dropped. This
   * caps server memory when a client cannot keep up and the application does not await sends.
   * @default 16_777_216
   */
  maxBufferedBytes?: number;
  /** Add exception names and messages to error texts sent to clients. @default false */
  detailedErrors?: boolean;
}

export type ResolvedHubOptions<TUser> = Required<Omit<HubServerOptions<TUser>, 'authenticate' | 'negotiate' | 'protocols'>> &
  Pick<HubServerOptions<TUser>, 'authenticate' | 'negotiate'> & {
    /** The codecs behind the `protocols` option, looked up once rather than at every handshake. */
    readonly protocols: readonly HubProtocol[];
  };

export function resolveOptions<TUser>(options: HubServerOptions<TUser>): ResolvedHubOptions<TUser> {
  const given = withoutUndefined(options);
  return {
    userIdOf: defaultUserIdOf,
    transports: ['WebSockets', 'ServerSentEvents', 'LongPolling'],
    keepAliveIntervalMs: 15_000,
    clientTimeoutMs: 30_000,
    handshakeTimeoutMs: 15_000,
    negotiateTimeoutMs: 15_000,
    maximumMessageSize: 32_768,
    maxParallelInvocationsPerClient: 1,
    clientResultTimeoutMs: 30_000,
    streamBufferCapacity: 10,
    statefulReconnect: false,
    statefulReconnectWindowMs: 15_000,
    statefulReconnectBufferSize: 100_000,
    sendHighWaterMark: 262_144,
    maxBufferedBytes: 16_777_216,
    detailedErrors: false,
    ...given,
    protocols: protocolsNamed(given.protocols ?? ['json', 'messagepack']),
  };
}

function defaultUserIdOf(user: unknown): string | undefined {
  if (typeof user === 'string') return user;
  if (typeof user === 'object' && user !== null && 'id' in user && typeof user.id === 'string') return user.id;
  return undefined;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
