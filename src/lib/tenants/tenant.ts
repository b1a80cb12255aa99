import type { Knex } from 'knex'

import { notFound } from '../errors.js'
import type { Scope } from '../db/connect.js'
import { validateSlug } from '../db/identifiers.js'

export type TenantStatus = 'active' | 'suspended' | 'deleted'

export interface Tenant {
  slug: string
  name: string
  plan: string | null
  schema: string
  status: TenantStatus
  ownerRole: string
  loginRole: string
  createdAt?: Date
  updatedAt?: Date
  suspendedAt?: Date | null
  /** Deleted tenants only: when it was deleted, and when purge-deleted may drop it. */
  deletedAt?: Date | null
  purgeAfter?: Date | null
  /**
   * The migrations applied to its schema, as the registry recorded them when erp last migrated it
   * (null: not recorded; see db/schema-migrations.ts).
   */
  schemaMigrations?: string[] | null
}

const ADMIN_COLUMNS = {
  slug: 'slug',
  name: 'name',
  plan: 'plan',
  schema: 'schema_name',
  status: 'status',
  ownerRole: 'owner_role',
  loginRole: 'login_role',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  suspendedAt: 'suspended_at',
  deletedAt: 'deleted_at',
  purgeAfter: 'purge_after',
}

/**
 * schema_migrations read through the row as JSON: a registry not yet migrated to have the column
 * (a tenant login does not upgrade the registry; doctor reads it as it is) gives null, not an error.
 */
const schemaMigrations = (knex: Knex, relation: string) =>
  knex.raw(`to_jsonb(${relation}) -> 'schema_migrations' as "schemaMigrations"`)

/** Registry rows as the scope may see them: admins read the table, tenant logins their own view row. */
function tenantsQuery(knex: Knex, scope: Scope): Knex.QueryBuilder {
  if (scope.kind === 'admin') return knex.withSchema('erp').from('tenants').select(ADMIN_COLUMNS, schemaMigrations(knex, 'tenants'))
  return knex
    .withSchema('erp')
    .from('my_tenants')
    .select({
      slug: 'slug', name: 'name', plan: 'plan', schema: 'schema_name', status: 'status',
      ownerRole: 'owner_role', loginRole: 'login_role',
    }, schemaMigrations(knex, 'my_tenants'))
}

/** A live (not deleted) tenant; `{ deleted: true }` finds a deleted one instead. */
export async function findTenant(
  knex: Knex,
  scope: Scope,
  slug: string,
  options: { deleted?: boolean } = {},
): Promise<Tenant | undefined> {
  validateSlug(slug)
  const query = tenantsQuery(knex, scope).where('slug', slug)
  if (options.deleted) query.where('status', 'deleted')
  else query.whereNot('status', 'deleted')
  return query.first()
}

export async function getTenant(knex: Knex, scope: Scope, slug: string): Promise<Tenant> {
  const tenant = await findTenant(knex, scope, slug)
  if (!tenant) {
    const deleted = scope.kind === 'admin' ? await findTenant(knex, scope, slug, { deleted: true }) : undefined
    if (deleted) {
      throw notFound(`Tenant "${slug}" was deleted at ${deleted.deletedAt!.toISOString()}; it is kept until ${deleted.purgeAfter!.toISOString()}.`, {
        actions: [`Bring it back with: erp tenants undelete ${slug}`, 'See deleted tenants with: erp tenants list --deleted'],
        data: { tenant: slug, status: 'deleted' },
      })
    }
    throw notFound(`No tenant "${slug}"`, { actions: ['List tenants with: erp tenants list'], data: { tenant: slug } })
  }
  return tenant
}

/** Tenants in slug order; deleted ones (kept for their grace period) only when asked for. */
export async function listTenants(
  knex: Knex,
  scope: Scope,
  filter: { status?: TenantStatus; includeDeleted?: boolean } = {},
): Promise<Tenant[]> {
  const query = tenantsQuery(knex, scope).orderBy('slug')
  if (filter.status) query.where('status', filter.status)
  else if (!filter.includeDeleted) query.whereNot('status', 'deleted')
  return query
}
