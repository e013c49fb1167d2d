/** Messages between the benchmark driver and its server processes (over the IPC channel). */
export type DriverRequest =
  | { readonly type: 'roundTrips'; readonly count: number }
  | { readonly type: 'memory' };

export type ServerReply =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'roundTrips'; readonly samplesUs: number[] }
  | { readonly type: 'memory'; readonly heapUsed: number; readonly rss: number; readonly messages: number };

/** Path of the hub in the benchmark server. */
export const BENCH_HUB_PATH = '/hubs/bench';
