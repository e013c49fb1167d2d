import { InvalidDataError } from './errors/invalid-data.error.js';
import { MessageType, RECORD_SEPARATOR, type HubMessage, type HubProtocol, type Payload, type RecordSplitter } from './hub-protocol.js';
import { RecordReader } from './record-reader.js';

/**
 * The JSON hub protocol: one JSON object per record, each followed by 0x1E. Binary values have no
 * JSON form; a `Uint8Array` is best sent as a base64 string, or over MessagePack.
 */
export const jsonHubProtocol: HubProtocol = {
  name: 'json',
  version: 2,
  transferFormat: 'Text',
  createSplitter: (maxRecordBytes: number | null): RecordSplitter => new RecordReader(maxRecordBytes),
  parse: (record: Payload) => parseJsonMessage(typeof record === 'string' ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString('utf8')),
  write: (message: HubMessage) => JSON.stringify(wireShape(message)) + RECORD_SEPARATOR,
};

/** The object `JSON.stringify` gets: only the fields the JSON protocol defines, in its spelling. */
function wireShape(message: HubMessage): object {
  switch (message.type) {
    case MessageType.Completion: {
      const { type, invocationId } = message;
      if (message.error !== undefined) return { type, invocationId, error: message.error };
      return message.hasResult ? { type, invocationId, result: message.result === undefined ? null : message.result } : { type, invocationId };
    }
    case MessageType.Close: {
      const { type, error, allowReconnect } = message;
      return { type, ...(error !== undefined ? { error } : {}), ...(allowReconnect ? { allowReconnect } : {}) };
    }
    default:
      return message;
  }
}

/**
 * Parses one record of the JSON hub protocol. Returns `undefined` for an unknown message type.
 * Throws {@link InvalidDataError} for anything a conforming peer would never send.
 */
export function parseJsonMessage(record: string): HubMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(record);
  } catch {
    throw new InvalidDataError('Error reading JSON.');
  }
  if (!isObject(value)) throw new InvalidDataError('Message is not a JSON object.');
  const type = value['type'];
  if (typeof type !== 'number') throw new InvalidDataError("Missing required property 'type'.");

  switch (type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation: {
      const target = value['target'];
      const args = value['arguments'];
      const invocationId = optionalString(value, 'invocationId');
      if (typeof target !== 'string' || target === '') throw new InvalidDataError("Missing required property 'target'.");
      if (!Array.isArray(args)) throw new InvalidDataError("Missing required property 'arguments'.");
      const streamIds = value['streamIds'];
      if (streamIds !== undefined && streamIds !== null && !(Array.isArray(streamIds) && streamIds.every((id) => typeof id === 'string'))) {
        throw new InvalidDataError("Property 'streamIds' must be an array of strings.");
      }
      const ids = Array.isArray(streamIds) ? (streamIds as string[]) : undefined;
      if (type === MessageType.StreamInvocation) {
        if (invocationId === undefined) throw new InvalidDataError("Missing required property 'invocationId'.");
        return { type, invocationId, target, arguments: args, ...(ids ? { streamIds: ids } : {}) };
      }
      return { type, target, arguments: args, ...(invocationId !== undefined ? { invocationId } : {}), ...(ids ? { streamIds: ids } : {}) };
    }
    case MessageType.StreamItem: {
      const invocationId = requiredId(value);
      if (!('item' in value)) throw new InvalidDataError("Missing required property 'item'.");
      return { type, invocationId, item: value['item'] };
    }
    case MessageType.Completion: {
      const invocationId = requiredId(value);
      const error = value['error'];
      const hasResult = 'result' in value;
      if (error !== undefined && error !== null) {
        if (typeof error !== 'string') throw new InvalidDataError("Property 'error' must be a string.");
        if (hasResult) throw new InvalidDataError("The 'error' and 'result' properties are mutually exclusive.");
        return { type, invocationId, error };
      }
      return hasResult ? { type, invocationId, result: value['result'], hasResult } : { type, invocationId, hasResult };
    }
    case MessageType.CancelInvocation:
      return { type, invocationId: requiredId(value) };
    case MessageType.Ping:
      return { type };
    case MessageType.Close: {
      const error = optionalString(value, 'error');
      const allowReconnect = value['allowReconnect'] === true;
      return { type, ...(error !== undefined ? { error } : {}), allowReconnect };
    }
    case MessageType.Ack:
    case MessageType.Sequence: {
      const sequenceId = value['sequenceId'];
      if (typeof sequenceId !== 'number' || !Number.isInteger(sequenceId)) {
        throw new InvalidDataError("Missing required property 'sequenceId'.");
      }
      return { type, sequenceId };
    }
    default:
      return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  if (field === undefined || field === null) return undefined;
  if (typeof field !== 'string' || field === '') throw new InvalidDataError(`Property '${key}' must be a non-empty string.`);
  return field;
}

function requiredId(value: Record<string, unknown>): string {
  const id = optionalString(value, 'invocationId');
  if (id === undefined) throw new InvalidDataError("Missing required property 'invocationId'.");
  return id;
}
