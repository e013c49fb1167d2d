import type { ProgressEvent } from '../protocol/commands.js';
import type { PullProgress } from './api-types.js';
import { type Docker, dockerReason, isDockerNotFound } from './client.js';
import { UnavailableError } from '../errors.js';

/**
 * Makes sure `image` exists locally. A present image is reported at once; otherwise it is pulled
 * and Docker's progress messages are passed on. A failed pull names the image and the reason.
 */
export async function* pullImage(docker: Docker, image: string, signal?: AbortSignal): AsyncGenerator<ProgressEvent> {
  if (await imageExists(docker, image)) {
    yield { phase: 'pull', message: `Image ${image} is present.` };
    return;
  }
  yield { phase: 'pull', message: `Pulling image ${image}…` };
  try {
    // A consumer that stops early ends the loop, which closes the pull's connection.
    for await (const parsed of docker.pull(image, signal ? { signal } : {})) yield toProgressEvent(image, parsed);
  } catch (error) {
    // An abort is the caller's doing, not a failed pull.
    if (signal?.aborted) throw error;
    throw pullFailed(image, dockerReason(error));
  }
  // Docker reports some failures only in the stream; the image existing afterwards is the proof.
  if (!(await imageExists(docker, image))) throw pullFailed(image, 'the image is still missing after the pull');
  yield { phase: 'pull', message: `Image ${image} is ready.` };
}

export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isDockerNotFound(error)) return false;
    throw error;
  }
}

function toProgressEvent(image: string, parsed: PullProgress): ProgressEvent {
  const message = [parsed.id, parsed.status].filter(Boolean).join(': ');
  const { current, total } = parsed.progressDetail ?? {};
  return {
    phase: 'pull',
    message: message || `Pulling ${image}`,
    ...(typeof current === 'number' ? { current } : {}),
    ...(typeof total === 'number' ? { total } : {}),
  };
}

function pullFailed(image: string, reason: string): Error {
  return new UnavailableError(`Could not pull image ${image}: ${reason}. Build or load the image on this host, or make its registry reachable.`);
}
