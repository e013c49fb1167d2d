import { isAbsolute, normalize } from 'node:path';
import type { ContainerSpec } from '@krint/engine-sdk';
import { ConflictError, InvalidInputError } from '@krint/engine-sdk';
import type { ContainerState, ContainerStatus, CreatedInstance, DiscoveredResources, StorageMode } from '../protocol/commands.js';
import { type Docker, dockerReason, dockerStatusCode, isDockerNotFound } from './client.js';
import { LABEL_ENGINE, LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_MANAGED, LABEL_REPLACES, LABEL_ROLE, LABEL_VERSION, type InstanceIdentity, containerNameFor, instanceLabels, volumeNameFor } from './labels.js';
import { allocateHostPort, releasePort } from './ports.js';

export interface CreateContainerRequest {
  readonly spec: ContainerSpec;
  readonly identity: InstanceIdentity;
  readonly slug: string;
  readonly isPublic: boolean;
  readonly storage: StorageMode;
  readonly hostPath?: string;
  /** A fixed host port; otherwise one is allocated from `portRange`. */
  readonly hostPort?: number;
  readonly portRange: readonly [number, number];
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** The Docker network the agent reaches instances on (see InstanceReach); null: the default bridge. */
  readonly network?: string | null;
}

/** How often a freshly allocated port may turn out to be taken at start before giving up. */
const PORT_ATTEMPTS = 5;

/**
 * Creates and starts an instance's container with its storage. The port is only really bound at
 * start, so a clash with something that grabbed it meanwhile is retried with the next free port
 * (for allocated ports; a fixed port fails at once). On any failure, everything made here is
 * removed again: no container, volume or port reservation is left behind.
 */
export async function createInstanceContainer(docker: Docker, request: CreateContainerRequest): Promise<CreatedInstance> {
  const containerName = containerNameFor(request.slug);
  const volumeName = request.storage === 'volume' ? volumeNameFor(containerName) : null;
  const labels = { ...request.spec.labels, ...request.extraLabels, ...instanceLabels(request.identity) };
  const hostFolder = request.storage === 'host' ? checkHostPath(request.hostPath) : null;

  if (volumeName) await docker.createVolume({ Name: volumeName, Labels: labels });
  const tried = new Set<number>();
  try {
    for (let attempt = 1; ; attempt++) {
      const hostPort = request.hostPort ?? (await allocateHostPort(docker, request.portRange, tried));
      tried.add(hostPort);
      let containerId: string | undefined;
      try {
        const container = await docker.createContainer({
          name: containerName,
          Image: request.spec.image,
          Env: Object.entries(request.spec.env).map(([key, value]) => `${key}=${value}`),
          ...(request.spec.cmd ? { Cmd: [...request.spec.cmd] } : {}),
          Labels: labels,
          ExposedPorts: { [`${request.spec.internalPort}/tcp`]: {} },
          HostConfig: {
            PortBindings: {
              [`${request.spec.internalPort}/tcp`]: [{ HostIp: request.isPublic ? '0.0.0.0' : '127.0.0.1', HostPort: String(hostPort) }],
            },
            Binds: [`${volumeName ?? hostFolder}:${request.spec.dataPath}`],
            RestartPolicy: { Name: 'unless-stopped' },
            ...(request.spec.shmSizeBytes ? { ShmSize: request.spec.shmSizeBytes } : {}),
            ...(request.network ? { NetworkMode: request.network } : {}),
          },
          ...(request.network ? { NetworkingConfig: { EndpointsConfig: { [request.network]: {} } } } : {}),
        });
        containerId = container.id;
        await container.start();
        return { containerId: container.id, containerName, volumeName, hostPort };
      } catch (error) {
        if (containerId) await docker.getContainer(containerId).remove({ force: true }).catch(() => undefined);
        const portTaken = /port is already allocated|address already in use/i.test(dockerReason(error));
        if (!portTaken || request.hostPort !== undefined || attempt >= PORT_ATTEMPTS) {
          if (portTaken) throw new ConflictError(`Host port ${hostPort} is already in use: ${dockerReason(error)}`);
          throw error;
        }
      } finally {
        releasePort(hostPort);
      }
    }
  } catch (error) {
    if (volumeName) await removeVolume(docker, volumeName);
    throw error;
  }
}

function checkHostPath(hostPath: string | undefined): string {
  if (!hostPath) throw new InvalidInputError('Host-folder storage needs a host path.', 'hostPath');
  if (!isAbsolute(hostPath) || normalize(hostPath) !== hostPath.replace(/\/+$/, '') || hostPath.includes(':')) {
    throw new InvalidInputError(`The host path must be an absolute, normalised folder path without ":".`, 'hostPath');
  }
  return hostPath;
}

/** Starts a container; starting a running one is not an error. */
export async function startContainer(docker: Docker, containerId: string): Promise<ContainerStatus> {
  try {
    await docker.getContainer(containerId).start();
  } catch (error) {
    if (dockerStatusCode(error) !== 304) throw error;
  }
  return containerStatus(docker, containerId);
}

