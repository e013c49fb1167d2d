import type { AgentInfo, DumpChunk, WireError } from './commands.js';

/**
 * How the protocol in `commands.ts` rides one SignalR connection between a node and the control
 * plane's hub at `/hubs/node`. The node dials out, so the control plane can only reach it by
 * invoking client methods (SignalR "client results"); data the node produces flows back through
 * client-to-server streams, and data the control plane uploads flows through a server-to-client
 * stream the node opens. Both ends import these names; neither spells a method name by hand.
 *
 * The connection speaks the MessagePack hub protocol (the hub refuses JSON clients), so the bytes
 * of dump and restore chunks ({@link DumpChunk}) cross as MessagePack `bin`: never encoded as text,
 * and read on arrival as views of the received message rather than copies. Everything else is a
 * MessagePack map with the same fields JSON would have (the control plane drops `undefined`
 * argument fields before sending, as JSON did).
 */

/** The hub path on the control plane. */
export const NODE_HUB_PATH = '/hubs/node';

/**
 * Methods the control plane invokes on a node (the node registers handlers for these).
 *
 * Streams are pulled, not pushed: the control plane asks for the next batch when it has room for
 * it, so neither side buffers more than one batch however slow the other is (a 1 GB dump crosses
 * in batches of 256 KiB chunks with flat memory at both ends).
 */
export const NodeClientMethods = {
  /** `(request: RunRequest) → Envelope<result>`: one request/response command. */
  run: 'Run',
  /** `(request: StreamRequest) → Envelope<null>`: start a stream; items are pulled with `next`. */
  openStream: 'OpenStream',
  /**
   * `(streamId: string) → Envelope<StreamBatch>`: the items produced since the last call. Waits
   * for at least one item, but at most {@link STREAM_POLL_MS}, so a quiet log follow never runs
   * into the client-result timeout.
   */
  next: 'Next',
  /** `(streamId: string) → void`: stop a stream the control plane no longer reads. */
  cancel: 'Cancel',
  /**
   * `(request: UploadRequest) → Envelope<result>`: consume an upload. The node pulls the chunks
   * with the hub method {@link NodeHubMethods.nextUploadChunk} and answers when it is applied.
   */
  upload: 'Upload',
} as const;

/** Methods a node calls on the hub. */
export const NodeHubMethods = {
  /** `(registration: NodeRegistration) → RegistrationResult`, after every (re)connect. */
  register: 'Register',
  /** `(uploadId: string) → Uint8Array | null`: the next chunk's bytes of an upload, `null` at the end. */
  nextUploadChunk: 'NextUploadChunk',
} as const;

/** Longest a `Next` call waits for an item before answering with an empty batch. */
export const STREAM_POLL_MS = 15_000;

/**
 * After the first item, a batch keeps growing while the next item follows within this long. A
 * dump tool writes a chunk every few milliseconds, so batches fill up instead of paying a round
 * trip per chunk; a quiet log follow adds at most this much delay.
 */
export const STREAM_LINGER_MS = 8;

/**
 * `Next` calls the control plane keeps in flight per stream. With one, the node sits idle from
 * sending a batch until the next request arrives (a round trip plus the time both processes wait
 * for a core), and the dump tool stalls once the read-ahead is full; with two, the node already
 * holds the next request when it finishes a batch. The node answers them in order, one batch at
 * a time, so at most this many batches are on the way.
 */
export const STREAM_NEXT_IN_FLIGHT = 2;

/** At most this many items are returned by one `Next`. */
export const STREAM_BATCH_ITEMS = 256;

/**
 * A batch stops growing once it holds this many bytes of chunks (four 256 KiB dump chunks), so one
 * message stays under the node hub's 2 MiB record limit even with the chunk that crossed the line.
 */
export const STREAM_BATCH_BYTES = 1024 * 1024;

export interface StreamBatch {
  readonly items: readonly unknown[];
  /** True when the stream has ended; no further `Next` calls are made. */
  readonly done: boolean;
}

export interface RunRequest {
  readonly callId: string;
  readonly name: string;
  readonly args: unknown;
}

export interface StreamRequest {
  readonly streamId: string;
  readonly name: string;
  readonly args: unknown;
}

export interface UploadRequest {
  readonly uploadId: string;
  readonly name: string;
  readonly args: unknown;
}

/**
 * SignalR carries an error as a bare string; Krint needs the code (NOT_FOUND, INVALID_INPUT...)
 * to type it on the other side, so results travel in an envelope instead.
 */
export type Envelope<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

export interface NodeRegistration extends AgentInfo {
  /** Stable GUID of the node (`Node__Id`), or one generated for this run (see `nodeIdGenerated`). */
  readonly nodeId: string;
  /**
   * `Node__Id` is unset and `nodeId` was generated for this run. With a token from "Add node" the
   * control plane then registers the node under the id that token was made for, and says so in
   * its answer; a configured `Node__Id` that differs from the token's is refused instead.
   */
  readonly nodeIdGenerated?: boolean;
  /** Display name (`Node__Name`, the machine name by default). */
  readonly name: string;
  /**
   * The host name or address users reach this node's databases at (`Node__PublicHost`); absent
   * when not set, and the control plane then uses the address the node connected from.
   */
  readonly publicHost?: string;
}

/** A DNS name, an IPv4 address or a bare IPv6 address: what may stand as the host of a connection string. */
export function isPublicHost(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  if (value.includes(':')) return /^[0-9a-fA-F:.]+$/.test(value);
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value);
}

export type RegistrationResult =
  /** `nodeId` is the id the node is registered under; the node uses it from then on. */
  | { readonly accepted: true; readonly nodeId: string }
  | { readonly accepted: false; readonly reason: string };
