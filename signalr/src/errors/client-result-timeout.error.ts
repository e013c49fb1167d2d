/** A client did not answer a client-result invocation within the allowed time. */
export class ClientResultTimeoutError extends Error {
  override readonly name = 'ClientResultTimeoutError';

  constructor(
    readonly connectionId: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`Client '${connectionId}' did not return a result for '${method}' within ${timeoutMs} ms.`);
  }
}
