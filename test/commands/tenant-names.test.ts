import { randomBytes } from 'node:crypto'

import { expect } from 'chai'

import { runCli, runProcess } from '../helpers/cli.js'
import { adminQuery as query, namesFor, uniqueSlug } from '../helpers/database.js'

/** Role names cannot collide, whatever the slugs, and two registries can share one server. */
describe('tenant role names', function () {
  this.timeout(180_000)
  const created = async (slug: string) => {
    const r = await runCli(['tenants', 'create', slug, '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    return r.json.result
  }
  const roleOf = async (slug: string) => (await query('select owner_role, login_role from erp.tenants where slug = $1', [slug])).rows[0]
  const schemaExists = async (slug: string) => (await query('select to_regnamespace($1) is not null as e', [`tenant_${slug}`])).rows[0].e

  for (const order of ['x_login first', 'x first'] as const) {
    it(`x and x_login get roles of their own (${order}); purging one leaves the other whole`, async () => {
      const x = uniqueSlug('hx')
      const xLogin = `${x}_login`
      for (const slug of order === 'x first' ? [x, xLogin] : [xLogin, x]) await created(slug)
      const [a, b] = [await roleOf(x), await roleOf(xLogin)]
      const all = [a.owner_role, a.login_role, b.owner_role, b.login_role]
      expect(new Set(all).size).to.equal(4)

      // Credentials for x create x's login; they never touch x_login's owner.
      const before = (await query('select rolpassword from pg_authid where rolname = $1', [b.owner_role])).rows[0]
      const cred = await runCli(['tenants', 'credentials', x, '--json'])
      expect(cred.code, cred.stderr).to.equal(0)
      expect(cred.json.result.role).to.equal(a.login_role)
      expect((await query('select rolpassword from pg_authid where rolname = $1', [b.owner_role])).rows[0]).to.deep.equal(before)

      const purged = await runCli(['tenants', 'delete', x, '--purge', '--no-backup', '--yes', '--json'])
      expect(purged.code, purged.stdout + purged.stderr).to.equal(0)
      expect(await schemaExists(xLogin)).to.equal(true)
      expect((await query('select 1 from pg_roles where rolname = $1', [b.owner_role])).rowCount).to.equal(1)
      const listed = await runCli(['products', 'list', '--tenant', xLogin, '--json'])
      expect(listed.code, listed.stdout + listed.stderr).to.equal(0)
    })
  }

  it('parallel provisioning: no run reclaims another living run\'s reservation; one slug is created once', async () => {
    const slugs = [uniqueSlug('par'), uniqueSlug('par'), uniqueSlug('par')]
    // Processes of their own: in-process runs take turns, and these must overlap.
    const runs = await Promise.all([...slugs, slugs[0]].map((slug) => runProcess(['tenants', 'create', slug, '--json'])))
    const codes = runs.map((r) => r.code)
    expect(codes.slice(1, 3), runs.map((r) => r.stdout + r.stderr).join('\n')).to.deep.equal([0, 0])
    expect([codes[0], codes[3]].sort()).to.deep.equal([0, 1])
    for (const slug of slugs) expect(await schemaExists(slug), slug).to.equal(true)
    expect((await query('select count(*)::int as n from erp.provisioning')).rows[0].n).to.equal(0)
  })

  it('refuses a slug whose owner role a tenant of an older erp holds as its login', async () => {
    const old = uniqueSlug('old')
    const { ownerRole } = await namesFor(`${old}_login`)
    // An older erp named logins <prefix><slug>_login: that is the owner name a new slug old_login would get.
    await query(`insert into erp.tenants (slug, name, schema_name, owner_role, login_role) values ($1, $1, $2, $3, $4)`,
      [old, `tenant_${old}`, `${ownerRole}_owner_of_old`, ownerRole])
    try {
      const r = await runCli(['tenants', 'create', `${old}_login`, '--json'])
      expect(r.code).to.equal(1)
      expect(r.json.error.message).to.match(new RegExp(`would share a role with tenant "${old}"`))
      expect((await query('select 1 from pg_roles where rolname = $1', [ownerRole])).rowCount).to.equal(0)
    } finally {
      await query('delete from erp.tenants where slug = $1', [old])
    }
  })

  it('two registries on one server hold tenants of the same slug, each with its own roles', async () => {
    const second = `erp_test_second_${randomBytes(3).toString('hex')}`
    await query(`create database ${second}`)
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${second}`
    try {
      const slug = uniqueSlug('twin')
      await created(slug)
      const other = await runCli(['tenants', 'create', slug, '--json'], { env: { DATABASE_URL: url.toString() } })
      expect(other.code, other.stdout + other.stderr).to.equal(0)
      expect(other.json.result.ownerRole).to.not.equal((await roleOf(slug)).owner_role)
      const doctor = await runCli(['doctor', '--json'], { env: { DATABASE_URL: url.toString() } })
      expect(JSON.stringify(doctor.json.result.items)).to.include(other.json.result.ownerRole.slice(0, -slug.length))
      const purge = await runCli(['tenants', 'delete', slug, '--purge', '--no-backup', '--yes', '--json'], { env: { DATABASE_URL: url.toString() } })
      expect(purge.code, purge.stdout).to.equal(0)
    } finally {
      await query(`drop database ${second} with (force)`)
    }
  })
})
