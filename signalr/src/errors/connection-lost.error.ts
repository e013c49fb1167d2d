/**
 * The connection ended while the server was still waiting for something from it (a client result,
 * for instance). The message matches the text ASP.NET Core uses.
 */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';

  constructor(readonly connectionId: string) {
    super(`Connection '${connectionId}' disconnected.`);
  }
}
