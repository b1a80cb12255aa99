import type { Knex } from 'knex'

import { ErpError, ErrorKind } from './errors.js'

/**
 * Services that act on many documents at once are all or nothing: every item is checked, the
 * failures are collected, and one error names each failing item and why. A batch of one fails
 * with that item's own error, so the single-document commands keep their messages and exit codes.
 * `skipFailing` turns such a batch into one that does what it can and reports the rest.
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
  throw batchFailure(noun, keys.length, inOrderOf(keys, failures))
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

export interface SkippedBatch<R> {
  /** What the batch of the items that could be done returned; null when none could. */
  done: R | null
  /** Each item left out, with its own error, in the order of the items. */
  failures: ItemFailure[]
}

/**
 * Run an all-or-nothing batch over the items that can be done: each attempt runs in a savepoint,
 * and when it fails naming items, those are left out and the rest tried again. Every attempt
 * leaves out at least one item, so there are at most as many attempts as items (two, usually:
 * leaving items out only frees the stock and credit the others compete for). `keys` names each
 * item as the batch's failures do (SO-12, INV-2026-000003).
 */
export async function skipFailing<I, R>(
  trx: Knex.Transaction,
  items: I[],
  keys: string[],
  attempt: (trx: Knex.Transaction, items: I[]) => Promise<R>,
): Promise<SkippedBatch<R>> {
  let left = items.map((item, i) => ({ item, key: keys[i] }))
  const failures: ItemFailure[] = []
  while (left.length > 0) {
    try {
      const done = await trx.transaction((savepoint) => attempt(savepoint, left.map((l) => l.item)))
      return { done, failures: inOrderOf(keys, failures) }
    } catch (err) {
      const failed = failuresIn(err, left.map((l) => l.key))
      const named = new Set(failed?.map((f) => f.key))
      const rest = left.filter((l) => !named.has(l.key))
      // An error that names none of the items is the whole batch's (a lost connection…).
      if (!failed || rest.length === left.length) throw err
      failures.push(...failed)
      left = rest
    }
  }
  return { done: null, failures: inOrderOf(keys, failures) }
}

function inOrderOf(keys: string[], failures: ItemFailure[]): ItemFailure[] {
  const position = new Map(keys.map((k, i) => [k, i]))
  return [...failures].sort((a, b) => (position.get(a.key) ?? 0) - (position.get(b.key) ?? 0))
}
