import { ErpError, ErrorKind } from '../errors.js'

/** The SQLSTATEs erp reacts to, by name. */
export const SqlState = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  NOT_NULL_VIOLATION: '23502',
  INSUFFICIENT_PRIVILEGE: '42501',
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  INVALID_CATALOG_NAME: '3D000',
  INVALID_SCHEMA_NAME: '3F000',
  UNDEFINED_TABLE: '42P01',
  DUPLICATE_SCHEMA: '42P06',
  DUPLICATE_OBJECT: '42710',
  LOCK_NOT_AVAILABLE: '55P03',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
} as const

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN'])

export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * Turn a driver error into an ErpError with a kind and a next step, keeping it as the cause.
 * Errors that are already ErpErrors pass through untouched.
 */
export function translateDbError(err: unknown): unknown {
  if (err instanceof ErpError) return err
  const e = err as { code?: string; message?: string; detail?: string; syscall?: string }
  const state = sqlStateOf(err)
  const message = e?.message ?? String(err)
  switch (state) {
    case SqlState.INSUFFICIENT_PRIVILEGE:
      return new ErpError(ErrorKind.NOT_ALLOWED, `Permission denied by PostgreSQL: ${message}`, {
        actions: ['Use a profile whose role may reach this tenant (erp auth list).'],
        cause: err,
      })
    case SqlState.INVALID_PASSWORD:
      return new ErpError(ErrorKind.CONFIG, `The database refused the login: ${message}`, {
        actions: ['Check the profile (erp auth whoami), or log in again (erp auth login).'],
        cause: err,
      })
    case SqlState.INVALID_AUTHORIZATION:
      // The role exists and the password was right, but it may not log in: a suspended tenant.
      return new ErpError(ErrorKind.NOT_ALLOWED, `The database refused the login: ${message}`, {
        actions: ['A suspended tenant cannot log in: an operator can resume it (erp tenants resume <slug>).'],
        cause: err,
      })
    case SqlState.LOCK_NOT_AVAILABLE:
    case SqlState.SERIALIZATION_FAILURE:
    case SqlState.DEADLOCK_DETECTED:
      return new ErpError(ErrorKind.TEMPORARY, `Temporary database conflict, retry: ${message}`, {
        actions: ['Run the command again.'],
        cause: err,
      })
    case SqlState.ADMIN_SHUTDOWN:
    case SqlState.CANNOT_CONNECT_NOW:
    case SqlState.TOO_MANY_CONNECTIONS:
    case SqlState.INVALID_CATALOG_NAME:
      return new ErpError(ErrorKind.UNAVAILABLE, `Database unavailable: ${message}`, { cause: err })
    case SqlState.UNIQUE_VIOLATION:
      return new ErpError(ErrorKind.CONFLICT, e.detail ? `${message} (${e.detail})` : message, { cause: err })
    default:
      break
  }
  // A Unix socket that is not there is ENOENT too; a missing file (syscall open) is not ours.
  if (e?.code && (CONNECTION_ERRNOS.has(e.code) || (e.code === 'ENOENT' && e.syscall === 'connect'))) {
    return new ErpError(ErrorKind.UNAVAILABLE, `Cannot reach the database server: ${message}`, {
      actions: ['Check that the server runs and that DATABASE_URL or the profile points at it (erp doctor).'],
      cause: err,
    })
  }
  return err
}
