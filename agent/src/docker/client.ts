import { DockerClient } from './api.js';

/**
 * The Docker client of this agent: `DOCKER_HOST` (unix:// or tcp://) when set, otherwise the
 * local socket.
 */
export function createDockerClient(): Docker {
  return new DockerClient();
}

/** The client every function in this folder takes. */
export type Docker = DockerClient;

/** The HTTP status of an error raised by the Docker API, when it has one. */
export function dockerStatusCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const code = (error as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** True for the Docker API's "no such container / volume / exec" answers. */
export function isDockerNotFound(error: unknown): boolean {
  return dockerStatusCode(error) === 404;
}

/** The Docker daemon's own explanation inside an API error, without the HTTP framing. */
export function dockerReason(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message;
    }
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && message.length > 0) return message;
  }
  return String(error);
}
