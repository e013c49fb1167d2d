import { HttpTransportType, HubConnectionState, MessageType, NullLogger, Subject, type HubConnection as ClientConnection, type HubMessage } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { InvalidDataError } from './errors/invalid-data.error.js';
import { LengthPrefixedReader } from './length-prefixed-reader.js';
import {
  buildClient,
  buildStatefulClient,
  captureClose,
  collect,
  connectClient,
  startServer,
  waitFor,
  type ClientSetup,
  type NegotiateBody,
  type TestServer,
} from './test-support.js';

const RS = '\u001e';
/** The official client's codec, used by the raw tests to write and read MessagePack records. */
const official = new MessagePackHubProtocol();

/** The official client speaking MessagePack, over one transport. */
function msgpackClient(url: string, transport: HttpTransportType, setup: ClientSetup = {}): ClientConnection {
  return buildClient(url, {
    options: { transport, ...setup.options },
    configure: (builder) => {
      const withProtocol = builder.withHubProtocol(new MessagePackHubProtocol());
      return setup.configure ? setup.configure(withProtocol) : withProtocol;
    },
  });
}

function bytes(length: number, seed = 7): Uint8Array {
  const data = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

for (const transport of [HttpTransportType.WebSockets, HttpTransportType.LongPolling]) {
  const name = HttpTransportType[transport];
  describe(`MessagePack over ${name} with the official client`, () => {
    let server: TestServer;
    const clients: ClientConnection[] = [];
    const connect = async (register?: (client: ClientConnection) => void): Promise<ClientConnection> => {
      const client = msgpackClient(server.hubUrl, transport);
      register?.(client);
      clients.push(client);
      await client.start();
      return client;
    };
    beforeAll(async () => {
      server = await startServer({ maximumMessageSize: 4 * 1024 * 1024 });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
    });
    afterAll(() => server.close());

    it('picks MessagePack from the handshake and invokes with arguments and results', async () => {
      const client = await connect();
      expect(serverSide(server, client.connectionId as string)).toEqual({ protocol: 'messagepack', transport: name });
      expect(await client.invoke('Add', 40, 2)).toBe(42);
      expect(await client.invoke('Void')).toBeNull();
      const nested = { name: 'db', sizes: [1, 2.5, -3], flags: { on: true, off: null }, text: 'ünï\u001e' };
      expect(await client.invoke('Echo', nested)).toEqual(nested);
    });

    it('round-trips Uint8Array as bytes, 1 MiB included, and Date as a Date', async () => {
      const client = await connect();
      for (const size of [0, 1, 255, 65_536, 1024 * 1024]) {
        const sent = bytes(size, size);
        const received = await client.invoke<Uint8Array>('Echo', sent);
        expect(received).toBeInstanceOf(Uint8Array);
        expect(received.length).toBe(size);
        expect(Buffer.compare(Buffer.from(received), Buffer.from(sent))).toBe(0);
      }
      const when = new Date('2026-03-04T05:06:07.089Z');
      const back = await client.invoke<Date>('Echo', when);
      expect(back).toBeInstanceOf(Date);
      expect(back.getTime()).toBe(when.getTime());
    });

    it('serves client results that are bytes, seen as plain Uint8Array on the server', async () => {
      const payload = bytes(300_000, 3);
      const client = await connect((c) => c.on('dump', (length: number) => payload.subarray(0, length)));
      const id = client.connectionId as string;
      await waitFor(() => server.hub.connection(id) !== undefined);
      const result = await server.hub.clients.client(id).invoke<Uint8Array>('dump', [payload.length]);
      expect(result).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(result)).toBe(false);
      expect(Buffer.compare(Buffer.from(result), Buffer.from(payload))).toBe(0);
      // And through a hub method awaiting the client (AskClient), back to the client.
      const relayed = await client.invoke<Uint8Array>('AskClient', 'dump', 1_000, 5_000);
      expect(Buffer.compare(Buffer.from(relayed), Buffer.from(payload.subarray(0, 1_000)))).toBe(0);
    });

    it('streams server to client and client to server, bytes included', async () => {
      const client = await connect();
      expect(await collect<number>(client, 'Counter', 5, 0)).toEqual({ items: [0, 1, 2, 3, 4] });

      const subject = new Subject<number>();
      const sum = client.invoke<number>('Sum', subject);
      for (const value of [1, 2, 3, 4]) await subject.next(value);
      subject.complete();
      expect(await sum).toBe(10);

      const chunks = [bytes(10, 1), bytes(70_000, 2), bytes(3, 3)];
      const upload = new Subject<Uint8Array>();
      const finished = collect<Uint8Array>(client, 'EchoStream', upload);
      for (const chunk of chunks) await upload.next(chunk);
      upload.complete();
      const echoed = await finished;
      expect(echoed.error).toBeUndefined();
      expect(echoed.items.map((chunk) => Buffer.from(chunk).toString('hex'))).toEqual(chunks.map((chunk) => Buffer.from(chunk).toString('hex')));
    });

    it('reports errors in completions, for methods and streams', async () => {
      const client = await connect();
      await expect(client.invoke('ThrowHub', 'no such database')).rejects.toThrow(
        "An unexpected error occurred invoking 'ThrowHub' on the server. HubException: no such database",
      );
      await expect(client.invoke('Throw')).rejects.toThrow("An unexpected error occurred invoking 'Throw' on the server.");
      await expect(client.invoke('Nope')).rejects.toThrow("Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
      const failure = await collect<number>(client, 'FailAfterHub', 2);
      expect(failure.items).toEqual([0, 1]);
      expect(failure.error?.message).toContain('no more items');
      const id = client.connectionId as string;
      client.on('refuse', () => {
        throw new Error('not today');
      });
      await expect(server.hub.clients.client(id).invoke('refuse', [])).rejects.toThrow('Error: not today');
    });

    it('closes a connection whose record exceeds the maximum message size', async () => {
      const small = await startServer({ maximumMessageSize: 32 * 1024 });
      try {
        const client = msgpackClient(small.hubUrl, transport);
        clients.push(client);
        await client.start();
        const fits = bytes(31 * 1024);
        expect((await client.invoke<Uint8Array>('Echo', fits)).length).toBe(fits.length);
        const closed = captureClose(client);
        await client.send('Echo', bytes(33 * 1024)).catch(() => undefined);
        expect((await closed)?.message).toBe('Server returned an error on close: Connection closed with an error.');
        await waitFor(() => small.log.disconnected.length === 1);
        expect(small.log.disconnected[0]?.error).toBe('The maximum message size of 32768B was exceeded.');
      } finally {
        await small.close();
      }
    });
  });
}

/** What the server reports about one of its connections. */
function serverSide(server: TestServer, connectionId: string): { protocol: string; transport: string | undefined } {
  const info = server.hub.connection(connectionId) as unknown as { protocol: { name: string }; transport: { name: string } | undefined } | undefined;
  if (!info) throw new Error(`No connection ${connectionId}`);
  return { protocol: info.protocol.name, transport: info.transport?.name };
}

describe('MessagePack alongside JSON', () => {
  let server: TestServer;
  const clients: ClientConnection[] = [];
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  afterAll(() => server.close());

  it('sends one group message to a JSON client and a MessagePack client, each in its protocol', async () => {
    const json = await connectClient(server.hubUrl);
    const msgpack = msgpackClient(server.hubUrl, HttpTransportType.WebSockets);
    clients.push(json, msgpack);
    await msgpack.start();
    const received: Array<[string, unknown]> = [];
    json.on('groupMessage', (value: unknown) => void received.push(['json', value]));
    msgpack.on('groupMessage', (value: unknown) => void received.push(['messagepack', value]));
    await json.invoke('JoinGroup', 'mixed');
    await msgpack.invoke('JoinGroup', 'mixed');
    expect(serverSide(server, json.connectionId as string).protocol).toBe('json');
    expect(serverSide(server, msgpack.connectionId as string).protocol).toBe('messagepack');
    await json.invoke('SendToGroup', 'mixed', 'to both');
    await server.hub.clients.group('mixed').send('groupMessage', { n: 1 });
    await waitFor(() => received.length === 4);
    expect(received.sort()).toEqual([
      ['json', 'to both'],
      ['json', { n: 1 }],
      ['messagepack', 'to both'],
      ['messagepack', { n: 1 }],
    ].sort());
  });

  it('is not chosen over Server-Sent Events: the client skips it, and a raw handshake there is refused', async () => {
    const sseOnly = msgpackClient(server.hubUrl, HttpTransportType.ServerSentEvents);
    await expect(sseOnly.start()).rejects.toThrow("'ServerSentEvents' does not support Binary");

    const noWebSockets = await startServer({ transports: ['ServerSentEvents', 'LongPolling'] });
    try {
      const negotiate = (await (await fetch(`${noWebSockets.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as NegotiateBody;
      expect(negotiate.availableTransports).toEqual([
        { transport: 'ServerSentEvents', transferFormats: ['Text'] },
        { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
      ]);
      const client = buildClient(noWebSockets.hubUrl, { configure: (builder) => builder.withHubProtocol(new MessagePackHubProtocol()) });
      await client.start();
      try {
        expect(serverSide(noWebSockets, client.connectionId as string)).toEqual({ protocol: 'messagepack', transport: 'LongPolling' });
        expect(await client.invoke('Add', 1, 2)).toBe(3);
      } finally {
        await client.stop();
      }

      // A hand-made client that insists on MessagePack over SSE gets the ASP.NET Core error text.
      const { connectionToken } = (await (await fetch(`${noWebSockets.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as NegotiateBody;
      const events = await fetch(`${noWebSockets.hubUrl}?id=${connectionToken}`, { headers: { Accept: 'text/event-stream' } });
      const post = await fetch(`${noWebSockets.hubUrl}?id=${connectionToken}`, { method: 'POST', body: `{"protocol":"messagepack","version":2}${RS}` });
      expect(post.status).toBe(200);
      const body = await events.text();
      expect(body).toContain(
        `data: ${JSON.stringify({ error: "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format." })}${RS}`,
      );
    } finally {
      await noWebSockets.close();
    }
  });

  it('refuses MessagePack when the protocols option leaves it out', async () => {
    const jsonOnly = await startServer({ protocols: ['json'] });
    try {
      const client = msgpackClient(jsonOnly.hubUrl, HttpTransportType.WebSockets);
      await expect(client.start()).rejects.toThrow("Server returned handshake error: The protocol 'messagepack' is not supported.");
      const json = await connectClient(jsonOnly.hubUrl);
      expect(await json.invoke('Add', 2, 2)).toBe(4);
      await json.stop();
    } finally {
      await jsonOnly.close();
    }
  });
});

describe('stateful reconnect with MessagePack', () => {
  const servers: TestServer[] = [];
  const clients: ClientConnection[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const statefulServer = async () => {
    const s = await startServer({ statefulReconnect: true, maximumMessageSize: 1024 * 1024 });
    servers.push(s);
    return s;
  };
  const statefulClient = async (url: string) => {
    const client = buildStatefulClient(url, {}, {
      options: { transport: HttpTransportType.WebSockets },
      configure: (builder) => builder.withHubProtocol(new MessagePackHubProtocol()),
    });
    clients.push(client);
    await client.start();
    return client;
  };

  it('resumes a dropped socket and replays binary records both ways, each exactly once', async () => {
    const s = await statefulServer();
    const client = await statefulClient(s.hubUrl);
    const id = client.connectionId as string;
    const pushes: Uint8Array[] = [];
    client.on('push', (value: Uint8Array) => void pushes.push(value));
    const payloads = Array.from({ length: 20 }, (_, i) => bytes(2_000 + i, i));
    const calls: Array<Promise<Uint8Array>> = payloads.slice(0, 10).map((payload) => client.invoke<Uint8Array>('Echo', payload));
    s.dropSockets();
    for (const payload of payloads.slice(10)) calls.push(client.invoke<Uint8Array>('Echo', payload));
    await s.hub.clients.client(id).send('push', bytes(5_000, 99));
    const results = await Promise.all(calls);
    results.forEach((result, index) => expect(Buffer.from(result).equals(Buffer.from(payloads[index] as Uint8Array))).toBe(true));
    expect(s.log.calls.get('Echo')).toBe(20);
    await waitFor(() => pushes.length === 1);
    expect(Buffer.from(pushes[0] as Uint8Array).equals(Buffer.from(bytes(5_000, 99)))).toBe(true);
    expect(client.connectionId).toBe(id);
    expect(client.state).toBe(HubConnectionState.Connected);
    expect(s.log.disconnected).toEqual([]);
  });
});

/** A bare WebSocket speaking MessagePack by hand, reading replies with the official codec. */
class RawMsgpackClient {
  readonly messages: HubMessage[] = [];
  #handshake: string | undefined;
  #waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      let rest = data;
      if (this.#handshake === undefined) {
        const end = data.indexOf(0x1e);
        this.#handshake = data.toString('utf8', 0, end);
        rest = data.subarray(end + 1);
      } else {
        // After the handshake every frame must be binary: the client reads text frames as JSON.
        expect(isBinary).toBe(true);
      }
      if (rest.length > 0) {
        const copy = rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.length) as ArrayBuffer;
        this.messages.push(...official.parseMessages(copy, NullLogger.instance));
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(hubUrl: string): Promise<RawMsgpackClient> {
    const negotiate = (await (await fetch(`${hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as NegotiateBody;
    const socket = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}?id=${negotiate.connectionToken}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new RawMsgpackClient(socket);
  }

  send(data: Uint8Array | string): void {
    this.socket.send(data);
  }

  async handshakeReply(): Promise<string> {
    await this.#until(() => this.#handshake !== undefined);
    return this.#handshake as string;
  }

  /** The next `count` messages that are not pings. */
  async take(count: number): Promise<HubMessage[]> {
    await this.#until(() => this.messages.filter((message) => message.type !== MessageType.Ping).length >= count);
    const taken = this.messages.filter((message) => message.type !== MessageType.Ping).slice(0, count);
    this.messages.length = 0;
    return taken;
  }

  async #until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('Nothing arrived in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.terminate();
  }
}

const record = (message: HubMessage): Uint8Array => new Uint8Array(official.writeMessage(message));
const invocation = (invocationId: string, target: string, ...args: unknown[]): HubMessage =>
  ({ type: MessageType.Invocation, headers: {}, invocationId, target, arguments: args }) as HubMessage;

describe('MessagePack framing on the wire', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ keepAliveIntervalMs: 0 });
  });
  afterAll(() => server.close());

  it('takes the handshake and records in one frame, several records per frame, and records split across frames', async () => {
    const client = await RawMsgpackClient.open(server.hubUrl);
    // Handshake and the first invocation in the very same frame.
    client.send(Buffer.concat([Buffer.from(`{"protocol":"messagepack","version":1}${RS}`), record(invocation('1', 'Add', 1, 2))]));
    expect(await client.handshakeReply()).toBe('{}');
    expect(await client.take(1)).toEqual([{ type: MessageType.Completion, headers: {}, invocationId: '1', result: 3, error: undefined }]);

    // Three records in one frame.
    client.send(Buffer.concat([record(invocation('2', 'Add', 2, 2)), record(invocation('3', 'Echo', 'three')), record(invocation('4', 'Void'))]));
    const three = await client.take(3);
    expect(three.map((message) => [message.type, (message as { invocationId?: string }).invocationId, (message as { result?: unknown }).result])).toEqual([
      [MessageType.Completion, '2', 4],
      [MessageType.Completion, '3', 'three'],
      [MessageType.Completion, '4', null],
    ]);

    // A 20 KB record (3-byte length prefix) cut inside its prefix, then inside its body, with
    // the start of the next record riding on the last piece.
    const big = bytes(20_000, 5);
    const first = record(invocation('5', 'Echo', big));
    const second = record(invocation('6', 'Add', 20, 22));
    const cuts = [1, 2, 9_000, first.length];
    let from = 0;
    for (const cut of cuts.slice(0, -1)) {
      client.send(first.subarray(from, cut));
      from = cut;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    client.send(Buffer.concat([first.subarray(from), second.subarray(0, 3)]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.send(second.subarray(3));
    const [echoed, added] = (await client.take(2)) as Array<{ invocationId: string; result: unknown }>;
    expect(echoed?.invocationId).toBe('5');
    expect(Buffer.from(echoed?.result as Uint8Array).equals(Buffer.from(big))).toBe(true);
    expect(added).toMatchObject({ invocationId: '6', result: 42 });
    client.close();
  });

  it('closes with Close(error, allowReconnect) in MessagePack on a bad record', async () => {
    const client = await RawMsgpackClient.open(server.hubUrl);
    client.send(`{"protocol":"messagepack","version":1}${RS}`);
    expect(await client.handshakeReply()).toBe('{}');
    // [3, {}, "1", 9]: a Completion whose kind is not 1, 2 or 3.
    client.send(Buffer.from([0x06, 0x94, 0x03, 0x80, 0xa1, 0x31, 0x09]));
    expect(await client.take(1)).toEqual([{ type: MessageType.Close, error: 'Connection closed with an error.', allowReconnect: true }]);
    await waitFor(() => server.log.disconnected.length > 0);
    expect(server.log.disconnected.at(-1)?.error).toBe("Invalid completion kind '9'.");
    client.close();
  });
});

describe('LengthPrefixedReader', () => {
  it('enforces the size limit from the prefix, before buffering the body', () => {
    const reader = new LengthPrefixedReader(100);
    // Prefix 0x80 0x01 declares 128 bytes; only the prefix has arrived.
    expect(() => reader.push(Buffer.from([0x80, 0x01]))).toThrow(new InvalidDataError('The maximum message size of 100B was exceeded.'));
    const ok = new LengthPrefixedReader(100);
    expect(ok.push(Buffer.from([0x03, 1, 2]))).toEqual([]);
    expect(ok.bufferedBytes).toBe(2);
    // Completes the first record, holds an empty one, and starts a third whose body is still missing.
    expect(ok.push(Buffer.from([3, 0x00, 0x01]))).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([])]);
    expect(ok.push(Buffer.from([42]))).toEqual([new Uint8Array([42])]);
    expect(ok.bufferedBytes).toBe(0);
  });

  it('refuses a prefix declaring 2 GiB or more', () => {
    const reader = new LengthPrefixedReader(null);
    expect(() => reader.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x08]))).toThrow('Messages over 2GB in size are not supported.');
  });

  it('hands out views of the frame for whole records and copies for records held across frames', () => {
    const reader = new LengthPrefixedReader(null);
    // Buffer.alloc, not Buffer.from: small Buffer.from results share one pooled ArrayBuffer.
    const frame = Buffer.alloc(5);
    frame.set([0x02, 7, 8, 0x02, 9]);
    const [whole] = reader.push(frame);
    expect(whole?.buffer).toBe(frame.buffer);
    expect(Buffer.isBuffer(whole)).toBe(false);
    const next = Buffer.alloc(1, 10);
    const [joined] = reader.push(next);
    expect([...(joined as Uint8Array)]).toEqual([9, 10]);
    expect(joined?.buffer).not.toBe(frame.buffer);
    expect(joined?.buffer).not.toBe(next.buffer);
    frame.fill(0);
    next.fill(0);
    expect([...(joined as Uint8Array)]).toEqual([9, 10]);
  });
});
