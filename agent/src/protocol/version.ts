/**
 * Version of the control plane ↔ agent protocol. A node whose major differs is refused at
 * registration with a message naming both versions.
 *
 * History:
 * - 1.0: first version: container lifecycle, engine sessions, dumps/restores as chunk streams,
 *   log follow, interactive exec.
 * - 2.0: dump and restore chunks are bytes (`Uint8Array`), not base64 text; the node hub speaks
 *   the MessagePack hub protocol so they cross as `bin`. `logs.follow` yields batches of lines
 *   (`LogBatch`, one per read of the Docker log), not single lines.
 */
export const PROTOCOL_VERSION = { major: 2, minor: 0 } as const;
