import type { Knex } from 'knex'

import { conflict } from '../errors.js'
import type { Db, Scope } from '../db/connect.js'
import { grantConnect } from '../db/database-grants.js'
import { quoteIdent, tenantNames, validateSlug, type TenantNames } from '../db/identifiers.js'
import { migrateUp } from '../db/migrator.js'
import { requireRegistryWrite } from '../db/registry.js'
import { SqlState, sqlStateOf, translateDbError } from '../db/sqlstate.js'
import { enterTenant } from '../db/tenant-scope.js'
import { findTenant, getTenant, type Tenant } from './tenant.js'
import { checkTradeSetup, setUpTrade, type TradeSetup, type TradeSetupInput } from './trade.js'

export interface CreateTenantInput {
  slug: string
  name?: string
  plan?: string
  /** createTenant only: what the tenant needs to sell (trade.ts). Clones and restores bring their data. */
  trade?: TradeSetupInput
}

export interface CreatedTenant extends Tenant {
  migrations: string[]
  /** What createTenant set up for selling, when asked (input.trade). */
  trade?: TradeSetup
}

/**
 * Provision a tenant: reserve its names (reserveTenant commits the owner role and the empty schema,
 * which Citus and erp's owner logins need to see), then, in one transaction, every tenant
 * migration, what it needs to sell when `input.trade` asks (trade.ts), and the registry row. A
 * failure drops what the reservation made; a killed process leaves a reservation that the next
 * provisioning reclaims.
 */
export async function createTenant(
  db: Db,
  input: CreateTenantInput,
  /** More of erp's own work in the same transaction (a seed), run as the admin, after the migrations. */
  within?: (trx: Knex.Transaction, tenant: Tenant) => Promise<void>,
): Promise<CreatedTenant> {
  const trade = input.trade ? checkTradeSetup(input.trade) : undefined
  await requireRegistryWrite(db, 'Creating a tenant')
  return provision(db, input, (reservation) =>
    reservation.transaction(async (trx) => {
      await enterTenant(trx, db.scope, reservation.tenant)
      const outcome = await migrateUp(trx, reservation.tenant.schema, 'tenant')
      // As the tenant, in its schema, like anything it does later.
      const setUp = trade ? await setUpTrade(trx, trade) : undefined
      await trx.raw('reset role')
      if (within) await within(trx, reservation.tenant)
      await registerTenant(trx, reservation, outcome.migrations)
      // Read back on this session: the pool may be held by other provisioning runs of this process.
      return {
        ...(await getTenant(trx, db.scope, input.slug)), schemaMigrations: outcome.migrations, migrations: outcome.applied,
        ...(setUp ? { trade: setUp } : {}),
      }
    }),
  )
}

/** A tenant's names, roles and empty schema, committed and held by this process until it is done. */
export interface Reservation {
  tenant: Tenant
  input: CreateTenantInput
  /**
   * An admin transaction on the session that holds the reservation's lock: the pool may be taken
   * by other provisioning runs of the same process, each holding a session of its own.
   */
  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>, config?: Knex.TransactionConfig): Promise<T>
}

/**
 * Reserve, fill (`fill` registers the tenant when it has filled it: registerTenant), and on any
 * failure take the reservation back. The advisory lock held on one admin session for the whole
 * time tells the living from the dead: a reservation whose lock is free belongs to a killed run.
 */
export async function provision<T>(db: Db, input: CreateTenantInput, fill: (reservation: Reservation) => Promise<T>): Promise<T> {
  await reclaimAbandoned(db.knex)
  const holder = await db.knex.client.acquireConnection()
  const transaction = <T>(work: (trx: Knex.Transaction) => Promise<T>, config: Knex.TransactionConfig = {}) =>
    db.knex.transaction(work, { ...config, connection: holder })
  try {
    const reservation = { ...(await reserveTenant(db, holder, input, transaction)), transaction }
    try {
      return await fill(reservation)
    } catch (err) {
      await releaseReservation(reservation.transaction, reservation.tenant).catch(() => {})
      throw err
    }
  } catch (err) {
    throw explainCreateFailure(err, input.slug)
  } finally {
    await holder.query('select pg_advisory_unlock_all()').catch(() => {})
    await db.knex.client.releaseConnection(holder)
  }
}

const reservationLock = (slug: string) => `erp.provision:${slug}`

async function reserveTenant(
  db: Db,
  holder: { query(sql: string, values?: unknown[]): Promise<unknown> },
  input: CreateTenantInput,
  transaction: Reservation['transaction'],
): Promise<Omit<Reservation, 'transaction'>> {
  const slug = validateSlug(input.slug)
  await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [reservationLock(slug)])
  const tenant = await transaction(async (trx) => {
    const { rows } = await trx.raw('select role_prefix from erp.registry_info')
    const names = tenantNames(slug, rows[0].role_prefix)
    await refuseTakenNames(trx, db.scope, names)
    await trx.withSchema('erp').table('provisioning').insert({
      slug, schema_name: names.schema, owner_role: names.ownerRole, login_role: names.loginRole,
    })
    // LOGIN so that erp (owner-login.ts) and Citus can open sessions as it; no valid password yet.
    await trx.raw(`create role ${quoteIdent(names.ownerRole)} login valid until 'epoch'`)
    // Lets a non-superuser admin (CREATEROLE) switch to and manage the role; a superuser needs no grant.
    await trx.raw(`grant ${quoteIdent(names.ownerRole)} to current_user`)
    await grantConnect(trx, names.ownerRole)
    await trx.raw(`create schema ${quoteIdent(names.schema)} authorization ${quoteIdent(names.ownerRole)}`)
    return {
      slug, name: input.name ?? slug, plan: input.plan ?? null, schema: names.schema, status: 'active' as const,
      ownerRole: names.ownerRole, loginRole: names.loginRole,
    }
  })
  return { tenant, input }
}

