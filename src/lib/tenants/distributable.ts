import { citusRole } from '../db/citus.js'
import type { Db } from '../db/connect.js'
import { MIGRATIONS_TABLE } from '../db/migrator.js'
import { requireAdmin } from '../db/registry.js'
import { getTenant, listTenants, type Tenant } from './tenant.js'

/**
 * What would stop `citus_schema_distribute(<tenant schema>)` from moving a tenant's schema as one
 * unit over a Citus cluster with schema-based sharding, read from the catalogs of every tenant in
 * one query. The checks follow what Citus 13 refuses when it distributes a schema
 * (schema_based_sharding.c, create_distributed_table.c): foreign keys leaving or entering it,
 * inheritance, partitions in another schema or partitioned twice, foreign tables, objects owned by
 * an extension, tables not owned by the schema's owner, triggers (refused unless
 * citus.enable_unsafe_triggers is on for that call), row-level security policies holding a
 * subquery; plus identity/serial columns narrower than bigint, which cannot be widened cheaply
 * once the data is large and spread out.
 */

export type DistributableCheck =
  | 'foreign-key-out'
  | 'foreign-key-in'
  | 'inheritance'
  | 'partition-across-schemas'
  | 'foreign-table'
  | 'extension-owned'
  | 'extension-schema'
  | 'table-owner'
  | 'trigger'
  | 'policy-subquery'
  | 'multi-level-partition'
  | 'narrow-id-sequence'

export interface DistributableFinding {
  tenant: string
  check: DistributableCheck
  /** blocker: Citus refuses to distribute the schema; risk: it distributes, but this will hurt. */
  severity: 'blocker' | 'risk'
  object: string
  detail: string
}

export interface DistributableReport {
  checked: number
  /** Tenants whose schema Citus already distributes: there is nothing left to check for them. */
  distributed: string[]
  /** Tenants with at least one finding. */
  blocked: string[]
  findings: DistributableFinding[]
}

const SEVERITY: Record<DistributableCheck, 'blocker' | 'risk'> = {
  'foreign-key-out': 'blocker',
  'foreign-key-in': 'blocker',
  inheritance: 'blocker',
  'partition-across-schemas': 'blocker',
  'foreign-table': 'blocker',
  'extension-owned': 'blocker',
  'extension-schema': 'blocker',
  'table-owner': 'blocker',
  trigger: 'blocker',
  'policy-subquery': 'blocker',
  'multi-level-partition': 'blocker',
  'narrow-id-sequence': 'risk',
}

