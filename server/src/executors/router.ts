import type { CallOptions, CommandExecutor, CommandArgs, CommandName, CommandResult, DumpChunk, StreamArgs, StreamItem, StreamName, UploadArgs, UploadName, UploadResult } from '@krint/agent';
import { NodeOfflineError, toDomainError, UnavailableError } from '../errors.js';

/** The host an instance runs on: the control plane's own Docker (`null`) or a node id. */
export type HostId = string | null;

export interface NodeDescription {
  readonly name: string;
  readonly revoked: boolean;
}

/**
 * Picks the executor for a host. The control plane's own Docker host uses the in-process agent;
 * nodes register a hub-backed executor while they are connected. A call for a node that is not
 * connected fails at once with {@link NodeOfflineError}. Every executor handed out maps protocol
 * errors to the control plane's typed errors.
 */
export class ExecutorRouter {
  readonly #nodes = new Map<string, CommandExecutor>();
  readonly #local: CommandExecutor | null;

  constructor(
    local: CommandExecutor | null,
    /** What error messages say about a node: its display name and whether it was revoked. */
    private readonly describeNode: (nodeId: string) => NodeDescription | null = () => null,
  ) {
    this.#local = local ? withTypedErrors(local) : null;
  }

  /** Called by the node hub when a node's agent connects; returns the matching unregister. */
  registerNodeExecutor(nodeId: string, executor: CommandExecutor): () => void {
    const wrapped = withTypedErrors(executor);
    this.#nodes.set(nodeId, wrapped);
    return () => {
      if (this.#nodes.get(nodeId) === wrapped) this.#nodes.delete(nodeId);
    };
  }

  unregisterNodeExecutor(nodeId: string): void {
    this.#nodes.delete(nodeId);
  }

  isConnected(host: HostId): boolean {
    return host === null ? this.#local !== null : this.#nodes.has(host);
  }

  connectedNodes(): string[] {
    return [...this.#nodes.keys()];
  }

  /** The executor for a host, or a typed error right away. */
  for(host: HostId): CommandExecutor {
    if (host === null) {
      if (!this.#local) throw new UnavailableError('The local Docker host is not available to this control plane.');
      return this.#local;
    }
    const executor = this.#nodes.get(host);
    if (!executor) {
      const node = this.describeNode(host);
      throw new NodeOfflineError(host, node?.name ?? null, node?.revoked ?? false);
    }
    return executor;
  }
}

/** Wraps an executor so every failure is one of the control plane's typed errors. */
export function withTypedErrors(inner: CommandExecutor): CommandExecutor {
  return {
    async run<K extends CommandName>(name: K, args: CommandArgs<K>, options?: CallOptions): Promise<CommandResult<K>> {
      try {
        return await inner.run(name, args, options);
      } catch (error) {
        throw toDomainError(error);
      }
    },
    stream<K extends StreamName>(name: K, args: StreamArgs<K>, options?: CallOptions): AsyncIterable<StreamItem<K>> {
      return {
        async *[Symbol.asyncIterator]() {
          try {
            yield* inner.stream(name, args, options);
          } catch (error) {
            throw toDomainError(error);
          }
        },
      };
    },
    async upload<K extends UploadName>(name: K, args: UploadArgs<K>, body: AsyncIterable<DumpChunk>, options?: CallOptions): Promise<UploadResult<K>> {
      try {
        return await inner.upload(name, args, body, options);
      } catch (error) {
        throw toDomainError(error);
      }
    },
  };
}
