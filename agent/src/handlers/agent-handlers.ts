import { arch, hostname, platform, release } from 'node:os';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { CommandHandlers } from './context.js';

/** Facts about the agent itself, and a round-trip check. */
export const agentCommands = {
  async 'agent.info'(context) {
    const docker = await context.docker.version();
    return {
      machineName: hostname(),
      os: `${platform()} ${release()}`,
      arch: arch(),
      dockerVersion: docker.Version,
      krintVersion: context.krintVersion,
      protocolVersion: `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`,
      engines: context.engines.list().map((engine) => engine.id),
    };
  },
  async 'agent.ping'(_context, args) {
    return { sentAt: args.sentAt, agentTime: Date.now() };
  },
} satisfies Pick<CommandHandlers, 'agent.info' | 'agent.ping'>;
