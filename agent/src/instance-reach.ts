import type { ConnectionTarget } from '@krint/engine-sdk';
import { readFileSync } from 'node:fs';
import type { Docker } from './docker/client.js';
import { isDockerNotFound } from './docker/client.js';
import { UnavailableError } from './errors.js';
import type { InstanceAddress } from './protocol/commands.js';

/**
 * Where the agent reaches the databases it runs.
 *
 * On a host (a checkout, the package, a node installed as a service) an instance is reached
 * through loopback at its published host port. In a container, loopback is the container itself,
 * so that address leads nowhere. There the agent and its instance containers share a Docker
 * network (`Docker__Network`): each instance joins it when created, and the agent reaches it by
 * container name and the engine's own port. The published host port stays what users connect to;
 * a private instance is still published on the host's loopback only, and the network is reachable
 * only from containers attached to it.
 */
export class InstanceReach {
  constructor(
    readonly docker: Docker,
    /** The Docker network shared with the instance containers; null: loopback and host ports. */
    readonly network: string | null,
  ) {}

  /** Where to connect to the instance, with its root credentials. Secrets inside: never log it. */
  async target(address: InstanceAddress, database?: string): Promise<ConnectionTarget> {
    const { host, port } = this.network === null ? { host: '127.0.0.1', port: address.hostPort } : await this.#onNetwork(this.network, address);
    return { host, port, user: address.rootUser, password: address.rootPassword, database: database ?? address.defaultDatabase };
  }

  /**
   * The container's name and the container port published as `hostPort`. A container created
   * before the network was configured is attached to it here, once.
   */
  async #onNetwork(network: string, address: InstanceAddress): Promise<{ host: string; port: number }> {
    const container = this.docker.getContainer(address.containerId);
    let details;
    try {
      details = await container.inspect();
    } catch (error) {
      if (isDockerNotFound(error)) throw new UnavailableError(`The container ${address.containerId} does not exist.`);
      throw error;
    }
    if (!details.NetworkSettings?.Networks?.[network]) {
      try {
        await this.docker.connectNetwork(network, address.containerId);
      } catch (error) {
        throw new UnavailableError(`Could not attach the container to the Docker network "${network}" (Docker__Network): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { host: details.Name.replace(/^\//, ''), port: containerPortFor(details.HostConfig.PortBindings ?? {}, details.Config.ExposedPorts ?? {}, address.hostPort) };
  }
}

/**
 * The container port published on `hostPort` (`"5432/tcp": [{ HostPort: "30001" }]` gives 5432),
 * or the one exposed port when the binding is not found.
 */
export function containerPortFor(
  bindings: Readonly<Record<string, readonly { HostIp?: string; HostPort?: string }[] | null>>,
  exposed: Readonly<Record<string, unknown>>,
  hostPort: number,
): number {
  for (const [containerPort, published] of Object.entries(bindings)) {
    if ((published ?? []).some((binding) => Number(binding.HostPort) === hostPort)) return Number.parseInt(containerPort, 10);
  }
  const ports = Object.keys(exposed);
  if (ports.length === 1) return Number.parseInt(ports[0]!, 10);
  throw new UnavailableError(`The container publishes no port as ${hostPort}, so Krint cannot tell which of its ports the database listens on.`);
}

/** Docker's rule for network names. */
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** `Docker__Network`: a network name, null when unset, or an error saying what is wrong. */
export function parseDockerNetwork(value: string | undefined): string | null | Error {
  const name = value?.trim() ?? '';
  if (name === '') return null;
  if (!NETWORK_NAME.test(name)) return new Error(`Docker__Network must be a Docker network name (letters, digits, "_", "." and "-"), not "${name}".`);
  return name;
}

/** Networks every container can be on; none of them resolves container names. */
const PREDEFINED_NETWORKS = new Set(['bridge', 'host', 'none']);

export interface DetectedNetwork {
  readonly network: string | null;
  /** Said once at start: which network was picked, or why instances may be out of reach. */
  readonly note: string | null;
}

/**
 * The id of the Docker container this process runs in, or null outside one. Docker bind-mounts
 * each container's `/etc/hostname` and `/etc/resolv.conf` from `…/containers/<id>/`, which shows
 * in the process's mount table whatever the cgroup version or host name. (`/.dockerenv` is no
 * proof: machine images built from container images keep it.)
 */
export function ownContainerId(mountInfo: string): string | null {
  return /\/containers\/([0-9a-f]{64})\/(?:hostname|resolv\.conf|hosts)\s/.exec(mountInfo)?.[1] ?? null;
}

/** {@link ownContainerId} of this process. */
export function currentContainerId(): string | null {
  try {
    return ownContainerId(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Without `Docker__Network`: when this process runs in a container, the network to reach
 * instances on is the one user-defined network its own container is attached to (compose puts
 * every service on one). On the host network, or outside a container, loopback works and nothing
 * is needed.
 */
export async function detectInstanceNetwork(docker: Docker, containerId: string | null): Promise<DetectedNetwork> {
  if (containerId === null) return { network: null, note: null };
  const advice = 'set Docker__Network to a user-defined network this container is attached to';
  let networks: string[];
  try {
    const details = await docker.getContainer(containerId).inspect();
    networks = Object.keys(details.NetworkSettings?.Networks ?? {});
  } catch {
    return { network: null, note: `Krint runs in container ${containerId.slice(0, 12)}, which the Docker daemon it uses does not know, so it reaches databases at 127.0.0.1: ${advice}.` };
  }
  if (networks.includes('host')) return { network: null, note: null };
  const userDefined = networks.filter((name) => !PREDEFINED_NETWORKS.has(name));
  if (userDefined.length === 1) return { network: userDefined[0]!, note: `Reaching databases over this container's Docker network "${userDefined[0]}" (Docker__Network not set).` };
  return {
    network: null,
    note:
      userDefined.length === 0
        ? `Krint runs in a container on Docker's default bridge, where databases cannot be reached by name: ${advice}.`
        : `Krint runs in a container attached to several networks (${userDefined.join(', ')}): ${advice}.`,
  };
}
