import { ConflictError, EngineError, InvalidInputError, NotFoundError, NotSupportedError } from '@krint/engine-sdk';

export { ConflictError, InvalidInputError, NotFoundError, NotSupportedError };

/**
 * The instance lives on a node that is not connected right now. Raised at once, before anything
 * is attempted: nothing waits for a node to come back.
 */
export class NodeOfflineError extends Error {
  override readonly name = 'NodeOfflineError';
  readonly code = 'NODE_OFFLINE' as const;
  constructor(
    readonly nodeId: string,
    readonly nodeName: string | null,
    /** Its token was revoked: it will not come back on its own. */
    readonly revoked = false,
  ) {
    super(
      revoked
        ? `Node "${nodeName ?? nodeId}" was revoked: its token no longer works, so nothing on it can be reached. Add the node again (with the same Node__Id) to attach its instances again, or forget them (forgetInstance, or deleteNode with forgetInstances); their containers stay on that host.`
        : `Node "${nodeName ?? nodeId}" is not connected. Start its agent (or check its network) and try again.`,
    );
  }
}

/** Docker, the engine or the agent could not do the work right now (or ran out of time). */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE' as const;
}

/** Every error a client is told about in a typed way; anything else is an internal error. */
export const DOMAIN_ERRORS = [NotFoundError, InvalidInputError, ConflictError, NotSupportedError, NodeOfflineError, UnavailableError] as const;
export type DomainError = InstanceType<(typeof DOMAIN_ERRORS)[number]>;

const NOT_SUPPORTED_MESSAGE = /^The (\S+) engine does not support (.+)\.$/;

/**
 * Turns what an executor, an engine or the agent threw into one of {@link DOMAIN_ERRORS}, keyed by
 * the stable `code` the protocol guarantees (in-process handlers and the hub both keep it). Errors
 * without a known code pass through unchanged and end up as masked internal errors.
 */
export function toDomainError(error: unknown): unknown {
  if (DOMAIN_ERRORS.some((type) => error instanceof type)) return error;
  if (typeof error !== 'object' || error === null) return error;
  const { code, message, field } = error as { code?: unknown; message?: unknown; field?: unknown };
  const text = typeof message === 'string' ? message : 'The operation failed.';
  switch (code) {
    case 'INVALID_INPUT':
      return new InvalidInputError(text, typeof field === 'string' ? field : undefined);
    case 'NOT_FOUND':
      return new NotFoundError(text);
    case 'CONFLICT':
      return new ConflictError(text);
    case 'NOT_SUPPORTED': {
      const match = NOT_SUPPORTED_MESSAGE.exec(text);
      const mapped = new NotSupportedError(match?.[1] ?? 'this', match?.[2] ?? 'this operation');
      mapped.message = text;
      return mapped;
    }
    case 'UNAVAILABLE':
    case 'TIMEOUT':
      return new UnavailableError(text, { cause: error });
    // The agent's own failures (a dump or restore tool that exited non-zero, with the end of its
    // stderr, passwords already redacted by the agent): the person needs that text, not
    // "Unexpected error".
    case 'INTERNAL':
      return new UnavailableError(text, { cause: error });
    case 'NODE_OFFLINE':
      return error instanceof NodeOfflineError ? error : new UnavailableError(text);
    default:
      return error instanceof EngineError ? new UnavailableError(text) : error;
  }
}

/** Short text of any error for logs, progress events and the activity log (already redacted upstream). */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
