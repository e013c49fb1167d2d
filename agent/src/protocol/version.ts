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
 * - 2.1: `instance.discover` (the containers and volumes of one installation, for reconciliation)
 *   and `volume.remove` (an orphaned volume).
 * - 2.2: `events.watch` streams the host's container events (start, die, stop, oom, destroy of
 *   containers with Krint's labels). A registration says whether its `nodeId` was generated
 *   (`nodeIdGenerated`); the answer's `nodeId` is the id the node is registered under.
 */
export const PROTOCOL_VERSION = { major: 2, minor: 2 } as const;
