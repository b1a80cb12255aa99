import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

import type { DdlStatement, SchemaDoc } from '../../src/lib/backup/ddl.js'
import type { RegistryKey } from '../../src/lib/backup/signature.js'
import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { craftArchive, registrySigningKey } from '../helpers/archive-craft.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { adminQuery, openTestDb, tenantTraces, uniqueSlug } from '../helpers/database.js'

const created: string[] = []
const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `erp-trust-test-${prefix}-`))
  fs.chmodSync(dir, 0o777) // the COPY … TO PROGRAM cases would write here as the server's user
  created.push(dir)
  return dir
}

const NOTHING = { registry: false, schema: false, role: false }

const roleExists = async (name: string) => (await adminQuery('select 1 from pg_roles where rolname = $1', [name])).rowCount === 1

/** An extra statement at the head of schema.json's pre-data statements. */
const withStatement = (statement: DdlStatement) => (doc: SchemaDoc) => ({ ...doc, statements: [statement, ...doc.statements] })

describe('backup signatures and what restore runs (through bin/run.js)', function () {
  this.timeout(180_000)
  let db: Db
  let archive: string
  let out: string
  let registryKey: RegistryKey

  before(async () => {
    db = await openTestDb()
    const slug = uniqueSlug('signed')
    await createTenant(db, { slug })
    await db.knex.raw(`insert into "tenant_${slug}".warehouses (code, name) values ('W2', 'Second')`).catch(() => undefined)
    out = tmpDir('signed')
    const backup = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', out, '--json']))
    expect(backup.tenants[0].signed).to.equal(true)
    archive = backup.tenants[0].file
    // The key, as someone holding it (another backup host) would sign with it.
    registryKey = await registrySigningKey()
    expect(registryKey.key).to.have.length(32)
  })
  after(async () => {
    await db.close()
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('signs every archive; verify says valid; the key stays in a 0600 store and out of every output', async () => {
    const verified = okResult(await runCli(['backup', 'verify', archive, '--json']))
    expect(verified).to.include({ valid: true, signature: 'valid' })
    const text = await runCli(['backup', 'verify', archive])
    expect(text.stdout).to.include('signature: valid')

    const show = await runCli(['backup', 'key', 'show', '--json'])
    const key = okResult(show)
    expect(key.registry).to.equal(registryKey.registry)
    expect(key.fingerprint).to.match(/^[0-9a-f]{32}$/)
    expect(key.host).to.deep.equal({ source: 'file', fingerprint: key.fingerprint, matches: true })
    const secret = registryKey.key.toString('base64')
    for (const r of [show, text, await runCli(['backup', 'key', 'show'])]) expect(r.stdout + r.stderr).to.not.include(secret)
    const store = path.join(process.env.ERP_CONFIG_DIR!, 'credentials.json')
    expect(fs.statSync(store).mode & 0o777).to.equal(0o600)
    const { rows } = await db.knex.raw('select args::text from erp.audit_log order by id desc limit 50')
    expect(rows.map((r: { args: string }) => r.args).join('\n')).to.not.include(secret)

    // The safety backup of a forced restore is signed too.
    const forced = okResult(await runCli(['backup', 'restore', archive, '--force', '--yes', '--json']))
    expect(forced.signature).to.equal('valid')
    expect(okResult(await runCli(['backup', 'verify', forced.safetyBackup, '--json'])).signature).to.equal('valid')
  })

  it("a DO block that resets the role, with recomputed checksums, fails verify and is refused by restore: nothing is created", async () => {
    const evil = uniqueSlug('evil')
    const statement: DdlStatement = {
      phase: 'pre', kind: 'table', name: 'products',
      sql: `DO $$ begin execute 'reset role'; execute 'create role ${evil} login superuser'; end $$`,
    }
    const dir = tmpDir('do')
    const kept = await craftArchive(archive, path.join(dir, 'kept.erp.tar'), { schema: withStatement(statement), signature: 'keep' })
    const verify = await runCli(['backup', 'verify', kept, '--json'])
    expect(failedWith(verify, 65, 'INVALID_DATA').data.signature).to.equal('invalid')
    const target = uniqueSlug('do_copy')
    for (const flags of [[], ['--trust-unsigned']]) {
      const restore = await runCli(['backup', 'restore', kept, '--as', target, ...flags, '--json'])
      expect(failedWith(restore, 65, 'INVALID_DATA').message).to.match(/signature does not match/)
    }

    // Signed by someone holding the key, or unsigned and trusted: the statement is still refused.
    const signed = await craftArchive(archive, path.join(dir, 'signed.erp.tar'), { schema: withStatement(statement), signature: registryKey })
    const unsigned = await craftArchive(archive, path.join(dir, 'unsigned.erp.tar'), { schema: withStatement(statement), signature: 'drop' })
    expect(failedWith(await runCli(['backup', 'verify', signed, '--json']), 65, 'INVALID_DATA').message).to.match(/never write: statement 1 .*"table"/)
    for (const [file, flags] of [[signed, []], [unsigned, ['--trust-unsigned']]] as const) {
      const restore = await runCli(['backup', 'restore', file, '--as', target, ...flags, '--json'])
      const error = failedWith(restore, 65, 'INVALID_DATA')
      expect(error.message).to.match(/never write: statement 1 /)
      expect(error.actions.join(' ')).to.include('Nothing was run')
    }
    expect(await tenantTraces(db, target)).to.deep.equal(NOTHING)
    expect(await roleExists(evil)).to.equal(false)
  })

  it('COPY … TO PROGRAM, alone or after RESET ROLE in the same statement, writes no file', async () => {
    const dir = tmpDir('copy')
    const pwned = path.join(dir, 'pwned')
    const variants: DdlStatement[] = [
      { phase: 'pre', kind: 'table', name: 'products', sql: `RESET ROLE; COPY (select 1) TO PROGRAM 'touch ${pwned}'` },
      { phase: 'pre', kind: 'table', name: 'products', sql: `CREATE TABLE "zz" (a int); RESET ROLE; COPY (select 1) TO PROGRAM 'touch ${pwned}'` },
      { phase: 'pre', kind: 'copy', name: 'products', sql: `COPY (select 1) TO PROGRAM 'touch ${pwned}'` },
    ]
    for (const [i, statement] of variants.entries()) {
      const file = await craftArchive(archive, path.join(dir, `${i}.erp.tar`), { schema: withStatement(statement), signature: registryKey })
      const target = uniqueSlug('copy_copy')
      const restore = await runCli(['backup', 'restore', file, '--as', target, '--trust-unsigned', '--json'])
      failedWith(restore, 65, 'INVALID_DATA')
      expect(await tenantTraces(db, target)).to.deep.equal(NOTHING)
    }
    expect(fs.existsSync(pwned)).to.equal(false)
  })

  it('an unsigned archive is refused without --trust-unsigned and restores with it', async () => {
    const file = await craftArchive(archive, path.join(tmpDir('unsigned'), 'unsigned.erp.tar'), { signature: 'drop' })
    const verify = okResult(await runCli(['backup', 'verify', file, '--json']))
    expect(verify.signature).to.equal('missing')
    const target = uniqueSlug('unsigned_copy')
    const refused = await runCli(['backup', 'restore', file, '--as', target, '--json'])
    const error = failedWith(refused, 77, 'NOT_ALLOWED')
    expect(error.message).to.match(/not signed by this registry: it is not signed/)
    expect(error.actions.join(' ')).to.include('--trust-unsigned')
    expect(await tenantTraces(db, target)).to.deep.equal(NOTHING)

    const restored = await runCli(['backup', 'restore', file, '--as', target, '--trust-unsigned', '--json'])
    expect(okResult(restored)).to.include({ tenant: target, signature: 'missing' })
    expect(restored.json.warnings.join(' ')).to.include('--trust-unsigned')
  })

  it('a malformed acls entry is a clear refusal, never "Cannot read properties of undefined"', async () => {
    const dir = tmpDir('acls')
    const cases: Array<[string, (doc: SchemaDoc) => unknown, RegExp]> = [
      ['a grant without a grantee', (doc) => ({ ...doc, acls: [{ target: null, grants: [{ privilege: 'USAGE', grantable: false }] }] }), /acls\[0\]\.grants\[0\]\.grantee is not an object/],
      ['an entry that is null', (doc) => ({ ...doc, acls: [null] }), /acls\[0\] is not an object/],
      ['no acls at all', (doc) => ({ ...doc, acls: undefined }), /acls is not a list/],
      ['a target with SQL in it', (doc) => ({ ...doc, acls: [{ target: 'TABLE "products" TO PUBLIC; RESET ROLE; GRANT ALL ON SCHEMA erp', grants: [] }] }), /acls\[0\]\.target/],
    ]
    for (const [what, schema, message] of cases) {
      const file = await craftArchive(archive, path.join(dir, `${what.replaceAll(' ', '_')}.erp.tar`), { schema, signature: registryKey })
      const target = uniqueSlug('acl_copy')
      const restore = await runCli(['backup', 'restore', file, '--as', target, '--json'])
      const error = failedWith(restore, 65, 'INVALID_DATA')
      expect(error.message, what).to.match(message).and.not.to.match(/Cannot read/)
      expect(await tenantTraces(db, target)).to.deep.equal(NOTHING)
      failedWith(await runCli(['backup', 'verify', file, '--json']), 65, 'INVALID_DATA')
    }
  })

  it("an archive of another registry is reported foreign and refused; --trust-unsigned takes it", async () => {
    const base = new URL(process.env.DATABASE_URL!)
    const name = `erp_trust_other_${randomBytes(3).toString('hex')}`
    await adminQuery(`create database ${name}`)
    const other = new URL(base)
    other.pathname = `/${name}`
    const env = { DATABASE_URL: other.toString() }
    const slug = uniqueSlug('foreign')
    try {
      expect((await runCli(['tenants', 'create', slug, '--json'], { env })).code).to.equal(0)
      const backup = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', tmpDir('foreign'), '--json'], { env }))
      const file = backup.tenants[0].file
      expect(okResult(await runCli(['backup', 'verify', file, '--json'], { env })).signature).to.equal('valid')

      const verify = await runCli(['backup', 'verify', file, '--json'])
      expect(okResult(verify).signature).to.equal('foreign-registry')
      expect(verify.json.warnings.join(' ')).to.include('--trust-unsigned')
      const refused = await runCli(['backup', 'restore', file, '--json'])
      expect(failedWith(refused, 77, 'NOT_ALLOWED').message).to.match(/signed by another registry/)
      // Roles are server-wide (the other registry's tenant has its own): look at this registry only.
      expect(await tenantTraces(db, slug)).to.include({ registry: false, schema: false })
      const restored = await runCli(['backup', 'restore', file, '--as', uniqueSlug('foreign_copy'), '--trust-unsigned', '--json'])
      expect(okResult(restored).signature).to.equal('foreign-registry')
    } finally {
      const client = new pg.Client({ connectionString: other.toString() })
      await client.connect()
      const { rows } = await client.query('select owner_role, login_role from erp.tenants')
      await client.end()
      await adminQuery(`drop database ${name} with (force)`)
      for (const r of rows) for (const role of [r.login_role, r.owner_role]) await adminQuery(`drop role if exists "${role}"`)
    }
  })

  it('moves the key to another host: export to a 0600 file, import from stdin; wrong or missing keys are clear errors', async () => {
    const host = tmpDir('host2') // another host: a credential store of its own
    const env = { ERP_CONFIG_DIR: host }
    const slug = uniqueSlug('host2')
    await createTenant(db, { slug })
    const backupDir = tmpDir('host2_out')

    const noKey = await runCli(['backup', 'create', '--tenant', slug, '--out', backupDir, '--json'], { env })
    const error = failedWith(noKey, 78, 'CONFIG')
    expect(error.message).to.match(/signing key \(fingerprint [0-9a-f]{32}\) is not on this host/)
    expect(error.actions.join(' ')).to.include('erp backup key import --from-stdin')
    expect(fs.readdirSync(backupDir)).to.deep.equal([])
    failedWith(await runCli(['backup', 'verify', archive, '--json'], { env }), 78, 'CONFIG')

    expect((await runCli(['backup', 'key', 'export', '--json'])).code).to.equal(2)
    const keyFile = path.join(tmpDir('keyfile'), 'key.b64')
    okResult(await runCli(['backup', 'key', 'export', '--to-file', keyFile, '--json']))
    expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600)
    expect(fs.readFileSync(keyFile, 'utf8').trim()).to.equal(registryKey.key.toString('base64'))
    failedWith(await runCli(['backup', 'key', 'export', '--to-file', keyFile, '--json']), 1, 'CONFLICT')

    const wrong = randomBytes(32).toString('base64')
    const refused = await runCli(['backup', 'key', 'import', '--from-stdin', '--json'], { env, input: wrong })
    expect(failedWith(refused, 1, 'CONFLICT').message).to.match(/is not this registry's backup signing key/)
    const garbage = await runCli(['backup', 'key', 'import', '--from-stdin', '--json'], { env, input: 'not-a-key-at-all' })
    expect(failedWith(garbage, 78, 'CONFIG').message).to.not.include('not-a-key-at-all')
    expect((await runCli(['backup', 'key', 'import', '--json'], { env, input: wrong })).code).to.equal(2)

    okResult(await runCli(['backup', 'key', 'import', '--from-stdin', '--json'], { env, input: fs.readFileSync(keyFile, 'utf8') }))
    const shown = okResult(await runCli(['backup', 'key', 'show', '--json'], { env }))
    expect(shown.host.matches).to.equal(true)
    const backup = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', backupDir, '--json'], { env }))
    expect(okResult(await runCli(['backup', 'verify', backup.tenants[0].file, '--json'])).signature).to.equal('valid')

    // A cron host with the key in its environment and no store at all.
    const cron = { ERP_CONFIG_DIR: tmpDir('cron'), ERP_BACKUP_SIGNING_KEY: registryKey.key.toString('base64') }
    expect(okResult(await runCli(['backup', 'verify', archive, '--json'], { env: cron })).signature).to.equal('valid')
    const badEnv = await runCli(['backup', 'verify', archive, '--json'], { env: { ...cron, ERP_BACKUP_SIGNING_KEY: wrong } })
    expect(failedWith(badEnv, 78, 'CONFIG').message).to.not.include(wrong)
  })
})
