import { createAgent } from '../agent.js';
import { NodeConfigError, readNodeConfig } from './node-config.js';
import { NodeProcess, type NodeLogger } from './node-process.js';

/**
 * Entry point of `Krint__Role=node`: reads `Node__*` settings, builds the same agent the control
 * plane runs in-process, and dials out. It opens no port but `/health`.
 */
export async function runNode(env: NodeJS.ProcessEnv = process.env): Promise<NodeProcess> {
  const config = readNodeConfig(env);
  const agent = await createAgent({ enginePlugins: config.enginePlugins, ...(config.dockerNetwork ? { instanceNetwork: config.dockerNetwork } : {}), log: consoleLogger.info });
  const node = new NodeProcess({ config, executor: agent.executor, logger: consoleLogger });
  await node.start();
  const shutdown = async (signal: string) => {
    consoleLogger.info(`${signal} received; disconnecting.`);
    await node.stop();
    await agent.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return node;
}

const consoleLogger: NodeLogger = {
  info: (message) => console.log(`${new Date().toISOString()} info  ${message}`),
  warn: (message) => console.warn(`${new Date().toISOString()} warn  ${message}`),
  error: (message) => console.error(`${new Date().toISOString()} error ${message}`),
};

if (import.meta.url === `file://${process.argv[1]}`) {
  runNode().catch((error: unknown) => {
    console.error(error instanceof NodeConfigError ? error.message : error);
    process.exit(1);
  });
}
