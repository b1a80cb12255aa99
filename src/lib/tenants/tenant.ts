import type { Knex } from 'knex'

import { notFound } from '../cli/errors.js'
import type { Scope } from '../db/connect.js'
import { validateSlug } from '../db/identifiers.js'

export type TenantStatus = 'active' | 'suspended'

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
}

/** Registry rows as the scope may see them: admins read the table, tenant logins their own view row. */
function tenantsQuery(knex: Knex, scope: Scope): Knex.QueryBuilder {
  if (scope.kind === 'admin') return knex.withSchema('erp').from('tenants').select(ADMIN_COLUMNS)
  return knex
    .withSchema('erp')
    .from('my_tenants')
    .select({
      slug: 'slug', name: 'name', plan: 'plan', schema: 'schema_name', status: 'status',
      ownerRole: 'owner_role', loginRole: 'login_role',
    })
}

export async function findTenant(knex: Knex, scope: Scope, slug: string): Promise<Tenant | undefined> {
  validateSlug(slug)
  return tenantsQuery(knex, scope).where('slug', slug).first()
}

export async function getTenant(knex: Knex, scope: Scope, slug: string): Promise<Tenant> {
  const tenant = await findTenant(knex, scope, slug)
  if (!tenant) {
    throw notFound(`No tenant "${slug}"`, { actions: ['List tenants with: erp tenants list'], data: { tenant: slug } })
  }
  return tenant
}

export async function listTenants(knex: Knex, scope: Scope, filter: { status?: TenantStatus } = {}): Promise<Tenant[]> {
  const query = tenantsQuery(knex, scope).orderBy('slug')
  if (filter.status) query.where('status', filter.status)
  return query
}
