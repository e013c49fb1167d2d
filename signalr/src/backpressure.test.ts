import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, startServer, waitFor, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const CHUNK = 64 * 1024;

describe('backpressure', () => {
  it('pauses a server stream while its client does not read, and resumes it after', async () => {
    const s = await startServer();
    servers.push(s);
    const { client } = await RawClient.negotiated(s.hubUrl);
    await client.handshake();
    client.socket.pause();
    client.send(`{"type":4,"invocationId":"f","target":"Flood","arguments":[400,${CHUNK}]}\u001e`);
    // Wait for the producer to stall (bounded: 25 rounds), then check it stays stalled.
    let stalledAt = -1;
    for (let round = 0; round < 25 && stalledAt !== s.log.produced; round++) {
      stalledAt = s.log.produced;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Bounded by the send high-water mark plus what the kernel buffers, far from all 400 (25 MiB).
    expect(s.log.produced).toBe(stalledAt);
    expect(stalledAt * CHUNK).toBeLessThan(16 * 1024 * 1024);
    client.socket.resume();
    await waitFor(() => client.records.some((record) => record === '{"type":3,"invocationId":"f"}'), 20_000, 'stream end');
    expect(s.log.produced).toBe(400);
    client.close();
  });

  it('drops a client that cannot keep up with sends nobody awaits, instead of buffering without bound', async () => {
    const s = await startServer({ maxBufferedBytes: 2 * 1024 * 1024 });
    servers.push(s);
    const { client, negotiate } = await RawClient.negotiated(s.hubUrl);
    await client.handshake();
    await waitFor(() => s.hub.connection(negotiate.connectionId) !== undefined);
    client.socket.pause();
    const payload = 'p'.repeat(CHUNK);
    for (let i = 0; i < 200; i++) void s.hub.clients.all.send('push', payload);
    await waitFor(() => s.log.disconnected.length === 1);
    expect(s.log.disconnected[0]?.error).toBe('The client did not keep up: the send buffer limit was exceeded.');
    expect(s.hub.connections()).toEqual([]);
    client.close();
  });
});
