import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'

import { quoteIdent } from '../../src/lib/db/identifiers.js'
import { createKnex } from '../../src/lib/db/knex.js'
import { ensureRegistry } from '../../src/lib/db/registry.js'
import { packageRoot } from '../../src/lib/paths.js'

/**
 * One template database per test run, built once by the real registry migrations (mocha's global
 * setup, in the main process); every test file, and every useScratchDatabase block, gets a copy of
 * its own (CREATE DATABASE … TEMPLATE), which costs a file copy instead of a registry migration.
 *
 * The template holds no tenants. A fixture tenant would be shared by every copy through its roles,
 * which are server-wide, and erp serializes the ALTER ROLE that arms an owner login with an
 * advisory lock, which PostgreSQL scopes to one database: two copies arming the same owner role at
 * once fail with "tuple concurrently updated". So each test makes its own tenants.
 *
 * Every copy has the template's registry identity (id, role_prefix, owner_login_key). That is what
 * a fresh registry would have, bar the values: tenants get unique slugs (uniqueSlug), so their roles
 * differ whatever the prefix, and the shared prefix names every role of the run, which the global
 * teardown drops once all copies are gone (a file's teardown drops only the roles its copy knows,
 * since the prefix also matches roles of copies still in use). Suites that need a second registry
 * create a database of their own and migrate it, as before.
 *
 * The run's names reach mocha's workers through the environment, which the global setup fills
 * before the worker processes start.
 */

export interface TestRun {
  /** Superuser URL of the server under test (any database). */
  serverUrl: string
  /** What every database of this run is named with; the template is `<tag>_template`. */
  tag: string
  template: string
  /** The template registry's role_prefix: every tenant role of the run starts with it. */
  rolePrefix: string
}

const ENV = { serverUrl: 'ERP_TEST_SERVER_URL', tag: 'ERP_TEST_RUN', template: 'ERP_TEST_TEMPLATE', rolePrefix: 'ERP_TEST_ROLE_PREFIX' } as const

/** Registry migration 20261201010000: CONNECT on erp's database is granted, not PUBLIC's. */
const DATABASE_GRANTS_MIGRATION = '20261201010000_tenant_visibility.js'

const SAFE_NAME = /^[a-z0-9_]+$/

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Build this run's template on the server; its names go into the environment for the workers. */
export async function buildTemplate(serverUrl: string): Promise<TestRun> {
  const tag = `erp_r${process.pid}_${randomBytes(2).toString('hex')}`
  const template = `${tag}_template`
  await withClient(serverUrl, (c) => c.query(`create database ${template}`))
  const knex = await createKnex({ connection: databaseUrl(serverUrl, template), applicationName: 'erp-test-template' })
  let rolePrefix: string
  try {
    await ensureRegistry(knex)
    rolePrefix = (await knex.raw('select role_prefix from erp.registry_info')).rows[0].role_prefix
  } finally {
    await knex.destroy()
  }
  // No session may stay in a template while it is copied; closing it to connections also keeps
  // autovacuum out.
  await withClient(serverUrl, (c) => c.query(`alter database ${template} with is_template true allow_connections false`))
  const run = { serverUrl, tag, template, rolePrefix }
  for (const [key, name] of Object.entries(ENV)) process.env[name] = run[key as keyof TestRun]
  return run
}

/** The run the global setup built (in a worker: from the environment). */
export function currentRun(): TestRun {
  const run = Object.fromEntries(Object.entries(ENV).map(([key, name]) => [key, process.env[name]])) as Partial<TestRun>
  if (!run.serverUrl || !run.tag || !run.template || !run.rolePrefix) {
    throw new Error('No test template database: run the tests through mocha, which requires test/helpers/hooks.ts (.mocharc.json)')
  }
  return run as TestRun
}

/**
 * A new database copied from the template, ready as a migrated registry would be; returns its URL.
 * CREATE DATABASE copies the contents but not the database's own catalog row: its ACL (the
 * registry's CONNECT grants) and its settings are applied again here.
 */
export async function copyTemplate(label: string): Promise<string> {
  if (!SAFE_NAME.test(label)) throw new Error(`Invalid test database label ${JSON.stringify(label)}`)
  const run = currentRun()
  const name = `${run.tag}_${label}_${process.pid}_${randomBytes(3).toString('hex')}`
  await withClient(run.serverUrl, async (c) => {
    await c.query(`create database ${name} template ${run.template}`)
    // A test cluster loses nothing worth keeping in a crash; commits need not wait for the WAL flush.
    await c.query(`alter database ${name} set synchronous_commit = off`)
  })
  const url = databaseUrl(run.serverUrl, name)
  await applyDatabaseGrants(url)
  return url
}

