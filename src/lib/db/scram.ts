import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

/**
 * A SCRAM-SHA-256 verifier, as PostgreSQL stores it (and as psql's \password computes it). Sending
 * the verifier instead of the password keeps the plain secret out of server logs and statement
 * statistics: ALTER ROLE cannot take a bound parameter, so whatever is sent is in the SQL text.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16)
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

/** A random secret for a generated login: 32 characters of base64url (192 bits). */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url')
}
