import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { failedWith, okResult, runCli, type CliResult } from '../helpers/cli.js'
import { keyPair, type KeyPair } from '../helpers/openpgp-keys.js'
import { adminQuery, asTenantOwner, openTestDb, tenantTraces, uniqueSlug } from '../helpers/database.js'

/** A few lines from the middle of an armored private key: what must never be printed. */
const bodyOf = (armored: string) => armored.split('\n').slice(3, 6).join('\n')
/** No run of the environment's key, so only the stored one (or a flag) can decrypt. */
const NO_ENV_KEY = { ERP_BACKUP_DECRYPT_KEY: undefined, ERP_BACKUP_DECRYPT_PASSPHRASE: undefined }

describe("backup decrypt-key: the private key for encrypted archives kept in this host's credential store", function () {
  this.timeout(300_000)
  let db: Db
  let dir: string
  let right: KeyPair
  let wrong: KeyPair
  let locked: KeyPair
  let encrypted: string
  let slug: string
  const passphrase = `pass-${randomBytes(8).toString('hex')}`
  const credentials = () => path.join(process.env.ERP_CONFIG_DIR!, 'credentials.json')
  const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { env: { ...NO_ENV_KEY, ...env } })
  const noKeyPrinted = (r: CliResult) => {
    for (const k of [right, wrong, locked]) expect(r.stdout + r.stderr).not.to.include(bodyOf(k.armoredSecret))
    expect(r.stdout + r.stderr).not.to.include(passphrase)
  }

  before(async () => {
    db = await openTestDb()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-decrypt-key-test-'))
    ;[right, wrong, locked] = [await keyPair(dir, 'right'), await keyPair(dir, 'wrong'), await keyPair(dir, 'locked', passphrase)]
    slug = uniqueSlug('dkey')
    await createTenant(db, { slug })
    await asTenantOwner(db, slug, `create table crafted (id int primary key, label text); insert into crafted select i, 'label ' || i from generate_series(1, 300) i;`)
    const made = okResult(await run(['backup', 'create', '--tenant', slug, '--out', path.join(dir, 'out'), '--encrypt-to', right.pub, '--encrypt-to', locked.pub, '--json']))
    encrypted = made.tenants[0].file
  })
  after(async () => {
    await run(['backup', 'decrypt-key', 'remove', '--yes'])
    await db?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('import keeps it in the store (never printed); verify, restore and list then open encrypted archives with no flag or variable', async () => {
    failedWith(await run(['backup', 'verify', encrypted, '--json']), 78, 'CONFIG')
    const imported = await run(['backup', 'decrypt-key', 'import', '--from-file', right.sec, '--json'])
    expect(okResult(imported)).to.include({ fingerprint: right.fingerprint })
    expect(imported.json.result.userIds).to.deep.equal(['right <right@example.com>'])
    const shown = await run(['backup', 'decrypt-key', 'show', '--json'])
    expect(okResult(shown).stored).to.include({ fingerprint: right.fingerprint })
    expect(shown.json.result.environmentOverrides).to.equal(false)
    expect(fs.statSync(credentials()).mode & 0o777).to.equal(0o600)
    expect(JSON.parse(fs.readFileSync(credentials(), 'utf8')).secrets['backup-decryption-key:host']).to.match(/BEGIN PGP PRIVATE KEY BLOCK/)

    const verified = await run(['backup', 'verify', encrypted, '--json'])
    expect(okResult(verified)).to.include({ valid: true, encrypted: true, signature: 'valid' })
    const target = uniqueSlug('dkey_copy')
    const restored = await run(['backup', 'restore', encrypted, '--as', target, '--json'])
    expect(okResult(restored)).to.include({ tenant: target })
    expect((await adminQuery(`select count(*)::int as n from "tenant_${target}".crafted`)).rows[0].n).to.equal(300)
    const listed = await run(['backup', 'list', '--dir', path.dirname(encrypted), '--json'])
    expect(okResult(listed).items[0]).to.include({ file: encrypted, check: 'whole', rows: restored.json.result.rows })
    for (const r of [imported, shown, verified, restored, listed]) noKeyPrinted(r)
  })

  it('a wrong stored key is a clear error naming it and the fix; --decrypt-key and ERP_BACKUP_DECRYPT_KEY win over it', async () => {
    const imported = await runCli(['backup', 'decrypt-key', 'import', '--from-stdin', '--json'], { input: wrong.armoredSecret, env: NO_ENV_KEY })
    expect(okResult(imported)).to.include({ fingerprint: wrong.fingerprint })
    const refused = await run(['backup', 'verify', encrypted, '--json'])
    const error = failedWith(refused, 78, 'CONFIG')
    expect(error.message).to.match(/is encrypted to other keys .* not to the key in the decryption key stored in the .*credentials\.json/)
    expect(error.message).to.include(wrong.fingerprint)
    expect(error.actions.join(' ')).to.include('erp backup decrypt-key import --from-file')
    const target = uniqueSlug('dkey_wrong')
    failedWith(await run(['backup', 'restore', encrypted, '--as', target, '--json']), 78, 'CONFIG')
    expect(await tenantTraces(db, target)).to.deep.equal({ registry: false, schema: false, role: false })

    okResult(await run(['backup', 'verify', encrypted, '--decrypt-key', right.sec, '--json']))
    okResult(await run(['backup', 'verify', encrypted, '--json'], { ERP_BACKUP_DECRYPT_KEY: right.armoredSecret }))
    const shown = okResult(await run(['backup', 'decrypt-key', 'show', '--json'], { ERP_BACKUP_DECRYPT_KEY: right.armoredSecret }))
    expect(shown).to.deep.include({ environmentOverrides: true })
    expect(shown.stored.fingerprint).to.equal(wrong.fingerprint)
    for (const r of [imported, refused]) noKeyPrinted(r)
  })

  it('a protected key is unlocked once at import and stored unlocked; a wrong passphrase, a public key or a file others can read are refused', async () => {
    const noPass = await run(['backup', 'decrypt-key', 'import', '--from-file', locked.sec, '--json'])
    expect(failedWith(noPass, 78, 'CONFIG').message).to.match(/protected by a passphrase/)
    const badPass = await run(['backup', 'decrypt-key', 'import', '--from-file', locked.sec, '--json'], { ERP_BACKUP_DECRYPT_PASSPHRASE: 'not-it' })
    expect(failedWith(badPass, 78, 'CONFIG').message).to.match(/does not unlock/)
    const publicOnly = await run(['backup', 'decrypt-key', 'import', '--from-file', right.pub, '--json'])
    failedWith(publicOnly, 78, 'CONFIG')
    const open = path.join(dir, 'open.sec.asc')
    fs.writeFileSync(open, right.armoredSecret, { mode: 0o644 })
    fs.chmodSync(open, 0o644)
    expect(failedWith(await run(['backup', 'decrypt-key', 'import', '--from-file', open, '--json']), 78, 'CONFIG').message).to.match(/readable by other users/)
    // Each refusal left the stored key as it was.
    expect(okResult(await run(['backup', 'decrypt-key', 'show', '--json'])).stored.fingerprint).to.equal(wrong.fingerprint)

    const unlocked = await run(['backup', 'decrypt-key', 'import', '--from-file', locked.sec, '--json'], { ERP_BACKUP_DECRYPT_PASSPHRASE: passphrase })
    expect(okResult(unlocked)).to.include({ fingerprint: locked.fingerprint })
    // No passphrase needed afterwards (cron).
    expect(okResult(await run(['backup', 'verify', encrypted, '--json']))).to.include({ valid: true, encrypted: true })
    for (const r of [noPass, badPass, publicOnly, unlocked]) noKeyPrinted(r)
  })

  it('ERP_BACKUP_ENCRYPT_TO gives backup create its default recipients; --encrypt-to wins over it', async () => {
    const out = path.join(dir, 'default-recipients')
    const byEnv = okResult(await run(['backup', 'create', '--tenant', slug, '--out', out, '--json'], { ERP_BACKUP_ENCRYPT_TO: `${right.pub}${path.delimiter}${locked.pub}` }))
    expect(byEnv.tenants[0].file).to.match(/\.erp\.tar\.gpg$/)
    expect(byEnv.tenants[0].encryptedTo).to.deep.equal([right.fingerprint, locked.fingerprint])
    // Opened with the stored key (the unlocked one of the test before).
    expect(okResult(await run(['backup', 'verify', byEnv.tenants[0].file, '--json']))).to.include({ valid: true, encrypted: true })
    const byFlag = okResult(await run(['backup', 'create', '--tenant', slug, '--out', out, '--encrypt-to', right.pub, '--json'], { ERP_BACKUP_ENCRYPT_TO: locked.pub }))
    expect(byFlag.tenants[0].encryptedTo).to.deep.equal([right.fingerprint])
    const missing = await run(['backup', 'create', '--tenant', slug, '--out', out, '--json'], { ERP_BACKUP_ENCRYPT_TO: path.join(dir, 'no-such.asc') })
    expect(failedWith(missing, 66, 'FILE_NOT_FOUND').message).to.match(/no-such\.asc/)
  })

  it('remove deletes it: encrypted archives need a key again, and list shows them as encrypted', async () => {
    const removed = okResult(await run(['backup', 'decrypt-key', 'remove', '--yes', '--json']))
    expect(removed).to.deep.equal({ removed: true })
    expect(JSON.parse(fs.readFileSync(credentials(), 'utf8')).secrets).not.to.have.property('backup-decryption-key:host')
    expect(failedWith(await run(['backup', 'verify', encrypted, '--json']), 78, 'CONFIG').message).to.match(/is encrypted: erp needs the private key/)
    expect(okResult(await run(['backup', 'list', '--dir', path.dirname(encrypted), '--json'])).items[0]).to.include({ check: 'encrypted' })
    expect(okResult(await run(['backup', 'decrypt-key', 'show', '--json']))).to.deep.equal({ stored: null, environmentOverrides: false })
    expect(okResult(await run(['backup', 'decrypt-key', 'remove', '--yes', '--json']))).to.deep.equal({ removed: false })
  })
})
