import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type { SchemaDoc } from '../../src/lib/backup/ddl.js'
import type { RegistryKey } from '../../src/lib/backup/signature.js'
import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { craftArchive, registrySigningKey } from '../helpers/archive-craft.js'
import { failedWith, okResult, runCli, spawnCli } from '../helpers/cli.js'
import { keyPair, type KeyPair } from '../helpers/openpgp-keys.js'
import { adminQuery, asTenantOwner, openTestDb, tenantTraces, uniqueSlug } from '../helpers/database.js'
import { withClient } from '../helpers/template-database.js'

const created: string[] = []
const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `erp-crypt-test-${prefix}-`))
  created.push(dir)
  return dir
}
const NOTHING = { registry: false, schema: false, role: false }
const hasGpg = spawnSync('gpg', ['--version']).status === 0

/** Scratch schemas and this registry's scratch roles left on the server. */
async function scratchLeft(): Promise<{ schemas: string[]; roles: string[] }> {
  const schemas = (await adminQuery("select nspname from pg_namespace where nspname like 'erp\\_verify\\_%'")).rows.map((r) => r.nspname)
  const { rows: [{ prefix }] } = await adminQuery('select role_prefix as prefix from erp.registry_info')
  const roles = (await adminQuery("select rolname from pg_roles where left(rolname, length($1)) = $1 and rolname like '%\\_verify\\_%'", [prefix])).rows.map((r) => r.rolname)
  return { schemas, roles }
}

/** The table statement of `crafted` in schema.json, changed by `edit`. */
const editCrafted = (edit: (sql: string) => string) => (doc: SchemaDoc) => ({
  ...doc,
  statements: doc.statements.map((s) => (s.kind === 'table' && s.name === 'crafted' ? { ...s, sql: edit(s.sql) } : s)),
})

