import type { IncomingMessage, ServerResponse } from 'node:http';
import { CSRF_HEADER } from '../auth/sessions.js';

/**
 * The HTTP edge of the control plane: which origins may call it, the security headers of every
 * answer, and how long a client may take to send a request. One place, so every route and
 * transport (HTTP, SSE, graphql-ws, the node hub) follows the same rules.
 */

/** How a request's `Origin` relates to this control plane. */
export type OriginVerdict = 'none' | 'same' | 'allowed' | 'foreign';

/**
 * Same-origin by default. A browser names the page that makes a request in `Origin` (on every
 * cross-origin request, every POST and every WebSocket); a page on another port or subdomain of
 * the same site is another origin, even though the browser sends it our SameSite cookies. Such a
 * request is refused before it is authenticated, unless its origin is in `Krint__AllowedOrigins`.
 * A request without `Origin` is not from another page (a same-origin GET, or a program: curl, a
 * node, an API client) and is judged by its credentials alone.
 */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;
  readonly #publicOrigin: string | null;

  constructor(allowedOrigins: readonly string[], publicUrl: string | null) {
    this.#allowed = new Set(allowedOrigins);
    this.#publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  }

  judge(request: IncomingMessage): OriginVerdict {
    const origin = request.headers.origin;
    if (origin === undefined) return 'none';
    if (origin === this.#publicOrigin) return 'same';
    if (this.#allowed.has(origin)) return 'allowed';
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return 'foreign'; // `null` (sandboxed frames, files) and anything unreadable
    }
    // The page was served by the host the browser is talking to: this server, whatever address
    // it is reached by. (Behind a proxy that rewrites Host, set Krint__PublicUrl.)
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host === request.headers.host?.toLowerCase()) return 'same';
    return 'foreign';
  }

  /**
   * For an API route: refuses a foreign origin (403), answers an allowed origin's preflight and
   * grants it credentialed CORS. Returns true when it answered.
   */
  guard(request: IncomingMessage, response: ServerResponse): boolean {
    const verdict = this.judge(request);
    if (verdict === 'foreign') {
      sendJson(response, 403, { error: { type: 'FORBIDDEN', message: `Requests from pages of ${request.headers.origin} are not accepted: this control plane answers its own pages and the origins in Krint__AllowedOrigins.` } }, { connection: 'close' });
      return true;
    }
    if (verdict !== 'allowed') return false;
    response.setHeader('access-control-allow-origin', request.headers.origin!);
    response.setHeader('access-control-allow-credentials', 'true');
    response.setHeader('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': `content-type, authorization, ${CSRF_HEADER}`,
        'access-control-max-age': '600',
      });
      response.end();
      return true;
    }
    return false;
  }
}

/** Content-Security-Policy of the web client (a Vite build: its own scripts and styles files). */
export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // The grid, the editor and the terminal set styles from script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // GraphQL over HTTP and graphql-ws on this same origin.
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Content-Security-Policy of every API answer (JSON, event streams): nothing in it may run or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers every answer carries; the route sets the Content-Security-Policy that fits it. */
export function setSecurityHeaders(response: ServerResponse, contentSecurityPolicy: string): void {
  response.setHeader('content-security-policy', contentSecurityPolicy);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('x-frame-options', 'DENY');
}

/** Time limits on receiving a request; see {@link watchRequestBody}. */
export const REQUEST_TIMEOUTS = {
  /** The request line and headers (Node's `headersTimeout`; its default is 60 s). */
  headersMs: 10_000,
  /** How often Node checks `headersMs` (its default, 30 s, would let a header trickle live 40 s). */
  checkEveryMs: 2_000,
  /** A whole body of a route that takes small ones (GraphQL, sign-in: at most 1 MiB). */
  smallBodyMs: 15_000,
  /** Between two chunks of a large body (a backup upload), which may take as long as it keeps moving. */
  largeBodyIdleMs: 60_000,
  /** How long the rest of a body answered before it was read is still read and dropped. */
  lingerMs: 2_000,
} as const;

/**
 * Bounds how long a client may take to send its body, so a slow sender cannot hold a connection.
 * Node's own limit is one `requestTimeout` for every route (300 s: too long for a 1 MiB GraphQL
 * request, too short to be the only bound on a large upload); it stays as the outer bound. A
 * small body must arrive whole within `smallBodyMs`; a large one must never stall for
 * `largeBodyIdleMs`. On expiry the client gets 408 (if nothing was answered yet) and the
 * connection is closed. The rest of a body answered before it was read (a refusal, an unknown
 * path) is read and dropped for at most `lingerMs`, so the client reads the answer instead of a
 * reset (closing a socket with unread data resets it), and then the connection is closed rather
 * than read at the client's pace.
 */
export function watchRequestBody(request: IncomingMessage, response: ServerResponse, kind: 'small' | 'large'): void {
  const declared = request.headers['content-length'];
  const hasBody = (declared !== undefined && declared !== '0') || request.headers['transfer-encoding'] !== undefined;
  if (!hasBody || request.complete) return;
  const expire = () => {
    if (request.complete) return;
    if (!response.headersSent) sendJson(response, 408, { error: { type: 'RequestTimeout', message: 'The request body did not arrive in time.' } }, { connection: 'close' });
    request.socket.destroySoon();
  };
  let timer = setTimeout(expire, kind === 'small' ? REQUEST_TIMEOUTS.smallBodyMs : REQUEST_TIMEOUTS.largeBodyIdleMs);
  // Progress is watched on the socket: a 'data' listener on the request would start it flowing
  // before the route reads it, and the body would be lost. The socket's bytes are this request's
  // until it ends (HTTP/1.1 does not interleave requests on a connection).
  const socket = request.socket;
  const moved = () => {
    clearTimeout(timer);
    timer = setTimeout(expire, REQUEST_TIMEOUTS.largeBodyIdleMs);
  };
  if (kind === 'large') socket.on('data', moved);
  const stop = () => {
    clearTimeout(timer);
    socket.off('data', moved);
  };
  request.once('end', stop);
  response.once('finish', () => {
    stop();
    if (request.complete) return;
    request.resume();
    const linger = setTimeout(() => request.socket.destroy(), REQUEST_TIMEOUTS.lingerMs);
    request.once('end', () => clearTimeout(linger));
    request.socket.once('close', () => clearTimeout(linger));
  });
  response.once('close', stop);
}

/**
 * The request's path as sent (for routing) and percent-decoded (for files), or null when it
 * cannot be read, like malformed escapes (`/%E0%A4%A`): the client's mistake, answered 400
 * without a stack trace in the log.
 */
export function readPath(request: IncomingMessage): { readonly pathname: string; readonly decoded: string } | null {
  try {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    return { pathname, decoded: decodeURIComponent(pathname) };
  } catch {
    return null;
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}
