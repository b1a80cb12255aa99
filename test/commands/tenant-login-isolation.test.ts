import { expect } from 'chai'
import pg from 'pg'

import { createTenant } from '../../src/lib/tenants/provision.js'
import { runCli } from '../helpers/cli.js'
import { adminQuery as query, openTestDb, uniqueSlug } from '../helpers/database.js'

/**
 * Each claim of the README's "What a tenant login can see" section, tried with a real tenant login
 * (the credentials `erp tenants credentials` hands out). The registry was migrated by a superuser
 * in the test run, so the catalog narrowing is in force.
 */
describe('what a tenant login can and cannot do (README claims)', function () {
  this.timeout(120_000)
  const mine = uniqueSlug('iso_a')
  const other = uniqueSlug('iso_b')
  let login: pg.Client

  before(async () => {
    const db = await openTestDb()
    try {
      await createTenant(db, { slug: mine })
      await createTenant(db, { slug: other })
    } finally {
      await db.close()
    }
    await query(`insert into tenant_${other}.settings (key, value) values ('secret', '"b"')`)
    const r = await runCli(['tenants', 'credentials', mine, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    const url = new URL(process.env.DATABASE_URL!)
    url.username = r.json.result.role
    url.password = r.json.result.password
    login = new pg.Client({ connectionString: url.toString() })
    await login.connect()
  })
  after(() => login?.end())

  const refused = async (sql: string, code = '42501') => {
    const err = await login.query(sql).then(() => undefined, (e: { code?: string }) => e)
    expect(err, sql).to.not.equal(undefined)
    expect(err!.code, sql).to.equal(code)
  }

  it('can read and write its own schema, read its registry row and write its own audit records', async () => {
    await login.query(`insert into tenant_${mine}.settings (key, value) values ('mine', '"a"')`)
    expect((await login.query(`select count(*)::int as n from tenant_${mine}.settings where key = 'mine'`)).rows[0].n).to.equal(1)
    expect((await login.query('select slug from erp.my_tenants')).rows).to.deep.equal([{ slug: mine }])
    await login.query("select erp.record_audit(null, null, $1, 'test', '{}', 'ok', 0, null, 1)", [mine])
    await refused(`select erp.record_audit(null, null, '${other}', 'test', '{}', 'ok', 0, null, 1)`)
    await login.query('create temporary table scratch (id int)')
  })

  it("cannot read or change another tenant's schema", async () => {
    await refused(`select * from tenant_${other}.settings`)
    await refused(`insert into tenant_${other}.settings (key, value) values ('x', '1')`)
    await refused(`create table tenant_${other}.planted (id int)`)
  })

  it('cannot read the registry, the audit log or the fleet records', async () => {
    for (const table of ['tenants', 'audit_log', 'registry_info', 'provisioning', 'migration_runs', 'migration_run_items', 'knex_migrations']) {
      await refused(`select * from erp.${table}`)
    }
  })

  it('cannot list the server roles, create roles, or create objects outside its schema', async () => {
    for (const view of ['pg_roles', 'pg_user', 'pg_group', 'pg_auth_members', 'pg_authid']) await refused(`select * from pg_catalog.${view}`)
    await refused("create role planted login password 'x'")
    await refused('create table public.planted (id int)')
    await refused('create schema planted')
  })

  it('cannot read server files, run programs, or become another role', async () => {
    await refused("select pg_read_file('/etc/hostname')")
    await refused("copy (select 1) to program 'true'")
    await refused('set role postgres')
    await refused('set session authorization postgres')
  })

  it("erp's database is not open to roles erp did not grant", async () => {
    const stranger = `stranger_${mine}`
    await query(`create role ${stranger} login password 'x'`)
    try {
      const url = new URL(process.env.DATABASE_URL!)
      url.username = stranger
      url.password = 'x'
      const client = new pg.Client({ connectionString: url.toString() })
      const err = await client.connect().then(() => client.end(), (e: { code?: string }) => e)
      expect((err as { code?: string })?.code).to.equal('42501')
    } finally {
      await query(`drop role ${stranger}`)
    }
  })

  it('still sees what PostgreSQL shows every role: other schemas and table names (not their rows)', async () => {
    const { rows } = await login.query('select nspname from pg_namespace where nspname = $1', [`tenant_${other}`])
    expect(rows).to.have.length(1)
  })
})
