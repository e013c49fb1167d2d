/** Hub protocols this server speaks, with the highest version of each. */
const SUPPORTED_PROTOCOLS: ReadonlyMap<string, number> = new Map([['json', 2]]);

/** Texts ASP.NET Core sends in a handshake error reply; the client shows them verbatim. */
export const HandshakeErrors = {
  canceled: 'Handshake was canceled.',
  unexpected: 'An unexpected error occurred during connection handshake.',
  unsupportedProtocol: (protocol: string) => `The protocol '${protocol}' is not supported.`,
  unsupportedVersion: (protocol: string, version: number) => `The server does not support version ${version} of the '${protocol}' protocol.`,
} as const;

export type HandshakeOutcome =
  | { readonly ok: true; readonly protocol: string; readonly version: number }
  | { readonly ok: false; readonly error: string };

/** Reads the client's handshake request, e.g. `{"protocol":"json","version":1}`. */
export function parseHandshake(record: string): HandshakeOutcome {
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
  const highest = SUPPORTED_PROTOCOLS.get(protocol);
  if (highest === undefined) return { ok: false, error: HandshakeErrors.unsupportedProtocol(protocol) };
  if (version > highest) return { ok: false, error: HandshakeErrors.unsupportedVersion(protocol, version) };
  return { ok: true, protocol, version };
}

export const HANDSHAKE_OK_RECORD = '{}\u001e';

export function handshakeErrorRecord(error: string): string {
  return JSON.stringify({ error }) + '\u001e';
}
