import { createHash } from 'node:crypto';
import { renderGraphiQL } from 'graphql-yoga';
import { CSRF_HEADER } from '../auth/sessions.js';

/** The GraphiQL page, the same for every caller, and the Content-Security-Policy that lets exactly it run. */
export interface GraphiQLPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

/** Stands in the page's options for the expression that reads the CSRF token in the browser. */
const CSRF_HEADERS_MARKER = '__KRINT_CSRF_HEADERS__';

/**
 * Yoga's GraphiQL page with no secret in it: a cookie-signed-in GraphiQL sends the session's CSRF
 * token, which its script reads from the CSRF cookie when the page starts, exactly as the web
 * client does (the cookie exists for that; it is SameSite=Strict, and a page of another origin
 * that could read it still cannot use it: a request with a foreign `Origin` is refused before it
 * is authenticated). A token written into the HTML would instead live in every cached or saved
 * copy of the page. Subscriptions go over SSE, which carries the header like any request.
 *
 * The page is the same for everyone, so its inline scripts are fixed and the policy allows them
 * by hash; the remote assets come from the CDN yoga's page names, read from the page itself so a
 * yoga upgrade cannot leave the policy behind.
 */
export function graphiqlPage(csrfCookie: string): GraphiQLPage {
  const readToken = `function krintCsrfHeaders(){var prefix=${JSON.stringify(`${csrfCookie}=`)};var pair=document.cookie.split('; ').find(function(c){return c.indexOf(prefix)===0});return pair?{${JSON.stringify(CSRF_HEADER)}:decodeURIComponent(pair.slice(prefix.length))}:{}}`;
  const html = renderGraphiQL({ title: 'Krint GraphQL', subscriptionsProtocol: 'SSE', additionalHeaders: CSRF_HEADERS_MARKER } as unknown as Parameters<typeof renderGraphiQL>[0])
    .replace(JSON.stringify(CSRF_HEADERS_MARKER), 'krintCsrfHeaders()')
    .replace('</head>', `<script>${readToken}</script></head>`);
  if (!html.includes('krintCsrfHeaders()')) throw new Error("Yoga's GraphiQL page no longer takes its options as JSON; the CSRF header cannot be wired in.");
  const inlineScripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`);
  const remote = [...new Set([...html.matchAll(/https:\/\/[^/"'\s>]+/g)].map((match) => match[0]))].join(' ');
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${inlineScripts.join(' ')} ${remote}`,
    // GraphiQL's editor sets styles from script.
    `style-src 'unsafe-inline' ${remote}`,
    `font-src data: ${remote}`,
    `img-src 'self' data: ${remote}`,
    // Its own API, and the editor's worker scripts, fetched and started from blob: URLs.
    `connect-src 'self' ${remote}`,
    'worker-src blob:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