/**
 * A slug whose names another tenant holds in any form is refused: tenants of older registries
 * kept names like erp_tenant_x_login, which a new slug x_login's owner role would equal.
 */
async function refuseTakenNames(trx: Knex.Transaction, scope: Scope, names: TenantNames): Promise<void> {
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
  const { rows } = await trx.raw(
    `select slug from erp.tenants
      where slug = ? or owner_role in (?, ?) or login_role in (?, ?) or schema_name = ?
     union all
     select slug from erp.provisioning where slug = ?`,
    [names.slug, names.ownerRole, names.loginRole, names.ownerRole, names.loginRole, names.schema, names.slug],
  )
  if (!rows.length) return
  const other = rows[0].slug as string
  throw other === names.slug
    ? conflict(`Tenant "${names.slug}" already exists`, { actions: [`See it with: erp tenants show ${names.slug}`], data: { tenant: names.slug } })
    : conflict(`The slug "${names.slug}" would share a role with tenant "${other}" (a name from an older erp): choose another slug.`, {
        data: { tenant: names.slug, conflictsWith: other },
      })
}

/**
 * In the transaction that fills the reservation (or right after it): the registry row takes over
 * from it, with the migrations the schema now has.
 */
export async function registerTenant(trx: Knex.Transaction, reservation: Reservation, schemaMigrations: string[]): Promise<void> {
  const { tenant, input } = reservation
  await trx.withSchema('erp').table('provisioning').where('slug', tenant.slug).delete()
  await trx.withSchema('erp').table('tenants').insert({
    slug: tenant.slug,
    name: input.name ?? tenant.slug,
    plan: input.plan ?? null,
    schema_name: tenant.schema,
    owner_role: tenant.ownerRole,
    login_role: tenant.loginRole,
    schema_migrations: schemaMigrations,
  })
}

/** Drop what a reservation made: its schema, its roles (with whatever they own) and its row. */
async function releaseReservation(
  transaction: Reservation['transaction'],
  names: Pick<Tenant, 'slug' | 'schema' | 'ownerRole' | 'loginRole'>,
): Promise<void> {
  await transaction(async (trx) => {
    const { rowCount } = await trx.raw('select 1 from erp.provisioning where slug = ? for update', [names.slug])
    if (!rowCount) return // registered after all, or reclaimed already
    await trx.raw(`drop schema if exists ${quoteIdent(names.schema)} cascade`)
    for (const role of [names.loginRole, names.ownerRole]) {
      const { rowCount: present } = await trx.raw('select 1 from pg_roles where rolname = ?', [role])
      if (!present) continue
      await trx.raw(`drop owned by ${quoteIdent(role)}`)
      await trx.raw(`drop role ${quoteIdent(role)}`)
    }
    await trx.withSchema('erp').table('provisioning').where('slug', names.slug).delete()
  })
}

/** Reservations of killed runs (their lock is free), released; those in progress are left alone. */
export async function reclaimAbandoned(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw(
    'select slug, schema_name as schema, owner_role as "ownerRole", login_role as "loginRole" from erp.provisioning',
  )
  const reclaimed: string[] = []
  for (const row of rows) {
    const conn = await knex.client.acquireConnection()
    try {
      const { rows: [lock] } = await conn.query('select pg_try_advisory_lock(hashtextextended($1, 0)) as free', [reservationLock(row.slug)])
      if (!lock.free) continue
      try {
        await releaseReservation((work) => knex.transaction(work, { connection: conn }), row)
        reclaimed.push(row.slug)
      } finally {
        await conn.query('select pg_advisory_unlock(hashtextextended($1, 0))', [reservationLock(row.slug)])
      }
    } finally {
      await knex.client.releaseConnection(conn)
    }
  }
  return reclaimed
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
 * End the sessions of a tenant's roles (suspend, delete): they must not go on working. Its login's,
 * and its owner's, which a tenant could have given a password of its own while erp had armed it.
 * Inside the transaction that shuts the login out, so they release their locks; once more after
 * its commit, for a login that came in before the change was visible.
 */
export async function terminateSessions(knex: Knex, tenant: Pick<Tenant, 'loginRole' | 'ownerRole'>): Promise<number> {
  const { rows } = await knex.raw(
    'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where usename = any(?) and pid <> pg_backend_pid()',
    [[tenant.loginRole, tenant.ownerRole]],
  )
  return rows[0].n
}
