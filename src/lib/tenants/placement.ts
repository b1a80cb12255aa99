import type { Db } from '../db/connect.js'
import { requireCoordinator } from '../db/citus.js'
import { requireAdmin } from '../db/registry.js'

/**
 * Where each tenant lives on a Citus cluster with schema-based sharding, from the coordinator's
 * metadata: a distributed tenant schema is one colocation group of single-shard tables, all on one
 * node; a schema not (yet) distributed stays on the coordinator. Sizes are the shards' own
 * (citus_shard_sizes, one round of queries to the workers), not the coordinator's empty shells.
 */
export interface TenantPlacement {
  slug: string
  status: string
  schema: string
  /** A distributed schema (in citus_schemas); false: a plain schema on the coordinator. */
  distributed: boolean
  colocationId: number | null
  /** host:port of the node holding the schema's tables (several, comma-separated, only mid-move or broken). */
  node: string | null
  tables: number
  /** Tables, indexes and TOAST on the node that holds them, in bytes. */
  sizeBytes: number
  sizePretty: string
}

export async function tenantPlacement(db: Db, slugs?: string[]): Promise<TenantPlacement[]> {
  requireAdmin(db.scope, 'Reading tenant placement')
  await requireCoordinator(db.knex, 'Tenant placement')
  const { rows } = await db.knex.raw(
    `with ns as (
       select t.slug, t.status, t.schema_name, n.oid as nsp, ds.colocationid
         from erp.tenants t
         left join pg_namespace n on n.nspname = t.schema_name
         left join pg_dist_schema ds on ds.schemaid = n.oid
        where t.status <> 'deleted' and (?::text[] is null or t.slug = any(?::text[]))
     ), shards as (
       select s.colocation_id, s.nodename || ':' || s.nodeport as node, s.shard_size
         from citus_shards s
        where s.colocation_id in (select colocationid from ns)
     ), coordinator as (
       select nodename || ':' || nodeport as node from pg_dist_node where groupid = 0 and noderole = 'primary'
     ), placed as (
       select ns.slug, ns.status, ns.schema_name, ns.colocationid,
              (select string_agg(distinct node, ',') from shards where colocation_id = ns.colocationid) as node,
              (select count(*) from shards where colocation_id = ns.colocationid) as tables,
              (select sum(shard_size) from shards where colocation_id = ns.colocationid) as bytes
         from ns where ns.colocationid is not null
       union all
       select ns.slug, ns.status, ns.schema_name, null, (select node from coordinator),
              (select count(*) from pg_class c where c.relnamespace = ns.nsp and c.relkind in ('r', 'p')),
              (select sum(pg_total_relation_size(c.oid)) from pg_class c where c.relnamespace = ns.nsp and c.relkind in ('r', 'p', 'm'))
         from ns where ns.colocationid is null
     )
     select slug, status, schema_name as schema, colocationid is not null as distributed,
            colocationid as "colocationId", node, tables::int as tables,
            coalesce(bytes, 0)::bigint as "sizeBytes", pg_size_pretty(coalesce(bytes, 0)::bigint) as "sizePretty"
       from placed
      order by slug`,
    [slugs ?? null, slugs ?? null],
  )
  return rows.map((r: TenantPlacement & { sizeBytes: string }) => ({ ...r, sizeBytes: Number(r.sizeBytes) }))
}
