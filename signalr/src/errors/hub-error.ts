/**
 * An error whose message is meant for the client. Thrown from a hub method, its message reaches the
 * caller as `HubException: <message>`, the way ASP.NET Core reports a `HubException`. Any other
 * error is reported with a generic text unless detailed errors are enabled, so internal details do
 * not leak by accident.
 */
export class HubError extends Error {
  override readonly name = 'HubError';
}
