import type { Knex } from 'knex'

import { configError } from '../errors.js'

/** What this database is to Citus: not part of a cluster, its coordinator, or a worker. */
export type CitusRole = 'none' | 'coordinator' | 'worker'

export async function citusRole(knex: Knex): Promise<CitusRole> {
  const { rows } = await knex.raw(`select exists (select 1 from pg_extension where extname = 'citus') as citus`)
  if (!rows[0].citus) return 'none'
  const { rows: [node] } = await knex.raw('select citus_is_coordinator() as coordinator')
  return node.coordinator ? 'coordinator' : 'worker'
}

/**
 * Placement and moves are the coordinator's business: its metadata says where each schema lives,
 * and only it can move one. Anywhere else the question has no answer, so the command says where
 * it is connected instead of answering as if one server were a cluster.
 */
export async function requireCoordinator(knex: Knex, what: string): Promise<void> {
  const role = await citusRole(knex)
  if (role === 'coordinator') return
  const { rows: [here] } = await knex.raw('select current_database() as database')
  throw configError(
    role === 'worker'
      ? `${what} needs the Citus coordinator: database "${here.database}" here is a Citus worker.`
      : `${what} needs a Citus coordinator: database "${here.database}" has no citus extension, so every tenant is on this one server.`,
    {
      actions: role === 'worker'
        ? ['Connect to the coordinator (--profile, or DATABASE_URL) and run it there.']
        : ['On one server, erp tenants usage shows each tenant\'s size; see docs/citus.md to run erp on a Citus cluster.'],
      data: { citus: role },
    },
  )
}

/**
 * Citus refuses CREATE/ALTER/DROP TRIGGER on a distributed table ("triggers are not supported on
 * distributed tables") unless citus.enable_unsafe_triggers is on. erp's tenant triggers are safe
 * in the sense that setting guards against: a tenant's tables are one colocation group on one
 * node, and a trigger reads and writes only tables of its own schema, so it runs on that node,
 * inside the shard's transaction.
 */
export function allowTenantTriggers(trx: Knex.Transaction): Promise<void> {
  return turnOnForTransaction(trx, 'citus.enable_unsafe_triggers')
}

/**
 * An INSERT … SELECT into a tenant table with an identity column cannot run on the tenant's node:
 * Citus evaluates the sequence on the coordinator ("Sequences cannot be used in router queries")
 * and so collects the SELECT's rows there first. It plans that SELECT with its multi-shard join
 * planner, which, in 13.2, treats an inner join between two single-shard tables of one tenant as
 * one that needs repartitioning, and refuses it unless citus.enable_repartition_joins is on (tried
 * on a real cluster: an upsert import stopped with "the query contains a join that requires
 * repartitioning"). The tables are colocated, so the "repartition" is one task on one node.
 */
export function allowStagedJoins(trx: Knex.Transaction): Promise<void> {
  return turnOnForTransaction(trx, 'citus.enable_repartition_joins')
}

/**
 * A Citus setting on for this transaction only, and only where Citus is loaded: current_setting(…,
 * true) is null elsewhere, so nothing is set on plain PostgreSQL.
 */
async function turnOnForTransaction(trx: Knex.Transaction, setting: string): Promise<void> {
  await trx.raw(`select set_config(?, 'on', true) where current_setting(?, true) is not null`, [setting, setting])
}

/**
 * Whether a unique index's refusal comes back as a unique violation (SQLSTATE 23505). Citus 13.2
 * reports an error from a worker's COPY (the way an INSERT … SELECT collected on the coordinator
 * writes) as XX000, keeping only PostgreSQL's message, which is in the server's language and no
 * key to match on. Code that lets a unique index stand in for its own checks (an import's merge)
 * runs the checks first where Citus is loaded.
 */
export async function reportsUniqueViolations(knex: Knex): Promise<boolean> {
  return (await citusRole(knex)) === 'none'
}
