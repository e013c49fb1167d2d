import { randomUUID } from 'node:crypto';
import { Instance, Node } from '../db/entities.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { ServiceDeps } from '../services/context.js';
import type { NodeHub } from './node-hub.js';
import { generateNodeToken, hashNodeToken } from './node-tokens.js';

/**
 * A revoked node keeps its row (its instances still name it) but no token can match this hash:
 * stored hashes are compared only when their length equals a SHA-256 hex digest.
 */
export const REVOKED_TOKEN_HASH = '';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export type NodeStatus = 'ONLINE' | 'OFFLINE' | 'PENDING' | 'REVOKED';

export interface NodeView {
  readonly node: Node;
  readonly status: NodeStatus;
  readonly instanceCount: number;
}

export interface AddedNode {
  readonly node: Node;
  /** Shown once; only its hash is stored. */
  readonly token: string;
  /** A compose file that runs this node, ready to paste. */
  readonly composeSnippet: string;
}

/** Nodes as the API sees them: list, ping, add (token shown once), revoke (disconnects at once). */
export class NodeService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly hub: NodeHub,
  ) {}

  async list(): Promise<NodeView[]> {
    const em = this.deps.orm.em.fork();
    const nodes = await em.find(Node, {}, { orderBy: { name: 'asc' } });
    const instances = await em.find(Instance, { nodeId: { $ne: null } }, { fields: ['id', 'nodeId'] });
    return nodes.map((node) => ({
      node,
      status: this.statusOf(node),
      instanceCount: instances.filter((instance) => instance.nodeId === node.id).length,
    }));
  }

  /** One node, read on its own (a ping or a revoke does not load every node and instance). */
  async get(id: string): Promise<NodeView> {
    const em = this.deps.orm.em.fork();
    const node = await em.findOne(Node, { id });
    if (!node) throw new NotFoundError(`No node with id "${id}".`);
    return { node, status: this.statusOf(node), instanceCount: await em.count(Instance, { nodeId: id }) };
  }

  statusOf(node: Node): NodeStatus {
    if (node.tokenHash === REVOKED_TOKEN_HASH) return 'REVOKED';
    if (this.deps.executors.isConnected(node.id)) return 'ONLINE';
    return node.lastSeenAt ? 'OFFLINE' : 'PENDING';
  }

  /** Round trip to the node's agent and back, in milliseconds. */
  async ping(id: string): Promise<number> {
    await this.get(id);
    const started = performance.now();
    await this.deps.executors.for(id).run('agent.ping', { sentAt: Date.now() });
    return Math.round((performance.now() - started) * 100) / 100;
  }

  async add(name: string, actor: string): Promise<AddedNode> {
    const publicUrl = this.deps.config.publicUrl;
    if (!publicUrl) {
      throw new InvalidInputError(
        'Set Krint__PublicUrl (the address nodes use to reach this control plane, e.g. https://krint.example.com) before adding a node.',
        'publicUrl',
      );
    }
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!NODE_NAME.test(trimmed)) {
      throw new InvalidInputError('The node name must be 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.', 'name');
    }
    const em = this.deps.orm.em.fork();
    if (await em.findOne(Node, { name: trimmed })) throw new ConflictError(`A node named "${trimmed}" already exists.`);
    const token = generateNodeToken();
    const node = em.create(Node, { id: randomUUID(), name: trimmed, tokenHash: hashNodeToken(token) });
    await em.flush();
    await this.deps.activity.record({ actor, action: 'node.add', targetType: 'node', targetId: node.id, targetName: node.name });
    return { node, token, composeSnippet: composeSnippet(publicUrl, node, token) };
  }

  async revoke(id: string, actor: string): Promise<NodeView> {
    const em = this.deps.orm.em.fork();
    const node = await em.findOne(Node, { id });
    if (!node) throw new NotFoundError(`No node with id "${id}".`);
    node.tokenHash = REVOKED_TOKEN_HASH;
    await em.flush();
    const closed = this.hub.disconnect(id, 'The node token was revoked.');
    this.deps.executors.unregisterNodeExecutor(id);
    await this.deps.activity.record({ actor, action: 'node.revoke', targetType: 'node', targetId: id, targetName: node.name, detail: closed > 0 ? 'disconnected' : 'was not connected' });
    return this.get(id);
  }
}

function composeSnippet(publicUrl: string, node: Node, token: string): string {
  return [
    'services:',
    '  krint-node:',
    '    image: krint:latest',
    '    restart: unless-stopped',
    '    environment:',
    '      Krint__Role: node',
    `      Node__ControlPlaneUrl: ${publicUrl}`,
    `      Node__Token: ${token}`,
    `      Node__Id: ${node.id}`,
    `      Node__Name: ${JSON.stringify(node.name)}`,
    '    volumes:',
    '      - /var/run/docker.sock:/var/run/docker.sock',
    '',
  ].join('\n');
}
