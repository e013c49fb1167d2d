/**
 * Input that breaks the protocol: unparsable JSON, a missing field, an oversized record. The
 * connection that sent it is closed; other connections are not affected.
 */
export class InvalidDataError extends Error {
  override readonly name = 'InvalidDataException';
}