/** Stops a container, giving the server `graceSeconds` to shut down cleanly; stopping a stopped one is fine. */
export async function stopContainer(docker: Docker, containerId: string, graceSeconds = 20): Promise<ContainerStatus> {
  try {
    await docker.getContainer(containerId).stop({ t: graceSeconds });
  } catch (error) {
    if (dockerStatusCode(error) !== 304) throw error;
  }
  return containerStatus(docker, containerId);
}

export async function restartContainer(docker: Docker, containerId: string, graceSeconds = 20): Promise<ContainerStatus> {
  await docker.getContainer(containerId).restart({ t: graceSeconds });
  return containerStatus(docker, containerId);
}

/**
 * Removes a container Krint created and, when asked, the named volumes Krint made for it (never a
 * host folder and never a volume without the `krint.managed` label). A container Krint did not
 * create (an adopted one) is refused: forgetting it is the control plane's business, deleting it is
 * its owner's. Returns `false` when there was nothing to remove, so calling it twice is safe.
 */
export async function removeContainer(docker: Docker, containerId: string, removeVolumes: boolean): Promise<boolean> {
  let volumes: string[] = [];
  try {
    const details = await docker.getContainer(containerId).inspect();
    if (details.Config.Labels?.[LABEL_MANAGED] !== 'true') {
      throw new ConflictError(`Container ${details.Name.replace(/^\//, '')} was not created by Krint, so Krint does not remove it.`);
    }
    volumes = (details.Mounts ?? []).filter((mount) => mount.Type === 'volume' && mount.Name).map((mount) => mount.Name as string);
  } catch (error) {
    if (isDockerNotFound(error)) return false;
    throw error;
  }
  try {
    await docker.getContainer(containerId).remove({ force: true });
  } catch (error) {
    if (!isDockerNotFound(error) && dockerStatusCode(error) !== 409) throw error;
  }
  if (removeVolumes) {
    for (const volume of volumes) await removeVolume(docker, volume, true);
  }
  return true;
}

/** Removes a volume; a missing one is fine. With `onlyManaged`, volumes Krint did not make stay. */
export async function removeVolume(docker: Docker, name: string, onlyManaged = false): Promise<void> {
  const volume = docker.getVolume(name);
  try {
    if (onlyManaged) {
      const info = await volume.inspect();
      if (info.Labels?.[LABEL_MANAGED] !== 'true') return;
    }
    await volume.remove({ force: true });
  } catch (error) {
    if (!isDockerNotFound(error)) throw error;
  }
}

const KNOWN_STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'];

/** The container's state, or `missing` when it does not exist. */
export async function containerStatus(docker: Docker, containerId: string): Promise<ContainerStatus> {
  try {
    const { State } = await docker.getContainer(containerId).inspect();
    const state = KNOWN_STATES.find((known) => known === State.Status) ?? 'dead';
    return {
      state,
      startedAt: state === 'running' && State.StartedAt ? State.StartedAt : null,
      exitCode: state === 'running' ? null : State.ExitCode,
      ...(State.Health?.Status ? { health: State.Health.Status } : {}),
    };
  } catch (error) {
    if (isDockerNotFound(error)) return { state: 'missing', startedAt: null, exitCode: null };
    throw error;
  }
}

/**
 * Every container and volume of one installation on this host (labels `krint.managed=true` and
 * `krint.installation=<id>`), with the labels reconciliation needs.
 */
export async function discoverResources(docker: Docker, installationId: string): Promise<DiscoveredResources> {
  const filters = { label: [`${LABEL_MANAGED}=true`, `${LABEL_INSTALLATION}=${installationId}`] };
  const [containers, volumes] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters })]);
  return {
    containers: await Promise.all(containers.map(async (container) => {
      const labels = container.Labels ?? {};
      // Only a running container lists its published port; a stopped one keeps it in its binding.
      const publicPort = (container.Ports ?? []).find((port) => port.PublicPort !== undefined)?.PublicPort ?? (await boundPort(docker, container.Id));
      return {
        containerId: container.Id,
        containerName: (container.Names?.[0] ?? container.Id).replace(/^\//, ''),
        instanceId: labels[LABEL_INSTANCE] ?? '',
        engineId: labels[LABEL_ENGINE] ?? '',
        version: labels[LABEL_VERSION] ?? '',
        role: labels[LABEL_ROLE] ?? null,
        replaces: labels[LABEL_REPLACES] ?? null,
        state: KNOWN_STATES.find((known) => known === container.State) ?? 'dead',
        hostPort: publicPort,
        volumeNames: (container.Mounts ?? []).filter((mount) => mount.Type === 'volume' && mount.Name).map((mount) => mount.Name as string),
        createdAt: container.Created ? new Date(container.Created * 1000).toISOString() : null,
      };
    })),
    volumes: (volumes.Volumes ?? []).map((volume) => ({ name: volume.Name, instanceId: volume.Labels?.[LABEL_INSTANCE] ?? '' })),
  };
}

/** The host port a container is bound to, from its configuration (null when gone or unbound). */
async function boundPort(docker: Docker, containerId: string): Promise<number | null> {
  try {
    const { HostConfig } = await docker.getContainer(containerId).inspect();
    const binding = Object.values(HostConfig.PortBindings ?? {}).flatMap((list) => list ?? [])[0];
    return binding?.HostPort ? Number(binding.HostPort) : null;
  } catch (error) {
    if (isDockerNotFound(error)) return null;
    throw error;
  }
}
