import { ConnectionLostError } from './errors/connection-lost.error.js';
import type { ClientProxy, GroupManager, HubCallerClients, HubClients, InvokeOptions, SingleClientProxy } from './hub-context.js';
import { invocationMessage, SharedMessage, type OutgoingMessage } from './hub-protocol.js';

/** What the lifetime needs from a connection to deliver to it. */
export interface ConnectionEndpoint {
  readonly connectionId: string;
  readonly userId: string | undefined;
  /** Groups this connection is in, so leaving all of them on disconnect is cheap. */
  readonly groupNames: Set<string>;
  /** Queues a trackable message; resolves when the connection's send buffer has room. */
  write(message: OutgoingMessage): Promise<void> | undefined;
  invoke(method: string, args: readonly unknown[], options: InvokeOptions | undefined): Promise<unknown>;
}

/**
 * The connections of one mapped hub, its groups and users, and the proxies that send to them.
 * A message for many connections is serialized once per protocol in use and the same record
 * written to each connection speaking it.
 */
export class HubLifetime {
  readonly connections = new Map<string, ConnectionEndpoint>();
  readonly #groups = new Map<string, Set<string>>();
  readonly #users = new Map<string, Set<string>>();

  /** Sends to connections visible to the hub, from anywhere in the application. */
  readonly clients: HubClients = {
    all: this.#proxy(() => this.connections.values()),
    allExcept: (ids) => this.#proxy(() => this.#except(this.connections.values(), ids)),
    client: (id) => this.#single(id),
    clients: (ids) => this.#proxy(() => this.#byIds(ids)),
    group: (name) => this.#proxy(() => this.#byIds(this.#groups.get(name) ?? [])),
    groupExcept: (name, ids) => this.#proxy(() => this.#except(this.#byIds(this.#groups.get(name) ?? []), ids)),
    user: (userId) => this.#proxy(() => this.#byIds(this.#users.get(userId) ?? [])),
  };

  add(connection: ConnectionEndpoint): void {
    this.connections.set(connection.connectionId, connection);
    if (connection.userId !== undefined) addToIndex(this.#users, connection.userId, connection.connectionId);
  }

  remove(connection: ConnectionEndpoint): void {
    if (this.connections.get(connection.connectionId) !== connection) return;
    this.connections.delete(connection.connectionId);
    if (connection.userId !== undefined) removeFromIndex(this.#users, connection.userId, connection.connectionId);
    for (const group of connection.groupNames) removeFromIndex(this.#groups, group, connection.connectionId);
    connection.groupNames.clear();
  }

  /** Adds a live connection to a group; unknown connection ids are ignored. */
  addToGroup(connectionId: string, group: string): void {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    connection.groupNames.add(group);
    addToIndex(this.#groups, group, connectionId);
  }

  removeFromGroup(connectionId: string, group: string): void {
    this.connections.get(connectionId)?.groupNames.delete(group);
    removeFromIndex(this.#groups, group, connectionId);
  }

  /** {@link GroupManager} view. */
  readonly groups: GroupManager = {
    add: (connectionId, group) => this.addToGroup(connectionId, group),
    remove: (connectionId, group) => this.removeFromGroup(connectionId, group),
  };

  /** The caller's view: {@link clients} plus caller, others and othersInGroup. */
  callerClients(caller: SingleClientProxy, callerId: string): HubCallerClients {
    return {
      ...this.clients,
      caller,
      others: this.#proxy(() => this.#except(this.connections.values(), [callerId])),
      othersInGroup: (name) => this.#proxy(() => this.#except(this.#byIds(this.#groups.get(name) ?? []), [callerId])),
    };
  }

  /** Members of a group, for inspection and tests. */
  groupMembers(name: string): string[] {
    return [...(this.#groups.get(name) ?? [])];
  }

  #single(connectionId: string): SingleClientProxy {
    return {
      send: (method, ...args) => this.#deliver([this.connections.get(connectionId)], new SharedMessage(invocationMessage(method, args))),
      invoke: <T>(method: string, args: readonly unknown[] = [], options?: InvokeOptions) => {
        const connection = this.connections.get(connectionId);
        if (!connection) return Promise.reject(new ConnectionLostError(connectionId));
        return connection.invoke(method, args, options) as Promise<T>;
      },
    };
  }

  #proxy(targets: () => Iterable<ConnectionEndpoint | undefined>): ClientProxy {
    return { send: (method, ...args) => this.#deliver(targets(), new SharedMessage(invocationMessage(method, args))) };
  }

  async #deliver(targets: Iterable<ConnectionEndpoint | undefined>, message: SharedMessage): Promise<void> {
    let waits: Array<Promise<void>> | undefined;
    for (const connection of targets) {
      const wait = connection?.write(message);
      if (wait) (waits ??= []).push(wait);
    }
    if (waits) await Promise.all(waits);
  }

  *#byIds(ids: Iterable<string>): Iterable<ConnectionEndpoint | undefined> {
    // Copy first: a send may end a connection, which edits the set being iterated.
    for (const id of [...ids]) yield this.connections.get(id);
  }

  *#except(source: Iterable<ConnectionEndpoint | undefined>, excluded: readonly string[]): Iterable<ConnectionEndpoint> {
    for (const connection of source) if (connection && !excluded.includes(connection.connectionId)) yield connection;
  }
}

function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

function removeFromIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}
