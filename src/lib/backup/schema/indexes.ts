import type { Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import type { Members } from './members.js'

/** Indexes other than those of primary keys, unique and exclusion constraints (their constraints create them). */
export async function readIndexes(sql: Sql, m: Members, out: Collected): Promise<void> {
  const indexes = await sql(
    `select ic.relname, pg_get_indexdef(i.indexrelid, 0, true) as def
       from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indexrelid = any($1)
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
      order by ic.relname`,
    [m.relations],
  )
  for (const i of indexes) out.post.indexes.push({ phase: 'post', kind: 'index', name: i.relname, sql: i.def })
}
