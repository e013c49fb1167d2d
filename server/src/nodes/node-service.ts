import { randomUUID } from 'node:crypto';
import type { BackupFiles } from '../backups/files.js';
import { Instance, Node } from '../db/entities.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { audited, publishInstanceEvent, type ServiceDeps } from '../services/context.js';
import { removeInstanceRecords } from '../services/instance-records.js';
import type { NodeHub } from './node-hub.js';
import { generateNodeToken, hashNodeToken, REVOKED_TOKEN_HASH } from './node-tokens.js';

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
  /** The name was that of a revoked node, which this re-admits under its own id. */
  readonly readmitted: boolean;
}

/** An instance whose record Krint dropped without reaching its host. */
export interface ForgottenInstance {
  readonly id: string;
  readonly name: string;
  readonly containerName: string | null;
  readonly volumeName: string | null;
  readonly hostPort: number | null;
}

export interface DeletedNode {
  readonly id: string;
  readonly name: string;
  readonly forgottenInstances: readonly ForgottenInstance[];
  /** What was left behind on the node's host, in words; null when nothing was. */
  readonly warning: string | null;
}

/**
 * Nodes as the API sees them: list, ping, add (token shown once), revoke (disconnects at once),
 * delete (forget a node that is gone, and with it, when asked, its instances), and forget one
 * instance of a node that is not connected.
 */
export class NodeService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly hub: NodeHub,
    private readonly files: BackupFiles,
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

  /**
   * What a control plane starting up knows of its nodes, for the log: none is connected yet, so
   * which ones it waits for (their instances show `NODE_OFFLINE` until they dial in), which were
   * revoked with instances still recorded, and which were added but never connected.
   */
  async describeAtStart(): Promise<string[]> {
    const views = await this.list();
    if (views.length === 0) return [];
    const named = (list: NodeView[]) => list.map((view) => `"${view.node.name}" (${view.instanceCount} instance(s))`).join(', ');
    const waiting = views.filter((view) => view.status === 'OFFLINE' || view.status === 'ONLINE');
    const revoked = views.filter((view) => view.status === 'REVOKED' && view.instanceCount > 0);
    const pending = views.filter((view) => view.status === 'PENDING');
    const lines = [`Nodes: ${views.length} known.`];
    if (waiting.length > 0) lines.push(`Nodes: waiting for ${named(waiting)} to connect; their instances show NODE_OFFLINE until then, and each host is reconciled when its node is back.`);
    if (revoked.length > 0) lines.push(`Nodes: revoked with instances still recorded: ${named(revoked)}; add them again (same name) to attach those, or forget them.`);
    if (pending.length > 0) lines.push(`Nodes: added but never connected: ${pending.map((view) => `"${view.node.name}"`).join(', ')}.`);
    return lines;
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
    const token = generateNodeToken();
    const existing = await em.findOne(Node, { name: trimmed });
    if (existing && existing.tokenHash !== REVOKED_TOKEN_HASH) throw new ConflictError(`A node named "${trimmed}" already exists.`);
    // A revoked node's name is free again: adding it re-admits that node under its own id with a
    // new token, so the machine keeps its Node__Id and its instances are attached again.
    const node = existing ?? em.create(Node, { id: randomUUID(), name: trimmed, tokenHash: '' });
    node.tokenHash = hashNodeToken(token);
    await em.flush();
    const readmitted = existing !== null;
    await this.deps.activity.record({ actor, action: readmitted ? 'node.readmit' : 'node.add', targetType: 'node', targetId: node.id, targetName: node.name });
    return { node, token, composeSnippet: composeSnippet(publicUrl, node, token), readmitted };
  }

  async revoke(id: string, actor: string): Promise<NodeView> {
    const em = this.deps.orm.em.fork();
    const node = await em.findOne(Node, { id });
    if (!node) throw new NotFoundError(`No node with id "${id}".`);
    node.tokenHash = REVOKED_TOKEN_HASH;
    await em.flush();
    const closed = this.hub.disconnect(id, 'The node token was revoked.');
    this.deps.executors.unregisterNodeExecutor(id);
    this.hub.announce({ nodeId: id, name: node.name, status: 'revoked' });
    await this.deps.activity.record({ actor, action: 'node.revoke', targetType: 'node', targetId: id, targetName: node.name, detail: closed > 0 ? 'disconnected' : 'was not connected' });
    return this.get(id);
  }

  /**
   * Forgets a node that is not connected (revoke it first if it is): its row and token go, and its
   * name is free. Its instances are refused unless `forgetInstances`: Krint cannot reach their
   * containers, which stay on that host, so forgetting them is said out loud, never implied.
   */
  async delete(id: string, forgetInstances: boolean, actor: string): Promise<DeletedNode> {
    const em = this.deps.orm.em.fork();
    const node = await em.findOne(Node, { id });
    if (!node) throw new NotFoundError(`No node with id "${id}".`);
    if (this.deps.executors.isConnected(id)) {
      throw new ConflictError(`Node "${node.name}" is connected. Delete its instances while it is, or revoke it first (that disconnects it), then delete it.`);
    }
    const instances = await em.find(Instance, { nodeId: id }, { orderBy: { name: 'asc' } });
    if (instances.length > 0 && !forgetInstances) {
      throw new ConflictError(
        `Node "${node.name}" still has ${instances.length} instance(s): ${instances.map((instance) => `"${instance.name}"`).join(', ')}. Their containers and volumes are on that host, which Krint cannot reach. Attach the node again to delete them properly, or delete the node with forgetInstances to forget them with it (their containers and volumes stay on that host).`,
      );
    }
    return audited(this.deps, { actor, action: 'node.delete', targetType: 'node', targetId: id, targetName: node.name, detail: instances.length > 0 ? `forgot ${instances.length} instance(s)` : null }, async () => {
      const forgotten: ForgottenInstance[] = [];
      for (const instance of instances) forgotten.push(await this.#forget(instance, false, node.name));
      await em.nativeDelete(Node, { id });
      this.hub.announce({ nodeId: id, name: node.name, status: 'deleted' });
      return { id, name: node.name, forgottenInstances: forgotten, warning: leftBehind(node, forgotten) };
    });
  }

  /**
   * Drops Krint's record of one instance whose node is not connected (gone, revoked, or away),
   * without touching its container, which stays on that host; its backups stay unless asked.
   * Instances Krint can reach are deleted with `deleteInstance` instead, which removes the container.
   */
  async forgetInstance(id: string, deleteBackups: boolean, actor: string): Promise<{ forgotten: ForgottenInstance; warning: string }> {
    const em = this.deps.orm.em.fork();
    const instance = await em.findOne(Instance, { id });
    if (!instance) throw new NotFoundError(`No instance with id "${id}".`);
    if (instance.nodeId === null) throw new ConflictError(`Instance "${instance.name}" runs on this control plane's own Docker host; delete it with deleteInstance, which also removes its container.`);
    if (this.deps.executors.isConnected(instance.nodeId)) throw new ConflictError(`The node of instance "${instance.name}" is connected; delete it with deleteInstance, which also removes its container.`);
    const node = await em.findOne(Node, { id: instance.nodeId });
    const nodeName = node?.name ?? instance.nodeId;
    return audited(this.deps, { actor, action: 'instance.forget', targetType: 'instance', targetId: id, targetName: instance.name, detail: `on node "${nodeName}"${deleteBackups ? ', with backups' : ''}` }, async () => {
      const forgotten = await this.#forget(instance, deleteBackups, nodeName);
      return { forgotten, warning: leftBehind(node ?? { name: nodeName, details: null }, [forgotten])! };
    });
  }

  async #forget(instance: Instance, deleteBackups: boolean, nodeName: string): Promise<ForgottenInstance> {
    await removeInstanceRecords(this.deps, this.files, instance.id, deleteBackups);
    publishInstanceEvent(this.deps, instance.id, 'deleted', `${instance.name} was forgotten with node "${nodeName}"; its container stays on that host`);
    return { id: instance.id, name: instance.name, containerName: instance.containerName, volumeName: instance.volumeName, hostPort: instance.hostPort };
  }
}

