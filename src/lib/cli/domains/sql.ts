import type { ResultSet } from '../../sql/exec.js'
import type { Column, ListOptions } from '../render.js'
import { renderList } from '../render.js'

/** What one statement of an `erp sql exec` script returned in one tenant (--json: result.tenants[].results). */
export interface SqlResultSet {
  /** 1-based position of the statement in the script. */
  statement: number
  /** Line of the script where it starts. */
  line: number
  command: string
  columns: string[]
  /** The first --row-limit rows, cells in column order. */
  rows: unknown[][]
  /** How many rows the statement returned. */
  rowCount: number
  /** True when rowCount is more than the rows kept. */
  truncated: boolean
}

export function sqlResultSet(statement: number, line: number, command: string, set: ResultSet): SqlResultSet {
  return { statement, line, command, columns: set.columns, rows: set.rows, rowCount: set.total, truncated: set.total > set.rows.length }
}

/**
 * A result set as a table or CSV. Column names come from the script (and may repeat); cells are
 * the database's text, which the renderer makes safe for a terminal (table) or a spreadsheet (CSV).
 */
export function renderResultSet(set: SqlResultSet, options: Pick<ListOptions, 'output' | 'header' | 'truncate' | 'color'>): string {
  const columns: Column<unknown[]>[] = set.columns.map((name, i) => ({ key: name, get: (row) => row[i] }))
  return renderList(set.rows, columns, { output: options.output, header: options.header, truncate: options.truncate, color: options.color })
}

/** The heading over a result set: which tenant, which statement, how many rows. */
export function resultSetHeading(tenant: string, set: SqlResultSet): string {
  const rows = `${set.rowCount.toLocaleString('en-US')} row${set.rowCount === 1 ? '' : 's'}`
  return `${tenant}, statement ${set.statement} (line ${set.line}): ${set.command} ${rows}${set.truncated ? `, the first ${set.rows.length.toLocaleString('en-US')} shown` : ''}`
}
