import { randomBytes } from 'node:crypto'
import type pg from 'pg'

import { connect } from '../../src/lib/auth/connection-target.js'
import type { Db } from '../../src/lib/db/connect.js'
import { tenantNames, type TenantNames } from '../../src/lib/db/identifiers.js'
import { copyTemplate, dropCopy, withClient } from './template-database.js'

/**
 * Each test file gets a database of its own, a copy of the run's template (template-database.ts)
 * on the server under test: the tests' embedded server by default, or the one TEST_DATABASE_URL
 * names. DATABASE_URL points at it, for services and spawned erp processes alike. Tenant roles are
 * server-wide, so tests use unique slugs (uniqueSlug); the roles go when the database does.
 */

let databaseUrl: string | undefined

export async function setUpTestDatabase(): Promise<string> {
  databaseUrl = await copyTemplate('test')
  process.env.DATABASE_URL = databaseUrl
  return databaseUrl
}

export async function tearDownTestDatabase(): Promise<void> {
  if (!databaseUrl) return
  const url = databaseUrl
  databaseUrl = undefined
  delete process.env.DATABASE_URL
  await dropCopy(url)
}

/**
 * A database of its own for one describe block (call it first in the block): for suites whose
 * fleet-wide commands apply extra migrations (ERP_MIGRATIONS_DIR) to every tenant, or migrate the
 * registry past the tree. They must not see the file's other tenants (an older tree's commands
 * refuse a tenant migrated past it), nor leave theirs behind for the tests after them. DATABASE_URL,
 * and so every spawned erp, points at it for the block.
 */
export function useScratchDatabase(label = 'scratch'): void {
  let outer: string | undefined
  let scratch: string | undefined
  before(async function () {
    this.timeout(120_000)
    outer = process.env.DATABASE_URL
    scratch = await copyTemplate(label)
    process.env.DATABASE_URL = scratch
  })
  after(async function () {
    this.timeout(120_000)
    process.env.DATABASE_URL = outer
    if (scratch) await dropCopy(scratch)
  })
}

/** An admin connection to the test database, as a command would open it. */
export function openTestDb(): Promise<Db> {
  return connect({})
}

/** A slug no other test (or earlier run) uses: roles are shared by the whole server. */
export function uniqueSlug(prefix = 't'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

/** The names erp gives a new tenant of this slug in the test registry (its role prefix). */
export async function namesFor(slug: string): Promise<TenantNames> {
  const { rows } = await adminQuery('select role_prefix from erp.registry_info')
  return tenantNames(slug, rows[0].role_prefix)
}

/** What is left of a tenant of this slug: its registry row, its schema, its owner role. */
export async function tenantTraces(db: Db, slug: string): Promise<{ registry: boolean; schema: boolean; role: boolean }> {
  const names = await namesFor(slug)
  const { rows } = await db.knex.raw(
    `select exists (select 1 from erp.tenants where slug = ?) as registry,
            exists (select 1 from pg_namespace where nspname = ?) as schema,
            exists (select 1 from pg_roles where rolname = ?) as role`,
    [slug, names.schema, names.ownerRole],
  )
  return rows[0]
}

/** One query on the test database as its admin, outside erp: what a DBA would see. */
export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withClient(process.env.DATABASE_URL!, (c) => c.query(sql, params))
}

/** Run SQL (several statements) inside a tenant's schema as its owner role, as its migrations do. */
export async function asTenantOwner(db: Db, slug: string, sql: string): Promise<void> {
  const { schema, ownerRole } = await namesFor(slug)
  await db.knex.transaction(async (trx) => {
    await trx.raw(`set local search_path to "${schema}"`)
    await trx.raw(`set local role "${ownerRole}"`)
    const conn = await trx.client.acquireConnection()
    try {
      await conn.query(sql)
    } finally {
      await trx.client.releaseConnection(conn)
    }
  })
}
