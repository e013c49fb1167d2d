import { NotSupportedError } from '@krint/engine-sdk';
import type { Engine, EngineRegistry, EngineSession, UserAdmin } from '@krint/engine-sdk';
import type {
  CommandArgs,
  CommandName,
  CommandResult,
  DumpChunk,
  InstanceAddress,
  StreamArgs,
  StreamItem,
  StreamName,
  UploadArgs,
  UploadName,
  UploadResult,
} from '../protocol/commands.js';
import type { Docker } from '../docker/client.js';
import type { ExecSessionTable } from '../docker/exec-sessions.js';
import type { EngineSessionCache } from '../engine-sessions.js';
import type { InstanceReach } from '../instance-reach.js';

/** What every handler may use. One per agent process. */
export interface AgentContext {
  readonly docker: Docker;
  /** How instances are reached: loopback, or a Docker network when the agent runs in a container. */
  readonly reach: InstanceReach;
  readonly engines: EngineRegistry;
  readonly sessions: EngineSessionCache;
  readonly terminals: ExecSessionTable;
  /** The Krint release this agent belongs to, reported by `agent.info`. */
  readonly krintVersion: string;
}

/** Handlers receive arguments that already passed validation, and a signal that aborts with the call. */
export type CommandHandler<K extends CommandName> = (context: AgentContext, args: CommandArgs<K>, signal: AbortSignal) => Promise<CommandResult<K>>;
export type StreamHandler<K extends StreamName> = (context: AgentContext, args: StreamArgs<K>, signal: AbortSignal) => AsyncIterable<StreamItem<K>>;
export type UploadHandler<K extends UploadName> = (
  context: AgentContext,
  args: UploadArgs<K>,
  body: AsyncIterable<DumpChunk>,
  signal: AbortSignal,
) => Promise<UploadResult<K>>;

export type CommandHandlers = { readonly [K in CommandName]: CommandHandler<K> };
export type StreamHandlers = { readonly [K in StreamName]: StreamHandler<K> };
export type UploadHandlers = { readonly [K in UploadName]: UploadHandler<K> };

/** Runs `work` with the instance's cached engine session. */
export function withSession<T>(context: AgentContext, instance: InstanceAddress, work: (session: EngineSession, engine: Engine) => Promise<T>): Promise<T> {
  return context.sessions.use(instance, work);
}

/** What each optional session member is called in a "not supported" message. */
const FEATURE_NAMES = {
  createDatabase: 'creating databases',
  dropDatabase: 'dropping databases',
  describeTable: 'describing tables',
  insertRow: 'inserting rows',
  updateRow: 'editing rows',
  bulkUpdate: 'bulk row updates',
  deleteRow: 'deleting rows',
  dropTable: 'dropping tables',
  query: 'queries',
} as const;

type OptionalMember = keyof typeof FEATURE_NAMES;

/**
 * The session's optional member, bound to the session, or a NotSupportedError naming the feature:
 * the one place where a missing capability becomes an error.
 */
export function sessionMember<M extends OptionalMember>(engine: Engine, session: EngineSession, member: M): NonNullable<EngineSession[M]> {
  const fn = session[member];
  if (typeof fn !== 'function') throw new NotSupportedError(engine.id, FEATURE_NAMES[member]);
  return (fn as (...args: never[]) => unknown).bind(session) as NonNullable<EngineSession[M]>;
}

export function userAdmin(engine: Engine, session: EngineSession): UserAdmin {
  if (!session.users) throw new NotSupportedError(engine.id, 'user management');
  return session.users;
}
