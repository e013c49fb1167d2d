import { followLogs } from '../docker/logs.js';
import type { CommandHandlers, StreamHandlers } from './context.js';
import { sessionMember, withSession } from './context.js';

/** What a person uses interactively: the query console, the log tail, the shell. */
export const consoleCommands = {
  'db.query': (context, args) =>
    withSession(context, args.instance, (session, engine) =>
      sessionMember(engine, session, 'query')(args.database, args.text, { rowLimit: args.rowLimit, timeoutMs: args.timeoutMs }),
    ),

  async 'exec.input'(context, args) {
    await context.terminals.write(args.sessionId, args.data);
    return {};
  },

  async 'exec.resize'(context, args) {
    await context.terminals.resize(args.sessionId, args.columns, args.rows);
    return {};
  },
} satisfies Pick<CommandHandlers, 'db.query' | 'exec.input' | 'exec.resize'>;

export const consoleStreams = {
  'logs.follow': (context, args, signal) => followLogs(context.docker, args.containerId, { tail: args.tail, follow: args.follow, signal }),

  'exec.attach': (context, args, signal) =>
    context.terminals.attach(args.containerId, {
      ...(args.command ? { command: args.command } : {}),
      columns: args.columns,
      rows: args.rows,
      signal,
    }),
} satisfies Pick<StreamHandlers, 'logs.follow' | 'exec.attach'>;
