import { randomBytes } from 'node:crypto'
import pg from 'pg'

import { connect } from '../../src/lib/auth/connection-target.js'
import type { Db } from '../../src/lib/db/connect.js'
import { ensureEmbeddedServer } from '../../src/lib/db/embedded-server.js'
import { tenantNames, type TenantNames } from '../../src/lib/db/identifiers.js'
import { ensureRegistry } from '../../src/lib/db/registry.js'

/**
 * Each test run gets a database of its own on the server under test: the embedded server by
 * default, or the one TEST_DATABASE_URL names. Tenant roles are cluster-wide, so tests use unique
 * slugs (uniqueSlug) and the run drops its roles at the end.
 */

let serverUrl: string | undefined
let databaseUrl: string | undefined

export async function setUpTestDatabase(): Promise<string> {
  serverUrl = process.env.TEST_DATABASE_URL ?? (await ensureEmbeddedServer())
  databaseUrl = await createTestDatabase('test')
  return databaseUrl
}

export async function tearDownTestDatabase(): Promise<void> {
  if (!serverUrl || !databaseUrl) return
  await dropTestDatabase(databaseUrl)
}

/** A new database on the server under test, with the registry in it; DATABASE_URL points at it. */
async function createTestDatabase(label: string): Promise<string> {
  const name = `erp_${label}_${process.pid}_${randomBytes(3).toString('hex')}`
  await withServer(serverUrl!, (c) => c.query(`create database ${name}`))
  const url = new URL(serverUrl!)
  url.pathname = `/${name}`
  process.env.DATABASE_URL = url.toString()
  const db = await connect({})
  try {
    await ensureRegistry(db.knex)
  } finally {
    await db.close()
  }
  return url.toString()
}

async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1)
  // Roles are server-wide: find this database's (tenant owners and their logins), drop the
  // database, then the roles, which nothing depends on any more.
  const roles = await withServer(url, async (c) => {
    const { rows } = await c.query(
      `select rolname from pg_roles r
        where exists (select 1 from pg_namespace n where n.nspowner = r.oid and n.nspname like 'tenant\\_%')
           or exists (select 1 from pg_auth_members m join pg_roles o on o.oid = m.roleid join pg_namespace n on n.nspowner = o.oid
                       where m.member = r.oid and n.nspname like 'tenant\\_%')
           or rolname in (select owner_role from erp.tenants union select login_role from erp.tenants)
           or starts_with(rolname, (select role_prefix from erp.registry_info))`,
    )
    return rows.map((r) => r.rolname as string)
  })
  await withServer(serverUrl!, async (c) => {
    await c.query(`drop database if exists ${name} with (force)`)
    for (const role of roles) {
      if (!/^erp_[a-z0-9_]+$/.test(role)) continue
      await c.query(`drop role if exists "${role}"`)
    }
  })
}

/**
 * A database of its own for one describe block (call it first in the block): for suites whose
 * fleet-wide commands apply extra migrations (ERP_MIGRATIONS_DIR) to every tenant, or migrate the
 * registry past the tree. They must not see other suites' tenants (an older tree's commands refuse
 * a tenant migrated past it), nor leave theirs behind for the suites after them. DATABASE_URL, and
 * so every spawned erp, points at it for the block.
 */
export function useScratchDatabase(label = 'scratch'): void {
  let outer: string | undefined
  before(async function () {
    this.timeout(120_000)
    outer = process.env.DATABASE_URL
    await createTestDatabase(label)
  })
  after(async function () {
    this.timeout(120_000)
    const url = process.env.DATABASE_URL!
    process.env.DATABASE_URL = outer
    await dropTestDatabase(url)
  })
}

async function withServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
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
  return withServer(process.env.DATABASE_URL!, (c) => c.query(sql, params))
}
