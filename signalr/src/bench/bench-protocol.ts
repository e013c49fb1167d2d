/** Messages between the benchmark driver and its server processes (over the IPC channel). */
export type DriverRequest =
  | { readonly type: 'roundTrips'; readonly count: number }
  /**
   * Client-result round trips asking `connectionId` for `bytes` of binary data: as a base64
   * string (JSON) or as raw bytes (MessagePack).
   */
  | { readonly type: 'payloadRoundTrips'; readonly count: number; readonly connectionId: string; readonly encoding: PayloadEncoding; readonly bytes: number }
  | { readonly type: 'memory' };

export type PayloadEncoding = 'base64' | 'bytes';

export type ServerReply =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'roundTrips'; readonly samplesUs: number[] }
  /** `cpuUs`: server process CPU time (user + system) spent over all the round trips. */
  | { readonly type: 'payloadRoundTrips'; readonly samplesUs: number[]; readonly cpuUs: number }
  | { readonly type: 'memory'; readonly heapUsed: number; readonly rss: number; readonly messages: number };

/** Name of the client method answering payload round trips. */
export const PAYLOAD_METHOD = 'payload';

/** Path of the hub in the benchmark server. */
export const BENCH_HUB_PATH = '/hubs/bench';
