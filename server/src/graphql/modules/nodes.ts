import type { AddedNode, DeletedNode, ForgottenInstance, NodeView } from '../../nodes/node-service.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';

const NodeStatusEnum = stringEnum('NodeStatus', ['ONLINE', 'OFFLINE', 'PENDING', 'REVOKED'] as const, 'PENDING: added but never connected; REVOKED: its token no longer works.');

/** A string detail the node reported at registration, or null before its first connection. */
function detail(view: NodeView, key: string): string | null {
  const value = view.node.details?.[key];
  return typeof value === 'string' ? value : null;
}

export const NodeRef = builder.objectRef<NodeView>('Node').implement({
  description: 'A remote Docker host running a Krint node; it dials out to this control plane.',
  fields: (t) => ({
    id: t.id({ resolve: (v) => v.node.id }),
    name: t.string({ resolve: (v) => v.node.name }),
    status: t.field({ type: NodeStatusEnum, resolve: (v) => v.status }),
    online: t.boolean({ resolve: (v) => v.status === 'ONLINE' }),
    lastSeenAt: t.field({ type: 'DateTime', nullable: true, description: 'Now while online; the last disconnect otherwise.', resolve: (v) => (v.status === 'ONLINE' ? new Date() : v.node.lastSeenAt) }),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.node.createdAt }),
    machineName: t.string({ nullable: true, resolve: (v) => detail(v, 'machineName') }),
    os: t.string({ nullable: true, resolve: (v) => detail(v, 'os') }),
    arch: t.string({ nullable: true, resolve: (v) => detail(v, 'arch') }),
    dockerVersion: t.string({ nullable: true, resolve: (v) => detail(v, 'dockerVersion') }),
    krintVersion: t.string({ nullable: true, resolve: (v) => detail(v, 'krintVersion') }),
    engines: t.stringList({ resolve: (v) => (Array.isArray(v.node.details?.engines) ? (v.node.details.engines as unknown[]).filter((e): e is string => typeof e === 'string') : []) }),
    instanceCount: t.int({ resolve: (v) => v.instanceCount }),
  }),
});

const AddedNodeRef = builder.objectRef<AddedNode & { view: NodeView }>('AddedNode').implement({
  description: 'The token is shown only here, once; store it in the node\'s environment.',
  fields: (t) => ({
    node: t.field({ type: NodeRef, resolve: (added) => added.view }),
    token: t.exposeString('token'),
    composeSnippet: t.exposeString('composeSnippet'),
    readmitted: t.exposeBoolean('readmitted', { description: 'The name was that of a revoked node: this is that node again, under its own id; its instances are attached again when it connects.' }),
  }),
});

const ForgottenInstanceRef = builder.objectRef<ForgottenInstance>('ForgottenInstance').implement({
  description: 'An instance Krint no longer knows. Its container and volume were not removed: they stay on the node\'s host.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    containerName: t.exposeString('containerName', { nullable: true }),
    volumeName: t.exposeString('volumeName', { nullable: true }),
    hostPort: t.exposeInt('hostPort', { nullable: true }),
  }),
});

const DeletedNodeRef = builder.objectRef<DeletedNode>('DeletedNode').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    forgottenInstances: t.field({ type: [ForgottenInstanceRef], resolve: (deleted) => [...deleted.forgottenInstances] }),
    warning: t.exposeString('warning', { nullable: true, description: 'What stays on the node\'s host (containers, volumes, ports), in words; null when nothing does.' }),
  }),
});

const ForgetInstanceResultRef = builder.objectRef<{ forgotten: ForgottenInstance; warning: string }>('ForgetInstanceResult').implement({
  fields: (t) => ({
    instance: t.field({ type: ForgottenInstanceRef, resolve: (result) => result.forgotten }),
    warning: t.exposeString('warning', { description: 'What stays on the node\'s host, in words.' }),
  }),
});

const NodePingRef = builder.objectRef<{ nodeId: string; roundTripMs: number }>('NodePing').implement({
  fields: (t) => ({ nodeId: t.exposeID('nodeId'), roundTripMs: t.exposeFloat('roundTripMs') }),
});

builder.queryFields((t) => ({
  nodes: t.field({
    description: 'Every node, online or not. Provision onto one with `provisionInstance(input: { nodeId })` while it is online.',
    type: [NodeRef],
    resolve: (_root, _args, ctx) => ctx.services.nodes.list(),
  }),
  node: t.field({
    type: NodeRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.nodes.get(String(args.id)),
  }),
  pingNode: t.field({
    description: 'Round trip from the control plane to the node\'s agent and back.',
    type: NodePingRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: async (_root, args, ctx) => ({ nodeId: String(args.id), roundTripMs: await ctx.services.nodes.ping(String(args.id)) }),
  }),
}));

builder.mutationFields((t) => ({
  addNode: t.field({
    description: 'Creates a node entry and its token (shown once) with a compose snippet built from Krint__PublicUrl. The name of a revoked node re-admits that node (same id, new token; `readmitted`).',
    type: AddedNodeRef,
    args: { name: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: async (_root, args, ctx) => {
      const added = await ctx.services.nodes.add(args.name, ctx.actor);
      return { ...added, view: await ctx.services.nodes.get(added.node.id) };
    },
  }),
  revokeNode: t.field({
    description: 'Invalidates the node\'s token and disconnects it at once. Its instances stay recorded.',
    type: NodeRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.nodes.revoke(String(args.id), ctx.actor),
  }),
  deleteNode: t.field({
    description:
      'Forgets a node that is not connected (revoke it first if it is); its name is free again. A node with instances is refused unless `forgetInstances`: then Krint forgets them too, but their containers and volumes stay on that host (`warning` names them).',
    type: DeletedNodeRef,
    args: { id: t.arg.id({ required: true }), forgetInstances: t.arg.boolean({ defaultValue: false }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.nodes.delete(String(args.id), args.forgetInstances ?? false, ctx.actor),
  }),
  forgetInstance: t.field({
    description:
      "Drops Krint's record of an instance whose node is not connected (revoked or away) without reaching its host: its container and volume stay there (`warning` names them). Backups are kept unless `deleteBackups`. Instances Krint can reach are deleted with `deleteInstance`.",
    type: ForgetInstanceResultRef,
    args: { id: t.arg.id({ required: true }), deleteBackups: t.arg.boolean({ defaultValue: false }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.nodes.forgetInstance(String(args.id), args.deleteBackups ?? false, ctx.actor),
  }),
}));
