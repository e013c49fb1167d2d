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
  /** Whether `result` was present on the wire; `null` and "no result" differ for stream ends. */
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

/**
 * Parses one record of the JSON hub protocol. Returns `undefined` for an unknown message type,
 * which both the official client and ASP.NET Core ignore for forward compatibility. Throws
 * {@link InvalidDataError} for anything a conforming peer would never send.
 */
export function parseHubMessage(record: string): HubMessage | undefined {
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

/** Serializes a message as one JSON record, separator included. */
export function formatRecord(message: object): string {
  return JSON.stringify(message) + RECORD_SEPARATOR;
}

/** A server-to-client Invocation. With an `invocationId` it asks the client for a result. */
export function invocationRecord(target: string, args: readonly unknown[], invocationId?: string): string {
  return formatRecord(
    invocationId === undefined
      ? { type: MessageType.Invocation, target, arguments: args }
      : { type: MessageType.Invocation, invocationId, target, arguments: args },
  );
}

/** A Completion carrying a result. `undefined` becomes `null`, as a void .NET hub method does. */
export function resultRecord(invocationId: string, result: unknown): string {
  return formatRecord({ type: MessageType.Completion, invocationId, result: result === undefined ? null : result });
}

export function errorRecord(invocationId: string, error: string): string {
  return formatRecord({ type: MessageType.Completion, invocationId, error });
}

/** The end of a server-to-client stream: a Completion with neither result nor error. */
export function streamEndRecord(invocationId: string): string {
  return formatRecord({ type: MessageType.Completion, invocationId });
}

export function streamItemRecord(invocationId: string, item: unknown): string {
  return formatRecord({ type: MessageType.StreamItem, invocationId, item: item === undefined ? null : item });
}

export const PING_RECORD = formatRecord({ type: MessageType.Ping });

export function closeRecord(error: string | undefined, allowReconnect: boolean): string {
  return formatRecord(
    error === undefined
      ? { type: MessageType.Close, ...(allowReconnect ? { allowReconnect } : {}) }
      : { type: MessageType.Close, error, ...(allowReconnect ? { allowReconnect } : {}) },
  );
}

export function sequenceRecord(type: typeof MessageType.Ack | typeof MessageType.Sequence, sequenceId: number): string {
  return formatRecord({ type, sequenceId });
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
