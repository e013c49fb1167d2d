/** Options for a client-result invocation. */
export interface InvokeOptions {
  /** Rejects with `ClientResultTimeoutError` after this long; `0` waits forever. Defaults to the server's `clientResultTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Stops waiting, with `Invocation canceled by the server.`; nothing is sent to the client. */
  readonly signal?: AbortSignal;
}

/** Sends fire-and-forget invocations to a set of connections. */
export interface ClientProxy {
  /**
   * Calls `method` on every connection in the set. Resolves once the message is queued on every
   * connection without exceeding its send buffer, so a loop that awaits each send is paced by the
   * slowest client instead of growing server memory.
   */
  send(method: string, ...args: unknown[]): Promise<void>;
}

/** One connection: fire-and-forget sends plus client results. */
export interface SingleClientProxy extends ClientProxy {
  /**
   * Calls `method` on the client and resolves with the value its handler returns. Rejects with
   * `ClientResultError` when the client answers with an error, `ClientResultTimeoutError` on
   * timeout, and `ConnectionLostError` when the connection ends (or does not exist).
   */
  invoke<T = unknown>(method: string, args?: readonly unknown[], options?: InvokeOptions): Promise<T>;
}

/** Targets for sends from anywhere in the application. */
export interface HubClients {
  readonly all: ClientProxy;
  allExcept(connectionIds: readonly string[]): ClientProxy;
  client(connectionId: string): SingleClientProxy;
  clients(connectionIds: readonly string[]): ClientProxy;
  group(name: string): ClientProxy;
  groupExcept(name: string, connectionIds: readonly string[]): ClientProxy;
  /** Every connection of the user, as named by the server's `userIdOf` option. */
  user(userId: string): ClientProxy;
}

/** Targets for sends from inside a hub method; adds the calling connection's point of view. */
export interface HubCallerClients extends HubClients {
  readonly caller: SingleClientProxy;
  readonly others: ClientProxy;
  othersInGroup(name: string): ClientProxy;
}

/** Group membership. Groups exist while they have members and are never sent to clients. */
export interface GroupManager {
  add(connectionId: string, group: string): void;
  remove(connectionId: string, group: string): void;
}

/** How a connection is ended from the server. */
export interface CloseOptions {
  /** Shown by the client as `Server returned an error on close: <error>`. */
  readonly error?: string;
  /** Lets a client with automatic reconnect dial again; without it the client stops for good. */
  readonly allowReconnect?: boolean;
}

/** A live connection as the application sees it. */
export interface HubConnectionInfo<TUser> {
  /** Public id: what the client reports as `connectionId` and what sends target. */
  readonly connectionId: string;
  /** What the `authenticate` hook returned, or `undefined` without one. */
  readonly user: TUser | undefined;
  readonly userId: string | undefined;
  /** Free-form per-connection state that lives as long as the connection. */
  readonly items: Map<string, unknown>;
  /** Aborted when the connection ends. */
  readonly signal: AbortSignal;
  /** Sends Close (with the error, if any) and ends the connection. */
  close(options?: CloseOptions): void;
}

/** What every hub method and lifecycle hook receives as its first argument. */
export interface HubCallContext<TUser> {
  readonly connection: HubConnectionInfo<TUser>;
  readonly connectionId: string;
  readonly user: TUser | undefined;
  readonly userId: string | undefined;
  readonly items: Map<string, unknown>;
  /** Aborted when the client cancels this stream, or when the connection ends. */
  readonly signal: AbortSignal;
  readonly clients: HubCallerClients;
  readonly groups: GroupManager;
}