describe('backup encryption and verify --deep', function () {
  this.timeout(300_000)
  let db: Db
  let slug: string
  let keys: { dir: string; right: KeyPair; wrong: KeyPair; locked: KeyPair }
  let plain: string
  let encrypted: string
  let registryKey: RegistryKey
  const passphrase = `pass-${randomBytes(8).toString('hex')}`

  before(async () => {
    db = await openTestDb()
    slug = uniqueSlug('crypt')
    await createTenant(db, { slug })
    await asTenantOwner(db, slug, `
      create table crafted (id int primary key, amount numeric(12,2) not null, label text not null);
      insert into crafted select i, i + 0.25, 'label ' || i from generate_series(1, 500) i;
      insert into warehouses (code, name) values ('W2', 'Second');`)
    const dir = tmpDir('keys')
    keys = { dir, right: await keyPair(dir, 'right'), wrong: await keyPair(dir, 'wrong'), locked: await keyPair(dir, 'locked', passphrase) }
    const out = tmpDir('plain')
    plain = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', out, '--json'])).tenants[0].file
    const encOut = tmpDir('encrypted')
    const made = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', encOut, '--encrypt-to', keys.right.pub, '--encrypt-to', keys.locked.pub, '--json']))
    encrypted = made.tenants[0].file
    expect(made.tenants[0]).to.include({ signed: true })
    expect(made.tenants[0].encryptedTo).to.deep.equal([keys.right.fingerprint, keys.locked.fingerprint])
    registryKey = await registrySigningKey()
  })
  after(async () => {
    await db.close()
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('writes an OpenPGP message (.erp.tar.gpg, mode 0600) that holds no plaintext; verify and restore decrypt it with the right key', async () => {
    expect(encrypted).to.match(/\.erp\.tar\.gpg$/)
    const bytes = fs.readFileSync(encrypted)
    expect(bytes[0] & 0x80).to.equal(0x80)
    expect(bytes.includes(Buffer.from('manifest.json'))).to.equal(false)
    expect(bytes.includes(Buffer.from('label 1'))).to.equal(false)
    expect(fs.statSync(encrypted).mode & 0o777).to.equal(0o600)

    const verified = okResult(await runCli(['backup', 'verify', encrypted, '--decrypt-key', keys.right.sec, '--json']))
    expect(verified).to.include({ valid: true, signature: 'valid', encrypted: true, tenant: slug })
    // The passphrase-protected key, unlocked from the environment; the key in the environment too.
    const viaEnv = await runCli(['backup', 'verify', encrypted, '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: keys.locked.armoredSecret, ERP_BACKUP_DECRYPT_PASSPHRASE: passphrase } })
    expect(okResult(viaEnv)).to.include({ valid: true, encrypted: true })

    const target = uniqueSlug('crypt_copy')
    const restored = okResult(await runCli(['backup', 'restore', encrypted, '--as', target, '--decrypt-key', keys.right.sec, '--json']))
    expect(restored).to.include({ tenant: target, signature: 'valid' })
    const { rows } = await adminQuery(`select count(*)::int as n, sum(amount)::text as total from "tenant_${target}".crafted`)
    expect(rows[0]).to.deep.equal({ n: 500, total: '125375.00' })
  })

  it('refuses without a key, with the wrong key, with a key file other users can read, with a wrong passphrase; no secret in any output', async () => {
    const none = await runCli(['backup', 'verify', encrypted, '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: undefined } })
    expect(failedWith(none, 78, 'CONFIG').message).to.match(/is encrypted: erp needs the private key/)
    const wrong = await runCli(['backup', 'verify', encrypted, '--decrypt-key', keys.wrong.sec, '--json'])
    const error = failedWith(wrong, 78, 'CONFIG')
    expect(error.message).to.match(/is encrypted to other keys .* not to the key in .*wrong\.sec\.asc/)
    expect(error.message).to.include(keys.wrong.fingerprint)
    const target = uniqueSlug('crypt_wrong')
    failedWith(await runCli(['backup', 'restore', encrypted, '--as', target, '--decrypt-key', keys.wrong.sec, '--json']), 78, 'CONFIG')
    expect(await tenantTraces(db, target)).to.deep.equal(NOTHING)

    const open = path.join(keys.dir, 'open.sec.asc')
    fs.writeFileSync(open, keys.right.armoredSecret, { mode: 0o644 })
    fs.chmodSync(open, 0o644)
    expect(failedWith(await runCli(['backup', 'verify', encrypted, '--decrypt-key', open, '--json']), 78, 'CONFIG').message).to.match(/readable by other users/)

    const noPass = await runCli(['backup', 'verify', encrypted, '--decrypt-key', keys.locked.sec, '--json'], { env: { ERP_BACKUP_DECRYPT_PASSPHRASE: undefined } })
    expect(failedWith(noPass, 78, 'CONFIG').message).to.match(/protected by a passphrase/)
    const badPass = await runCli(['backup', 'verify', encrypted, '--decrypt-key', keys.locked.sec, '--json'], { env: { ERP_BACKUP_DECRYPT_PASSPHRASE: 'not-it' } })
    expect(failedWith(badPass, 78, 'CONFIG').message).to.match(/does not unlock/)
    const garbage = await runCli(['backup', 'verify', encrypted, '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: `${keys.right.armoredSecret.slice(0, 200)}xx` } })
    failedWith(garbage, 78, 'CONFIG')

    const secretBody = keys.right.armoredSecret.split('\n').slice(3, 6).join('\n')
    for (const r of [none, wrong, noPass, badPass, garbage]) {
      expect(r.stdout + r.stderr).to.not.include(passphrase)
      expect(r.stdout + r.stderr).to.not.include(secretBody)
    }
  })

  it('tampered ciphertext (in the middle, at the end, cut short) is a damaged archive: verify exits 65 and restore creates nothing', async () => {
    const dir = tmpDir('tamper')
    const bytes = fs.readFileSync(encrypted)
    const variants: Record<string, Buffer> = {
      middle: Buffer.from(bytes), end: Buffer.from(bytes), short: bytes.subarray(0, bytes.length - 100),
    }
    variants.middle[Math.floor(bytes.length / 2)] ^= 0x01
    variants.end[bytes.length - 5] ^= 0x01
    for (const [name, content] of Object.entries(variants)) {
      const file = path.join(dir, `${name}.erp.tar.gpg`)
      fs.writeFileSync(file, content)
      const verify = await runCli(['backup', 'verify', file, '--decrypt-key', keys.right.sec, '--json'])
      expect(failedWith(verify, 65, 'INVALID_DATA').message, name).to.match(/damaged or incomplete/)
      const target = uniqueSlug(`tamper_${name}`)
      failedWith(await runCli(['backup', 'restore', file, '--as', target, '--decrypt-key', keys.right.sec, '--json']), 65, 'INVALID_DATA')
      expect(await tenantTraces(db, target), name).to.deep.equal(NOTHING)
    }
  })

  it('gpg decrypts an erp archive without erp, and the result is the signed plain archive', async function () {
    if (!hasGpg) this.skip()
    const home = tmpDir('gnupg')
    fs.chmodSync(home, 0o700)
    execFileSync('gpg', ['--homedir', home, '--batch', '--import', keys.right.sec], { stdio: 'ignore' })
    const out = path.join(tmpDir('gpg-out'), 'decrypted.erp.tar')
    execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--decrypt', '--output', out, encrypted], { stdio: ['ignore', 'ignore', 'pipe'] })
    expect(execFileSync('tar', ['tf', out], { encoding: 'utf8' }).split('\n')[0]).to.equal('manifest.json')
    const verified = okResult(await runCli(['backup', 'verify', out, '--json']))
    expect(verified).to.include({ valid: true, signature: 'valid', encrypted: false, tenant: slug })
  })

  it('verify --deep restores into a scratch schema, matches the manifest, checks stock and invoices, and drops it (plain and encrypted)', async () => {
    const deep = okResult(await runCli(['backup', 'verify', plain, '--deep', '--json']))
    expect(deep).to.include({ status: 'ok', tenant: slug, signature: 'valid', encrypted: false })
    expect(deep.mismatched).to.deep.equal([])
    expect(deep.tables).to.be.greaterThan(5)
    expect(deep.stock).to.include({ drifted: 0, serialsDrifted: 0 })
    expect(deep.invoices.problems).to.deep.equal([])
    expect(deep.scratch.schema).to.match(/^erp_verify_[0-9a-f]{24}$/)
    expect(deep.scratch.server).to.equal('registry')
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })

    const deepEncrypted = okResult(await runCli(['backup', 'verify', encrypted, '--deep', '--decrypt-key', keys.right.sec, '--json']))
    expect(deepEncrypted).to.include({ status: 'ok', encrypted: true })
    expect(deepEncrypted.scratch.schema).to.not.equal(deep.scratch.schema)
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })
  })

  it('verify --deep fails (65) on an archive that passes its checksums but restores to other values, and cleans up', async () => {
    const dir = tmpDir('crafted')
    // numeric(12,2) -> numeric(12,0): every amount rounds on load; checksums and signature are right.
    const rounding = await craftArchive(plain, path.join(dir, `${slug}-rounding.erp.tar`), {
      schema: editCrafted((sql) => sql.replace(/numeric\(12,\s*2\)/, 'numeric(12,0)')),
      signature: registryKey,
    })
    expect(fs.readFileSync(rounding).includes(Buffer.from('numeric(12,0)'))).to.equal(true)
    expect(okResult(await runCli(['backup', 'verify', rounding, '--json']))).to.include({ valid: true, signature: 'valid' })
    const deep = await runCli(['backup', 'verify', rounding, '--deep', '--json'])
    const error = failedWith(deep, 65, 'INVALID_DATA')
    expect(error.message).to.match(/passes its checksums but does not restore to what its manifest says: crafted \(500 of 500 rows, content differs\)/)
    expect(error.data.mismatched).to.deep.equal([{ table: 'crafted', manifestRows: 500, restoredRows: 500, contentMatches: false }])
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })

    // A copy that does not even load (label varchar(3)): the failure is reported, the scratch dropped.
    const failing = await craftArchive(plain, path.join(dir, `${slug}-failing.erp.tar`), {
      schema: editCrafted((sql) => sql.replace(/"?label"? text/, 'label varchar(3)')),
      signature: registryKey,
    })
    const failed = await runCli(['backup', 'verify', failing, '--deep', '--json'])
    expect(failed.code, failed.stdout).to.equal(1)
    expect(failed.json.error.message).to.match(/Loading table crafted failed/)
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })

    // --all over the folder: both reported, exit 1, nothing left.
    const all = await runCli(['backup', 'verify', dir, '--deep', '--all', '--json'])
    expect(all.code).to.equal(1)
    expect(all.json.result.archives.map((a: { status: string }) => a.status)).to.deep.equal(['failed', 'mismatch'])
    expect(all.json.result.failed).to.equal(2)
    expect(all.json.result.perHour).to.be.a('number')
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })
  })

  it("drops a killed run's leftovers (expired scratch login, no session) and never touches a live one's", async () => {
    const { rows: [{ prefix }] } = await adminQuery('select role_prefix as prefix from erp.registry_info')
    const id = randomBytes(12).toString('hex')
    const owner = `${prefix}_verify_${id}`
    await adminQuery(`create role "${owner}" login valid until '2000-01-01'`)
    await adminQuery(`create role "${owner}_login" nologin`)
    await adminQuery(`create schema "erp_verify_${id}" authorization "${owner}"`)
    const live = `${prefix}_verify_${randomBytes(12).toString('hex')}`
    await adminQuery(`create role "${live}" login valid until 'infinity'`)
    try {
      okResult(await runCli(['backup', 'verify', plain, '--deep', '--json']))
      const left = await scratchLeft()
      expect(left.schemas).to.deep.equal([])
      expect(left.roles).to.deep.equal([live])
    } finally {
      await adminQuery(`drop role if exists "${live}"`)
    }
  })

  it('kill -9 during verify --deep leaves only an empty scratch schema, which the next run drops once its login has expired', async () => {
    const big = uniqueSlug('deepkill')
    await createTenant(db, { slug: big })
    await asTenantOwner(db, big, `create table big (id bigint generated always as identity primary key, pad text);
      insert into big (pad) select md5(i::text) || repeat(md5((i * 7)::text), 6) from generate_series(1, 150000) i`)
    const archive = okResult(await runCli(['backup', 'create', '--tenant', big, '--out', tmpDir('deepkill'), '--json'])).tenants[0].file
    const child = spawnCli(['backup', 'verify', archive, '--deep'])
    const exited = new Promise((resolve) => child.on('close', resolve))
    // Kill it once the scratch copy is being filled (its table exists, uncommitted, on its session).
    const deadline = Date.now() + 60_000
    const filling = async () => (await adminQuery(
      "select 1 from pg_stat_activity where usename like '%\\_verify\\_%' and query ilike 'copy%'")).rowCount! > 0
    while (!(await filling()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(Date.now() < deadline, 'the deep verification never started loading').to.equal(true)
    child.kill('SIGKILL')
    await exited
    const left = await scratchLeft()
    expect(left.schemas).to.have.length(1)
    const { rows } = await adminQuery(`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1`, [left.schemas[0]])
    expect(rows[0].n, 'nothing of the copy was committed').to.equal(0)
    // An hour later its login has expired; once the killed session is gone, the next run drops it.
    const { rows: [{ prefix }] } = await adminQuery('select role_prefix as prefix from erp.registry_info')
    await adminQuery(`alter role "${prefix}_verify_${left.schemas[0].slice('erp_verify_'.length)}" valid until '2000-01-01'`)
    for (let i = 0; i < 100 && (await adminQuery("select 1 from pg_stat_activity where usename like '%\\_verify\\_%'")).rowCount! > 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    okResult(await runCli(['backup', 'verify', plain, '--deep', '--json']))
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })
  })

  it('--scratch-url restores the copy on another server (here: another database), leaves nothing there, and never prints its password', async () => {
    const other = `erp_scratch_${randomBytes(4).toString('hex')}`
    await adminQuery(`create database ${other}`)
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${other}`
    try {
      const deep = okResult(await runCli(['backup', 'verify', plain, '--deep', '--scratch-url', url.toString(), '--json']))
      expect(deep).to.include({ status: 'ok' })
      expect(deep.scratch.server).to.equal('scratch-url')
      const left = await withClient(url.toString(), (c) => c.query("select nspname from pg_namespace where nspname like 'erp\\_verify\\_%'"))
      expect(left.rows).to.deep.equal([])
      expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })
    } finally {
      await adminQuery(`drop database if exists ${other} with (force)`)
    }
    const secret = `pw-${randomBytes(6).toString('hex')}`
    const unreachable = await runCli(['backup', 'verify', plain, '--deep', '--scratch-url', `postgres://someone:${secret}@127.0.0.1:1/nowhere`, '--json'])
    expect(unreachable.code).to.not.equal(0)
    expect(unreachable.stdout + unreachable.stderr).to.not.include(secret)
    const notUrl = await runCli(['backup', 'verify', plain, '--deep', '--scratch-url', `mysql://someone:${secret}@host/db`, '--json'])
    expect(failedWith(notUrl, 2, 'USAGE').message).to.match(/not a postgres:\/\/ URL/)
    expect(notUrl.stdout + notUrl.stderr).to.not.include(secret)
  })

  it('backup create --verify deep proves each new archive, encrypted ones too', async () => {
    const out = tmpDir('create-deep')
    const made = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', out, '--verify', 'deep', '--encrypt-to', keys.right.pub, '--decrypt-key', keys.right.sec, '--json']))
    expect(made.tenants[0].deepVerify).to.include({ status: 'ok' })
    expect(made.tenants[0].file).to.match(/\.gpg$/)
    const noKey = await runCli(['backup', 'create', '--tenant', slug, '--out', out, '--verify', 'deep', '--encrypt-to', keys.right.pub, '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: undefined } })
    expect(noKey.code).to.equal(1)
    expect(noKey.json.result.tenants[0].deepVerify.status).to.equal('failed')
    expect(noKey.json.result.tenants[0].deepVerify.error).to.match(/is encrypted/)
    expect(await scratchLeft()).to.deep.equal({ schemas: [], roles: [] })
  })

  it('list shows encrypted archives without a key as encrypted, and prune leaves them alone', async () => {
    const dir = path.dirname(encrypted)
    const listed = okResult(await runCli(['backup', 'list', '--dir', dir, '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: undefined } })).items
    expect(listed).to.have.length(1)
    expect(listed[0]).to.include({ tenant: slug, check: 'encrypted' })
    expect(listed[0].createdAt).to.match(/^\d{4}-\d{2}-\d{2}T/)
    const pruned = okResult(await runCli(['backup', 'prune', '--dir', dir, '--keep-daily', '0', '--yes', '--json'], { env: { ERP_BACKUP_DECRYPT_KEY: undefined } }))
    expect(pruned.deleted).to.equal(0)
    expect(fs.existsSync(encrypted)).to.equal(true)
  })
})
