import type { HubConnection as ClientConnection } from '@microsoft/signalr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticationRequest } from './hub-options.js';
import { connectClient, RawClient, startServer, waitFor, type TestServer, type TestUser } from './test-support.js';

const USERS: Record<string, TestUser> = { 'token-ann': { id: 'ann', name: 'Ann' }, 'token-bob': { id: 'bob', name: 'Bob' } };

describe('authentication', () => {
  let server: TestServer;
  const seen: Array<{ phase: string; token: string | undefined; header: string | undefined }> = [];
  beforeAll(async () => {
    server = await startServer({
      authenticate: ({ phase, token, request }: AuthenticationRequest) => {
        seen.push({ phase, token, header: request.headers.authorization });
        return token === undefined ? undefined : USERS[token];
      },
    });
  });
  afterAll(() => server.close());

  it('refuses negotiate without a token or with a bad one; the client reports the 401', async () => {
    const { buildClient } = await import('./test-support.js');
    const expected = "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'";
    await expect(buildClient(server.hubUrl).start()).rejects.toThrow(expected);
    await expect(buildClient(server.hubUrl, { options: { accessTokenFactory: () => 'wrong' } }).start()).rejects.toThrow(expected);
  });

  it('sees the bearer token on negotiate and on the upgrade; hub methods see the user', async () => {
    seen.length = 0;
    const client = await connectClient(server.hubUrl, { options: { accessTokenFactory: () => 'token-ann' } });
    expect(seen).toEqual([
      { phase: 'negotiate', token: 'token-ann', header: 'Bearer token-ann' },
      { phase: 'connect', token: 'token-ann', header: 'Bearer token-ann' },
    ]);
    expect(await client.invoke('Whoami')).toBe('Ann');
    expect(server.hub.connection(client.connectionId as string)?.userId).toBe('ann');
    await client.stop();
  });

  it('takes access_token from the query on the upgrade, as browsers send it, and refuses an upgrade without one', async () => {
    const response = await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: 'Bearer token-bob' } });
    const { connectionToken } = (await response.json()) as { connectionToken: string };
    await expect(RawClient.open(server.hubUrl, `id=${connectionToken}`)).rejects.toThrow('HTTP 401');
    // Another user cannot take over the negotiated connection.
    await expect(RawClient.open(server.hubUrl, `id=${connectionToken}&access_token=token-ann`)).rejects.toThrow('HTTP 403');
    const raw = await RawClient.open(server.hubUrl, `id=${connectionToken}&access_token=token-bob`);
    await raw.handshake();
    raw.send('{"type":1,"invocationId":"1","target":"Whoami","arguments":[]}\u001e');
    expect(await raw.nextMessage()).toEqual({ type: 3, invocationId: '1', result: 'Bob' });
    raw.close();
  });
});

describe('groups and users', () => {
  let server: TestServer;
  const clients: ClientConnection[] = [];
  const connect = async (token: string) => {
    const client = await connectClient(server.hubUrl, { options: { accessTokenFactory: () => token } });
    clients.push(client);
    return client;
  };
  const inbox = (client: ClientConnection, method: string) => {
    const messages: string[] = [];
    client.on(method, (message: string) => void messages.push(message));
    return messages;
  };
  beforeAll(async () => {
    server = await startServer({ authenticate: ({ token }) => (token === undefined ? undefined : USERS[token]) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  afterAll(() => server.close());

  it('delivers to group members only, follows leaves and disconnects', async () => {
    const [a, b, c] = [await connect('token-ann'), await connect('token-bob'), await connect('token-bob')];
    const [inA, inB, inC] = [inbox(a, 'groupMessage'), inbox(b, 'groupMessage'), inbox(c, 'groupMessage')];
    await a.invoke('JoinGroup', 'g');
    await b.invoke('JoinGroup', 'g');
    await c.invoke('SendToGroup', 'g', 'hi');
    await waitFor(() => inA.length === 1 && inB.length === 1);
    await b.invoke('LeaveGroup', 'g');
    await c.invoke('SendToGroup', 'g', 'second');
    await waitFor(() => inA.length === 2);
    // Sent from outside any hub method.
    await server.hub.clients.group('g').send('groupMessage', 'third');
    await waitFor(() => inA.length === 3);
    await a.stop();
    await waitFor(() => server.hub.connection(a.connectionId as string) === undefined);
    await server.hub.clients.group('g').send('groupMessage', 'nobody');
    expect(await b.invoke('Echo', 'sync')).toBe('sync');
    expect(inA).toEqual(['hi', 'second', 'third']);
    expect(inB).toEqual(['hi']);
    expect(inC).toEqual([]);
  });

  it('targets all, others, one client and all connections of a user', async () => {
    const [ann, bob1, bob2] = [await connect('token-ann'), await connect('token-bob'), await connect('token-bob')];
    const boxes = [ann, bob1, bob2].map((client) => inbox(client, 'note'));
    const others = [ann, bob1, bob2].map((client) => inbox(client, 'othersMessage'));
    await server.hub.clients.all.send('note', 'all');
    await server.hub.clients.user('bob').send('note', 'bob');
    await server.hub.clients.client(ann.connectionId as string).send('note', 'ann only');
    await server.hub.clients.allExcept([bob2.connectionId as string]).send('note', 'not bob2');
    await ann.invoke('SendToOthers', 'from ann');
    await waitFor(() => boxes[0]?.length === 3 && boxes[1]?.length === 3 && boxes[2]?.length === 2 && others[1]?.length === 1 && others[2]?.length === 1);
    expect(boxes).toEqual([
      ['all', 'ann only', 'not bob2'],
      ['all', 'bob', 'not bob2'],
      ['all', 'bob'],
    ]);
    expect(others).toEqual([[], ['from ann'], ['from ann']]);
  });
});

describe('negotiate decisions', () => {
  it('refuses with a message the client shows as is', async () => {
    const server = await startServer({ negotiate: ({ url }) => (url.searchParams.get('room') === 'closed' ? { error: 'not allowed' } : undefined) });
    try {
      const { buildClient } = await import('./test-support.js');
      await expect(buildClient(`${server.hubUrl}?room=closed`).start()).rejects.toThrow(/^not allowed$/);
      const client = await connectClient(`${server.hubUrl}?room=open`);
      expect(await client.invoke('Echo', 1)).toBe(1);
      await client.stop();
    } finally {
      await server.close();
    }
  });

  it('redirects to another hub with a new access token', async () => {
    const target = await startServer({ authenticate: ({ token }) => (token === 't2' ? { id: 'r', name: 'Redirected' } : undefined) });
    const front = await startServer({ negotiate: () => ({ url: target.hubUrl, accessToken: 't2' }) });
    try {
      const client = await connectClient(front.hubUrl);
      expect(await client.invoke('Whoami')).toBe('Redirected');
      expect(target.hub.connection(client.connectionId as string)).toBeDefined();
      expect(front.hub.connections()).toEqual([]);
      await client.stop();
    } finally {
      await front.close();
      await target.close();
    }
  });
});