export async function checkDistributable(db: Db, selection: { tenant?: string; all?: boolean }): Promise<DistributableReport> {
  requireAdmin(db.scope, 'Checking tenants for Citus')
  const tenants: Tenant[] = selection.all ? await listTenants(db.knex, db.scope) : [await getTenant(db.knex, db.scope, selection.tenant!)]
  const distributed = await alreadyDistributed(db, tenants)
  const slugs = tenants.map((t) => t.slug).filter((slug) => !distributed.includes(slug))
  const { rows } = await db.knex.raw(
    `with ns as (
       select t.slug, n.oid as nsp, n.nspowner
         from erp.tenants t join pg_namespace n on n.nspname = t.schema_name
        where t.slug = any(?::text[])
     )
     -- A foreign key from a table of the schema to a table elsewhere.
     select ns.slug as tenant, 'foreign-key-out' as "check", c.conrelid::regclass::text as object,
            format('constraint %s references %s', c.conname, c.confrelid::regclass) as detail
       from ns join pg_constraint c on c.contype = 'f' and c.connamespace = ns.nsp
       join pg_class r on r.oid = c.confrelid
      where r.relnamespace <> ns.nsp
     union all
     -- A foreign key from elsewhere into the schema.
     select ns.slug, 'foreign-key-in', r.oid::regclass::text,
            format('%s references it (constraint %s)', c.conrelid::regclass, c.conname)
       from ns join pg_class r on r.relnamespace = ns.nsp
       join pg_constraint c on c.contype = 'f' and c.confrelid = r.oid
      where c.connamespace <> ns.nsp
     union all
     -- Inheritance either way, and partitions whose parent is in another schema.
     select ns.slug, case when p.relkind = 'p' then 'partition-across-schemas' else 'inheritance' end,
            ch.oid::regclass::text, format('%s of %s', case when p.relkind = 'p' then 'partition' else 'child' end, p.oid::regclass)
       from ns join pg_inherits i on true
       join pg_class ch on ch.oid = i.inhrelid
       join pg_class p on p.oid = i.inhparent
      where (ch.relnamespace = ns.nsp or p.relnamespace = ns.nsp)
        and (p.relkind <> 'p' or ch.relnamespace <> p.relnamespace)
     union all
     select ns.slug, 'foreign-table', c.oid::regclass::text, 'foreign tables cannot live in a distributed schema'
       from ns join pg_class c on c.relnamespace = ns.nsp and c.relkind = 'f'
     union all
     -- Relations, functions and types that belong to an extension.
     select ns.slug, 'extension-owned', o.name, format('member of extension %s', e.extname)
       from ns
       join lateral (
         select c.oid, 'pg_class'::regclass as classid, c.oid::regclass::text as name from pg_class c where c.relnamespace = ns.nsp
         union all
         select p.oid, 'pg_proc'::regclass, p.oid::regprocedure::text from pg_proc p where p.pronamespace = ns.nsp
         union all
         select ty.oid, 'pg_type'::regclass, ty.oid::regtype::text from pg_type ty where ty.typnamespace = ns.nsp and ty.typrelid = 0
       ) o on true
       join pg_depend d on d.classid = o.classid and d.objid = o.oid and d.deptype = 'e'
       join pg_extension e on e.oid = d.refobjid
     union all
     select ns.slug, 'extension-schema', e.extname, format('extension %s is installed in this schema', e.extname)
       from ns join pg_extension e on e.extnamespace = ns.nsp
     union all
     -- citus_schema_distribute runs as the schema's owner and must own every table.
     select ns.slug, 'table-owner', c.oid::regclass::text, format('owned by %s, not by the schema owner %s', c.relowner::regrole, ns.nspowner::regrole)
       from ns join pg_class c on c.relnamespace = ns.nsp and c.relkind in ('r', 'p', 'f') and c.relowner <> ns.nspowner
     union all
     -- Triggers (not the internal ones of constraints): citus_schema_distribute refuses a table
     -- with any, unless citus.enable_unsafe_triggers is on for that call; one that depends on an
     -- extension, even then. Tables created inside an already distributed schema keep theirs.
     select ns.slug, 'trigger', c.oid::regclass::text,
            format('trigger%s %s: citus_schema_distribute refuses it unless citus.enable_unsafe_triggers is on for that call%s',
                   case when count(*) > 1 then 's' else '' end, string_agg(quote_ident(tg.tgname), ', ' order by tg.tgname),
                   case when bool_or(x.objid is not null) then ' (one depends on an extension: refused even then)' else '' end)
       from ns join pg_class c on c.relnamespace = ns.nsp
       join pg_trigger tg on tg.tgrelid = c.oid and not tg.tgisinternal
       left join pg_depend x on x.classid = 'pg_trigger'::regclass and x.objid = tg.oid and x.deptype = 'x'
      group by ns.slug, c.oid
     union all
     -- Row-level security policies whose expressions hold a subquery.
     select ns.slug, 'policy-subquery', c.oid::regclass::text, format('policy %s uses a subquery, which Citus does not support on distributed tables', quote_ident(po.polname))
       from ns join pg_class c on c.relnamespace = ns.nsp
       join pg_policy po on po.polrelid = c.oid
      where coalesce(po.polqual::text, '') like '%{SUBLINK %' or coalesce(po.polwithcheck::text, '') like '%{SUBLINK %'
     union all
     -- A partitioned table that is itself a partition.
     select ns.slug, 'multi-level-partition', ch.oid::regclass::text, format('partitioned, and a partition of %s: Citus distributes one level only', p.oid::regclass)
       from ns join pg_class ch on ch.relnamespace = ns.nsp and ch.relkind = 'p' and ch.relispartition
       join pg_inherits i on i.inhrelid = ch.oid
       join pg_class p on p.oid = i.inhparent
     union all
     -- Sequences (serial, identity) narrower than bigint, or feeding a narrower column.
     select ns.slug, 'narrow-id-sequence', coalesce(tab.oid::regclass::text || '.' || quote_ident(a.attname), sc.oid::regclass::text),
            format('%s sequence %s%s', s.seqtypid::regtype, sc.oid::regclass,
                   case when a.attname is not null then format(' on a %s column', format_type(a.atttypid, a.atttypmod)) else '' end)
       from ns join pg_class sc on sc.relnamespace = ns.nsp and sc.relkind = 'S'
       join pg_sequence s on s.seqrelid = sc.oid
       left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = sc.oid and d.refclassid = 'pg_class'::regclass
                            and d.deptype in ('a', 'i') and d.refobjsubid > 0
       left join pg_class tab on tab.oid = d.refobjid
       left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      where (s.seqtypid in ('int2'::regtype, 'int4'::regtype) or a.atttypid in ('int2'::regtype, 'int4'::regtype))
        and coalesce(tab.relname, '') <> ?
     order by 1, 2, 3`,
    [slugs, MIGRATIONS_TABLE],
  )
  const findings: DistributableFinding[] = rows.map((r: Omit<DistributableFinding, 'severity'>) => ({ ...r, severity: SEVERITY[r.check] }))
  return { checked: tenants.length, distributed, blocked: [...new Set(findings.map((f) => f.tenant))], findings }
}

/**
 * The tenants whose schema is a distributed schema already (pg_dist_schema, on a coordinator).
 * Their triggers and the like were dealt with when they were distributed, and the tables created in
 * them since are Citus's own: reporting them as blockers would send the operator to fix nothing.
 */
async function alreadyDistributed(db: Db, tenants: Tenant[]): Promise<string[]> {
  if ((await citusRole(db.knex)) !== 'coordinator') return []
  const { rows } = await db.knex.raw(
    `select t.slug from erp.tenants t
       join pg_namespace n on n.nspname = t.schema_name
       join pg_dist_schema ds on ds.schemaid = n.oid
      where t.slug = any(?::text[]) order by t.slug`,
    [tenants.map((t) => t.slug)],
  )
  return rows.map((r: { slug: string }) => r.slug)
}
