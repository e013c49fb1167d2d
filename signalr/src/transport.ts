import type { WebSocket } from 'ws';
import type { Payload } from './hub-protocol.js';

export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/** What a transport reports to its connection. */
export interface TransportEvents {
  onData(data: Buffer): void;
  /** `code` follows WebSocket close codes: 1000 is a clean end. */
  onClose(code: number): void;
}

/**
 * One way of moving records between client and server. The connection only ever hands it whole
 * records (possibly several joined), and feeds whatever bytes arrive to its record splitter.
 * Text goes out as text (a text WebSocket frame), bytes as bytes (a binary frame).
 */
export interface HubTransport {
  readonly name: TransportName;
  /** Long polling keeps itself alive: neither side sends pings over it. */
  readonly inherentKeepAlive: boolean;
  readonly isOpen: boolean;
  start(events: TransportEvents): void;
  /** Queues `data`; `written` runs once it has left the process. */
  send(data: Payload, written: () => void): void;
  /** Ends after what is already queued. */
  close(): void;
  /** Ends at once. */
  terminate(): void;
  /** Stops taking input from the client until `resume`. */
  pause(): void;
  resume(): void;
}

/** How long a peer gets to answer our WebSocket close frame before the socket is cut. */
const CLOSE_GRACE_MS = 1_000;

export class WebSocketTransport implements HubTransport {
  readonly name = 'WebSockets';
  readonly inherentKeepAlive = false;

  constructor(private readonly socket: WebSocket) {}

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  start(events: TransportEvents): void {
    this.socket.on('message', (data: Buffer) => events.onData(data));
    this.socket.on('close', (code: number) => events.onClose(code));
    this.socket.on('error', () => {
      // 'close' follows and does the work.
    });
  }

  send(data: Payload, written: () => void): void {
    this.socket.send(data, written);
  }

  close(): void {
    this.socket.close(1000);
    // Cut the socket if the peer never completes the close handshake.
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  terminate(): void {
    this.socket.terminate();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}
