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
