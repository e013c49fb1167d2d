/**
 * Version of the control plane ↔ agent protocol. A node whose major differs is refused at
 * registration with a message naming both versions.
 *
 * History:
 * - 1.0: first version: container lifecycle, engine sessions, dumps/restores as chunk streams,
 *   log follow, interactive exec.
 */
export const PROTOCOL_VERSION = { major: 1, minor: 0 } as const;
