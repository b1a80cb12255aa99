import { quoteLiteral } from '../db/identifiers.js'
import type { FieldSpec } from './spec.js'

/**
 * How an entity's merge writes its columns: for each target column, the value on insert and on
 * update (an UPDATE … FROM or INSERT … SELECT over the staged rows `s`, the existing row under
 * its table alias), and the test that an existing row would change.
 */

/**
 * A target column filled from one field, cast as needed. A NOT NULL column takes its default on
 * insert and keeps its value on update when the cell is empty.
 */
export interface ColumnSpec {
  field: FieldSpec
  column: string
  cast?: string
  /** The value (as COPY and SQL literals write it) a NOT NULL column takes on insert for an empty cell. */
  notNullDefault?: string
}

export interface Assignment {
  column: string
  insert: string
  update: string
}

/** The assignments for the fields present in the file (field key → staging column). */
export function assignments(specs: ColumnSpec[], staged: Map<string, string>, alias: string): Assignment[] {
  const set: Assignment[] = []
  for (const c of specs) {
    const col = staged.get(c.field.key)
    if (!col) continue
    const value = c.cast ? `s.${col}::${c.cast}` : `s.${col}`
    set.push({
      column: c.column,
      insert: c.notNullDefault !== undefined ? `coalesce(${value}, ${quoteLiteral(c.notNullDefault)})` : value,
      update: c.notNullDefault !== undefined ? `coalesce(${value}, ${alias}.${c.column})` : value,
    })
  }
  return set
}

/** True for an existing row (under `alias`) that the assignments would change. */
export function changedSql(set: Assignment[], alias: string): string {
  if (set.length === 0) return 'false'
  return `(${set.map((x) => `${alias}.${x.column}`).join(', ')}) is distinct from (${set.map((x) => x.update).join(', ')})`
}
