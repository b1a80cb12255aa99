/**
 * What went wrong, in terms the command layer maps to an exit code (cli/exit-codes.ts). This file
 * is the ground floor: every layer throws these errors, so it imports nothing of erp's own.
 */
export const ErrorKind = {
  USAGE: 'USAGE',
  INVALID_DATA: 'INVALID_DATA',
  NOT_FOUND: 'NOT_FOUND',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  CONFLICT: 'CONFLICT',
  NOT_ALLOWED: 'NOT_ALLOWED',
  UNAVAILABLE: 'UNAVAILABLE',
  TEMPORARY: 'TEMPORARY',
  CONFIG: 'CONFIG',
  INTERRUPTED: 'INTERRUPTED',
  FAILED: 'FAILED',
} as const

export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

export interface ErpErrorOptions {
  /** What the operator can do next, one sentence each. */
  actions?: string[]
  /** Structured detail for --json consumers (row numbers, tenant slugs...). Never secrets. */
  data?: unknown
  cause?: unknown
}

/**
 * The one error type of erp. Services throw it; the base command renders it
 * and exits with the code its kind maps to (exitCodeOf in cli/exit-codes.ts).
 */
export class ErpError extends Error {
  readonly kind: ErrorKind
  readonly actions: string[]
  readonly data: unknown

  constructor(kind: ErrorKind, message: string, options: ErpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ErpError'
    this.kind = kind
    this.actions = options.actions ?? []
    this.data = options.data
  }
}

export const usageError = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.USAGE, message, options)
export const notFound = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.NOT_FOUND, message, options)
export const conflict = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.CONFLICT, message, options)
export const notAllowed = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.NOT_ALLOWED, message, options)
export const invalidData = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.INVALID_DATA, message, options)
export const configError = (message: string, options?: ErpErrorOptions) =>
  new ErpError(ErrorKind.CONFIG, message, options)

export const isErpError = (err: unknown): err is ErpError => err instanceof ErpError
