import type { Knex } from 'knex'

import { conflict, ErpError, ErrorKind, notFound, usageError } from '../errors.js'
import type { Db } from '../db/connect.js'
import { quoteIdent } from '../db/identifiers.js'
import { requireAdmin } from '../db/registry.js'
import { translateDbError } from '../db/sqlstate.js'
import { tenantPlacement } from './placement.js'
import { getTenant } from './tenant.js'

/**
 * Move a distributed tenant schema to another node (citus_schema_move), then ANALYZE its tables
 * (the new node's shards start without statistics: plans go wrong until then), then check that
 * every table holds as many rows as before, counted exactly (count(*)), before and after.
 */
export const TRANSFER_MODES = ['auto', 'force_logical', 'block_writes'] as const
export type TransferMode = (typeof TRANSFER_MODES)[number]

export interface MoveTenantInput {
  slug: string
  /** host:port, as the node is registered in pg_dist_node. */
  node: string
  transferMode?: TransferMode
  dryRun?: boolean
}

export interface TableCount {
  table: string
  before: number
  /** null on a dry run, or when nothing had to move. */
  after: number | null
}

export interface MoveTenantResult {
  slug: string
  schema: string
  from: string | null
  to: string
  /** False when the tenant was already there, or on a dry run. */
  moved: boolean
  dryRun: boolean
  transferMode: TransferMode
  sizeBytes: number
  tables: TableCount[]
  analyzed: number
}

export async function moveTenant(db: Db, input: MoveTenantInput): Promise<MoveTenantResult> {
  requireAdmin(db.scope, 'Moving a tenant')
  const target = parseNode(input.node)
  const transferMode = input.transferMode ?? 'auto'
  const tenant = await getTenant(db.knex, db.scope, input.slug)
  const [placement] = await tenantPlacement(db, [tenant.slug])
  if (!placement?.distributed) {
    throw conflict(`Tenant "${tenant.slug}" is not a distributed schema: its tables live on the coordinator, so there is nothing to move.`, {
      actions: [
        `Check it first: erp tenants check-distributable ${tenant.slug}`,
        `Then distribute it (as the admin, on the coordinator): select citus_schema_distribute('${tenant.schema}')`,
      ],
      data: { tenant: tenant.slug, schema: tenant.schema },
    })
  }
  await requireTargetNode(db.knex, target)
  const to = `${target.host}:${target.port}`
  const tables = await tenantTables(db.knex, tenant.schema)
  const result: MoveTenantResult = {
    slug: tenant.slug, schema: tenant.schema, from: placement.node, to, moved: false, dryRun: Boolean(input.dryRun),
    transferMode, sizeBytes: placement.sizeBytes, tables: [], analyzed: 0,
  }
  const before = await countRows(db.knex, tenant.schema, tables)
  result.tables = tables.map((t) => ({ table: t, before: before[t], after: null }))
  if (placement.node === to || input.dryRun) return result

  try {
    await db.knex.raw(
      'select citus_schema_move((select oid from pg_namespace where nspname = ?)::regnamespace, ?, ?, ?::citus.shard_transfer_mode)',
      [tenant.schema, target.host, target.port, transferMode],
    )
  } catch (err) {
    throw translateDbError(err)
  }
  result.moved = true
  for (const table of tables) await db.knex.raw(`analyze ${quoteIdent(tenant.schema)}.${quoteIdent(table)}`)
  result.analyzed = tables.length

  const after = await countRows(db.knex, tenant.schema, tables)
  result.tables = tables.map((t) => ({ table: t, before: before[t], after: after[t] }))
  const [now] = await tenantPlacement(db, [tenant.slug])
  const differ = result.tables.filter((t) => t.before !== t.after)
  if (now?.node !== to || differ.length) {
    throw new ErpError(
      ErrorKind.FAILED,
      now?.node !== to
        ? `Tenant "${tenant.slug}" was moved, but its tables are on ${now?.node ?? 'no node'}, not ${to}.`
        : `Tenant "${tenant.slug}" was moved to ${to}, but ${differ.length} table(s) hold a different number of rows than before: ${differ.map((t) => `${t.table} ${t.before} → ${t.after}`).join(', ')}.`,
      {
        actions: [
          'Rows written during the move count as differences: for an exact check, suspend the tenant before moving (erp tenants suspend).',
          `See where it is: erp tenants placement --tenant ${tenant.slug}`,
        ],
        data: result,
      },
    )
  }
  return result
}

function parseNode(node: string): { host: string; port: number } {
  const match = /^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(node)
  const port = match ? Number(match[2]) : 0
  if (!match || port < 1 || port > 65535) {
    throw usageError(`--node takes host:port, as the node is registered on the coordinator: "${node}" is not that.`, {
      actions: ['See the nodes with: erp tenants placement (or select nodename, nodeport from pg_dist_node)'],
    })
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port }
}

async function requireTargetNode(knex: Knex, target: { host: string; port: number }): Promise<void> {
  const { rows } = await knex.raw(
    `select nodename, nodeport, isactive, noderole::text as role, shouldhaveshards,
            nodename = ? and nodeport = ? as wanted
       from pg_dist_node order by nodeid`,
    [target.host, target.port],
  )
  const node = rows.find((r: { wanted: boolean }) => r.wanted)
  const nodes = rows.map((r: { nodename: string; nodeport: number }) => `${r.nodename}:${r.nodeport}`)
  if (!node) {
    throw notFound(`No node ${target.host}:${target.port} in this cluster.`, {
      actions: [`Nodes: ${nodes.join(', ')}`],
      data: { nodes },
    })
  }
  if (!node.isactive || node.role !== 'primary') {
    throw conflict(`Node ${target.host}:${target.port} is not an active primary: tenants cannot move there.`, { data: { nodes } })
  }
}

/** The schema's tables that hold rows themselves (partitions, not their parents). */
async function tenantTables(knex: Knex, schema: string): Promise<string[]> {
  const { rows } = await knex.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind = 'r' order by c.relname`,
    [schema],
  )
  return rows.map((r: { relname: string }) => r.relname)
}

/** Exact counts, one statement: the tables are colocated, so Citus runs it on their one node. */
async function countRows(knex: Knex, schema: string, tables: string[]): Promise<Record<string, number>> {
  if (!tables.length) return {}
  const { rows } = await knex.raw(
    tables.map((t) => `select ? as t, count(*)::bigint as n from ${quoteIdent(schema)}.${quoteIdent(t)}`).join(' union all '),
    tables,
  )
  return Object.fromEntries(rows.map((r: { t: string; n: string }) => [r.t, Number(r.n)]))
}
