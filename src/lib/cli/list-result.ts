/**
 * The one shape of every list a command answers with under --json: `{ items, nextCursor }`.
 * `nextCursor` is what to pass to the command's `--after` for the next page, and null when there
 * is no more (always null for lists that come whole). An object rather than a bare array, so a list
 * can grow fields (a cursor, a total) without breaking the scripts that read it.
 */
export interface ListResult<T> {
  items: T[]
  /** The cursor for the next page (`--after`), or null when this is the last page. */
  nextCursor: string | null
}

/** A list that comes whole: no next page. */
export function listResult<T>(items: T[]): ListResult<T> {
  return { items, nextCursor: null }
}
