import { expect } from 'chai'

import { failedWithMessage as failed, okResult as ok, runCli, type CliResult } from '../helpers/cli.js'
import { openTestDb, uniqueSlug } from '../helpers/database.js'
import { withTenant } from '../../src/lib/tenants/tenant-work.js'
import { verifyPassword } from '../../src/lib/users/password.js'

async function erp(tenant: string, args: string[], input?: string): Promise<CliResult> {
  return runCli([...args, '--tenant', tenant, '--json'], { input })
}

/** The stored hash, read as the admin: the CLI never returns it. */
async function storedHash(tenant: string, email: string): Promise<string | null> {
  const db = await openTestDb()
  try {
    return await withTenant(db, tenant, async (trx) => (await trx('users').where('email', email).first('password_hash')).password_hash)
  } finally {
    await db.close()
  }
}

describe('erp users (through bin/run.js)', () => {
  let tenant: string

  before(async () => {
    tenant = uniqueSlug('usr')
    ok(await runCli(['tenants', 'create', tenant, '--json']))
  })

  it('creates users with a password from stdin or a generated one, hashed with scrypt', async () => {
    const secret = 'correct horse battery staple'
    const ana = ok(await erp(tenant, ['users', 'create', 'ana@acme.example', '--name', 'Ana', '--role', 'admin', '--password-stdin'], `${secret}\n`))
    expect(ana).to.include({ email: 'ana@acme.example', role: 'admin', hasPassword: true, disabledAt: null })
    expect(ana).to.not.have.property('password')
    const hash = (await storedHash(tenant, 'ana@acme.example'))!
    expect(hash).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(await verifyPassword(secret, hash)).to.equal(true)
    expect(await verifyPassword(`${secret}!`, hash)).to.equal(false)

    const bo = ok(await erp(tenant, ['users', 'create', 'bo@acme.example', '--name', 'Bo', '--role', 'clerk', '--generate']))
    expect(bo.password).to.match(/^[A-Za-z0-9_-]{20}$/)
    expect(await verifyPassword(bo.password, (await storedHash(tenant, 'bo@acme.example'))!)).to.equal(true)

    const human = await runCli(['users', 'create', 'cy@acme.example', '--name', 'Cy', '--generate', '--tenant', tenant])
    expect(human.code).to.equal(0)
    expect(human.stdout.trim()).to.match(/^[A-Za-z0-9_-]{20}$/)
    expect(human.stderr).to.match(/shown once/)

    const dee = ok(await erp(tenant, ['users', 'create', 'dee@acme.example', '--name', 'Dee']))
    expect(dee).to.include({ role: 'viewer', hasPassword: false })
    expect(await storedHash(tenant, 'dee@acme.example')).to.equal(null)
  })

  it('refuses malformed emails, duplicates (ignoring case), unknown roles and short passwords', async () => {
    const [malformed, duplicate, role, short, both] = await Promise.all([
      erp(tenant, ['users', 'create', 'ana@', '--name', 'X']),
      erp(tenant, ['users', 'create', 'ANA@acme.example', '--name', 'X']),
      erp(tenant, ['users', 'create', 'x@acme.example', '--name', 'X', '--role', 'owner']),
      erp(tenant, ['users', 'create', 'x@acme.example', '--name', 'X', '--password-stdin'], 'short'),
      erp(tenant, ['users', 'create', 'x@acme.example', '--name', 'X', '--password-stdin', '--generate']),
    ])
    failed(malformed, 65, /not a valid email address/)
    failed(duplicate, 1, /already exists/)
    failed(role, 2, /Expected --role=owner/)
    failed(short, 65, /at least 10 characters/)
    failed(both, 2, /cannot also be provided/)
    expect(ok(await erp(tenant, ['users', 'list'])).items.map((u: any) => u.email)).to.not.include('x@acme.example')
  })

  it('resets a password from stdin or by generating one; never without a source off a terminal', async () => {
    const before = await storedHash(tenant, 'bo@acme.example')
    ok(await erp(tenant, ['users', 'reset-password', 'BO@acme.example', '--password-stdin'], 'a new secret here\n'))
    const after = (await storedHash(tenant, 'bo@acme.example'))!
    expect(after).to.not.equal(before)
    expect(await verifyPassword('a new secret here', after)).to.equal(true)

    const generated = ok(await erp(tenant, ['users', 'reset-password', 'dee@acme.example', '--generate']))
    expect(generated.hasPassword).to.equal(true)
    expect(await verifyPassword(generated.password, (await storedHash(tenant, 'dee@acme.example'))!)).to.equal(true)

    failed(await erp(tenant, ['users', 'reset-password', 'bo@acme.example']), 2, /--password-stdin or --generate/)
    failed(await erp(tenant, ['users', 'reset-password', 'bo@acme.example', '--password-stdin'], ' padded secret '), 65, /whitespace/)
    failed(await erp(tenant, ['users', 'reset-password', 'nobody@acme.example', '--generate']), 1, /No user "nobody@acme.example"/)
    expect(await storedHash(tenant, 'bo@acme.example')).to.equal(after)
  })

  it('keeps passwords out of the audit log', async () => {
    const secret = 'audit-me-not-0123456789'
    ok(await erp(tenant, ['users', 'reset-password', 'ana@acme.example', '--password-stdin'], secret))
    const generated = ok(await erp(tenant, ['users', 'reset-password', 'cy@acme.example', '--generate'])).password
    const db = await openTestDb()
    try {
      const rows = await db.knex.withSchema('erp').from('audit_log').where('tenant', tenant).select('args', 'error')
      const text = JSON.stringify(rows)
      expect(rows.length).to.be.greaterThan(0)
      expect(text).to.not.include(secret)
      expect(text).to.not.include(generated)
      expect(text).to.not.include('scrypt$')
    } finally {
      await db.close()
    }
  })

  it('disables and enables users, but never the last enabled admin', async () => {
    failed(await erp(tenant, ['users', 'disable', 'ana@acme.example']), 77, /last enabled admin/)
    const disabled = ok(await erp(tenant, ['users', 'disable', 'bo@acme.example']))
    expect(disabled.changed).to.equal(true)
    expect(disabled.user.disabledAt).to.be.a('string')
    expect(ok(await erp(tenant, ['users', 'disable', 'bo@acme.example'])).changed).to.equal(false)
    expect(ok(await erp(tenant, ['users', 'list', '--disabled'])).items.map((u: any) => u.email)).to.deep.equal(['bo@acme.example'])
    expect(ok(await erp(tenant, ['users', 'enable', 'bo@acme.example'])).user.disabledAt).to.equal(null)
    expect(ok(await erp(tenant, ['users', 'list', '--role', 'admin'])).items.map((u: any) => u.email)).to.deep.equal(['ana@acme.example'])
    failed(await erp(tenant, ['users', 'enable', 'nobody@acme.example']), 1, /No user/)
  })
})
