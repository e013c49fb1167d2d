import { ConflictError, InvalidInputError, NodeOfflineError, NotFoundError, NotSupportedError, UnavailableError } from '../../errors.js';
import { builder } from '../builder.js';

/** Every typed error: a message a person can act on. */
export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The instance, backup, schedule, table or row does not exist (any more).',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(InvalidInputError, {
  name: 'InvalidInputError',
  description: 'The input was refused before anything changed; `field` names the argument.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.string({ nullable: true, resolve: (error) => error.field ?? null }) }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The change clashes with current state (busy instance, row changed since read, name taken).',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(NotSupportedError, {
  name: 'NotSupportedError',
  description: 'The engine has no such capability.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ engine: t.exposeString('engineId'), capability: t.exposeString('capability') }),
});

builder.objectType(NodeOfflineError, {
  name: 'NodeOfflineError',
  description: 'The instance runs on a node that is not connected.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    nodeId: t.exposeString('nodeId'),
    nodeName: t.exposeString('nodeName', { nullable: true }),
    revoked: t.exposeBoolean('revoked', { description: 'The node was revoked rather than merely disconnected; the message says how to attach or forget its instances.' }),
  }),
});

builder.objectType(UnavailableError, {
  name: 'UnavailableError',
  description: 'Docker, the engine or the agent could not do the work right now, or it timed out.',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});
