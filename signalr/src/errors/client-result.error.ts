/**
 * The client answered a client-result invocation with an error, for example because its handler
 * threw (`Error: boom`) or because no handler returned a value (`Client didn't provide a result.`).
 * The message is the client's text, unchanged.
 */
export class ClientResultError extends Error {
  override readonly name = 'ClientResultError';
}
