import { createServer } from 'node:net';
import { ConflictError } from '@krint/engine-sdk';
import type { Docker } from './client.js';

/**
 * Ports handed out by this process whose container may not be created yet; two instances created
 * at the same moment must not both get the first free port.
 */
const reserved = new Set<number>();

/**
 * Picks the first port of `range` that no container on the daemon publishes (running or stopped,
 * since a stopped container takes its port back on start) and that nothing on this host listens
 * on. The caller releases the reservation once the container exists (see {@link releasePort}).
 */
export async function allocateHostPort(docker: Docker, range: readonly [number, number], exclude: ReadonlySet<number> = new Set()): Promise<number> {
  const [low, high] = range;
  const published = await publishedPorts(docker);
  for (let port = low; port <= high; port++) {
    if (published.has(port) || reserved.has(port) || exclude.has(port)) continue;
    if (!(await isPortFreeOnHost(port))) continue;
    reserved.add(port);
    return port;
  }
  throw new ConflictError(`No free host port in the range ${low}-${high}: every port is published by a container or in use on this host.`);
}

/** Ends the reservation made by {@link allocateHostPort}. */
export function releasePort(port: number): void {
  reserved.delete(port);
}

/** Host ports published or bound by any container on the daemon. */
export async function publishedPorts(docker: Docker): Promise<Set<number>> {
  const ports = new Set<number>();
  const containers = await docker.listContainers({ all: true });
  for (const container of containers) {
    for (const port of container.Ports ?? []) {
      if (typeof port.PublicPort === 'number' && port.PublicPort > 0) ports.add(port.PublicPort);
    }
    if (container.State === 'running') continue;
    // A stopped container lists no ports, but its bindings come back when it starts.
    try {
      const details = await docker.getContainer(container.Id).inspect();
      for (const bindings of Object.values(details.HostConfig.PortBindings ?? {})) {
        for (const binding of (bindings as { HostPort?: string }[] | null) ?? []) {
          const port = Number(binding.HostPort);
          if (Number.isInteger(port) && port > 0) ports.add(port);
        }
      }
    } catch {
      // The container went away between list and inspect: it holds no port.
    }
  }
  return ports;
}

/** True when a listener can bind the port on every interface, i.e. nothing else holds it. */
export function isPortFreeOnHost(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
