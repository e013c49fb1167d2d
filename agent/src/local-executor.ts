import type {
  CallOptions,
  CommandArgs,
  CommandExecutor,
  CommandName,
  CommandResult,
  DumpChunk,
  LogBatch,
  StreamArgs,
  StreamItem,
  StreamName,
  UploadArgs,
  UploadName,
  UploadResult,
} from './protocol/commands.js';
import type { Dispatcher } from './dispatch.js';
import { WireFailure, fromWireError } from './errors.js';

/**
 * Runs protocol commands in this process, against this host's Docker daemon: the control plane's
 * executor for its own host. Arguments and results make a JSON round trip and failures go through
 * the wire error form, exactly as they would through a hub, so code that works against this
 * executor works against a node. Bytes (dump chunks) are the exception: the node hub carries them
 * as MessagePack `bin`, so here they pass by reference, neither copied nor encoded.
 */
export class LocalExecutor implements CommandExecutor {
  constructor(readonly dispatcher: Dispatcher) {}

  async run<K extends CommandName>(name: K, args: CommandArgs<K>, options?: CallOptions): Promise<CommandResult<K>> {
    try {
      return overTheWire(await this.dispatcher.dispatchCommand(name, overTheWire(args) as unknown, options?.signal)) as CommandResult<K>;
    } catch (error) {
      throw typed(error);
    }
  }

  async *stream<K extends StreamName>(name: K, args: StreamArgs<K>, options?: CallOptions): AsyncIterable<StreamItem<K>> {
    try {
      for await (const item of this.dispatcher.dispatchStream(name, overTheWire(args) as unknown, options?.signal)) {
        yield overTheWire(item) as StreamItem<K>;
      }
    } catch (error) {
      throw typed(error);
    }
  }

  async upload<K extends UploadName>(name: K, args: UploadArgs<K>, body: AsyncIterable<DumpChunk>, options?: CallOptions): Promise<UploadResult<K>> {
    try {
      return overTheWire(await this.dispatcher.dispatchUpload(name, overTheWire(args) as unknown, body, options?.signal)) as UploadResult<K>;
    } catch (error) {
      throw typed(error);
    }
  }
}

/**
 * What a value looks like after transport (undefined fields dropped, dates as strings). The hub
 * executor sends a node its arguments in this form too: MessagePack would otherwise carry an
 * `undefined` field as nil, arriving as `null` where validation expects the field to be absent.
 */
export function overTheWire<T>(value: T): unknown {
  if (value === undefined) return undefined;
  if (isFlatRecord(value)) return { ...value };
  if (isLogBatch(value)) return value;
  return JSON.parse(JSON.stringify(value));
}

/**
 * A log batch of string-only lines comes through transport unchanged, and it is handed over, not
 * shared (see LogBatch), so it passes by reference: a burst's lines are neither serialised nor
 * copied. Checked field by field, without the per-line arrays of {@link isFlatRecord}.
 */
function isLogBatch(value: unknown): value is LogBatch {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const lines = (value as { lines?: unknown }).lines;
  if (!Array.isArray(lines) || Object.keys(value).length !== 1) return false;
  for (const line of lines as unknown[]) {
    if (typeof line !== 'object' || line === null || Object.getPrototypeOf(line) !== Object.prototype) return false;
    const { stream, text, time } = line as Record<string, unknown>;
    if (typeof stream !== 'string' || typeof text !== 'string' || typeof time !== 'string') return false;
  }
  return true;
}

/**
 * A plain object whose fields are all strings, booleans, null, finite numbers (other than -0) or
 * bytes comes through transport unchanged, so a shallow copy is the same value. Dump chunks are
 * such records: their bytes are handed over by reference, a quarter megabyte never copied.
 */
function isFlatRecord(value: unknown): value is Record<string, string | number | boolean | null | Uint8Array> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const field of Object.values(value)) {
    if (typeof field === 'string' || typeof field === 'boolean' || field === null || field instanceof Uint8Array) continue;
    if (typeof field === 'number' && Number.isFinite(field) && !Object.is(field, -0)) continue;
    return false;
  }
  return true;
}

function typed(error: unknown): unknown {
  return error instanceof WireFailure ? fromWireError(error.wire) : error;
}
