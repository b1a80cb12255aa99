import type { ErpError, ErrorKind } from '../errors.js'

/**
 * Exit codes, after sysexits(3). The one table the README and `erp --help` show.
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  DATA_ERR: 65,
  NO_INPUT: 66,
  UNAVAILABLE: 69,
  TEMP_FAIL: 75,
  NO_PERMISSION: 77,
  CONFIG: 78,
  INTERRUPTED: 130,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_TABLE: ReadonlyArray<[ExitCode, string]> = [
  [ExitCode.OK, 'ok'],
  [ExitCode.FAILURE, 'failure (also a partial success)'],
  [ExitCode.USAGE, 'usage error'],
  [ExitCode.DATA_ERR, 'invalid input data (CSV rows, count file)'],
  [ExitCode.NO_INPUT, 'input file missing'],
  [ExitCode.UNAVAILABLE, 'database unavailable'],
  [ExitCode.TEMP_FAIL, 'temporary failure, retry (lock timeout, serialization failure)'],
  [ExitCode.NO_PERMISSION, 'permission denied (tenant scope, suspended tenant)'],
  [ExitCode.CONFIG, 'configuration or missing credentials'],
  [ExitCode.INTERRUPTED, 'interrupted'],
]

/** The exit code each kind of error ends a command with. */
const EXIT_BY_KIND: Record<ErrorKind, ExitCode> = {
  USAGE: ExitCode.USAGE,
  INVALID_DATA: ExitCode.DATA_ERR,
  NOT_FOUND: ExitCode.FAILURE,
  FILE_NOT_FOUND: ExitCode.NO_INPUT,
  CONFLICT: ExitCode.FAILURE,
  NOT_ALLOWED: ExitCode.NO_PERMISSION,
  UNAVAILABLE: ExitCode.UNAVAILABLE,
  TEMPORARY: ExitCode.TEMP_FAIL,
  CONFIG: ExitCode.CONFIG,
  INTERRUPTED: ExitCode.INTERRUPTED,
  FAILED: ExitCode.FAILURE,
}

export function exitCodeOf(error: ErpError): ExitCode {
  return EXIT_BY_KIND[error.kind]
}
