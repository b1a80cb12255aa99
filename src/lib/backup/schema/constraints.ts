import { quoteIdent } from '../../db/identifiers.js'
import type { DdlStatement, Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import type { Members } from './members.js'

/** The tables' check, primary key, unique, exclusion and foreign-key constraints, by table oid. */
export async function readConstraints(sql: Sql, m: Members): Promise<Map<number, any[]>> {
  const rows = await sql(
    `select k.conrelid, k.conname, pg_get_constraintdef(k.oid, true) as def, k.contype, k.convalidated
       from pg_constraint k
      where k.conrelid = any($1) and k.contype in ('c', 'p', 'u', 'x', 'f')
      order by k.conrelid, k.conname`,
    [m.relations],
  )
  const byTable = new Map<number, any[]>()
  for (const k of rows) byTable.set(k.conrelid, [...(byTable.get(k.conrelid) ?? []), k])
  return byTable
}

/**
 * A validated check goes into CREATE TABLE (`lines`); the others are added after the data:
 * an unvalidated check, keys and exclusions before the indexes, foreign keys after them.
 */
export function placeConstraint(k: any, name: string, lines: string[], post: Collected['post']): void {
  const statement = (list: DdlStatement[], kind: string) =>
    list.push({ phase: 'post', kind, name: k.conname, sql: `ALTER TABLE ONLY ${name} ADD CONSTRAINT ${quoteIdent(k.conname)} ${k.def}` })
  if (k.contype === 'c' && k.convalidated) lines.push(`CONSTRAINT ${quoteIdent(k.conname)} ${k.def}`)
  else if (k.contype === 'c') statement(post.checks, 'constraint')
  else if (k.contype === 'f') statement(post.fks, 'foreign key')
  else statement(post.keys, 'constraint')
}
