import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { CSRF_HEADER, csrfToken } from './auth.js';

/** The GraphQL endpoint of the control plane that served this page. */
const HTTP_URL = '/graphql';

function webSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${HTTP_URL}`;
}

/** One socket for every subscription; reconnects quietly when the server restarts. */
const ws = createWsClient({
  url: webSocketUrl,
  lazy: true,
  connectionParams: () => {
    const token = csrfToken();
    return token ? { [CSRF_HEADER]: token } : {};
  },
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries))),
});

/** The one urql client of the app. */
export const client = new Client({
  url: HTTP_URL,
  fetchOptions: () => {
    const token = csrfToken();
    const headers: Record<string, string> = token ? { [CSRF_HEADER]: token } : {};
    return { credentials: 'include', headers };
  },
  requestPolicy: 'cache-and-network',
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? '' };
        return {
          subscribe(sink) {
            const unsubscribe = ws.subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
});
