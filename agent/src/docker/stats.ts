import type { ContainerStats } from '../protocol/commands.js';
import type { ContainerStatsSample } from './api-types.js';
import { type Docker, isDockerNotFound } from './client.js';

const ZERO: ContainerStats = { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0 };

/**
 * One sample of CPU and memory use. Docker takes two readings a second apart for a one-shot
 * request, so CPU % is the share of the host's CPUs used in that second (100 % = one full CPU).
 * Memory excludes the page cache, like `docker stats`. A stopped or missing container reads zero.
 */
export async function containerStats(docker: Docker, containerId: string): Promise<ContainerStats> {
  let raw: ContainerStatsSample;
  try {
    raw = await docker.getContainer(containerId).stats();
  } catch (error) {
    if (isDockerNotFound(error)) return ZERO;
    throw error;
  }
  return { cpuPercent: cpuPercent(raw), memoryBytes: memoryBytes(raw), memoryLimitBytes: raw.memory_stats?.limit ?? 0 };
}

function cpuPercent(raw: ContainerStatsSample): number {
  const cpuDelta = (raw.cpu_stats?.cpu_usage?.total_usage ?? 0) - (raw.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (raw.cpu_stats?.system_cpu_usage ?? 0) - (raw.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = raw.cpu_stats?.online_cpus ?? raw.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

function memoryBytes(raw: ContainerStatsSample): number {
  const usage = raw.memory_stats?.usage ?? 0;
  const stats = raw.memory_stats?.stats ?? {};
  // cgroup v1 reports the cache as `total_inactive_file`/`cache`, v2 as `inactive_file`.
  const cache = stats.total_inactive_file ?? stats.inactive_file ?? stats.cache ?? 0;
  return Math.max(0, usage - cache);
}
