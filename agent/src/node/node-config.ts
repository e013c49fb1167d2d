import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseDockerNetwork } from '../instance-reach.js';
import { isPublicHost } from '../protocol/node-messages.js';

/** Settings of a node process, read from `Node__*` environment variables. */
export interface NodeConfig {
  /** Base URL of the control plane, e.g. `https://krint.example.com`. */
  readonly controlPlaneUrl: string;
  /** Pre-shared token; never logged. */
  readonly token: string;
  /** Stable GUID; generated for this run (and logged) when unset. */
  readonly nodeId: string;
  readonly nodeIdGenerated: boolean;
  readonly name: string;
  /** Port of the only listener a node opens: `GET /health`. */
  readonly healthPort: number;
  /** Address the health listener binds. */
  readonly healthHost: string;
  /** Where users reach this node's databases (`Node__PublicHost`); null: the address the node connects from. */
  readonly publicHost: string | null;
  /** The Docker network shared with the instance containers (`Docker__Network`); undefined: detect. */
  readonly dockerNetwork?: string;
  /** Extra engine packages to load, as on the control plane. */
  readonly enginePlugins: readonly string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class NodeConfigError extends Error {
  override readonly name = 'NodeConfigError';
}

/** Reads and validates the node settings; every problem is named, not just the first. */
export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const problems: string[] = [];
  const controlPlaneUrl = env.Node__ControlPlaneUrl?.trim() ?? '';
  if (!controlPlaneUrl) problems.push('Node__ControlPlaneUrl is not set (the control plane address, e.g. https://krint.example.com).');
  else if (!/^https?:\/\//.test(controlPlaneUrl)) problems.push(`Node__ControlPlaneUrl must start with http:// or https:// (got "${controlPlaneUrl}").`);
  const token = env.Node__Token?.trim() ?? '';
  if (!token) problems.push('Node__Token is not set (the token shown by "Add node", or one of the control plane\'s Node__Tokens__N).');
  const configuredId = env.Node__Id?.trim();
  if (configuredId && !GUID.test(configuredId)) problems.push(`Node__Id must be a GUID (got "${configuredId}").`);
  const healthPort = Number(env.Node__HealthPort ?? 5001);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) problems.push(`Node__HealthPort must be a port number (got "${env.Node__HealthPort}").`);
  const healthHost = env.Node__HealthHost?.trim() || '0.0.0.0';
  if (isIP(healthHost) === 0 && healthHost !== 'localhost') problems.push(`Node__HealthHost must be an IP address (like 127.0.0.1, 0.0.0.0 or ::) or "localhost" (got "${healthHost}").`);
  const publicHost = env.Node__PublicHost?.trim() || null;
  if (publicHost !== null && !isPublicHost(publicHost)) problems.push(`Node__PublicHost must be a host name or an IP address without scheme or port (got "${publicHost}").`);
  const dockerNetwork = parseDockerNetwork(env.Docker__Network);
  if (dockerNetwork instanceof Error) problems.push(dockerNetwork.message);
  if (problems.length > 0) throw new NodeConfigError(`The node cannot start:\n- ${problems.join('\n- ')}`);
  return {
    controlPlaneUrl: controlPlaneUrl.replace(/\/+$/, ''),
    token,
    nodeId: configuredId ?? randomUUID(),
    nodeIdGenerated: !configuredId,
    name: env.Node__Name?.trim() || hostname(),
    healthPort,
    healthHost,
    publicHost,
    ...(typeof dockerNetwork === 'string' ? { dockerNetwork } : {}),
    enginePlugins: (env.Krint__EnginePlugins ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}
