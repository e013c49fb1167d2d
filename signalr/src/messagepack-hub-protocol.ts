import { Decoder, Encoder } from '@msgpack/msgpack';
import { InvalidDataError } from './errors/invalid-data.error.js';
import {
  checkedInvocation,
  checkedInvocationId,
  checkedSequence,
  MessageType,
  type HubMessage,
  type HubProtocol,
  type Payload,
  type RecordSplitter,
} from './hub-protocol.js';
import { LengthPrefixedReader, prefixSize, writePrefix } from './length-prefixed-reader.js';

/** Completion kinds of the MessagePack protocol. */
const CompletionKind = { Error: 1, Void: 2, Result: 3 } as const;

/** An encoder whose buffer grew past this is replaced, so one huge message does not pin its size forever. */
const ENCODER_RETAIN_BYTES = 4 * 1024 * 1024;

const EMPTY_HEADERS = {};

/**
 * The MessagePack hub protocol, as `@microsoft/signalr-protocol-msgpack` speaks it: each message is
 * an array whose first element is the type, framed by a VarInt length. `Uint8Array` (and `Buffer`)
 * values travel as `bin` and arrive as `Uint8Array`; `Date` travels as the timestamp extension
 * and arrives as `Date`; objects are maps.
 *
 * Encoding and decoding are synchronous, so one encoder and one decoder serve every connection.
 */
class MessagePackHubProtocol implements HubProtocol {
  readonly name = 'messagepack';
  readonly version = 2;
  readonly transferFormat = 'Binary';
  #encoder = new Encoder();
  readonly #decoder = new Decoder();

  createSplitter(maxRecordBytes: number | null): RecordSplitter {
    return new LengthPrefixedReader(maxRecordBytes);
  }

  parse(record: Payload): HubMessage | undefined {
    if (typeof record === 'string') throw new InvalidDataError('MessagePack records are binary.');
    if (record.length === 0) throw new InvalidDataError('Invalid payload.');
    let value: unknown;
    try {
      value = this.#decoder.decode(record);
    } catch (error) {
      throw new InvalidDataError(`Error reading MessagePack: ${error instanceof Error ? error.message : String(error)}`);
    }
    return parseArray(value);
  }

  write(message: HubMessage): Uint8Array {
    const body = this.#encoder.encodeSharedRef(wireArray(message));
    // One copy: the shared buffer is overwritten by the next encode, and the prefix goes in front.
    const record = Buffer.allocUnsafe(prefixSize(body.length) + body.length);
    const offset = writePrefix(body.length, record);
    record.set(body, offset);
    if (body.buffer.byteLength > ENCODER_RETAIN_BYTES) this.#encoder = new Encoder();
    return record;
  }
}

export const messagePackHubProtocol: HubProtocol = new MessagePackHubProtocol();

/** The array the official client expects for each message type. */
function wireArray(message: HubMessage): unknown[] {
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation: {
      const head = [message.type, EMPTY_HEADERS, message.invocationId ?? null, message.target, message.arguments];
      return message.streamIds && message.streamIds.length > 0 ? [...head, message.streamIds] : head;
    }
    case MessageType.StreamItem:
      return [message.type, EMPTY_HEADERS, message.invocationId, message.item];
    case MessageType.Completion:
      if (message.error !== undefined) return [message.type, EMPTY_HEADERS, message.invocationId, CompletionKind.Error, message.error];
      if (message.hasResult) return [message.type, EMPTY_HEADERS, message.invocationId, CompletionKind.Result, message.result];
      return [message.type, EMPTY_HEADERS, message.invocationId, CompletionKind.Void];
    case MessageType.CancelInvocation:
      return [message.type, EMPTY_HEADERS, message.invocationId];
    case MessageType.Ping:
      return [message.type];
    case MessageType.Close:
      return [message.type, message.error ?? null, message.allowReconnect === true];
    case MessageType.Ack:
    case MessageType.Sequence:
      return [message.type, message.sequenceId];
  }
}

/** Checks one decoded message as ASP.NET Core does; extra trailing elements are allowed. */
function parseArray(value: unknown): HubMessage | undefined {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidDataError('A MessagePack hub message must be a non-empty array.');
  const fields = value as unknown[];
  const type = fields[0];
  if (typeof type !== 'number' || !Number.isInteger(type)) throw new InvalidDataError('The message type must be an integer.');
  switch (type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation:
      need(fields, 5, type);
      checkHeaders(fields[1]);
      return checkedInvocation(type, { invocationId: fields[2], target: fields[3], arguments: fields[4], streamIds: fields[5] }, false);
    case MessageType.StreamItem:
      need(fields, 4, type);
      checkHeaders(fields[1]);
      return { type, invocationId: checkedInvocationId(fields[2]), item: fields[3] };
    case MessageType.Completion: {
      need(fields, 4, type);
      checkHeaders(fields[1]);
      const invocationId = checkedInvocationId(fields[2]);
      const kind = fields[3];
      if (kind === CompletionKind.Void) return { type, invocationId, hasResult: false };
      if (kind !== CompletionKind.Error && kind !== CompletionKind.Result) throw new InvalidDataError(`Invalid completion kind '${String(kind)}'.`);
      need(fields, 5, type);
      if (kind === CompletionKind.Result) return { type, invocationId, result: fields[4], hasResult: true };
      const error = fields[4];
      if (typeof error !== 'string') throw new InvalidDataError("Property 'error' must be a string.");
      return { type, invocationId, error };
    }
    case MessageType.CancelInvocation:
      need(fields, 3, type);
      checkHeaders(fields[1]);
      return { type, invocationId: checkedInvocationId(fields[2]) };
    case MessageType.Ping:
      return { type };
    case MessageType.Close: {
      need(fields, 2, type);
      const error = fields[1];
      if (error !== null && error !== undefined && typeof error !== 'string') throw new InvalidDataError("Property 'error' must be a string.");
      return { type, ...(typeof error === 'string' && error !== '' ? { error } : {}), allowReconnect: fields[2] === true };
    }
    case MessageType.Ack:
    case MessageType.Sequence:
      need(fields, 2, type);
      return checkedSequence(type, fields[1]);
    default:
      return undefined;
  }
}

function need(fields: unknown[], count: number, type: number): void {
  if (fields.length < count) throw new InvalidDataError(`Invalid payload for message type ${type}: expected at least ${count} elements.`);
}

/** Headers (trace context from .NET clients) must be a map; their content is not used. */
function checkHeaders(headers: unknown): void {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || headers instanceof Uint8Array) {
    throw new InvalidDataError('Message headers must be a map.');
  }
}
