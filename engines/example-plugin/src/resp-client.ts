import { connect, type Socket } from 'node:net';

/**
 * A minimal client for RESP2, the Redis wire protocol: enough to AUTH, PING and SCAN. It exists so
 * that this example depends on nothing but `@krint/engine-sdk`; a real engine would use a driver.
 */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  override readonly name = 'RespError';
}

export class RespClient {
  readonly #socket: Socket;
  readonly #waiting: { resolve: (value: RespValue) => void; reject: (error: Error) => void }[] = [];
  #buffer = Buffer.alloc(0);
  #failure: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('The connection was closed.')));
  }

  static open(host: string, port: number, timeoutMs = 5_000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`No connection to ${host}:${port} within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new RespClient(socket));
      });
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', onError);
    });
  }

  /** Sends one command; error replies reject with a RespError carrying the server's message. */
  call(...args: string[]): Promise<RespValue> {
    if (this.#failure) return Promise.reject(this.#failure);
    const parts = [`*${args.length}\r\n`];
    for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
    return new Promise((resolve, reject) => {
      this.#waiting.push({
        resolve: (value) => (value instanceof RespError ? reject(value) : resolve(value)),
        reject,
      });
      this.#socket.write(parts.join(''));
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #drain(): void {
    for (;;) {
      const parsed = parseReply(this.#buffer, 0);
      if (!parsed) return;
      this.#buffer = this.#buffer.subarray(parsed.end);
      this.#waiting.shift()?.resolve(parsed.value);
    }
  }
}

/** Parses one reply starting at `offset`; `null` when the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue; end: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return null;
  const kind = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, position);
        if (!item) return null;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new RespError(`Unexpected reply type "${kind}".`);
  }
}
