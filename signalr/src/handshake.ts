import type { HubProtocol, HubProtocolName } from './hub-protocol.js';
import { jsonHubProtocol } from './json-hub-protocol.js';
import { messagePackHubProtocol } from './messagepack-hub-protocol.js';

const PROTOCOLS_BY_NAME: Readonly<Record<HubProtocolName, HubProtocol>> = { json: jsonHubProtocol, messagepack: messagePackHubProtocol };

/** The codecs behind the names in the `protocols` option. */
export function protocolsNamed(names: readonly HubProtocolName[]): HubProtocol[] {
  return names.map((name) => PROTOCOLS_BY_NAME[name]);
}

/** Texts ASP.NET Core sends in a handshake error reply; the client shows them verbatim. */
export const HandshakeErrors = {
  canceled: 'Handshake was canceled.',
  unexpected: 'An unexpected error occurred during connection handshake.',
  unsupportedProtocol: (protocol: string) => `The protocol '${protocol}' is not supported.`,
  unsupportedVersion: (protocol: string, version: number) => `The server does not support version ${version} of the '${protocol}' protocol.`,
  unsupportedTransferFormat: (protocol: string) =>
    `Cannot use the '${protocol}' protocol on the current transport. The transport does not support 'Binary' transfer format.`,
} as const;

export type HandshakeOutcome =
  | { readonly ok: true; readonly protocol: HubProtocol; readonly version: number }
  | { readonly ok: false; readonly error: string };

/**
 * Reads the client's handshake request, e.g. `{"protocol":"messagepack","version":2}`, and picks
 * the matching protocol among `protocols`. A binary protocol is refused on a transport that
 * carries text only (Server-Sent Events).
 */
export function parseHandshake(record: string, protocols: readonly HubProtocol[], transportCarriesBinary: boolean): HandshakeOutcome {
  let value: unknown;
  try {
    value = JSON.parse(record);
  } catch {
    return { ok: false, error: HandshakeErrors.unexpected };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, error: HandshakeErrors.unexpected };
  const { protocol, version } = value as { protocol?: unknown; version?: unknown };
  if (typeof protocol !== 'string' || typeof version !== 'number' || !Number.isInteger(version)) {
    return { ok: false, error: HandshakeErrors.unexpected };
  }
  const chosen = protocols.find((candidate) => candidate.name === protocol);
  if (chosen === undefined) return { ok: false, error: HandshakeErrors.unsupportedProtocol(protocol) };
  if (version > chosen.version) return { ok: false, error: HandshakeErrors.unsupportedVersion(protocol, version) };
  if (chosen.transferFormat === 'Binary' && !transportCarriesBinary) return { ok: false, error: HandshakeErrors.unsupportedTransferFormat(protocol) };
  return { ok: true, protocol: chosen, version };
}

export const HANDSHAKE_OK_RECORD = '{}\u001e';
/** The same reply for a binary protocol: it shares the frame with the binary records after it. */
export const HANDSHAKE_OK_BYTES: Uint8Array = Buffer.from(HANDSHAKE_OK_RECORD);

export function handshakeErrorRecord(error: string): string {
  return JSON.stringify({ error }) + '\u001e';
}
