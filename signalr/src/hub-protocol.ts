import { InvalidDataError } from './errors/invalid-data.error.js';

/** Separates records in the JSON hub protocol and in the handshake. */
export const RECORD_SEPARATOR = '\u001e';
export const RECORD_SEPARATOR_CODE = 0x1e;

/** Message type numbers of the hub protocol. */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
  Ack: 8,
  Sequence: 9,
} as const;

export interface InvocationMessage {
  readonly type: typeof MessageType.Invocation;
  readonly invocationId?: string;
  readonly target: string;
  readonly arguments: readonly unknown[];
  readonly streamIds?: readonly string[];
}

export interface StreamInvocationMessage {
  readonly type: typeof MessageType.StreamInvocation;
  readonly invocationId: string;
  readonly target: string;
  readonly arguments: readonly unknown[];
  readonly streamIds?: readonly string[];
}

export interface StreamItemMessage {
  readonly type: typeof MessageType.StreamItem;
  readonly invocationId: string;
  readonly item: unknown;
}

export interface CompletionMessage {
  readonly type: typeof MessageType.Completion;
  readonly invocationId: string;
  readonly result?: unknown;
  readonly error?: string;
  /**
   * Whether a result is carried (JSON: `result` present; MessagePack: kind 3). `null` and "no
   * result" differ: a Completion without one ends a stream or answers a void call.
   */
  readonly hasResult?: boolean;
}

export interface CancelInvocationMessage {
  readonly type: typeof MessageType.CancelInvocation;
  readonly invocationId: string;
}

export interface PingMessage {
  readonly type: typeof MessageType.Ping;
}

export interface CloseMessage {
  readonly type: typeof MessageType.Close;
  readonly error?: string;
  readonly allowReconnect?: boolean;
}

export interface AckMessage {
  readonly type: typeof MessageType.Ack;
  readonly sequenceId: number;
}

export interface SequenceMessage {
  readonly type: typeof MessageType.Sequence;
  readonly sequenceId: number;
}

export type HubMessage =
  | InvocationMessage
  | StreamInvocationMessage
  | StreamItemMessage
  | CompletionMessage
  | CancelInvocationMessage
  | PingMessage
  | CloseMessage
  | AckMessage
  | SequenceMessage;

/**
 * Messages that stateful reconnect numbers and replays. Pings, Close, Ack and Sequence are not
 * counted by either side.
 */
export function isTrackable(type: number): boolean {
  return type >= MessageType.Invocation && type <= MessageType.CancelInvocation;
}

// ── checks shared by the codecs ──────────────────────────────────────────────────────────────
// Each codec takes the raw fields out of its own format, then hands them here, so both protocols
// refuse the same things with the same texts.

/** The raw fields of an Invocation or StreamInvocation, as a codec read them. */
export interface RawInvocationFields {
  readonly invocationId: unknown;
  readonly target: unknown;
  readonly arguments: unknown;
  readonly streamIds: unknown;
}

/**
 * Checks an incoming Invocation or StreamInvocation. `keepEmptyStreamIds` keeps an empty
 * `streamIds` array on the message (the JSON codec does) instead of dropping it (MessagePack).
 */
export function checkedInvocation(
  type: typeof MessageType.Invocation | typeof MessageType.StreamInvocation,
  fields: RawInvocationFields,
  keepEmptyStreamIds: boolean,
): InvocationMessage | StreamInvocationMessage {
  const invocationId = checkedOptionalString(fields.invocationId, 'invocationId');
  const { target, arguments: args, streamIds } = fields;
  if (typeof target !== 'string' || target === '') throw new InvalidDataError("Missing required property 'target'.");
  if (!Array.isArray(args)) throw new InvalidDataError("Missing required property 'arguments'.");
  if (streamIds !== undefined && streamIds !== null && !(Array.isArray(streamIds) && streamIds.every((id) => typeof id === 'string'))) {
    throw new InvalidDataError("Property 'streamIds' must be an array of strings.");
  }
  const ids = Array.isArray(streamIds) && (keepEmptyStreamIds || streamIds.length > 0) ? (streamIds as string[]) : undefined;
  if (type === MessageType.StreamInvocation) {
    if (invocationId === undefined) throw new InvalidDataError("Missing required property 'invocationId'.");
    return { type, invocationId, target, arguments: args, ...(ids ? { streamIds: ids } : {}) };
  }
  return { type, target, arguments: args, ...(invocationId !== undefined ? { invocationId } : {}), ...(ids ? { streamIds: ids } : {}) };
}

/** A string field that may be missing (`undefined` or `null`) but, when present, is not empty. */
export function checkedOptionalString(field: unknown, name: string): string | undefined {
  if (field === undefined || field === null) return undefined;
  if (typeof field !== 'string' || field === '') throw new InvalidDataError(`Property '${name}' must be a non-empty string.`);
  return field;
}

export function checkedInvocationId(field: unknown): string {
  const id = checkedOptionalString(field, 'invocationId');
  if (id === undefined) throw new InvalidDataError("Missing required property 'invocationId'.");
  return id;
}

