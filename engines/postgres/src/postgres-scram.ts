import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** The iteration count PostgreSQL itself uses for new SCRAM secrets (`scram_iterations` default). */
const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 secret PostgreSQL stores for `password`, computed here like `psql`'s
 * `\password` does, so `CREATE ROLE … PASSWORD` carries the secret instead of the password: the
 * clear-text password then never reaches the server, its statement log or an error report.
 * Krint's passwords are plain ASCII (assertSafePassword), which SASLprep leaves unchanged.
 */
export function scramSha256Secret(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
