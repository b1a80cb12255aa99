import type { Db } from '../db/connect.js'
import { citusRole } from '../db/citus.js'
import { requireAdmin } from '../db/registry.js'

/**
 * What each tenant uses, for billing and rebalancing: its schema's size on disk (tables with their
 * indexes and TOAST), row estimates per table, and signs of life (the last audited command, the
 * last vacuum/analyze, rows written since the statistics were reset). Two queries for the whole
 * fleet, from the catalogs and statistics views: no table is scanned. On a Citus coordinator a
 * distributed tenant's tables are empty shells there: their sizes, row estimates and statistics
 * are the shards', read on the nodes that hold them (one query to each node).
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
  const citus = (await citusRole(db.knex)) === 'coordinator'
  const { rows } = await db.knex.raw(
    `with t as (
       select slug, status, schema_name from erp.tenants
        where status <> 'deleted' and (?::text[] is null or slug = any(?::text[]))
     )${citus ? SHARD_STATS : NO_SHARD_STATS}, rel as (
       select t.slug, c.relname,
              coalesce(sh.bytes, pg_total_relation_size(c.oid)) as bytes,
              coalesce(sh.rows, greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint) as rows,
              coalesce(sh.writes, s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0) as writes,
              coalesce(sh.maintained, greatest(s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze)) as maintained
         from t
         join pg_namespace n on n.nspname = t.schema_name
         join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'm')
         left join pg_stat_user_tables s on s.relid = c.oid
         left join shard_stats sh on sh.relid = c.oid
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

const NO_SHARD_STATS = `, shard_stats as (select null::oid as relid, null::bigint as bytes, null::bigint as rows, null::bigint as writes, null::timestamptz as maintained where false)`

/**
 * Per distributed table, what its shards use on the node that holds them: each node reports its
 * shard relations of the tenants' schemas (one JSON document per node), kept when the placement
 * metadata says the shard lives there (an old copy waiting for deferred cleanup after a move is not).
 */
const SHARD_STATS = `, shard_stats as (
       select ds.logicalrelid as relid, sum((j->>'bytes')::bigint) as bytes, sum((j->>'rows')::bigint) as rows,
              sum((j->>'writes')::bigint) as writes, max((j->>'maintained')::timestamptz) as maintained
         from run_command_on_all_nodes(format(
                $cmd$select coalesce(json_agg(json_build_object(
                   'shard', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                   'bytes', pg_total_relation_size(c.oid),
                   'rows', greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint,
                   'writes', coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0),
                   'maintained', greatest(s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze))), '[]')
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 left join pg_stat_user_tables s on s.relid = c.oid
                where c.relkind in ('r', 'p', 'm') and n.nspname = any(%L::text[])$cmd$,
                (select array_agg(schema_name) from t))) w
         cross join lateral json_array_elements(case when w.success then w.result::json else '[]'::json end) j
         join pg_dist_shard ds on shard_name(ds.logicalrelid, ds.shardid) = j->>'shard'
         join pg_dist_placement p on p.shardid = ds.shardid and p.shardstate = 1
         join pg_dist_node nd on nd.groupid = p.groupid and nd.nodeid = w.nodeid
        group by ds.logicalrelid
     )`

const latest = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : a ?? b)
