import type {
  CallOptions,
  CommandArgs,
  CommandExecutor,
  CommandName,
  CommandResult,
  DumpChunk,
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
 * executor works against a node.
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

/** What a value looks like after JSON transport (undefined fields dropped, dates as strings). */
function overTheWire<T>(value: T): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function typed(error: unknown): unknown {
  return error instanceof WireFailure ? fromWireError(error.wire) : error;
}
