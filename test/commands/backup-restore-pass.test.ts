import { expect } from 'chai'
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import os from 'node:os'
import path from 'node:path'

import type { DdlStatement, SchemaDoc } from '../../src/lib/backup/ddl.js'
import { readDecryptionKey } from '../../src/lib/backup/encryption.js'
import { restoreArchive } from '../../src/lib/backup/restore.js'
import type { RegistryKey } from '../../src/lib/backup/signature.js'
import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { craftArchive, registrySigningKey } from '../helpers/archive-craft.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { keyPair, type KeyPair } from '../helpers/openpgp-keys.js'
import { adminQuery, asTenantOwner, namesFor, openTestDb, uniqueSlug } from '../helpers/database.js'

const created: string[] = []
const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `erp-restore-pass-test-${prefix}-`))
  created.push(dir)
  return dir
}

/** Every trace a restore could leave of `slug`: registry row, reservation, schema, either role. */
async function traces(slug: string): Promise<string[]> {
  const names = await namesFor(slug)
  const { rows } = await adminQuery(
    `select 'registry' as what from erp.tenants where slug = $1
     union all select 'reservation' from erp.provisioning where slug = $1
     union all select 'schema' from pg_namespace where nspname = $2
     union all select 'role ' || rolname from pg_roles where rolname in ($3, $4)`,
    [slug, names.schema, names.ownerRole, names.loginRole],
  )
  return rows.map((r) => r.what)
}

/**
 * Opens of `file` that read it whole (a ranged read of its first bytes, to tell an encrypted archive
 * from a plain one, is not a pass), counted around `work` through node:fs itself.
 */
async function countPasses<T>(file: string, work: () => Promise<T>): Promise<{ passes: number; result: T }> {
  const original = fs.createReadStream
  let passes = 0
  fs.createReadStream = ((p: fs.PathLike, options?: { end?: number }) => {
    if (String(p) === file && options?.end === undefined) passes++
    return original(p, options as Parameters<typeof original>[1])
  }) as typeof fs.createReadStream
  syncBuiltinESMExports()
  try {
    const result = await work()
    return { passes, result }
  } finally {
    fs.createReadStream = original
    syncBuiltinESMExports()
  }
}

