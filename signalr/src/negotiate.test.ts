import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startServer, type NegotiateBody, type TestServer } from './test-support.js';

describe('negotiate', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('answers v1 with URL-safe id and token and lists the three transports', async () => {
    const response = await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as NegotiateBody;
    expect(body.negotiateVersion).toBe(1);
    expect(body.connectionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.connectionToken).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.connectionToken).not.toBe(body.connectionId);
    expect(body.availableTransports).toEqual([
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
      { transport: 'ServerSentEvents', transferFormats: ['Text'] },
      { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
    ]);
    expect(body.useStatefulReconnect).toBe(false);
    expect(body).not.toHaveProperty('ProtocolVersion');
  });

  it('caps a higher version at 1, accepts any case of the key and refuses a malformed one', async () => {
    const higher = (await (await fetch(`${server.hubUrl}/negotiate?NegotiateVersion=7`, { method: 'POST' })).json()) as NegotiateBody;
    expect(higher.negotiateVersion).toBe(1);
    const bad = (await (await fetch(`${server.hubUrl}/negotiate?negotiateVersion=abc`, { method: 'POST' })).json()) as NegotiateBody;
    expect(bad.error).toBe("The client requested an invalid protocol version 'abc'");
  });

  it('answers other methods with 405 and leaves other paths to the next handler', async () => {
    const get = await fetch(`${server.hubUrl}/negotiate`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const other = await fetch(`${server.baseUrl}/graphql`);
    expect(await other.text()).toBe('other handler');
  });

  it('answers v0 without a token; the connection id opens the socket', async () => {
    const { client, negotiate } = await RawClient.negotiated(server.hubUrl, '');
    expect(negotiate.negotiateVersion).toBe(0);
    expect(negotiate).not.toHaveProperty('connectionToken');
    await client.handshake();
    client.send(`{"type":1,"invocationId":"1","target":"Add","arguments":[1,2]}\u001e`);
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: '1', result: 3 });
    client.close();
  });

  it('refuses an unknown id with 404 and a second socket for a live token with 409', async () => {
    await expect(RawClient.open(server.hubUrl, 'id=unknown')).rejects.toThrow('HTTP 404');
    const { client, negotiate } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    await expect(RawClient.open(server.hubUrl, `id=${negotiate.connectionToken}`)).rejects.toThrow('HTTP 409');
    // The public connection id is not a credential.
    await expect(RawClient.open(server.hubUrl, `id=${negotiate.connectionId}`)).rejects.toThrow('HTTP 404');
    client.close();
  });
});
