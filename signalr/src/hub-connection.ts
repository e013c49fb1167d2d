import { ClientResults } from './client-results.js';
import { ErrorTexts } from './error-texts.js';
import { ConnectionLostError } from './errors/connection-lost.error.js';
import { HANDSHAKE_OK_BYTES, HANDSHAKE_OK_RECORD, HandshakeErrors, handshakeErrorRecord, parseHandshake } from './handshake.js';
import type { Hub } from './hub.js';
import type { CloseOptions, HubCallContext, HubCallerClients, HubConnectionInfo, InvokeOptions, SingleClientProxy } from './hub-context.js';
import type { ConnectionEndpoint, HubLifetime } from './hub-lifetime.js';
import type { ResolvedHubOptions } from './hub-options.js';
import {
  closeMessage,
  invocationMessage,
  isTrackable,
  joinPayloads,
  MessageType,
  PING_MESSAGE,
  sequenceMessage,
  SharedMessage,
  type HubMessage,
  type HubProtocol,
  type OutgoingMessage,
  type Payload,
  type RecordSplitter,
} from './hub-protocol.js';
import { jsonHubProtocol } from './json-hub-protocol.js';
import { InvocationDispatcher, type DispatchHost, type HeldSlot } from './invocation-dispatcher.js';
import { carriesBinary } from './negotiate.js';
import { RecordReader } from './record-reader.js';
import type { HubTransport } from './transport.js';
import { ReceiveSequence, ReplayBuffer } from './stateful-reconnect.js';

/** How soon after receiving trackable messages the server acknowledges them. */
const ACK_DELAY_MS = 100;
/** Upper bound of the keep-alive/timeout check period. */
const MAX_TICK_MS = 1_000;
/** Every connection sends the same Ping: serialized once per protocol, not once per connection. */
const PING = new SharedMessage(PING_MESSAGE);

/**
 * ```
 * negotiated ──socket──▶ handshaking ──{}──▶ connected ◀──resume──┐
 *     │                      │                  │   └─socket lost──▶ reconnecting (stateful only)
 *     └──────── timeout ─────┴──── error ───────┴────── Close / window over ──┴──▶ closed
 * ```
 */
export type ConnectionState = 'negotiated' | 'handshaking' | 'connected' | 'reconnecting' | 'closed';

export interface HubConnectionSetup<TUser> {
  readonly connectionId: string;
  readonly token: string;
  readonly user: TUser | undefined;
  readonly statefulReconnectAllowed: boolean;
  readonly hub: Hub<TUser>;
  readonly lifetime: HubLifetime;
  readonly options: ResolvedHubOptions<TUser>;
  /** Called once when the connection is gone for good, with its last transport, so its token stops resolving. */
  readonly onEnded: (lastTransport: HubTransport | undefined) => void;
}

/**
 * One logical SignalR connection: its transport (a WebSocket replaced on a stateful resume), the handshake,
 * keep-alives and timeouts, the outgoing queue with backpressure, and its place in the hub.
 */
export class HubConnection<TUser> implements ConnectionEndpoint, HubConnectionInfo<TUser>, DispatchHost<TUser> {
  readonly connectionId: string;
  readonly token: string;
  readonly user: TUser | undefined;
  readonly userId: string | undefined;
  readonly items = new Map<string, unknown>();
  readonly groupNames = new Set<string>();
  readonly clientResults: ClientResults;
  readonly detailedErrors: boolean;
  readonly streamBufferCapacity: number;
  /** Resolves once the connection is closed and `onDisconnected` has run. */
  readonly ended: Promise<void>;

  #state: ConnectionState = 'negotiated';
  readonly #setup: HubConnectionSetup<TUser>;
  readonly #options: ResolvedHubOptions<TUser>;
  readonly #abort = new AbortController();
  readonly #dispatcher: InvocationDispatcher<TUser>;
  /** Reads the handshake; the protocol's own splitter takes over after it. */
  readonly #handshakeReader: RecordReader;
  #splitter: RecordSplitter | undefined;
  /** Chosen at the handshake. */
  #protocol: HubProtocol = jsonHubProtocol;
  #endedResolve!: () => void;

  #socket: HubTransport | undefined;
  #socketGeneration = 0;
  #pauseCount = 0;
  /** Records that arrived while `onConnected` ran; `null` once they flow straight through. */
  #held: Payload[] | null = null;
  #visibleToHub = false;

