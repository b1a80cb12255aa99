import type { DdlStatement } from '../ddl.js'

/**
 * The statements the readers of describeSchema collect, by where they go in the restore: pre-data
 * objects (ordered by their dependencies later), what runs once they all exist, then post-data.
 */
export interface Collected {
  /** Pre-data objects by catalog key ('rel:<oid>', 'type:<oid>', 'fn:<oid>'). */
  pre: Map<string, DdlStatement>
  /** Pre-data statements that need every object to exist: column defaults, sequence ownership. */
  late: DdlStatement[]
  post: { values: DdlStatement[]; checks: DdlStatement[]; keys: DdlStatement[]; indexes: DdlStatement[]; fks: DdlStatement[]; triggers: DdlStatement[]; refresh: DdlStatement[]; comments: DdlStatement[] }
}

export function collected(): Collected {
  return {
    pre: new Map(),
    late: [],
    post: { values: [], checks: [], keys: [], indexes: [], fks: [], triggers: [], refresh: [], comments: [] },
  }
}

/** Every statement in restore order, the pre-data objects in the order given. */
export function inRestoreOrder(out: Collected, pre: DdlStatement[]): DdlStatement[] {
  const { post } = out
  return [...pre, ...out.late, ...post.values, ...post.checks, ...post.keys, ...post.indexes, ...post.fks, ...post.triggers, ...post.refresh, ...post.comments]
}