describe('backup restore reads the archive once, and refuses a bad one leaving nothing (through bin/run.js)', function () {
  this.timeout(180_000)
  let db: Db
  let slug: string
  let archive: string
  let encrypted: string
  let registryKey: RegistryKey
  let keys: KeyPair

  before(async () => {
    db = await openTestDb()
    slug = uniqueSlug('pass')
    await createTenant(db, { slug })
    // zz_late sorts last: its data is the last entry before the trailer, and big enough to reach
    // COPY in many chunks before its end (and its checksum) is read.
    await asTenantOwner(db, slug, `
      create table early (id int primary key, label text not null);
      insert into early select i, 'early ' || i from generate_series(1, 100) i;
      create table zz_late (id int primary key, label text not null);
      insert into zz_late select i, md5(i::text) || repeat('x', 100) from generate_series(1, 60000) i;`)
    keys = await keyPair(tmpDir('keys'), 'pass')
    archive = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', tmpDir('plain'), '--json'])).tenants[0].file
    encrypted = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', tmpDir('enc'), '--encrypt-to', keys.pub, '--json'])).tenants[0].file
    registryKey = await registrySigningKey()
  })
  after(async () => {
    await db.close()
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('a table whose data differs from the signed manifest only in its last row: refused (65) once read, nothing left', async () => {
    // Valid COPY rows, so the table streams into COPY to its end; only its checksum tells.
    const file = await craftArchive(archive, path.join(tmpDir('late'), 'late.erp.tar'), {
      signature: registryKey,
      data: (table, copy) => {
        if (table.name !== 'zz_late') return undefined
        const text = copy.toString('utf8')
        const last = text.lastIndexOf('\n', text.length - 2) + 1
        return Buffer.from(`${text.slice(0, last)}${text.slice(last).replace(/\t.*$/s, '\taltered\n')}`)
      },
    })
    expect(okResult(await runCli(['backup', 'verify', archive, '--json'])).signature).to.equal('valid')
    const verify = await runCli(['backup', 'verify', file, '--json'])
    expect(failedWith(verify, 65, 'INVALID_DATA').message).to.match(/the data of table zz_late does not match its checksum/)
    const target = uniqueSlug('late_copy')
    const restore = await runCli(['backup', 'restore', file, '--as', target, '--json'])
    expect(failedWith(restore, 65, 'INVALID_DATA').message).to.match(/the data of table zz_late does not match its checksum/)
    expect(await traces(target)).to.deep.equal([])

    // --force over the live tenant: refused before the tenant is touched or a safety backup taken.
    const before = fs.readdirSync(path.dirname(file))
    const forced = await runCli(['backup', 'restore', file, '--force', '--yes', '--as', slug, '--json'])
    expect(failedWith(forced, 65, 'INVALID_DATA').message).to.match(/the data of table zz_late does not match its checksum/)
    expect(forced.stdout + forced.stderr).to.not.include('Backed up the live tenant')
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(before)
    const { rows } = await adminQuery(`select count(*)::int as n, count(*) filter (where label = 'altered')::int as altered from "tenant_${slug}".zz_late`)
    expect(rows[0]).to.deep.equal({ n: 60000, altered: 0 })
  })

  it('a schema.json that differs from the signed manifest is refused (65) before any statement runs, nothing left', async () => {
    const statement: DdlStatement = { phase: 'pre', kind: 'table', name: 'smuggled', sql: 'CREATE TABLE "smuggled" (a int)' }
    const file = await craftArchive(archive, path.join(tmpDir('schema'), 'schema.erp.tar'), {
      signature: 'keep', // the manifest is unchanged, so its signature is still valid
      keepSchemaChecksum: true,
      schema: (doc: SchemaDoc) => ({ ...doc, statements: [statement, ...doc.statements] }),
    })
    const target = uniqueSlug('schema_copy')
    for (const flags of [[], ['--trust-unsigned']]) {
      const restore = await runCli(['backup', 'restore', file, '--as', target, ...flags, '--json'])
      expect(failedWith(restore, 65, 'INVALID_DATA').message).to.match(/schema\.json does not match its checksum/)
      expect(await traces(target)).to.deep.equal([])
    }
    const { rows } = await adminQuery("select count(*)::int as n from pg_class where relname = 'smuggled'")
    expect(rows[0].n).to.equal(0)
  })

  it('an invalid signature is refused (65), with or without --trust-unsigned, before anything is created', async () => {
    // The data changed and the manifest with it, under the old signature.
    const file = await craftArchive(archive, path.join(tmpDir('invalid'), 'invalid.erp.tar'), {
      signature: 'keep',
      data: (table, copy) => (table.name === 'early' ? Buffer.from(copy.toString('utf8').replace('early 1\n', 'EARLY 1\n')) : undefined),
    })
    const target = uniqueSlug('invalid_copy')
    for (const flags of [[], ['--trust-unsigned']]) {
      const restore = await runCli(['backup', 'restore', file, '--as', target, ...flags, '--json'])
      expect(failedWith(restore, 65, 'INVALID_DATA').message).to.match(/signature does not match its contents/)
      expect(await traces(target)).to.deep.equal([])
    }
  })

  it('an unsigned archive is refused (77) without --trust-unsigned, nothing left', async () => {
    const file = await craftArchive(archive, path.join(tmpDir('unsigned'), 'unsigned.erp.tar'), { signature: 'drop' })
    const target = uniqueSlug('unsigned_copy')
    const restore = await runCli(['backup', 'restore', file, '--as', target, '--json'])
    expect(failedWith(restore, 77, 'NOT_ALLOWED').message).to.match(/not signed by this registry/)
    expect(await traces(target)).to.deep.equal([])
  })

  it('reads (and decrypts) an archive in one pass, plain or encrypted, and restores it whole', async () => {
    const decryptionKey = await readDecryptionKey(fs.readFileSync(keys.sec, 'utf8'), keys.sec)
    for (const [file, key] of [[archive, undefined], [encrypted, decryptionKey]] as const) {
      const target = uniqueSlug('one_pass')
      const { passes, result } = await countPasses(file, () =>
        restoreArchive(db, file, { as: target, safetyDir: tmpDir('safety'), toolVersion: 'test', decryptionKey: key }))
      expect(passes, file).to.equal(1)
      expect(result).to.include({ tenant: target, signature: 'valid' })
      expect(result.rows).to.be.at.least(60100)
      const { rows } = await adminQuery(`select (select count(*)::int from "tenant_${target}".zz_late) as late, (select count(*)::int from "tenant_${target}".early) as early`)
      expect(rows[0]).to.deep.equal({ late: 60000, early: 100 })
    }
  })
})
