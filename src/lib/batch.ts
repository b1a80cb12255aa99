import { ErpError, ErrorKind } from './errors.js'

/**
 * Services that act on many documents at once are all or nothing: every item is checked, the
 * failures are collected, and one error names each failing item and why. A batch of one fails
 * with that item's own error, so the single-document commands keep their messages and exit codes.
 */

export interface ItemFailure {
  /** The item as operators name it: SO-12, INV-2026-000003, draft invoice 7. */
  key: string
  error: ErpError
}

/** The error of a batch with more than one item; `failures` keeps each item's own error. */
export class BatchError extends ErpError {
  readonly failures: ItemFailure[]

  constructor(kind: ErrorKind, message: string, failures: ItemFailure[], actions: string[]) {
    super(kind, message, {
      actions,
      data: { failures: failures.map((f) => ({ item: f.key, kind: f.error.kind, message: f.error.message, data: f.error.data })) },
    })
    this.failures = failures
  }
}

const SHOWN = 10

/** The one error for a failed batch of `total` items of which `failures` failed (at least one). */
export function batchFailure(noun: string, total: number, failures: ItemFailure[]): ErpError {
  if (total === 1 && failures.length === 1) return failures[0].error
  const kinds = new Set(failures.map((f) => f.error.kind))
  const kind = kinds.size === 1 ? failures[0].error.kind : ErrorKind.FAILED
  const shown = failures.slice(0, SHOWN).map((f) => f.error.message)
  const more = failures.length > SHOWN ? `; and ${failures.length - SHOWN} more (see data.failures)` : ''
  const actions = [`Nothing was done: every one of the ${total} ${noun} was rolled back. Correct or leave out the failing ones and run again.`]
  return new BatchError(kind, `${failures.length} of ${total} ${noun} failed: ${shown.join('; ')}${more}`, failures, actions)
}

/** The item failures an error stands for, when it came from a batch over these keys (else undefined). */
export function failuresIn(err: unknown, keys: string[]): ItemFailure[] | undefined {
  if (err instanceof BatchError) return err.failures
  if (err instanceof ErpError && keys.length === 1) return [{ key: keys[0], error: err }]
  return undefined
}

/** Throw when anything failed: the failures in the order of the items' keys. */
export function throwIfFailed(noun: string, keys: string[], failures: ItemFailure[]): void {
  if (failures.length === 0) return
  const position = new Map(keys.map((k, i) => [k, i]))
  failures.sort((a, b) => (position.get(a.key) ?? 0) - (position.get(b.key) ?? 0))
  throw batchFailure(noun, keys.length, failures)
}

/** Items named twice are one item: the first mention wins. */
export function distinct<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
