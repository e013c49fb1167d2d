import type { HubCallContext } from './hub-context.js';

/** Options for one hub method. */
export interface MethodOptions {
  /**
   * How many of the handler's last parameters are uploads: async iterables fed by the client's
   * `Subject` arguments, in order. Defaults to 0.
   */
  readonly uploads?: number;
  /**
   * Number of ordinary arguments the client must pass. Defaults to the handler's declared
   * parameters minus the context and the uploads; set it when the handler uses default or rest
   * parameters, which JavaScript does not count.
   */
  readonly arity?: number;
}

export type MethodHandler<TUser, A extends unknown[]> = (context: HubCallContext<TUser>, ...args: A) => unknown;
export type StreamHandler<TUser, A extends unknown[]> = (
  context: HubCallContext<TUser>,
  ...args: A
) => AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>;

/** How the dispatcher sees a registered method. */
export interface MethodDescriptor<TUser> {
  readonly name: string;
  readonly streaming: boolean;
  readonly arity: number;
  readonly uploads: number;
  readonly handler: (context: HubCallContext<TUser>, ...args: unknown[]) => unknown;
}

export type ConnectedHandler<TUser> = (context: HubCallContext<TUser>) => void | Promise<void>;
export type DisconnectedHandler<TUser> = (context: HubCallContext<TUser>, error: Error | undefined) => void | Promise<void>;

/**
 * A hub: the methods clients may call, and hooks for connections coming and going.
 *
 * ```ts
 * const hub = new Hub<User>()
 *   .method('add', (ctx, a: number, b: number) => a + b)
 *   .stream('count', async function* (ctx, to: number) { for (let i = 0; i < to; i++) yield i; });
 * ```
 *
 * Method names are matched without regard to case, as ASP.NET Core does. A handler's first
 * parameter is the {@link HubCallContext}; its return value (or the value its promise resolves to)
 * is the client's result, `undefined` becoming `null`. Throw `HubError` to show a message to the
 * client.
 */
export class Hub<TUser = unknown> {
  readonly #methods = new Map<string, MethodDescriptor<TUser>>();
  #connected: ConnectedHandler<TUser> | undefined;
  #disconnected: DisconnectedHandler<TUser> | undefined;

  /** Adds a method that returns one result (`invoke`) or none (`send`). */
  method<A extends unknown[]>(name: string, handler: MethodHandler<TUser, A>, options: MethodOptions = {}): this {
    return this.#add(name, false, handler as MethodDescriptor<TUser>['handler'], options);
  }

  /**
   * Adds a method the client consumes with `stream()`: the handler returns an async iterable, whose
   * items are sent as they are produced, each write awaited so a slow client slows the producer.
   * `context.signal` is aborted when the client disposes its subscription.
   */
  stream<A extends unknown[]>(name: string, handler: StreamHandler<TUser, A>, options: MethodOptions = {}): this {
    return this.#add(name, true, handler as MethodDescriptor<TUser>['handler'], options);
  }

  /** Runs after the handshake, before the connection's first message is dispatched. Throwing closes the connection. */
  onConnected(handler: ConnectedHandler<TUser>): this {
    this.#connected = handler;
    return this;
  }

  /** Runs once when a connection ends; `error` is set when it ended abnormally. */
  onDisconnected(handler: DisconnectedHandler<TUser>): this {
    this.#disconnected = handler;
    return this;
  }

  /** @internal */
  lookup(name: string): MethodDescriptor<TUser> | undefined {
    return this.#methods.get(name.toLowerCase());
  }

  /** @internal */
  get connectedHandler(): ConnectedHandler<TUser> | undefined {
    return this.#connected;
  }

  /** @internal */
  get disconnectedHandler(): DisconnectedHandler<TUser> | undefined {
    return this.#disconnected;
  }

  #add(name: string, streaming: boolean, handler: MethodDescriptor<TUser>['handler'], options: MethodOptions): this {
    const key = name.toLowerCase();
    if (this.#methods.has(key)) throw new Error(`Hub method '${name}' is already defined.`);
    const uploads = options.uploads ?? 0;
    const arity = options.arity ?? Math.max(0, handler.length - 1 - uploads);
    this.#methods.set(key, { name, streaming, arity, uploads, handler });
    return this;
  }
}