/** The registry migration that closes the database to PUBLIC, run again on the copy (it is idempotent). */
async function applyDatabaseGrants(url: string): Promise<void> {
  const file = path.join(packageRoot(), 'migrations', 'registry', DATABASE_GRANTS_MIGRATION)
  const migration = (await import(pathToFileURL(file).href)) as { up: (knex: unknown) => Promise<void> }
  const knex = await createKnex({ connection: url, poolMax: 1, applicationName: 'erp-test-template' })
  try {
    await knex.transaction(async (trx) => {
      await trx.raw('set local search_path to erp')
      await migration.up(trx)
    })
  } finally {
    await knex.destroy()
  }
}

/** Drop a copy, then the tenant roles it knows (roles are server-wide; nothing else uses these). */
export async function dropCopy(url: string, serverUrl = currentRun().serverUrl): Promise<void> {
  const name = new URL(url).pathname.slice(1)
  const roles = await withClient(url, rolesOf)
  await withClient(serverUrl, async (c) => {
    await c.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await dropRoles(c, roles)
  })
}

/**
 * The roles this database's tenants use: owners of tenant schemas and their members (logins), and
 * those the registry names, including provisioning a killed run left behind. The registry tables
 * are read only where they exist: a test may have rolled the registry back.
 */
async function rolesOf(c: pg.Client): Promise<string[]> {
  const { rows: tables } = await c.query(
    `select t from unnest(array['erp.tenants', 'erp.provisioning']) t where to_regclass(t) is not null`,
  )
  const named = tables.map(({ t }) => `select owner_role from ${t} union select login_role from ${t}`)
  const { rows } = await c.query(
    `select rolname from pg_roles r
      where exists (select 1 from pg_namespace n where n.nspowner = r.oid and n.nspname like 'tenant\\_%')
         or exists (select 1 from pg_auth_members m join pg_namespace n on n.nspowner = m.roleid
                     where m.member = r.oid and n.nspname like 'tenant\\_%')
         ${named.length ? `or rolname in (${named.join(' union ')})` : ''}`,
  )
  return rows.map((r) => r.rolname as string)
}

async function dropRoles(c: pg.Client, roles: string[]): Promise<void> {
  for (const role of roles) {
    if (!/^erp_[a-z0-9_]+$/.test(role)) continue
    await c.query(`drop role if exists ${quoteIdent(role)}`)
  }
}

/**
 * The end of the run: copies a killed worker left, the template, then every role of the run (its
 * prefix is the template's, so this also takes roles a test left behind in any copy).
 */
export async function dropTemplate(run: Omit<TestRun, 'rolePrefix'> & { rolePrefix?: string }): Promise<void> {
  await withClient(run.serverUrl, async (c) => {
    const { rows: copies } = await c.query('select datname from pg_database where starts_with(datname, $1) and datname <> $2', [
      `${run.tag}_`,
      run.template,
    ])
    for (const { datname } of copies) {
      // A killed run's copies: their roles are found through the copy (its prefix may be unknown).
      if (run.rolePrefix) await c.query(`drop database if exists ${quoteIdent(datname)} with (force)`)
      else await dropCopy(databaseUrl(run.serverUrl, datname), run.serverUrl)
    }
    await c.query(`alter database ${run.template} with is_template false`).catch(() => undefined)
    await c.query(`drop database if exists ${run.template} with (force)`)
    if (!run.rolePrefix) return
    const { rows } = await c.query('select rolname from pg_roles where starts_with(rolname, $1)', [run.rolePrefix])
    await dropRoles(c, rows.map((r) => r.rolname as string))
  })
}

const RUN_DATABASE = /^(erp_r(\d+)_[0-9a-f]{4})_/

/**
 * What interrupted runs (Ctrl-C skips mocha's global teardown, a kill skips everything) left on
 * this server: their databases and roles. Only on a server of this host (loopback), where a run's
 * main process id, which its names carry, says whether it is still going.
 */
export async function sweepInterruptedRuns(serverUrl: string): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(serverUrl).hostname)) return
  const { rows } = await withClient(serverUrl, (c) => c.query("select datname from pg_database where datname like 'erp\\_r%'"))
  const tags = new Map<string, number>()
  for (const { datname } of rows) {
    const match = RUN_DATABASE.exec(datname)
    if (match) tags.set(match[1], Number(match[2]))
  }
  for (const [tag, pid] of tags) {
    if (pid === process.pid || isAlive(pid)) continue
    const template = `${tag}_template`
    const rolePrefix = rows.some((r) => r.datname === template) ? await prefixOf(serverUrl, template) : undefined
    await dropTemplate({ serverUrl, tag, template, rolePrefix })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function prefixOf(serverUrl: string, template: string): Promise<string | undefined> {
  await withClient(serverUrl, (c) => c.query(`alter database ${quoteIdent(template)} with allow_connections true`))
  return withClient(databaseUrl(serverUrl, template), async (c) => {
    const { rows } = await c.query('select role_prefix from erp.registry_info')
    return rows[0]?.role_prefix as string | undefined
  }).catch(() => undefined) // a template killed before its registry was made: no roles yet
}
