import { quoteIdent } from '../../db/identifiers.js'
import type { Sql, TableInfo } from '../ddl.js'
import type { Collected } from './collected.js'
import { placeConstraint, readConstraints } from './constraints.js'
import type { Members } from './members.js'
import { reloption } from './reloption.js'

/**
 * Tables: columns (identity columns with their sequence's name and options), validated checks
 * inline, defaults set once every object exists, the other constraints after the data.
 */
export async function readTables(sql: Sql, m: Members, columnsOf: Map<number, any[]>, identityOf: Map<string, any>, out: Collected): Promise<TableInfo[]> {
  const { pre, late, post } = out
  const relations = await sql(
    `select c.oid, c.relname, c.relpersistence, c.reloptions, pg_total_relation_size(c.oid) as size,
            pg_relation_size(c.oid) as heap_size
       from pg_class c where c.oid = any($1) and c.relkind = 'r' order by c.relname`,
    [m.relations],
  )
  const constraintsOf = await readConstraints(sql, m)
  const tables: TableInfo[] = []
  for (const r of relations) {
    const name = quoteIdent(r.relname)
    const withOptions = r.reloptions?.length ? ` WITH (${(r.reloptions as string[]).map(reloption).join(', ')})` : ''
    const cols = columnsOf.get(r.oid) ?? []
    const lines: string[] = cols.map((a) => {
      let line = `${quoteIdent(a.attname)} ${a.type}`
      if (a.collation) line += ` COLLATE ${a.collation}`
      if (a.attgenerated === 's') line += ` GENERATED ALWAYS AS (${a.expr}) STORED`
      if (a.attidentity) {
        const seq = identityOf.get(`${r.oid}:${a.attname}`)
        const options = seq ? ` (SEQUENCE NAME ${quoteIdent(seq.name)} ${seq.options})` : ''
        line += ` GENERATED ${a.attidentity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`
      }
      if (a.attnotnull) line += ' NOT NULL'
      if (a.expr !== null && !a.attgenerated) {
        late.push({ phase: 'pre', kind: 'default', name: `${r.relname}.${a.attname}`, sql: `ALTER TABLE ONLY ${name} ALTER COLUMN ${quoteIdent(a.attname)} SET DEFAULT ${a.expr}` })
      }
      return line
    })
    for (const k of constraintsOf.get(r.oid) ?? []) placeConstraint(k, name, lines, post)
    const unlogged = r.relpersistence === 'u' ? 'UNLOGGED ' : ''
    pre.set(`rel:${r.oid}`, {
      phase: 'pre', kind: 'table', name: r.relname,
      sql: `CREATE ${unlogged}TABLE ${name} (\n  ${lines.join(',\n  ')}\n)${withOptions}`,
    })
    tables.push({ oid: r.oid, name: r.relname, columns: cols.filter((a) => !a.attgenerated).map((a) => a.attname), size: Number(r.size), heapSize: Number(r.heap_size) })
  }
  return tables
}
