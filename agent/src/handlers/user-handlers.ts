import type { CommandHandlers } from './context.js';
import { userAdmin, withSession } from './context.js';

/** Users, passwords and grants. */
export const userCommands = {
  'users.list': (context, args) => withSession(context, args.instance, (session, engine) => userAdmin(engine, session).listUsers()),

  'users.create': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await userAdmin(engine, session).createUser(args.name, args.password);
      return {};
    }),

  'users.drop': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await userAdmin(engine, session).dropUser(args.name);
      return {};
    }),

  /** Rotating the root password closes the cached session: the next command brings the new one. */
  async 'users.setPassword'(context, args) {
    await withSession(context, args.instance, (session, engine) => userAdmin(engine, session).setPassword(args.name, args.password));
    if (args.name === args.instance.rootUser) await context.sessions.evict(args.instance.containerId);
    return {};
  },

  'users.grant': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await userAdmin(engine, session).grant(args.name, args.database, args.access);
      return {};
    }),

  'users.revoke': (context, args) =>
    withSession(context, args.instance, async (session, engine) => {
      await userAdmin(engine, session).revoke(args.name, args.database);
      return {};
    }),

  'users.listGrants': (context, args) => withSession(context, args.instance, (session, engine) => userAdmin(engine, session).listGrants(args.name)),
} satisfies Pick<
  CommandHandlers,
  'users.list' | 'users.create' | 'users.drop' | 'users.setPassword' | 'users.grant' | 'users.revoke' | 'users.listGrants'
>;
