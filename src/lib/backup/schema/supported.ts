import { ErpError, ErrorKind } from '../../errors.js'
import type { Sql } from '../ddl.js'
import type { Members } from './members.js'

/** Objects a backup of erp's own cannot carry: refused up front, never left out silently. */
export async function assertSupported(sql: Sql, m: Members, schema: string): Promise<void> {
  const rows = await sql<{ what: string }>(
    `select pg_describe_object(classid, objid, 0) as what from (
       select 'pg_class'::regclass as classid, c.oid as objid from pg_class c
        where c.oid = any($2) and (c.relkind not in ('r', 'v', 'm', 'S', 'i', 'c') or c.relispartition or c.relrowsecurity)
       union all select 'pg_class'::regclass, i.inhrelid from pg_inherits i where i.inhrelid = any($2)
       union all select 'pg_proc'::regclass, p.oid from pg_proc p join pg_language l on l.oid = p.prolang
        where p.pronamespace = $1 and (p.prokind = 'a' or l.lanname in ('c', 'internal'))
       union all select 'pg_type'::regclass, t.oid from pg_type t
        where t.oid = any($3) and t.typtype in ('b', 'r', 'm', 'p')
          and not exists (select 1 from pg_type e where e.oid = t.typelem and e.typarray = t.oid)
       union all select 'pg_operator'::regclass, oid from pg_operator where oprnamespace = $1
       union all select 'pg_opclass'::regclass, oid from pg_opclass where opcnamespace = $1
       union all select 'pg_opfamily'::regclass, oid from pg_opfamily where opfnamespace = $1
       union all select 'pg_collation'::regclass, oid from pg_collation where collnamespace = $1
       union all select 'pg_conversion'::regclass, oid from pg_conversion where connamespace = $1
       union all select 'pg_ts_config'::regclass, oid from pg_ts_config where cfgnamespace = $1
       union all select 'pg_ts_dict'::regclass, oid from pg_ts_dict where dictnamespace = $1
       union all select 'pg_statistic_ext'::regclass, oid from pg_statistic_ext where stxnamespace = $1
       union all select 'pg_extension'::regclass, oid from pg_extension where extnamespace = $1
       union all select 'pg_policy'::regclass, p.oid from pg_policy p where p.polrelid = any($2)
       union all select 'pg_rewrite'::regclass, r.oid from pg_rewrite r
        where r.ev_class = any($2) and r.rulename <> '_RETURN'
     ) o order by 1`,
    [m.nsp, m.relations, m.types],
  )
  if (rows.length === 0) return
  const list = rows.map((r) => r.what)
  throw new ErpError(ErrorKind.FAILED, `Schema ${schema} holds objects erp backups cannot carry: ${list.slice(0, 10).join('; ')}${list.length > 10 ? ` and ${list.length - 10} more` : ''}`, {
    actions: [
      'erp backups carry tables, views, materialized views, sequences, indexes, constraints, functions, triggers, enums, domains, composite types, comments and grants.',
      `Remove the objects listed, or take this tenant's backup with pg_dump -n ${schema}.`,
    ],
    data: { schema, unsupported: list },
  })
}
