import { quoteIdent } from '../../db/identifiers.js'
import type { Sql } from '../ddl.js'
import type { Collected } from './collected.js'
import { reloption } from './reloption.js'
import type { Members } from './members.js'

/** Views, and materialized views created empty and refreshed after the data when they were populated. */
export async function readViews(sql: Sql, m: Members, out: Collected): Promise<void> {
  const { pre, post } = out
  const views = await sql(
    `select c.oid, c.relname, c.relkind, c.reloptions, c.relispopulated, pg_get_viewdef(c.oid, true) as viewdef
       from pg_class c where c.oid = any($1) and c.relkind in ('v', 'm') order by c.relname`,
    [m.relations],
  )
  for (const r of views) {
    const name = quoteIdent(r.relname)
    const withOptions = r.reloptions?.length ? ` WITH (${(r.reloptions as string[]).map(reloption).join(', ')})` : ''
    const body = String(r.viewdef).trim().replace(/;$/, '')
    if (r.relkind === 'v') {
      pre.set(`rel:${r.oid}`, { phase: 'pre', kind: 'view', name: r.relname, sql: `CREATE VIEW ${name}${withOptions} AS\n${body}` })
    } else {
      pre.set(`rel:${r.oid}`, { phase: 'pre', kind: 'materialized view', name: r.relname, sql: `CREATE MATERIALIZED VIEW ${name}${withOptions} AS\n${body}\nWITH NO DATA` })
      if (r.relispopulated) post.refresh.push({ phase: 'post', kind: 'refresh', name: r.relname, sql: `REFRESH MATERIALIZED VIEW ${name}` })
    }
  }
}
