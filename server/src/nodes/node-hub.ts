import { Hub, HubError, type HubCallContext, type HubServerOptions, type MappedHub } from '@krint/signalr';
import { isPublicHost, NodeHubMethods, PROTOCOL_VERSION, STREAM_BATCH_BYTES, type NodeRegistration, type RegistrationResult } from '@krint/agent';
import type { KrintOrm } from '../db/orm.js';
import { Instance, Node } from '../db/entities.js';
import type { ExecutorRouter } from '../executors/router.js';
import { HubExecutor, UploadRegistry } from './hub-executor.js';
import { matchNodeToken, REVOKED_TOKEN_HASH, type TokenOwner } from './node-tokens.js';

/** What the hub knows about a connected node, kept in the connection's items. */
const NODE_ID_ITEM = 'krint.nodeId';
const UNREGISTER_ITEM = 'krint.unregister';

/**
 * A `Next` answer carries up to {@link STREAM_BATCH_BYTES} of dump chunks plus one more chunk and
 * a few bytes of MessagePack around them, so the node hub accepts records up to this size (the
 * library's default of 32 KB suits chat, not dumps).
 */
export const NODE_HUB_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/**
 * A node registered (`online`), its connection went away (`offline`), its token was revoked
 * (`revoked`, its connection closed with it) or it was forgotten (`deleted`).
 */
export interface NodeChange {
  readonly nodeId: string;
  readonly name: string;
  readonly status: 'online' | 'offline' | 'revoked' | 'deleted';
}

export type NodeChangedListener = (change: NodeChange) => void;

export interface NodeHubOptions {
  readonly orm: KrintOrm;
  readonly router: ExecutorRouter;
  /** `Node__Tokens__N` values. */
  readonly allowList: readonly string[];
  readonly log?: (message: string) => void;
}

/**
 * The control plane's end of `/hubs/node`: authenticates node tokens (never user sessions),
 * registers each node's hub-backed executor with the router while it is connected, and feeds
 * uploads to nodes chunk by chunk.
 */
export class NodeHub {
  readonly hub = new Hub<NodeCaller>();
  readonly uploads = new UploadRegistry();
  readonly #options: NodeHubOptions;
  #mapped: MappedHub<NodeCaller> | undefined;
  readonly #listeners: NodeChangedListener[] = [];

