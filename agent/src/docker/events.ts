import { CONTAINER_EVENT_ACTIONS, type ContainerEvent, type ContainerEventAction } from '../protocol/commands.js';
import type { Docker } from './client.js';
import { containerStatus } from './containers.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from './labels.js';

/**
 * The host's container events for Krint's containers, as they happen: Docker's own event stream,
 * filtered by the daemon to {@link CONTAINER_EVENT_ACTIONS} of containers labelled
 * `krint.managed=true`, each with the container's state read right after it (an `oom` is followed
 * by a `die`, and a `stop` by nothing else, so the event alone does not say where it ended up).
 * Runs until `signal` aborts; throws when Docker goes away, so the caller can watch again.
 */
export async function* watchContainerEvents(docker: Docker, signal?: AbortSignal): AsyncGenerator<ContainerEvent> {
  const filters = { type: ['container'], label: [`${LABEL_MANAGED}=true`], event: [...CONTAINER_EVENT_ACTIONS] };
  for await (const event of docker.events(filters, signal ? { signal } : {})) {
    const action = CONTAINER_EVENT_ACTIONS.find((known) => known === event.Action);
    const containerId = event.Actor?.ID;
    const instanceId = event.Actor?.Attributes?.[LABEL_INSTANCE];
    if (!action || !containerId || !instanceId) continue;
    yield { instanceId, containerId, action, ...(await stateAfter(docker, containerId, action)), exitCode: exitCodeOf(event.Actor?.Attributes, action), at: timeOf(event.timeNano) };
  }
}

async function stateAfter(docker: Docker, containerId: string, action: ContainerEventAction): Promise<Pick<ContainerEvent, 'state'>> {
  if (action === 'destroy') return { state: 'missing' };
  try {
    return { state: (await containerStatus(docker, containerId)).state };
  } catch {
    // Docker answered the event but not the inspect: the event's own meaning is the best guess.
    return { state: action === 'start' ? 'running' : 'exited' };
  }
}

function exitCodeOf(attributes: Record<string, string> | undefined, action: ContainerEventAction): number | null {
  if (action !== 'die') return null;
  const code = Number(attributes?.exitCode);
  return Number.isInteger(code) ? code : null;
}

function timeOf(timeNano: number | undefined): string {
  return new Date(typeof timeNano === 'number' ? Math.floor(timeNano / 1e6) : Date.now()).toISOString();
}