  #batch: Payload[] = [];
  #batchBytes = 0;
  #flushScheduled = false;
  #inflightBytes = 0;
  #drainWaiters: Array<() => void> = [];

  #replay: ReplayBuffer | undefined;
  #received: ReceiveSequence | undefined;
  #ackTimer: NodeJS.Timeout | undefined;

  #lastSentAt = Date.now();
  #lastReceivedAt = Date.now();
  #clientHasPinged = false;
  #tickTimer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;

  constructor(setup: HubConnectionSetup<TUser>) {
    this.#setup = setup;
    this.#options = setup.options;
    this.connectionId = setup.connectionId;
    this.token = setup.token;
    this.user = setup.user;
    this.userId = setup.user === undefined ? undefined : setup.options.userIdOf(setup.user);
    this.detailedErrors = setup.options.detailedErrors;
    this.streamBufferCapacity = setup.options.streamBufferCapacity;
    this.clientResults = new ClientResults(this.connectionId);
    this.#handshakeReader = new RecordReader(setup.options.maximumMessageSize);
    this.#dispatcher = new InvocationDispatcher(setup.hub, this, setup.options.maxParallelInvocationsPerClient);
    this.ended = new Promise((resolve) => (this.#endedResolve = resolve));
    // A negotiated connection that never opens its socket must not live forever.
    this.#deadline = setTimeout(() => this.#finish(undefined), setup.options.negotiateTimeoutMs);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether a new socket carrying this connection's token is a resume rather than a conflict. */
  get canResume(): boolean {
    return this.#replay !== undefined && (this.#state === 'connected' || this.#state === 'reconnecting');
  }

  /** Whether a socket may be attached: the first one, or a resume. */
  get canAttach(): boolean {
    return this.#state === 'negotiated' || this.canResume;
  }

  /** The hub protocol the client chose at the handshake (JSON until then). */
  get protocol(): HubProtocol {
    return this.#protocol;
  }

  /** The current transport, if any. */
  get transport(): HubTransport | undefined {
    return this.#socket;
  }

  /** Takes a freshly opened transport: the first one, or a WebSocket replacing a dropped one. */
  attach(socket: HubTransport): void {
    if (this.#state === 'negotiated') {
      this.#bindSocket(socket);
      this.#state = 'handshaking';
      this.#clearDeadline();
      this.#deadline = setTimeout(() => this.#failHandshake(HandshakeErrors.canceled), this.#options.handshakeTimeoutMs);
      return;
    }
    if (!this.canResume) {
      socket.terminate();
      return;
    }
    // The old socket may not have noticed it is dead yet; the client has, so it goes.
    this.#dropSocket();
    this.#clearDeadline();
    this.#bindSocket(socket);
    this.#state = 'connected';
    const replay = this.#replay as ReplayBuffer;
    // The client ignores everything until our Sequence, then dedupes what we replay.
    this.#enqueue(this.#protocol.write(sequenceMessage(MessageType.Sequence, replay.resumeSequenceId)));
    for (const record of replay.pending()) this.#enqueue(record);
    this.#startTicking();
    // Acks due while the socket was down were skipped.
    this.#scheduleAck();
  }

  /**
   * Serializes and queues a trackable message. Resolves later only when the send buffer is over
   * its mark. Throws if the message cannot be serialized, before anything is queued.
   */
  write(message: OutgoingMessage): Promise<void> | undefined {
    if (this.#state === 'closed') return undefined;
    const record = message instanceof SharedMessage ? message.encodeWith(this.#protocol) : this.#protocol.write(message);
    this.#replay?.add(record);
    if (this.#socket && this.#state !== 'reconnecting') this.#enqueue(record);
    return this.#backpressure();
  }

  invoke(method: string, args: readonly unknown[], options: InvokeOptions | undefined): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(new ConnectionLostError(this.connectionId));
    const timeoutMs = options?.timeoutMs ?? this.#options.clientResultTimeoutMs;
    const { id, result } = this.clientResults.begin(method, timeoutMs, options?.signal);
    this.write(invocationMessage(method, args, id));
    return result;
  }

  close(options: CloseOptions = {}): void {
    this.#closeWith(options.error, options.allowReconnect === true, options.error === undefined ? undefined : new Error(options.error));
  }

  pauseReading(): void {
    if (this.#pauseCount++ === 0) this.#socket?.pause();
  }

  resumeReading(): void {
    if (this.#pauseCount > 0 && --this.#pauseCount === 0) this.#socket?.resume();
  }

  createContext(signal: AbortSignal, slot: HeldSlot | undefined): HubCallContext<TUser> {
    return new CallContext(this, this.#setup.lifetime, signal, slot);
  }

  // ── socket ───────────────────────────────────────────────────────────────────────────────

  #bindSocket(socket: HubTransport): void {
    const generation = ++this.#socketGeneration;
    this.#socket = socket;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#inflightBytes = 0;
    this.#lastReceivedAt = Date.now();
    if (this.#pauseCount > 0) socket.pause();
    socket.start({
      onData: (data) => {
        if (generation === this.#socketGeneration) this.#onData(data);
      },
      onClose: (code) => {
        if (generation === this.#socketGeneration) this.#onSocketClosed(code);
      },
    });
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#socketGeneration++;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#inflightBytes = 0;
    socket?.terminate();
  }

  #onSocketClosed(code: number): void {
    this.#socket = undefined;
    this.#socketGeneration++;
    if (this.#state === 'connected' && this.#replay) {
      // Keep everything (hub state, groups, unacknowledged messages) for the client to resume.
      this.#state = 'reconnecting';
      this.#batch = [];
      this.#batchBytes = 0;
      this.#inflightBytes = 0;
      this.#stopTicking();
      this.#deadline = setTimeout(
        () => this.#finish(new Error('The client did not resume the connection in time.')),
        this.#options.statefulReconnectWindowMs,
      );
      return;
    }
    this.#finish(code === 1000 ? undefined : new Error(`The transport closed with status code ${code}.`));
  }

  #onData(data: Buffer): void {
    this.#lastReceivedAt = Date.now();
    let chunk = data;
    if (this.#state === 'handshaking') {
      let handshake: { record: string; rest: Buffer } | undefined;
      try {
        handshake = this.#handshakeReader.takeFirst(data);
      } catch {
        return this.#failHandshake(HandshakeErrors.canceled);
      }
      if (!handshake) return;
      this.#onHandshake(handshake.record);
      // Whatever followed the handshake in the same frame is in the chosen protocol.
      if ((this.#state as ConnectionState) !== 'connected' || handshake.rest.length === 0) return;
      chunk = handshake.rest;
    }
    const splitter = this.#splitter;
    if (!splitter) return;
    let records: Payload[];
    try {
      records = splitter.push(chunk);
    } catch (error) {
      return this.#protocolError(error);
    }
    for (const record of records) {
      if (this.#state === 'closed') return;
      this.#onRecord(record);
    }
  }

  #onRecord(record: Payload): void {
    if (this.#held) {
      this.#held.push(record);
      return;
    }
    let message: HubMessage | undefined;
    try {
      message = this.#protocol.parse(record);
    } catch (error) {
      return this.#protocolError(error);
    }
    if (!message) return;
    if (this.#received && isTrackable(message.type)) {
      const fresh = this.#received.accept();
      // Duplicates are acked too: a client whose buffer is full waits for that Ack to go on.
      this.#scheduleAck();
      if (!fresh) return;
    }
    switch (message.type) {
      case MessageType.Ping:
        this.#clientHasPinged = true;
        return;
      case MessageType.Close:
        // The client is stopping: it will not resume, so the connection ends here.
        return this.#finish(undefined);
      case MessageType.Ack:
        this.#replay?.ack(message.sequenceId);
        return this.#releaseDrainWaiters();
      case MessageType.Sequence:
        try {
          this.#received?.reset(message.sequenceId);
        } catch (error) {
          this.#protocolError(error);
        }
        return;
      default:
        this.#dispatcher.dispatch(message);
    }
  }

  #onHandshake(record: string): void {
    this.#clearDeadline();
    const outcome = parseHandshake(record, this.#options.protocols, this.#socket !== undefined && carriesBinary(this.#socket.name));
    if (!outcome.ok) return this.#failHandshake(outcome.error);
    const protocol = outcome.protocol;
    this.#protocol = protocol;
    this.#splitter = protocol.createSplitter(this.#options.maximumMessageSize);
    if (this.#setup.statefulReconnectAllowed && outcome.version >= 2) {
      this.#replay = new ReplayBuffer();
      this.#received = new ReceiveSequence();
    }
    this.#enqueue(protocol.transferFormat === 'Binary' ? HANDSHAKE_OK_BYTES : HANDSHAKE_OK_RECORD);
    this.#state = 'connected';
    this.#visibleToHub = true;
    this.#setup.lifetime.add(this);
    this.#startTicking();
    const onConnected = this.#setup.hub.connectedHandler;
    if (!onConnected) return;
    // Like ASP.NET Core, nothing is dispatched before onConnected is done.
    this.#held = [];
    this.pauseReading();
    Promise.resolve()
      .then(() => onConnected(this.createContext(this.signal, undefined)))
      .then(
        () => {
          const held = this.#held ?? [];
          this.#held = null;
          this.resumeReading();
          for (const heldRecord of held) {
            if (this.#state === 'closed') return;
            this.#onRecord(heldRecord);
          }
        },
        (error: unknown) => {
          this.#held = null;
          this.#closeWith(ErrorTexts.connectionError, false, asError(error));
        },
      );
  }

  #failHandshake(error: string): void {
    const socket = this.#socket;
    if (socket) {
      this.#flush();
      socket.send(handshakeErrorRecord(error), () => socket.close());
    }
    this.#finish(new Error(error), false);
  }

  #protocolError(error: unknown): void {
    const cause = asError(error);
    const text = this.detailedErrors ? `${ErrorTexts.connectionError} ${cause.name}: ${cause.message}` : ErrorTexts.connectionError;
    this.#closeWith(text, true, cause);
  }

  #closeWith(errorText: string | undefined, allowReconnect: boolean, cause: Error | undefined): void {
    if (this.#state === 'closed') return;
    const socket = this.#socket;
    if (socket && this.#state !== 'handshaking') {
      this.#enqueue(this.#protocol.write(closeMessage(errorText, allowReconnect)));
      this.#flush();
    }
    this.#finish(cause, false);
    // After the Close record: ws sends its close frame behind queued data.
    socket?.close();
  }

  /** The one way out. Runs `onDisconnected` once, for connections the hub saw. */
  #finish(error: Error | undefined, closeSocket = true): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#clearDeadline();
    this.#stopTicking();
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#socketGeneration++;
    if (closeSocket && socket?.isOpen) {
      this.#flushTo(socket);
      socket.close();
    }
    this.#abort.abort();
    this.clientResults.failAll(new ConnectionLostError(this.connectionId));
    this.#dispatcher.dispose();
    this.#releaseDrainWaiters(true);
    this.#setup.lifetime.remove(this);
    this.#setup.onEnded(socket);
    const onDisconnected = this.#setup.hub.disconnectedHandler;
    if (!this.#visibleToHub || !onDisconnected) return this.#endedResolve();
    Promise.resolve()
      .then(() => onDisconnected(this.createContext(this.signal, undefined), error))
      .catch(() => undefined)
      .finally(() => this.#endedResolve());
  }

  // ── outgoing queue ───────────────────────────────────────────────────────────────────────

  #enqueue(record: Payload): void {
    this.#batch.push(record);
    this.#batchBytes += record.length;
    this.#lastSentAt = Date.now();
    if (this.#flushScheduled) return;
    if (this.#inflightBytes === 0 && this.#batch.length === 1 && this.#socket) {
      // An idle socket sends at once: a lone reply should not wait for the next loop turn.
      this.#flushTo(this.#socket);
      return;
    }
    this.#flushScheduled = true;
    // While a frame is on its way, records gather and share the next frame; the client splits
    // frames into records (on 0x1E, or by length prefix).
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#socket) this.#flushTo(this.#socket);
  }

  #flushTo(socket: HubTransport): void {
    if (this.#batch.length === 0) return;
    const data = joinPayloads(this.#batch);
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    if (!socket.isOpen) return;
    const generation = this.#socketGeneration;
    this.#inflightBytes += bytes;
    socket.send(data, () => {
      if (generation !== this.#socketGeneration) return;
      this.#inflightBytes -= bytes;
      this.#releaseDrainWaiters();
    });
  }

  #backpressure(): Promise<void> | undefined {
    const queued = this.#batchBytes + this.#inflightBytes;
    const replayed = this.#replay?.bytes ?? 0;
    if (queued + replayed > this.#options.maxBufferedBytes) {
      // The application kept sending without awaiting to a client that cannot keep up.
      this.#dropSocket();
      this.#finish(new Error('The client did not keep up: the send buffer limit was exceeded.'));
      return undefined;
    }
    if (queued <= this.#options.sendHighWaterMark && replayed <= this.#options.statefulReconnectBufferSize) return undefined;
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #releaseDrainWaiters(all = false): void {
    if (this.#drainWaiters.length === 0) return;
    const queued = this.#batchBytes + this.#inflightBytes;
    const replayed = this.#replay?.bytes ?? 0;
    if (!all && (queued > this.#options.sendHighWaterMark || replayed > this.#options.statefulReconnectBufferSize)) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ── timers ───────────────────────────────────────────────────────────────────────────────

  #startTicking(): void {
    this.#stopTicking();
    const keepAlive = this.#options.keepAliveIntervalMs;
    const timeout = this.#options.clientTimeoutMs;
    const period = Math.max(5, Math.min(MAX_TICK_MS, (keepAlive > 0 ? Math.min(keepAlive, timeout) : timeout) / 4));
    this.#tickTimer = setInterval(() => this.#tick(), period);
    this.#tickTimer.unref();
  }

  #stopTicking(): void {
    if (this.#tickTimer) clearInterval(this.#tickTimer);
    this.#tickTimer = undefined;
  }

  #tick(): void {
    const now = Date.now();
    // The timeout only starts after the first Ping: clients that never ping are not dropped.
    if (this.#clientHasPinged && timeoutElapsed(now, this.#lastReceivedAt, this.#options.clientTimeoutMs)) {
      return this.#closeWith(ErrorTexts.connectionError, true, new Error('The client timed out.'));
    }
    const keepAlive = this.#options.keepAliveIntervalMs;
    if (keepAlive > 0 && !this.#socket?.inherentKeepAlive && now - this.#lastSentAt >= keepAlive) {
      this.#enqueue(PING.encodeWith(this.#protocol));
    }
  }

  #scheduleAck(): void {
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      if (this.#socket && this.#state === 'connected' && this.#received) {
        this.#enqueue(this.#protocol.write(sequenceMessage(MessageType.Ack, this.#received.latest)));
      }
    }, ACK_DELAY_MS);
  }

  #clearDeadline(): void {
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }
}

/**
 * The context handed to hub methods. `clients` is built on first use: most calls never touch it.
 * A client-result wait made through it gives the invocation's slot back while it waits.
 */
class CallContext<TUser> implements HubCallContext<TUser> {
  #clients: HubCallerClients | undefined;

  constructor(
    readonly connection: HubConnection<TUser>,
    private readonly lifetime: HubLifetime,
    readonly signal: AbortSignal,
    private readonly slot: HeldSlot | undefined,
  ) {}

  get connectionId(): string {
    return this.connection.connectionId;
  }
  get user(): TUser | undefined {
    return this.connection.user;
  }
  get userId(): string | undefined {
    return this.connection.userId;
  }
  get items(): Map<string, unknown> {
    return this.connection.items;
  }
  get groups() {
    return this.lifetime.groups;
  }

  get clients(): HubCallerClients {
    if (this.#clients) return this.#clients;
    const base = this.lifetime.callerClients(this.#yieldingSlot(this.lifetime.clients.client(this.connectionId)), this.connectionId);
    this.#clients = { ...base, client: (id) => this.#yieldingSlot(this.lifetime.clients.client(id)) };
    return this.#clients;
  }

  #yieldingSlot(proxy: SingleClientProxy): SingleClientProxy {
    const slot = this.slot;
    if (!slot) return proxy;
    return {
      send: proxy.send,
      invoke: async <T>(method: string, args?: readonly unknown[], options?: InvokeOptions): Promise<T> => {
        slot.release();
        try {
          return await proxy.invoke<T>(method, args, options);
        } finally {
          await slot.reacquire();
        }
      },
    };
  }
}

function timeoutElapsed(now: number, since: number, timeoutMs: number): boolean {
  return timeoutMs > 0 && now - since > timeoutMs;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