/** Checks an incoming Ack or Sequence: the sequence id must be an integer. */
export function checkedSequence(type: typeof MessageType.Ack | typeof MessageType.Sequence, sequenceId: unknown): AckMessage | SequenceMessage {
  if (typeof sequenceId !== 'number' || !Number.isInteger(sequenceId)) throw new InvalidDataError("Missing required property 'sequenceId'.");
  return { type, sequenceId };
}

/** What travels in one transport frame: text for the JSON protocol, bytes for MessagePack. */
export type Payload = string | Uint8Array;

/** Records as one frame or body: text stays text; once any record is binary, the whole is bytes. */
export function joinPayloads(payloads: readonly Payload[]): Payload {
  if (payloads.length === 1) return payloads[0] as Payload;
  if (payloads.every((payload) => typeof payload === 'string')) return payloads.join('');
  return Buffer.concat(payloads.map((payload) => (typeof payload === 'string' ? Buffer.from(payload) : payload)));
}

/** `Text` payloads may go over every transport; `Binary` ones not over Server-Sent Events. */
export type TransferFormat = 'Text' | 'Binary';

/** Names of the hub protocols this server speaks, as clients name them in the handshake. */
export type HubProtocolName = 'json' | 'messagepack';

/**
 * Splits the bytes a transport delivers into whole records, however the peer cut them into
 * frames. Enforces the maximum message size while buffering, so a peer cannot grow the buffer by
 * never finishing a record.
 */
export interface RecordSplitter {
  /** The records completed by `chunk`, in order. Throws `InvalidDataError` on an oversized or malformed frame. */
  push(chunk: Buffer): Payload[];
  /** Bytes held for an incomplete record. */
  readonly bufferedBytes: number;
}

/**
 * One hub protocol: how messages look on the wire after the (always JSON) handshake. A
 * connection picks its protocol from the handshake and uses it for everything after.
 */
export interface HubProtocol {
  readonly name: HubProtocolName;
  /** Highest handshake version understood; 2 adds stateful reconnect's Ack and Sequence. */
  readonly version: number;
  readonly transferFormat: TransferFormat;
  /** A splitter for one connection's incoming bytes. `maxRecordBytes` is `null` for no limit. */
  createSplitter(maxRecordBytes: number | null): RecordSplitter;
  /**
   * Parses one record. Returns `undefined` for an unknown message type, which both the official
   * client and ASP.NET Core ignore for forward compatibility. Throws `InvalidDataError` for
   * anything a conforming peer would never send.
   */
  parse(record: Payload): HubMessage | undefined;
  /** Serializes one message as a complete record, framing included. */
  write(message: HubMessage): Payload;
}

/**
 * A message sent to many connections: serialized at most once per protocol in use, and the same
 * record handed to every connection speaking that protocol.
 */
export class SharedMessage {
  #encoded: Map<HubProtocol, Payload> | undefined;

  constructor(readonly message: HubMessage) {}

  encodeWith(protocol: HubProtocol): Payload {
    const cached = this.#encoded?.get(protocol);
    if (cached !== undefined) return cached;
    const encoded = protocol.write(this.message);
    (this.#encoded ??= new Map()).set(protocol, encoded);
    return encoded;
  }
}

/** What a connection is asked to send: a message of its own, or one shared by many connections. */
export type OutgoingMessage = HubMessage | SharedMessage;

/** A server-to-client Invocation. With an `invocationId` it asks the client for a result. */
export function invocationMessage(target: string, args: readonly unknown[], invocationId?: string): InvocationMessage {
  return invocationId === undefined
    ? { type: MessageType.Invocation, target, arguments: args }
    : { type: MessageType.Invocation, invocationId, target, arguments: args };
}

/**
 * A Completion carrying a result. `undefined` becomes `null`, as a void .NET hub method does. This
 * and {@link streamItemMessage} are the only builders of outgoing results and items, so the codecs
 * write `result` and `item` as they are.
 */
export function resultMessage(invocationId: string, result: unknown): CompletionMessage {
  return { type: MessageType.Completion, invocationId, result: result === undefined ? null : result, hasResult: true };
}

export function errorMessage(invocationId: string, error: string): CompletionMessage {
  return { type: MessageType.Completion, invocationId, error };
}

/** The end of a server-to-client stream: a Completion with neither result nor error. */
export function streamEndMessage(invocationId: string): CompletionMessage {
  return { type: MessageType.Completion, invocationId, hasResult: false };
}

/** A stream item. `undefined` becomes `null`, as in {@link resultMessage}. */
export function streamItemMessage(invocationId: string, item: unknown): StreamItemMessage {
  return { type: MessageType.StreamItem, invocationId, item: item === undefined ? null : item };
}

export const PING_MESSAGE: PingMessage = { type: MessageType.Ping };

export function closeMessage(error: string | undefined, allowReconnect: boolean): CloseMessage {
  return { type: MessageType.Close, ...(error !== undefined ? { error } : {}), allowReconnect };
}

export function sequenceMessage(type: typeof MessageType.Ack | typeof MessageType.Sequence, sequenceId: number): AckMessage | SequenceMessage {
  return { type, sequenceId };
}
