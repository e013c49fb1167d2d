import type { IncomingMessage } from 'node:http';

/**
 * The bearer token of a request: `Authorization: Bearer <token>` (what the Node client sends, on
 * negotiate and on the WebSocket upgrade), or else the `access_token` query parameter (what
 * browsers send on the upgrade and for Server-Sent Events, since they cannot set headers there).
 */
export function accessTokenOf(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match?.[1]) return match[1];
  }
  return url.searchParams.get('access_token') ?? undefined;
}
