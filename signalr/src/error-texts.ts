import { HubError } from './errors/hub-error.js';

/**
 * The texts ASP.NET Core sends in error Completions and Close messages. Clients (and tests) match
 * on them, so they are kept word for word. "Detail" is added only with `detailedErrors`, except
 * for a {@link HubError}, whose message is always meant for the client.
 */
export const ErrorTexts = {
  methodNotFound: (method: string) => `Failed to invoke '${method}' due to an error on the server. HubException: Method does not exist.`,
  bindingFailed: (method: string) => `Failed to invoke '${method}' due to an error on the server.`,
  invocationFailed: (method: string) => `An unexpected error occurred invoking '${method}' on the server.`,
  streamFailed: 'An error occurred on the server while streaming results.',
  streamingMethodInvoked: (method: string) =>
    `The client attempted to invoke the streaming '${method}' method with a non-streaming invocation.`,
  nonStreamingMethodStreamed: (method: string) =>
    `The client attempted to invoke the non-streaming '${method}' method with a streaming invocation.`,
  uploadCountMismatch: (sent: number, expected: number) => `Client sent ${sent} stream(s), Hub method expects ${expected}.`,
  argumentCountMismatch: (sent: number, expected: number) =>
    `Invocation provides ${sent} argument(s) but target expects ${expected}.`,
  invocationIdInUse: (id: string) => `Invocation ID '${id}' is already in use.`,
  connectionError: 'Connection closed with an error.',
} as const;

/** Appends ` HubException: <message>` for a HubError, or ` <Name>: <message>` when details are on. */
export function withDetail(text: string, error: unknown, detailed: boolean): string {
  if (error instanceof HubError) return `${text} HubException: ${error.message}`;
  if (detailed && error instanceof Error) return `${text} ${error.name}: ${error.message}`;
  return text;
}
