import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

import { runCli } from '../helpers/cli.js'
import { adminQuery, namesFor, uniqueSlug } from '../helpers/database.js'

/** A private config folder per test: profiles and the credentials file live there. */
function freshConfig() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'erp-auth-test-'))
}


describe('tenant credentials, profiles and isolation', () => {
  const mine = uniqueSlug('own')
  const other = uniqueSlug('oth')
  const config = freshConfig()
  const env = { ERP_CONFIG_DIR: config, ERP_CREDENTIAL_STORE: 'file' }

  before(async () => {
    for (const slug of [mine, other]) expect((await runCli(['tenants', 'create', slug], { env })).code).to.equal(0)
  })

  it('stores a tenant login into a profile without ever printing the secret', async () => {
    const r = await runCli(['tenants', 'credentials', mine, '--save-profile', 'mine', '--json'], { env })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result).to.include({ tenant: mine, profile: 'mine', store: 'file', rotated: false })
    expect(r.json.result).not.to.have.property('password')
    const file = path.join(config, 'credentials.json')
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
    const secret = JSON.parse(fs.readFileSync(file, 'utf8')).secrets.mine as string
    expect(secret).to.have.length.greaterThan(20)
    expect(r.stdout + r.stderr).not.to.contain(secret)

    const who = await runCli(['auth', 'whoami', '--profile', 'mine', '--json'], { env })
    expect(who.json.result).to.include({ profile: 'mine', secretStore: 'file', databaseUser: `${(await namesFor(mine)).loginRole}` })
    expect(who.json.result.scope).to.deep.equal({ kind: 'tenant', tenant: mine })
    expect(who.stdout).not.to.contain(secret)
  })

  it('lets the tenant profile work in its own tenant', async () => {
    const script = path.join(config, 'ok.sql')
    fs.writeFileSync(script, 'create table notes (id int); insert into notes values (1);')
    const r = await runCli(['sql', 'exec', '--file', script, '--profile', 'mine', '--json'], { env })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.tenants[0]).to.include({ tenant: mine, status: 'ok', rows: 1 })
  })

  it('refuses the tenant profile on another tenant in the CLI, with exit 77', async () => {
    const r = await runCli(['tenants', 'show', other, '--profile', 'mine', '--json'], { env })
    expect(r.code).to.equal(77)
    expect(r.json.error.kind).to.equal('NOT_ALLOWED')
    const list = await runCli(['tenants', 'list', '--profile', 'mine', '--json'], { env })
    expect(list.json.result.items.map((t: { slug: string }) => t.slug)).to.deep.equal([mine])
    const create = await runCli(['tenants', 'create', uniqueSlug('no'), '--profile', 'mine', '--json'], { env })
    expect(create.code).to.equal(77)
  })

  it("and PostgreSQL refuses the tenant login's raw queries on another tenant's schema (42501)", async () => {
    const secret = JSON.parse(fs.readFileSync(path.join(config, 'credentials.json'), 'utf8')).secrets.mine
    const url = new URL(process.env.DATABASE_URL!)
    url.username = `${(await namesFor(mine)).loginRole}`
    url.password = secret
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    try {
      // Readable (migrations may seed settings rows: the count itself does not matter).
      const own = await client.query(`select count(*)::int as n from tenant_${mine}.settings`)
      expect(own.rows[0].n).to.be.a('number')
      let error: (Error & { code?: string }) | undefined
      try {
        await client.query(`select * from tenant_${other}.settings`)
      } catch (err) {
        error = err as Error & { code?: string }
      }
      expect(error?.code).to.equal('42501')
      const registry = await client.query('select * from erp.tenants').catch((err) => err)
      expect(registry.code).to.equal('42501')
    } finally {
      await client.end()
    }
  })

  it('keeps secrets out of the audit log, even when the command printed one', async () => {
    const printed = await runCli(['tenants', 'credentials', other, '--json'], { env })
    const secret = printed.json.result.password as string
    expect(secret).to.be.a('string')
    const audit = await adminQuery('select args::text, error from erp.audit_log')
    expect(JSON.stringify(audit.rows)).not.to.contain(secret)
    const list = await runCli(['audit', 'list', '--tenant', other, '--json'], { env })
    expect(list.json.result.items[0]).to.include({ tenant: other, command: 'tenants credentials', outcome: 'ok' })
    expect(list.stdout).not.to.contain(secret)
  })

  it('rotating invalidates the previous secret', async function () {
    const first = (await runCli(['tenants', 'credentials', other, '--json'], { env })).json.result.password
    const second = await runCli(['tenants', 'credentials', other, '--json'], { env })
    expect(second.json.result.rotated).to.equal(true)
    const tryLogin = async (password: string) => {
      const url = new URL(process.env.DATABASE_URL!)
      url.username = `${(await namesFor(other)).loginRole}`
      url.password = password
      const client = new pg.Client({ connectionString: url.toString() })
      try {
        await client.connect()
        return undefined
      } catch (err) {
        return (err as { code?: string }).code
      } finally {
        await client.end().catch(() => undefined)
      }
    }
    // A server with trust authentication (CI's system server) checks no password at all:
    // there is nothing to observe there, so this case only runs where passwords count.
    if ((await tryLogin('certainly-not-the-password')) === undefined) this.skip()
    expect(await tryLogin(first)).to.equal('28P01')
    expect(await tryLogin(second.json.result.password)).to.equal(undefined)
  })

  it("a suspended tenant's stored credentials cannot connect, and can again after resume", async () => {
    expect((await runCli(['tenants', 'suspend', mine], { env })).code).to.equal(0)
    const refused = await runCli(['tenants', 'list', '--profile', 'mine', '--json'], { env })
    expect(refused.code, refused.stdout).to.equal(77)
    expect(refused.json.error.message).to.match(/not permitted to log in/)
    expect((await runCli(['tenants', 'resume', mine], { env })).code).to.equal(0)
    expect((await runCli(['tenants', 'list', '--profile', 'mine', '--json'], { env })).code).to.equal(0)
  })

  it('refuses to read a credentials file that others can read (exit 78), without showing its content', async () => {
    const file = path.join(config, 'credentials.json')
    fs.chmodSync(file, 0o644)
    try {
      const r = await runCli(['tenants', 'list', '--profile', 'mine', '--json'], { env })
      expect(r.code).to.equal(78)
      expect(r.json.error.message).to.contain(file)
      expect(r.stdout).not.to.contain(JSON.parse(fs.readFileSync(file, 'utf8')).secrets.mine)
    } finally {
      fs.chmodSync(file, 0o600)
    }
  })

  it('logs in with a URL and --password-stdin, lists, uses and logs out a profile', async () => {
    const url = new URL(process.env.DATABASE_URL!)
    const password = decodeURIComponent(url.password)
    url.password = ''
    const secretFlags = password ? ['--password-stdin'] : ['--no-password']
    const login = await runCli(['auth', 'login', 'admin', '--url', url.toString(), ...secretFlags, '--use', '--json'], { env, input: `${password}\n` })
    expect(login.code, login.stdout + login.stderr).to.equal(0)
    const list = await runCli(['auth', 'list', '--json'], { env })
    expect(list.json.result.items.find((p: { name: string }) => p.name === 'admin')).to.include({ kind: 'admin', current: true })
    const who = await runCli(['auth', 'whoami', '--json'], { env: { ...env, DATABASE_URL: undefined } })
    expect(who.json.result).to.include({ profile: 'admin', source: 'current-profile' })
    const out = await runCli(['auth', 'logout', 'admin', '--json'], { env })
    expect(out.json.result).to.include({ removed: true })
    const again = await runCli(['auth', 'logout', 'admin', '--json'], { env })
    expect(again.code).to.equal(1)
  })

  it('refuses as admin a CREATEROLE role that neither owns the database nor is a superuser, and stores its own database\'s owner', async () => {
    const role = uniqueSlug('crrole')
    const password = `pw-${role}`
    const url = new URL(process.env.DATABASE_URL!)
    const database = url.pathname.slice(1)
    const scratch = `${database}_owned`
    await adminQuery(`create role ${role} login createrole password '${password}'`)
    await adminQuery(`grant connect on database ${database} to ${role}`)
    try {
      url.username = role
      url.password = ''
      const refused = await runCli(['auth', 'login', 'cr', '--url', url.toString(), '--password-stdin', '--json'], { env, input: `${password}\n` })
      expect(refused.code, refused.stdout + refused.stderr).to.equal(77)
      expect(refused.json.error.kind).to.equal('NOT_ALLOWED')
      expect(refused.json.error.message).to.contain(`Role ${role} is neither a superuser nor the owner of database ${database}`)
      const list = await runCli(['auth', 'list', '--json'], { env })
      expect(list.json.result.items.map((p: { name: string }) => p.name)).not.to.include('cr')

      // The same role is an admin of a database it owns.
      await adminQuery(`create database ${scratch} owner ${role}`)
      url.pathname = `/${scratch}`
      const owner = await runCli(['auth', 'login', 'cr', '--url', url.toString(), '--password-stdin', '--json'], { env, input: `${password}\n` })
      expect(owner.code, owner.stdout + owner.stderr).to.equal(0)
      expect(owner.json.result.profile).to.include({ kind: 'admin', user: role, database: scratch })
      expect((await runCli(['auth', 'logout', 'cr'], { env })).code).to.equal(0)
    } finally {
      await adminQuery(`drop database if exists ${scratch} with (force)`)
      await adminQuery(`drop owned by ${role}`)
      await adminQuery(`drop role ${role}`)
    }
  })

  it("refuses a tenant's login as an admin profile, naming --tenant", async () => {
    const creds = await runCli(['tenants', 'credentials', other, '--json'], { env })
    expect(creds.code, creds.stdout + creds.stderr).to.equal(0)
    const url = new URL(process.env.DATABASE_URL!)
    url.username = creds.json.result.role
    url.password = ''
    const r = await runCli(['auth', 'login', 'wrong', '--url', url.toString(), '--password-stdin', '--json'], { env, input: `${creds.json.result.password}\n` })
    expect(r.code, r.stdout + r.stderr).to.equal(77)
    expect(r.json.error.actions.join(' ')).to.contain(`--tenant ${other}`)
    const list = await runCli(['auth', 'list', '--json'], { env })
    expect(list.json.result.items.map((p: { name: string }) => p.name)).not.to.include('wrong')
  })

  it('without a terminal, a missing password is a usage error naming --password-stdin', async () => {
    const r = await runCli(['auth', 'login', 'x', '--url', 'postgres://someone@127.0.0.1:1/db', '--json'], { env })
    expect(r.code).to.equal(2)
    expect(r.json.error.message + r.json.error.actions.join(' ')).to.contain('--password-stdin')
  })
})
