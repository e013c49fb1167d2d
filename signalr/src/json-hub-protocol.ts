import { InvalidDataError } from './errors/invalid-data.error.js';
import {
  checkedInvocation,
  checkedInvocationId,
  checkedOptionalString,
  checkedSequence,
  MessageType,
  RECORD_SEPARATOR,
  type HubMessage,
  type HubProtocol,
  type Payload,
  type RecordSplitter,
} from './hub-protocol.js';
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
      return message.hasResult ? { type, invocationId, result: message.result } : { type, invocationId };
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
    case MessageType.StreamInvocation:
      return checkedInvocation(
        type,
        { invocationId: value['invocationId'], target: value['target'], arguments: value['arguments'], streamIds: value['streamIds'] },
        true,
      );
    case MessageType.StreamItem: {
      const invocationId = checkedInvocationId(value['invocationId']);
      if (!('item' in value)) throw new InvalidDataError("Missing required property 'item'.");
      return { type, invocationId, item: value['item'] };
    }
    case MessageType.Completion: {
      const invocationId = checkedInvocationId(value['invocationId']);
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
      return { type, invocationId: checkedInvocationId(value['invocationId']) };
    case MessageType.Ping:
      return { type };
    case MessageType.Close: {
      const error = checkedOptionalString(value['error'], 'error');
      const allowReconnect = value['allowReconnect'] === true;
      return { type, ...(error !== undefined ? { error } : {}), allowReconnect };
    }
    case MessageType.Ack:
    case MessageType.Sequence:
      return checkedSequence(type, value['sequenceId']);
    default:
      return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
