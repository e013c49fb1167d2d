import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Krint</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>Krint control plane is running</h1>
<p>The web client has not been built. Build it with <code>npm run build -w @krint/web</code> and reload this page.</p>
<p>The API and GraphiQL are at <a href="/graphql">/graphql</a>.</p>`;

/**
 * Serves the built web client from `root` (`decodedPath`: the request's path, percent-decoded);
 * unknown paths get `index.html` (client-side routing). Without a build, a page says how to make one.
 */
export function serveStatic(root: string, decodedPath: string, response: ServerResponse): void {
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(NOT_BUILT);
    return;
  }
  const candidate = path.resolve(root, `.${decodedPath}`);
  const inside = candidate.startsWith(root + path.sep);
  const file = inside && existsSync(candidate) && statSync(candidate).isFile() ? candidate : index;
  response.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': file === index ? 'no-cache' : 'public, max-age=3600',
  });
  createReadStream(file).pipe(response);
}
