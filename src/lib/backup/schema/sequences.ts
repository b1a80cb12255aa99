import { quoteIdent, quoteLiteral } from '../../db/identifiers.js'
import type { Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import type { Members } from './members.js'

/**
 * Sequences and their values. An identity column's sequence is created by its table: its name and
 * options are returned by '<table oid>:<column>' for the table's reader.
 */
export async function readSequences(sql: Sql, m: Members, out: Collected): Promise<Map<string, any>> {
  const { pre, late, post } = out
  const sequences = await sql(
    `select c.oid, c.relname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text,
            s.seqmax::text, s.seqmin::text, s.seqcache::text, s.seqcycle,
            dep.refobjid as owner_rel, dep.deptype as owner_kind, a.attname as owner_column, tc.relname as owner_table
       from pg_sequence s join pg_class c on c.oid = s.seqrelid
       left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = c.oid
            and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
       left join pg_class tc on tc.oid = dep.refobjid
       left join pg_attribute a on a.attrelid = dep.refobjid and a.attnum = dep.refobjsubid
      where s.seqrelid = any($1) order by c.relname`,
    [m.relations],
  )
  // Every sequence's state in one round trip, not one query each.
  const values = sequences.length === 0 ? [] : await sql<{ i: number; last_value: string; is_called: boolean }>(
    sequences.map((s, i) => `select ${i} as i, last_value::text, is_called from ${quoteIdent(s.relname)}`).join('\n union all '),
  )
  const valueOf = new Map(values.map((v) => [Number(v.i), v]))
  const identityOf = new Map<string, any>()
  for (const [i, s] of sequences.entries()) {
    const options = `START WITH ${s.seqstart} INCREMENT BY ${s.seqincrement} MINVALUE ${s.seqmin} MAXVALUE ${s.seqmax} CACHE ${s.seqcache}${s.seqcycle ? ' CYCLE' : ''}`
    const value = valueOf.get(i)!
    post.values.push({
      phase: 'post', kind: 'sequence value', name: s.relname,
      sql: `SELECT pg_catalog.setval(${quoteLiteral(quoteIdent(s.relname))}, ${value.last_value}, ${value.is_called})`,
    })
    if (s.owner_kind === 'i') {
      identityOf.set(`${s.owner_rel}:${s.owner_column}`, { name: s.relname, options })
      continue
    }
    pre.set(`rel:${s.oid}`, { phase: 'pre', kind: 'sequence', name: s.relname, sql: `CREATE SEQUENCE ${quoteIdent(s.relname)} AS ${s.type} ${options}` })
    if (s.owner_kind === 'a') {
      late.push({ phase: 'pre', kind: 'sequence owner', name: s.relname, sql: `ALTER SEQUENCE ${quoteIdent(s.relname)} OWNED BY ${quoteIdent(s.owner_table)}.${quoteIdent(s.owner_column)}` })
    }
  }
  return identityOf
}
