import type { Sql } from '../ddl.js'
import type { Members } from './members.js'

/** The columns of the schema's tables, views and composite types, by relation oid, in their order. */
export async function readColumns(sql: Sql, m: Members): Promise<Map<number, any[]>> {
  const attributes = await sql(
    `select a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
            a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid, true) as expr,
            ${collationExpr('a.attcollation', 't.typcollation')} as collation
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_type t on t.oid = a.atttypid
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = any($1) and c.relkind in ('r', 'm', 'v', 'c') and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [m.relations],
  )
  const columnsOf = new Map<number, any[]>()
  for (const a of attributes) {
    if (!columnsOf.has(a.attrelid)) columnsOf.set(a.attrelid, [])
    columnsOf.get(a.attrelid)!.push(a)
  }
  return columnsOf
}

/** The COLLATE clause's name when a column's collation differs from its type's default. */
export function collationExpr(collation: string, typeDefault: string): string {
  return `(select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
             from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
            where co.oid = ${collation} and ${collation} <> 0 and ${collation} <> coalesce(${typeDefault}, 0))`
}