/** The warning for instances forgotten on a host Krint could not reach: what is still there, by name. */
function leftBehind(node: Pick<Node, 'name' | 'details'>, forgotten: readonly ForgottenInstance[]): string | null {
  if (forgotten.length === 0) return null;
  const machine = typeof node.details?.machineName === 'string' ? ` (${node.details.machineName})` : '';
  const items = forgotten.map((instance) => [instance.containerName && `container ${instance.containerName}`, instance.volumeName && `volume ${instance.volumeName}`, instance.hostPort !== null && `port ${instance.hostPort}`].filter(Boolean).join(', ') || `"${instance.name}" (no container was recorded)`);
  return `Krint no longer knows ${forgotten.length === 1 ? 'this instance' : `these ${forgotten.length} instances`}, but ${forgotten.length === 1 ? 'its container and data stay' : 'their containers and data stay'} on the host of node "${node.name}"${machine}, still running if they were: ${items.join('; ')}. Remove them there with docker if they are no longer needed.`;
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
    '      # The host name or address users reach this machine\'s databases at (else: where the node connects from):',
    '      # Node__PublicHost: db-host.example.com',
    '      Docker__Network: krint',
    '    volumes:',
    '      - /var/run/docker.sock:/var/run/docker.sock',
    '    networks: [krint]',
    'networks:',
    '  krint:',
    '    name: krint',
    '',
  ].join('\n');
}
