import { randomBytes } from 'node:crypto';
import type { TransferFormat } from './hub-protocol.js';
import type { TransportName } from './transport.js';

/** Highest negotiate protocol version this server speaks. */
export const NEGOTIATE_VERSION = 1;

/**
 * A random id in base64url: 16 bytes, 22 characters. The client puts the connection token into
 * the `id` query parameter without URL-encoding it, so only URL-safe characters will do.
 */
export function newConnectionToken(): string {
  return randomBytes(16).toString('base64url');
}

export type NegotiateVersion = { readonly ok: true; readonly version: number } | { readonly ok: false; readonly error: string };

/** Reads `negotiateVersion` from the query: missing means 0, above our maximum gets our maximum. */
export function negotiateVersionOf(query: URLSearchParams): NegotiateVersion {
  const raw = queryValue(query, 'negotiateVersion');
  if (raw === undefined) return { ok: true, version: 0 };
  const version = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(version)) return { ok: false, error: `The client requested an invalid protocol version '${raw}'` };
  return { ok: true, version: Math.min(version, NEGOTIATE_VERSION) };
}

export interface NegotiateResponse {
  readonly negotiateVersion: number;
  readonly connectionId: string;
  readonly connectionToken?: string;
  readonly availableTransports: ReadonlyArray<{ readonly transport: string; readonly transferFormats: readonly string[] }>;
  readonly useStatefulReconnect?: boolean;
}

const TRANSFER_FORMATS: Readonly<Record<TransportName, readonly TransferFormat[]>> = {
  WebSockets: ['Text', 'Binary'],
  // An event stream carries text only.
  ServerSentEvents: ['Text'],
  LongPolling: ['Text', 'Binary'],
};

/** Whether `transport` carries binary payloads; a text-only one refuses binary protocols at the handshake. */
export function carriesBinary(transport: TransportName): boolean {
  return TRANSFER_FORMATS[transport].includes('Binary');
}

/**
 * The body of a successful negotiate. The client tries the transports in the listed order and
 * falls back to the next one (after a new negotiate).
 */
export function negotiateResponse(
  version: number,
  connectionId: string,
  connectionToken: string,
  useStatefulReconnect: boolean,
  transports: readonly TransportName[],
): NegotiateResponse {
  return {
    negotiateVersion: version,
    connectionId,
    // Version 0 has no token: the connection id doubles as the transports' `id`.
    ...(version >= 1 ? { connectionToken } : {}),
    availableTransports: transports.map((transport) => ({ transport, transferFormats: TRANSFER_FORMATS[transport] })),
    ...(version >= 1 ? { useStatefulReconnect } : {}),
  };
}

/** Query parameters are case-insensitive in ASP.NET Core (`NegotiateVersion` works too). */
export function queryValue(query: URLSearchParams, name: string): string | undefined {
  const direct = query.get(name);
  if (direct !== null) return direct;
  const lower = name.toLowerCase();
  for (const [key, value] of query) if (key.toLowerCase() === lower) return value;
  return undefined;
}
