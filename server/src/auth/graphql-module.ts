import type { ApiToken, User } from '../db/entities.js';
import { InvalidInputError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { stringEnum } from '../graphql/enum.js';
import type { Caller } from './types.js';

/**
 * Users and API tokens over GraphQL. No resolver checks a role: `graphql-policy.ts` gives every
 * mutation the admin scope and the listing fields below their own admin scope.
 */
const RoleEnum = stringEnum('Role', ['admin', 'viewer'] as const, '`admin`: everything. `viewer`: read, browse and logs; no changes, no shell, no secrets.');
const CallerSourceEnum = stringEnum('CallerSource', ['session', 'api-token', 'oidc-jwt'] as const);

const CallerRef = builder.objectRef<Caller>('Caller').implement({
  description: 'Who is asking: the signed-in person or the API token.',
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (c) => c.role }),
    source: t.field({ type: CallerSourceEnum, resolve: (c) => c.source }),
  }),
});

const KrintUserRef = builder.objectRef<User>('KrintUser').implement({
  description: 'A built-in Krint user (OIDC users are managed at the identity provider).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    passwordChangedAt: t.expose('passwordChangedAt', { type: 'DateTime' }),
  }),
});

const ApiTokenRef = builder.objectRef<ApiToken>('ApiToken').implement({
  description: 'An API token; its value was shown once at creation and is not stored.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (a) => a.role }),
    createdBy: t.exposeString('createdBy', { nullable: true }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.expiresAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.lastUsedAt }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreatedApiTokenRef = builder.objectRef<{ token: string; apiToken: ApiToken }>('CreatedApiToken').implement({
  description: 'The token value is shown only here, once. Send it as "Authorization: Bearer <token>".',
  fields: (t) => ({ token: t.exposeString('token'), apiToken: t.field({ type: ApiTokenRef, resolve: (c) => c.apiToken }) }),
});

const RemovedRef = builder.objectRef<{ id: string }>('Removed').implement({ fields: (t) => ({ id: t.exposeID('id') }) });

builder.queryFields((t) => ({
  me: t.field({ type: CallerRef, description: 'The caller of this request.', resolve: (_r, _a, ctx) => ctx.caller! }),
  krintUsers: t.field({ type: [KrintUserRef], resolve: (_r, _a, ctx) => ctx.auth.users.list() }),
  apiTokens: t.field({ type: [ApiTokenRef], resolve: (_r, _a, ctx) => ctx.auth.apiTokens.list() }),
}));

builder.mutationFields((t) => ({
  createApiToken: t.field({
    description: 'Creates a token acting with `role` until `expiresAt` (at most two years ahead).',
    type: CreatedApiTokenRef,
    args: { name: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }), expiresAt: t.arg({ type: 'DateTime', required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      const { token, record } = await ctx.auth.apiTokens.create({ name: a.name, role: a.role, expiresAt: a.expiresAt, createdBy: ctx.actor });
      await ctx.services.deps.activity.record({ actor: ctx.actor, action: 'apiToken.create', targetType: 'apiToken', targetId: record.id, targetName: record.name, detail: `role ${record.role}` });
      return { token, apiToken: record };
    },
  }),
  revokeApiToken: t.field({
    type: RemovedRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      const record = await ctx.auth.apiTokens.revoke(String(a.id));
      await ctx.services.deps.activity.record({ actor: ctx.actor, action: 'apiToken.revoke', targetType: 'apiToken', targetId: record.id, targetName: record.name });
      return { id: record.id };
    },
  }),
  createKrintUser: t.field({
    type: KrintUserRef,
    args: { name: t.arg.string({ required: true }), password: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      const user = await ctx.auth.users.create(a.name, a.password, a.role);
      await ctx.services.deps.activity.record({ actor: ctx.actor, action: 'krintUser.create', targetType: 'krintUser', targetId: user.id, targetName: user.name, detail: `role ${user.role}` });
      return user;
    },
  }),
  setKrintUserRole: t.field({
    type: KrintUserRef,
    args: { id: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      const user = await ctx.auth.users.setRole(String(a.id), a.role);
      await ctx.auth.sessions.setRoleForUser(user.id, user.role);
      await ctx.services.deps.activity.record({ actor: ctx.actor, action: 'krintUser.setRole', targetType: 'krintUser', targetId: user.id, targetName: user.name, detail: `role ${user.role}` });
      return user;
    },
  }),
  deleteKrintUser: t.field({
    type: RemovedRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      if (ctx.caller?.userId === String(a.id)) throw new InvalidInputError('You cannot delete yourself; ask another admin.', 'id');
      const user = await ctx.auth.users.delete(String(a.id));
      await ctx.auth.sessions.deleteForUser(user.id);
      await ctx.services.deps.activity.record({ actor: ctx.actor, action: 'krintUser.delete', targetType: 'krintUser', targetId: user.id, targetName: user.name });
      return { id: user.id };
    },
  }),
}));