  constructor(options: NodeHubOptions) {
    this.#options = options;
    this.hub
      .method(NodeHubMethods.register, (context, registration: NodeRegistration) => this.#register(context, registration))
      .method(NodeHubMethods.nextUploadChunk, (_context, uploadId: string) => this.uploads.next(String(uploadId)))
      .onDisconnected((context) => this.#disconnected(context));
  }

  /** Hub server options this hub needs: the token check, MessagePack only, and a message size that fits dump chunks. */
  serverOptions(): HubServerOptions<NodeCaller> {
    return {
      authenticate: async ({ token, request }) => {
        const owner = await this.authenticate(token);
        return owner ? { ...owner, remoteAddress: plainAddress(request.socket.remoteAddress) } : null;
      },
      // Dump and restore chunks are bytes, which only MessagePack carries as they are. Nodes ship
      // with the control plane, so one protocol is enough: a JSON client is refused at the
      // handshake rather than served through a second, base64 path.
      protocols: ['messagepack'],
      maximumMessageSize: NODE_HUB_MAX_MESSAGE_BYTES,
      maxParallelInvocationsPerClient: 8,
      // No stateful reconnect on this hub: its replay buffer holds every unacknowledged message
      // and the official client acknowledges about once a second, so a restore pulling tens of
      // megabytes a second would either hold them all in memory or stall on acks. A dropped node
      // instead fails its operations at once with a clear error, redials and re-registers.
      statefulReconnect: false,
      // Restores and long dumps can keep a client result open for a long time; each call sets its own.
      clientResultTimeoutMs: 10 * 60_000,
    };
  }

  onNodeChanged(listener: NodeChangedListener): void {
    this.#listeners.push(listener);
  }

  /** Tells every listener about a change; the node service announces revocations and deletions. */
  announce(change: NodeChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#options.log?.(`A listener failed on node ${change.nodeId} going ${change.status}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Call with what `HubServer.mapHub` returned, so revocations can reach live connections. */
  bind(mapped: MappedHub<NodeCaller>): void {
    this.#mapped = mapped;
  }

  async authenticate(token: string | undefined): Promise<TokenOwner | null> {
    if (!token) return null;
    const em = this.#options.orm.em.fork();
    const rows = await em.find(Node, {}, { fields: ['id', 'tokenHash'] });
    return matchNodeToken(token, this.#options.allowList, rows.map((row) => ({ nodeId: row.id, tokenHash: row.tokenHash })));
  }

  /** Ends every connection of a node, e.g. when its token is revoked. */
  disconnect(nodeId: string, reason: string): number {
    let closed = 0;
    for (const connection of this.#mapped?.connections() ?? []) {
      if (connection.items.get(NODE_ID_ITEM) === nodeId) {
        connection.close({ error: reason, allowReconnect: false });
        closed += 1;
      }
    }
    return closed;
  }

  async #register(context: HubCallContext<NodeCaller>, registration: NodeRegistration): Promise<RegistrationResult> {
    const owner = context.user;
    if (!owner) throw new HubError('Not authenticated.');
    const problem = describeBadRegistration(registration);
    if (problem) return { accepted: false, reason: problem };
    const major = Number(String(registration.protocolVersion).split('.')[0]);
    if (major !== PROTOCOL_VERSION.major) {
      return {
        accepted: false,
        reason: `The node speaks protocol ${registration.protocolVersion}; this control plane speaks ${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}. Run the same Krint version on both.`,
      };
    }
    const em = this.#options.orm.em.fork();
    const details = {
      machineName: registration.machineName,
      os: registration.os,
      arch: registration.arch,
      dockerVersion: registration.dockerVersion,
      krintVersion: registration.krintVersion,
      protocolVersion: registration.protocolVersion,
      engines: [...registration.engines],
      // Where users reach the node's databases: what the node says, or where it connected from.
      publicHost: registration.publicHost ?? owner.remoteAddress ?? registration.machineName,
    };
    let node: Node;
    if (owner.kind === 'node') {
      const identity = await this.#identify(em, owner.nodeId, registration);
      if ('refused' in identity) {
        this.#options.log?.(`Refused a node registration from ${registration.machineName}: ${identity.refused}`);
        return { accepted: false, reason: identity.refused };
      }
      node = identity.node;
      node.details = details;
    } else {
      // An allow-list token lets the node bring its own id.
      const nodeId = registration.nodeId;
      const existing = await em.findOne(Node, { id: nodeId });
      if (existing && existing.tokenHash !== owner.tokenHash) {
        return { accepted: false, reason: `Node ${nodeId} is registered with a different token.` };
      }
      node = existing ?? em.create(Node, { id: nodeId, name: await uniqueNodeName(em, registration.name, nodeId), tokenHash: owner.tokenHash, details });
      node.details = details;
    }
    const nodeId = node.id;
    node.lastSeenAt = new Date();
    await em.flush();

    // One live connection per node: a second one (a restarted node whose old socket has not timed
    // out yet) replaces the first.
    for (const other of this.#mapped?.connections() ?? []) {
      if (other.connectionId !== context.connectionId && other.items.get(NODE_ID_ITEM) === nodeId) {
        other.close({ error: 'Replaced by a newer connection of the same node.', allowReconnect: false });
      }
    }
    const previous = context.items.get(UNREGISTER_ITEM);
    if (typeof previous === 'function') previous();
    const executor = new HubExecutor(context.clients.caller, this.uploads);
    context.items.set(NODE_ID_ITEM, nodeId);
    context.items.set(UNREGISTER_ITEM, this.#options.router.registerNodeExecutor(nodeId, executor));
    this.#options.log?.(`Node "${node.name}" (${nodeId}) registered from ${registration.machineName}.`);
    this.announce({ nodeId, name: node.name, status: 'online' });
    return { accepted: true, nodeId };
  }

  /**
   * Which node row a token from "Add node" admits. The token was made for one row, and the node
   * is that node when its `Node__Id` matches or is unset (generated for the run: the node then
   * takes the token's id, which the answer carries and the node logs). A `Node__Id` naming a
   * revoked node is that node coming back: it takes over the new, never-used entry's token and
   * name, and its instances are attached again. Any other `Node__Id` is refused, on both sides in
   * the same words, rather than registered under an id the node does not know it has.
   */
  async #identify(em: ReturnType<KrintOrm['em']['fork']>, tokenNodeId: string, registration: NodeRegistration): Promise<{ node: Node } | { refused: string }> {
    const tokenNode = await em.findOne(Node, { id: tokenNodeId });
    if (!tokenNode) return { refused: 'This node was removed from the control plane.' };
    if (registration.nodeId === tokenNodeId) return { node: tokenNode };
    if (registration.nodeIdGenerated === true) {
      this.#options.log?.(`Node "${tokenNode.name}" has no Node__Id; it is registered under ${tokenNodeId}, the id its token was made for.`);
      return { node: tokenNode };
    }
    const claimed = await em.findOne(Node, { id: registration.nodeId });
    const mismatch = `This token was made for node "${tokenNode.name}" (${tokenNodeId}), but the node's Node__Id is ${registration.nodeId}. Set Node__Id=${tokenNodeId} (as in the snippet "Add node" showed) or leave it unset.`;
    if (!claimed || claimed.tokenHash !== REVOKED_TOKEN_HASH) return { refused: mismatch };
    const unused = tokenNode.lastSeenAt === null && (await em.count(Instance, { nodeId: tokenNodeId })) === 0;
    if (!unused) return { refused: `${mismatch} (Node ${registration.nodeId} was revoked; it can come back only with a token from a new, unused "Add node".)` };
    const previousName = claimed.name;
    claimed.tokenHash = tokenNode.tokenHash;
    em.remove(tokenNode);
    await em.flush();
    claimed.name = tokenNode.name;
    const instances = await em.count(Instance, { nodeId: claimed.id });
    this.#options.log?.(
      `Revoked node "${previousName}" (${claimed.id}) is back with the token made for "${tokenNode.name}", and takes that name; its ${instances} instance(s) are attached again.`,
    );
    this.announce({ nodeId: tokenNodeId, name: tokenNode.name, status: 'deleted' });
    return { node: claimed };
  }

  async #disconnected(context: HubCallContext<NodeCaller>): Promise<void> {
    const nodeId = context.items.get(NODE_ID_ITEM);
    const unregister = context.items.get(UNREGISTER_ITEM);
    if (typeof unregister === 'function') unregister();
    if (typeof nodeId !== 'string') return;
    const em = this.#options.orm.em.fork();
    const node = await em.findOne(Node, { id: nodeId });
    if (node) {
      node.lastSeenAt = new Date();
      await em.flush();
    }
    this.#options.log?.(`Node ${nodeId} disconnected.`);
    // A revoked node's disconnection was announced by the revocation itself, and a connection
    // replaced by a newer one of the same node leaves the node online.
    if (node && node.tokenHash !== REVOKED_TOKEN_HASH && !this.#options.router.isConnected(nodeId)) this.announce({ nodeId, name: node.name, status: 'offline' });
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A node's token owner and the address its connection came from (the fallback for its public host). */
type NodeCaller = TokenOwner & { readonly remoteAddress: string | null };

/** `::ffff:10.0.0.2` (IPv4 over an IPv6 socket) as `10.0.0.2`. */
function plainAddress(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

function describeBadRegistration(registration: unknown): string | null {
  if (typeof registration !== 'object' || registration === null) return 'The registration must be an object.';
  const r = registration as Record<string, unknown>;
  if (typeof r.nodeId !== 'string' || !GUID.test(r.nodeId)) return 'The registration needs the node id as a GUID.';
  if (typeof r.name !== 'string' || r.name.trim() === '' || r.name.length > 64) return 'The registration needs a node name of 1 to 64 characters.';
  for (const field of ['machineName', 'os', 'arch', 'dockerVersion', 'krintVersion', 'protocolVersion']) {
    if (typeof r[field] !== 'string') return `The registration field "${field}" must be a string.`;
  }
  if (r.nodeIdGenerated !== undefined && typeof r.nodeIdGenerated !== 'boolean') return 'The registration field "nodeIdGenerated" must be a boolean when present.';
  if (!Array.isArray(r.engines) || !r.engines.every((engine) => typeof engine === 'string')) return 'The registration field "engines" must be a list of engine ids.';
  if (r.publicHost !== undefined && r.publicHost !== null && (typeof r.publicHost !== 'string' || !isPublicHost(r.publicHost))) {
    return 'The registration field "publicHost" must be a host name or an IP address (Node__PublicHost).';
  }
  return null;
}

async function uniqueNodeName(em: ReturnType<KrintOrm['em']['fork']>, wanted: string, nodeId: string): Promise<string> {
  const taken = await em.findOne(Node, { name: wanted });
  return taken ? `${wanted}-${nodeId.slice(0, 8)}` : wanted;
}
