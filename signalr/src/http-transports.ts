import type { ServerResponse } from 'node:http';
import { joinPayloads, type Payload } from './hub-protocol.js';
import type { HubTransport, TransportEvents } from './transport.js';

/** A held long poll is answered empty after this long, and the client polls again. */
const POLL_HOLD_MS = 90_000;

/**
 * Shared by the two HTTP transports: the client's records arrive as POST bodies, and a POST is
 * answered only while reading is not paused, which is how backpressure reaches the client.
 */
abstract class HttpTransport {
  protected events: TransportEvents | undefined;
  protected open = true;
  #paused = false;
  #resumed: Array<() => void> = [];

  get isOpen(): boolean {
    return this.open;
  }

  start(events: TransportEvents): void {
    this.events = events;
  }

  /** Feeds one POST body; resolves when the server is ready for the next. */
  async receive(body: Buffer): Promise<void> {
    this.events?.onData(body);
    while (this.#paused && this.open) await new Promise<void>((resolve) => this.#resumed.push(resolve));
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const resolve of this.#resumed.splice(0)) resolve();
  }

  protected ended(code: number): void {
    if (!this.open) return;
    this.open = false;
    this.resume();
    this.events?.onClose(code);
  }
}

/** Server to client over one `text/event-stream` response; client to server by POST. */
export class ServerSentEventsTransport extends HttpTransport implements HubTransport {
  readonly name = 'ServerSentEvents';
  readonly inherentKeepAlive = false;

  constructor(private readonly response: ServerResponse) {
    super();
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    // A comment line goes out at once so the client's EventSource sees the stream open.
    response.write(':\r\n');
    response.on('close', () => this.ended(1006));
  }

  send(data: Payload, written: () => void): void {
    // Only text protocols reach this transport (the handshake refuses the others).
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    // Every line of an event needs its own `data:` prefix; JSON records have no raw newlines anyway.
    const event = text.split('\n').map((line) => `data: ${line}\r\n`).join('') + '\r\n';
    this.response.write(event, () => written());
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.resume();
    this.response.end();
  }

  terminate(): void {
    this.open = false;
    this.resume();
    this.response.destroy();
  }
}

/**
 * Server to client by long polls (each answered with every record queued so far, or empty after
 * a while); client to server by POST; DELETE ends it. The first poll is answered at once: that
 * is how the client learns it is connected. There are no pings; a client that stops polling is
 * dropped after `idleTimeoutMs`.
 */
export class LongPollingTransport extends HttpTransport implements HubTransport {
  readonly name = 'LongPolling';
  readonly inherentKeepAlive = true;
  #queue: Payload[] = [];
  #written: Array<() => void> = [];
  #poll: ServerResponse | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polled = false;
  #closing = false;
  #lastPollAt = Date.now();
  readonly #watchdog: NodeJS.Timeout;

  constructor(idleTimeoutMs: number) {
    super();
    this.#watchdog = setInterval(() => {
      if (!this.#poll && Date.now() - this.#lastPollAt > idleTimeoutMs) this.terminate(1006);
    }, Math.max(10, Math.min(1_000, idleTimeoutMs / 4)));
    this.#watchdog.unref();
  }

  /** Takes a GET from the client. */
  poll(response: ServerResponse): void {
    this.#lastPollAt = Date.now();
    if (!this.open && !this.#closing) return noContent(response);
    // A newer poll replaces one still held.
    if (this.#poll) this.#endHeldPoll();
    if (!this.#polled) {
      this.#polled = true;
      return void sendBody(response, '');
    }
    this.#poll = response;
    response.on('close', () => {
      if (this.#poll === response) this.#release();
    });
    if (this.#queue.length > 0) return this.#deliver();
    if (this.#closing) return this.#endHeldPoll();
    this.#pollTimer = setTimeout(() => this.#deliver(), POLL_HOLD_MS);
  }

  send(data: Payload, written: () => void): void {
    this.#queue.push(data);
    this.#written.push(written);
    if (this.#poll) this.#deliver();
  }

  /** Ends after the queued records went out with the next poll. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.#closing = this.#queue.length > 0;
    this.resume();
    if (this.#poll) this.#queue.length > 0 ? this.#deliver() : this.#endHeldPoll();
    if (!this.#closing) clearInterval(this.#watchdog);
  }

  /** DELETE from the client, or a client that stopped polling. */
  terminate(code = 1000): void {
    clearInterval(this.#watchdog);
    this.#closing = false;
    this.#queue = [];
    this.#written = [];
    this.#endHeldPoll();
    this.ended(code);
  }

  #deliver(): void {
    const response = this.#poll;
    if (!response) return;
    const body = joinPayloads(this.#queue);
    const written = this.#written;
    this.#queue = [];
    this.#written = [];
    this.#release();
    sendBody(response, body, () => written.forEach((callback) => callback()));
    if (this.#closing) {
      this.#closing = false;
      clearInterval(this.#watchdog);
    }
  }

  /** Ends the held poll with 204, which tells the client the connection is over. */
  #endHeldPoll(): void {
    const response = this.#poll;
    this.#release();
    if (response) noContent(response);
  }

  #release(): void {
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#poll = undefined;
  }
}

function sendBody(response: ServerResponse, body: Payload, written?: () => void): void {
  if (response.writableEnded) return;
  const binary = typeof body !== 'string';
  response.writeHead(200, {
    'Content-Type': binary ? 'application/octet-stream' : 'text/plain; charset=utf-8',
    'Content-Length': binary ? body.byteLength : Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  });
  response.end(body, written);
}

function noContent(response: ServerResponse): void {
  if (response.writableEnded) return;
  response.writeHead(204);
  response.end();
}
