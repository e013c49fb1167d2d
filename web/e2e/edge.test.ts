import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ensureBuilt, launchBrowser, startControlPlane, type ControlPlane } from './harness.js';

/**
 * The web client under the control plane's edge rules, in Debian's Chromium: it signs in, reads
 * over GraphQL and opens its graphql-ws socket with the Content-Security-Policy in force and no
 * violation reported; and a page on another port of the same host, which the browser hands the
 * same cookies, can read nothing and open no socket. Needs Chromium only (no Docker).
 */
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; install Debian's chromium package.`);

/** What the page on the other port tries, each outcome reported as text. */
const ATTACK = (target: string) => `<!doctype html><meta charset="utf-8"><title>elsewhere</title><script>
const target = ${JSON.stringify(target)};
const csrf = (document.cookie.split('; ').find((c) => c.startsWith('krint_csrf=')) || '').slice('krint_csrf='.length);
async function attempt(name, run) { try { return name + ': ' + (await run()); } catch (error) { return name + ': failed (' + error.name + ')'; } }
window.outcome = Promise.all([
  attempt('csrf cookie visible', async () => String(csrf.length > 0)),
  attempt('graphql', async () => (await (await fetch(target + '/graphql', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-krint-csrf': decodeURIComponent(csrf) }, body: JSON.stringify({ query: '{ me { name } }' }) })).text())),
  attempt('me', async () => (await (await fetch(target + '/api/auth/me', { credentials: 'include' })).text())),
  attempt('socket', () => new Promise((resolve) => {
    const socket = new WebSocket(target.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-krint-csrf': decodeURIComponent(csrf) } }));
    socket.onmessage = (event) => resolve('message ' + event.data);
    socket.onclose = (event) => resolve('closed ' + event.code);
  })),
]);
</script>`;

describe.skipIf(!hasBrowser)('the web client at the edge', () => {
  let plane: ControlPlane;
  let browser: Browser;
  let page: Page;
  let elsewhere: Server;
  const violations: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    plane = await startControlPlane();
    elsewhere = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(ATTACK(plane.url)));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
    // One context for both pages: one browser profile, so the page elsewhere gets the same cookies.
    page = await (await browser.newContext()).newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => elsewhere?.close(resolve));
    await plane?.stop();
  });

  it('signs in, reads over GraphQL and opens its socket under the Content-Security-Policy', async () => {
    const response = await page.goto(plane.url);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForURL(/\/login/);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(plane.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('No instances yet').waitFor();
    const socket = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const csrf = document.cookie.split('; ').find((c) => c.startsWith('krint_csrf='))?.slice('krint_csrf='.length) ?? '';
          const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
          ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { 'x-krint-csrf': decodeURIComponent(csrf) } }));
          ws.onmessage = (event) => {
            resolve(String(event.data));
            ws.close();
          };
          ws.onclose = (event) => resolve(`closed ${event.code}`);
        }),
    );
    expect(socket).toContain('connection_ack');
    expect(violations).toEqual([]);
  });

  it('lets a page on another port of the same host read nothing and open no socket, though it sees the cookies', async () => {
    const other = await page.context().newPage();
    try {
      await other.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
      const outcome = await other.evaluate(() => (window as unknown as { outcome: Promise<string[]> }).outcome);
      // The browser shares cookies across ports: only the Origin check stands between this page and the API.
      expect(outcome[0]).toBe('csrf cookie visible: true');
      expect(outcome[1]).toBe('graphql: failed (TypeError)');
      expect(outcome[2]).toBe('me: failed (TypeError)');
      expect(outcome[3]).toMatch(/^socket: closed 10\d\d$/);
      expect(outcome.join('\n')).not.toContain('admin');
    } finally {
      await other.close();
    }
  });
});
