import type { ProgressEvent } from '../protocol/commands.js';
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
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream;
  } catch (error) {
    throw pullFailed(image, dockerReason(error));
  }
  let pending = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const event = parsePullLine(image, line);
      if (event) yield event;
    }
  }
  const last = parsePullLine(image, pending);
  if (last) yield last;
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

interface PullLine {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

function parsePullLine(image: string, line: string): ProgressEvent | undefined {
  if (line.trim() === '') return undefined;
  let parsed: PullLine;
  try {
    parsed = JSON.parse(line) as PullLine;
  } catch {
    return undefined;
  }
  if (parsed.error || parsed.errorDetail?.message) throw pullFailed(image, parsed.errorDetail?.message ?? parsed.error ?? 'unknown error');
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
