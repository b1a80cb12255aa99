import type { Db } from '../db/connect.js'
import { requireAdmin } from '../db/registry.js'

/**
 * What each tenant uses, for billing and rebalancing: its schema's size on disk (tables with their
 * indexes and TOAST), row estimates per table, and signs of life (the last audited command, the
 * last vacuum/analyze, rows written since the statistics were reset). Two queries for the whole
 * fleet, from the catalogs and statistics views: no table is scanned.
 */
export interface TenantUsage {
  slug: string
  status: string
  schema: string
  /** pg_total_relation_size summed over the schema's tables, in bytes. */
  sizeBytes: number
  sizePretty: string
  tables: number
  /** Estimated rows over all tables. */
  rows: number
  /** Estimated rows per table (bookkeeping tables left out), largest first. */
  tableRows: Record<string, number>
  /** Rows inserted, updated or deleted since the statistics were last reset. */
  writes: number
  lastCommandAt: Date | null
  lastMaintenanceAt: Date | null
  /** The later of the two. */
  lastActivityAt: Date | null
}

export async function tenantUsage(db: Db, slugs?: string[]): Promise<TenantUsage[]> {
  requireAdmin(db.scope, 'Reading tenant usage')
  const { rows } = await db.knex.raw(
    `with t as (
       select slug, status, schema_name from erp.tenants
        where status <> 'deleted' and (?::text[] is null or slug = any(?::text[]))
     ), rel as (
       select t.slug, c.relname,
              pg_total_relation_size(c.oid) as bytes,
              greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint as rows,
              coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0) as writes,
              greatest(s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze) as maintained
         from t
         join pg_namespace n on n.nspname = t.schema_name
         join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'm')
         left join pg_stat_user_tables s on s.relid = c.oid
     )
     select t.slug, t.status, t.schema_name as schema,
            coalesce(sum(rel.bytes), 0)::bigint as "sizeBytes",
            pg_size_pretty(coalesce(sum(rel.bytes), 0)::bigint) as "sizePretty",
            count(rel.relname)::int as tables,
            coalesce(sum(rel.rows), 0)::bigint as rows,
            coalesce(jsonb_object_agg(rel.relname, rel.rows order by rel.rows desc)
                     filter (where rel.relname is not null and rel.relname <> 'knex_migrations'), '{}') as "tableRows",
            coalesce(sum(rel.writes), 0)::bigint as writes,
            (select max(a.at) from erp.audit_log a where a.tenant = t.slug) as "lastCommandAt",
            max(rel.maintained) as "lastMaintenanceAt"
       from t left join rel on rel.slug = t.slug
      group by t.slug, t.status, t.schema_name
      order by t.slug`,
    [slugs ?? null, slugs ?? null],
  )
  return rows.map((r: TenantUsage & { sizeBytes: string; rows: string; writes: string }) => ({
    ...r,
    sizeBytes: Number(r.sizeBytes),
    rows: Number(r.rows),
    writes: Number(r.writes),
    tableRows: Object.fromEntries(Object.entries(r.tableRows).sort((a, b) => b[1] - a[1])),
    lastActivityAt: latest(r.lastCommandAt, r.lastMaintenanceAt),
  }))
}

const latest = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : a ?? b)
