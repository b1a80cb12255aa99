import type { Knex } from 'knex'

import { conflict } from '../cli/errors.js'
import type { Db, Scope } from '../db/connect.js'
import { quoteIdent, tenantNames } from '../db/identifiers.js'
import { migrateUp } from '../db/migrator.js'
import { recordSchemaMigrations } from '../db/schema-migrations.js'
import { requireRegistryWrite } from '../db/registry.js'
import { SqlState, sqlStateOf, translateDbError } from '../db/sqlstate.js'
import { enterTenant } from '../db/tenant-scope.js'
import { findTenant, getTenant, type Tenant } from './tenant.js'

export interface CreateTenantInput {
  slug: string
  name?: string
  plan?: string
}

export interface CreatedTenant extends Tenant {
  migrations: string[]
}

/**
 * Provision a tenant in one transaction: its registry row, its owner role, its schema and every
 * tenant migration. A failure anywhere leaves nothing behind (roles and schemas are transactional).
 */
export async function createTenant(
  db: Db,
  input: CreateTenantInput,
  /** More work in the same transaction (clone, restore), run as the admin, after the migrations. */
  within?: (trx: Knex.Transaction, tenant: Tenant) => Promise<void>,
): Promise<CreatedTenant> {
  await requireRegistryWrite(db, 'Creating a tenant')
  const names = tenantNames(input.slug)
  try {
    return await db.knex.transaction(async (trx) => {
      const tenant = await insertTenant(trx, db.scope, input)
      await enterTenant(trx, db.scope, tenant)
      const outcome = await migrateUp(trx, names.schema, 'tenant')
      await trx.raw('reset role')
      await recordSchemaMigrations(trx, tenant.slug, outcome.migrations)
      if (within) await within(trx, tenant)
      return { ...tenant, schemaMigrations: outcome.migrations, migrations: outcome.applied }
    // One snapshot for everything read: a clone copies all tables as of one moment.
    }, { isolationLevel: 'repeatable read' })
  } catch (err) {
    throw explainCreateFailure(err, names.slug)
  }
}

/**
 * The first steps of provisioning, inside the caller's transaction: the registry row, the owner
 * role and the empty schema it owns. createTenant fills the schema with migrations; a restore fills
 * it from an archive.
 */
export async function insertTenant(trx: Knex.Transaction, scope: Scope, input: CreateTenantInput): Promise<Tenant> {
  const names = tenantNames(input.slug)
  const deleted = await findTenant(trx, scope, names.slug, { deleted: true })
  if (deleted) {
    throw conflict(
      `The slug "${names.slug}" belongs to a tenant deleted at ${deleted.deletedAt!.toISOString()}, kept until ${deleted.purgeAfter!.toISOString()}.`,
      {
        actions: [
          `Bring it back: erp tenants undelete ${names.slug}`,
          `Or drop it now: erp tenants delete ${names.slug} --purge --yes`,
        ],
        data: { tenant: names.slug, status: 'deleted' },
      },
    )
  }
  await trx.withSchema('erp').table('tenants').insert({
    slug: names.slug,
    name: input.name ?? names.slug,
    plan: input.plan ?? null,
    schema_name: names.schema,
    owner_role: names.ownerRole,
    login_role: names.loginRole,
  })
  await trx.raw(`create role ${quoteIdent(names.ownerRole)} nologin`)
  // Lets a non-superuser admin (CREATEROLE) switch to the role; a superuser needs no grant.
  await trx.raw(`grant ${quoteIdent(names.ownerRole)} to current_user`)
  await trx.raw(`create schema ${quoteIdent(names.schema)} authorization ${quoteIdent(names.ownerRole)}`)
  return getTenant(trx, scope, names.slug)
}

export function explainCreateFailure(err: unknown, slug: string): unknown {
  const state = sqlStateOf(err)
  if (state === SqlState.UNIQUE_VIOLATION && (err as { constraint?: string }).constraint === 'tenants_pkey') {
    return conflict(`Tenant "${slug}" already exists`, { actions: [`See it with: erp tenants show ${slug}`], cause: err })
  }
  if (state === SqlState.DUPLICATE_OBJECT || state === SqlState.DUPLICATE_SCHEMA) {
    return conflict(`A role or schema for "${slug}" already exists on this server, though the registry has no such tenant`, {
      actions: ['Another erp registry on this server may use this slug: choose another slug, or drop the leftover role/schema.'],
      cause: err,
    })
  }
  return translateDbError(err)
}

/** Deleting, undeleting and purging live in deletion.ts. */
export { deleteTenant } from './deletion.js'

/**
 * End the sessions of a tenant's login role (suspend, delete): they must not go on working. Inside
 * the transaction that shuts the login out, so they release their locks; once more after its
 * commit, for a login that came in before the change was visible.
 */
export async function terminateSessions(knex: Knex, tenant: Pick<Tenant, 'loginRole'>): Promise<number> {
  const { rows } = await knex.raw(
    'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where usename = ? and pid <> pg_backend_pid()',
    [tenant.loginRole],
  )
  return rows[0].n
}
