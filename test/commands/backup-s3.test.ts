import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { runCli, runProcess, spawnCli, type CliResult } from '../helpers/cli.js'
import { adminQuery, asTenantOwner, namesFor, openTestDb, tenantTraces, uniqueSlug } from '../helpers/database.js'
import { rowChecksums } from '../helpers/schema-fingerprint.js'
import { startS3, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type TestS3 } from '../helpers/s3-server.js'


const SMALL = `create table items (id bigint generated always as identity primary key, sku text not null unique, qty numeric(14, 3));
  insert into items (sku, qty) select 'SKU-' || i, i / 7.0 from generate_series(1, 2000) i;
  create index items_qty on items (qty);`

const noSecrets = (r: CliResult) => {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.to.include(TEST_SECRET_ACCESS_KEY)
    expect(text).not.to.include(TEST_ACCESS_KEY_ID)
  }
}

describe('erp backup on S3 (a real S3-protocol server on loopback)', function () {
  this.timeout(180_000)
  let db: Db
  let s3: TestS3
  let run: (args: string[]) => Promise<CliResult>
  let prefixNo = 0
  const newPrefix = () => `s3://${s3.bucket}/erp/p${++prefixNo}`

  before(async () => {
    db = await openTestDb()
    s3 = await startS3()
    run = (args) => runCli(args, { env: s3.env })
  })
  after(async () => {
    await db?.close()
    await s3?.close()
  })

  it('create, list, verify and restore through s3://bucket/prefix: the restored tenant has the same rows', async () => {
    const slug = uniqueSlug('s3rt')
    const copy = uniqueSlug('s3rt_copy')
    await createTenant(db, { slug })
    await asTenantOwner(db, slug, SMALL)
    const where = newPrefix()

    const created = await run(['backup', 'create', '--tenant', slug, '--out', where, '--json'])
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    const [row] = created.json.result.tenants
    expect(row).to.include({ tenant: slug, status: 'ok', signed: true })
    expect(row.file).to.match(new RegExp(`^${where}/${slug}-\\d{8}T\\d{6}\\.\\d{3}Z\\.erp\\.tar$`))
    expect(s3.keys()).to.include(row.file.replace(`s3://${s3.bucket}/`, ''))
    expect(s3.uploads()).to.deep.equal([])
    // Nothing of it was written locally: no folder named "s3:" or staging left over.
    expect(fs.existsSync('s3:')).to.equal(false)
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`erp-${slug}-staging-`))).to.deep.equal([])

    const listed = await run(['backup', 'list', '--dir', where, '--json'])
    expect(listed.code, listed.stderr).to.equal(0)
    expect(listed.json.result.items).to.have.length(1)
    expect(listed.json.result.items[0]).to.include({ file: row.file, tenant: slug, check: 'whole', rows: row.rows, bytes: row.bytes })
    const deep = await run(['backup', 'list', '--dir', `${where}/`, '--verify', '--json'])
    expect(deep.json.result.items[0]).to.include({ file: row.file, check: 'verified' })

    const verified = await run(['backup', 'verify', row.file, '--json'])
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0)
    expect(verified.json.result).to.include({ tenant: slug, valid: true, signature: 'valid', rows: row.rows, bytes: row.bytes })

    const restored = await run(['backup', 'restore', row.file, '--as', copy, '--json'])
    expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
    expect(restored.json.result).to.include({ tenant: copy, rows: row.rows })
    const [a, b] = [await namesFor(slug), await namesFor(copy)]
    expect(await rowChecksums(db.knex, b.schema)).to.deep.equal(await rowChecksums(db.knex, a.schema))

    // --force over the live tenant: its safety backup goes next to the archive, on S3.
    const forced = await run(['backup', 'restore', row.file, '--force', '--yes', '--json'])
    expect(forced.code, forced.stdout + forced.stderr).to.equal(0)
    expect(forced.json.result.safetyBackup).to.match(new RegExp(`^${where}/${slug}-`))
    expect(s3.keys().filter((k) => k.startsWith(where.replace(`s3://${s3.bucket}/`, '')))).to.have.length(2)
    for (const r of [created, listed, verified, restored, forced]) noSecrets(r)
  })

  it('--all-tenants --concurrency to S3: one line per failed tenant on stderr, the others backed up; prune keeps by policy', async () => {
    const good = [uniqueSlug('s3f'), uniqueSlug('s3f')]
    const bad = uniqueSlug('s3f_bad')
    for (const slug of [...good, bad]) await createTenant(db, { slug })
    await asTenantOwner(db, good[0], SMALL)
    await asTenantOwner(db, bad, 'create aggregate my_sum (int) (sfunc = int4pl, stype = int)')
    // The failing tenant is mended after, so that no other --all-tenants run of the suite meets it.
    try {
      const where = newPrefix()
      const fleet = await run(['backup', 'create', '--all-tenants', '--concurrency', '3', '--out', where])
      expect(fleet.code).to.equal(1)
      expect(fleet.stdout).to.match(new RegExp(`^Backed up \\d+ of \\d+ tenant\\(s\\): .* -> ${where} \\(1 failed\\)\\n$`))
      const errors = fleet.stderr.trim().split('\n')
      expect(errors).to.have.length(1)
      expect(errors[0]).to.match(new RegExp(`^Backup of tenant ${bad} failed: .*my_sum`))
      noSecrets(fleet)
      const names = () => s3.keys().filter((k) => k.startsWith(where.replace(`s3://${s3.bucket}/`, ''))).map((k) => path.basename(k))
      for (const slug of good) expect(names().filter((n) => n.startsWith(`${slug}-`))).to.have.length(1)
      expect(names().some((n) => n.startsWith(`${bad}-`))).to.equal(false)

      // Two more backups of good[0]: three of that tenant today, one of good[1].
      for (let i = 0; i < 2; i++) expect((await run(['backup', 'create', '--tenant', good[0], '--out', where])).code).to.equal(0)
      expect(names().filter((n) => n.startsWith(`${good[0]}-`))).to.have.length(3)
      const before = s3.keys()

      const plan = await run(['backup', 'prune', '--dir', where, '--keep-daily', '1', '--dry-run', '--json'])
      expect(plan.code, plan.stdout + plan.stderr).to.equal(0)
      const mine = plan.json.result.entries.filter((e: { tenant: string }) => e.tenant === good[0])
      expect(mine.map((e: { action: string }) => e.action)).to.deep.equal(['keep', 'delete', 'delete'])
      expect(s3.keys()).to.deep.equal(before) // a dry run deletes nothing

      const pruned = await run(['backup', 'prune', '--dir', where, '--keep-daily', '1', '--yes', '--json'])
      expect(pruned.code, pruned.stdout + pruned.stderr).to.equal(0)
      expect(pruned.json.result.deleted).to.be.at.least(2)
      expect(names().filter((n) => n.startsWith(`${good[0]}-`))).to.deep.equal([path.basename(mine[0].file)])
      expect(names().filter((n) => n.startsWith(`${good[1]}-`))).to.have.length(1)
      // Only archives under this prefix were touched.
      const others = before.filter((k) => !k.startsWith(where.replace(`s3://${s3.bucket}/`, '')))
      expect(s3.keys().filter((k) => others.includes(k))).to.deep.equal(others)
    } finally {
      await asTenantOwner(db, bad, 'drop aggregate my_sum (int)')
    }
  })

  it('kill -9 of bin/run.js halfway through the upload leaves no object that list or restore would take', async () => {
    const slug = uniqueSlug('s3kill')
    await createTenant(db, { slug })
    // ~25 MB of poorly compressible text: the archive is several 8 MiB parts.
    await asTenantOwner(db, slug, `create table big (id bigint generated always as identity primary key, pad text);
      insert into big (pad) select string_agg(md5((i * 31 + j)::text), '') from generate_series(1, 40000) i, generate_series(1, 20) j group by i`)
    const where = newPrefix()
    const child = spawnCli(['backup', 'create', '--tenant', slug, '--out', where, '--jobs', '1'], s3.env)
    const exited = new Promise((resolve) => child.on('close', resolve))
    // Kill it once the store holds a part of the archive's multipart upload.
    const deadline = Date.now() + 60_000
    while (s3.parts() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(s3.parts(), 'the upload began').to.be.greaterThan(0)
    child.kill('SIGKILL')
    await exited
    expect(s3.uploads()).to.have.length(1) // the unfinished upload: the bucket's lifecycle rule removes it
    const prefix = where.replace(`s3://${s3.bucket}/`, '')
    expect(s3.keys().filter((k) => k.startsWith(prefix))).to.deep.equal([])
    const listed = await run(['backup', 'list', '--dir', where, '--json'])
    expect(listed.code, listed.stderr).to.equal(0)
    expect(listed.json.result.items).to.deep.equal([])
    const restore = await run(['backup', 'restore', `${where}/${slug}-20260101T000000.000Z.erp.tar`, '--as', uniqueSlug('s3kill_copy'), '--json'])
    expect(restore.code).to.equal(66)
    noSecrets(restore)
  })

  it('refuses locations erp cannot handle, before connecting, and writes no folder named after them', async () => {
    const cwd = fs.readdirSync('.')
    const cases: Array<[string[], RegExp]> = [
      [['backup', 'create', '--tenant', 'acme', '--out', 's3:'], /not an S3 location/],
      [['backup', 'create', '--tenant', 'acme', '--out', 's3:bkt/nightly'], /not an S3 location/],
      [['backup', 'create', '--tenant', 'acme', '--out', 's3://'], /no bucket/],
      [['backup', 'create', '--tenant', 'acme', '--out', 's3:///nightly'], /no bucket/],
      [['backup', 'create', '--all-tenants', '--out', 'gs://bkt/nightly'], /gs: scheme is not supported/],
      [['backup', 'create', '--all-tenants', '--out', 'https://bkt.example.com/nightly'], /https: scheme is not supported/],
      [['backup', 'create', '--all-tenants', '--out', 's3://Bad!Bucket/x'], /not a bucket name/],
      [['backup', 'create', '--all-tenants', '--out', 's3://bkt/a/../b'], /prefix segment/],
      [['backup', 'create', '--all-tenants', '--out', `s3://${TEST_ACCESS_KEY_ID}:${TEST_SECRET_ACCESS_KEY}@bkt/x`], /credentials or a port/],
      [['backup', 'list', '--dir', 'gs://bkt/x'], /gs: scheme/],
      [['backup', 'prune', '--dir', 'ftp://host/x', '--keep-daily', '1', '--yes'], /ftp: scheme/],
      [['backup', 'verify', 's3://bkt/nightly/'], /not an archive/],
      [['backup', 'restore', 'gs://bkt/a.erp.tar', '--as', 'x'], /gs: scheme/],
      [['backup', 'restore', 's3://bkt/a.erp.tar', '--backup-dir', 'azure://c/x', '--force', '--yes'], /azure: scheme/],
    ]
    for (const [args, message] of cases) {
      // Not even a database is needed to refuse: DATABASE_URL points nowhere.
      const r = await runCli([...args, '--json'], { env: { ...s3.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } })
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(2)
      expect(r.json.error.kind).to.equal('USAGE')
      expect(r.json.error.message, args.join(' ')).to.match(message)
      noSecrets(r)
    }
    expect(fs.readdirSync('.')).to.deep.equal(cwd)
  })

  it('S3 credentials never reach output, errors or the audit log, also when the store refuses them', async () => {
    const slug = uniqueSlug('s3sec')
    await createTenant(db, { slug })
    const where = newPrefix()
    const good = await runCli(['backup', 'create', '--tenant', slug, '--out', where], { env: { ...s3.env, ERP_DEBUG: '1' } })
    expect(good.code, good.stderr).to.equal(0)
    noSecrets(good)
    // A key the store does not know (its answer names the key id: erp must not repeat it).
    const wrong = { ...s3.env, AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG1' }
    const refused = await runCli(['backup', 'create', '--tenant', slug, '--out', where, '--json'], { env: wrong })
    expect(refused.code, refused.stdout).to.equal(77)
    expect(refused.json.error.message).to.match(/^The object store refused to reach the bucket s3:\/\/\S+ \(\S+\)$/)
    noSecrets(refused)
    expect(refused.stdout + refused.stderr).not.to.include(wrong.AWS_ACCESS_KEY_ID)
    const noCreds = await runProcess(['backup', 'list', '--dir', where, '--json'], {
      env: { ...s3.env, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
    })
    expect(noCreds.code, noCreds.stdout + noCreds.stderr).to.equal(78)
    expect(noCreds.json.error.message).to.match(/No S3 credentials/)
    // The real process, its stderr whole: no SDK warning (NodeVersionSupportWarning on Node 20), no secret.
    expect(noCreds.stderr).to.equal('')
    const listed = await runProcess(['backup', 'list', '--dir', where], { env: s3.env })
    expect(listed.code, listed.stderr).to.equal(0)
    expect(listed.stderr).to.equal('')
    expect(listed.stdout).to.include(slug)
    noSecrets(listed)
    const unreachable = await runCli(['backup', 'list', '--dir', where, '--json'], { env: { ...s3.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' } })
    expect(unreachable.code, unreachable.stdout).to.equal(69)
    noSecrets(unreachable)
    const { rows } = await adminQuery(`select row_to_json(a)::text as row from erp.audit_log a where command like 'backup%'`)
    expect(rows.length).to.be.greaterThan(0)
    for (const { row } of rows) {
      expect(row).not.to.include(TEST_SECRET_ACCESS_KEY)
      expect(row).not.to.include(TEST_ACCESS_KEY_ID)
    }
  })

  it('a hostile listing (.., odd names, sub-prefixes, garbage, huge entries) neither escapes the prefix nor crashes list or prune', async () => {
    const slug = uniqueSlug('s3h')
    await createTenant(db, { slug })
    const where = newPrefix()
    const prefix = where.replace(`s3://${s3.bucket}/`, '')
    const created = await run(['backup', 'create', '--tenant', slug, '--out', where, '--json'])
    expect(created.code, created.stderr).to.equal(0)
    // Outside the prefix, and things under it that are not plain archive names.
    await s3.put('erp/victim.erp.tar', 'outside the prefix')
    await s3.put(`${prefix}/../victim.erp.tar`, 'dot-dot')
    await s3.put(`${prefix}/sub/${slug}-20260101T000000.000Z.erp.tar`, 'a sub-prefix')
    await s3.put(`${prefix}/odd name;rm -rf.erp.tar`, 'odd')
    await s3.put(`${prefix}/\u001b[31mred.erp.tar`, 'escape')
    await s3.put(`${prefix}/${slug}-20250101T000000.000Z.erp.tar`, 'not a tar at all')
    // A tar header claiming a 1 TB manifest, and an archive-sized run of zeros.
    const header = Buffer.alloc(512)
    header.write('manifest.json', 0, 'latin1')
    header.write('0000644\0', 100, 'latin1'); header.write('0000000\0', 108, 'latin1'); header.write('0000000\0', 116, 'latin1')
    header.write('17777777777\0', 124, 'latin1'); header.write('00000000000\0', 136, 'latin1'); header.write('0', 156, 'latin1')
    header.write('ustar\u000000', 257, 'latin1')
    header.fill(' ', 148, 156)
    let sum = 0
    for (const b of header) sum += b
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
    await s3.put(`${prefix}/${slug}-20250102T000000.000Z.erp.tar`, Buffer.concat([header, Buffer.alloc(3 * 1024 * 1024, 'x')]))
    await s3.put(`${prefix}/${slug}-20250103T000000.000Z.erp.tar`, Buffer.alloc(20 * 1024 * 1024))
    const outside = s3.keys().filter((k) => !k.startsWith(`${prefix}/`) || k.slice(prefix.length + 1).includes('/'))

    const listed = await run(['backup', 'list', '--dir', where, '--json'])
    expect(listed.code, listed.stdout + listed.stderr).to.equal(0)
    const files = listed.json.result.items.map((a: { file: string }) => a.file)
    expect(files.every((f: string) => f.startsWith(`${where}/`) && !f.slice(where.length + 1).includes('/'))).to.equal(true)
    expect(files.some((f: string) => f.includes('victim') || f.includes('odd name') || f.includes('\u001b'))).to.equal(false)
    const byCheck = (c: string) => listed.json.result.items.filter((a: { check: string }) => a.check === c).length
    expect(byCheck('whole')).to.equal(1)
    expect(byCheck('damaged')).to.equal(3)

    const pruned = await run(['backup', 'prune', '--dir', where, '--keep-daily', '1', '--yes', '--json'])
    expect(pruned.code, pruned.stdout + pruned.stderr).to.equal(0)
    expect(pruned.json.result.entries.filter((e: { action: string }) => e.action === 'leave')).to.have.length(3)
    expect(pruned.json.result.deleted).to.equal(0)
    expect(s3.keys().filter((k) => outside.includes(k))).to.deep.equal(outside)

    const damaged = await run(['backup', 'verify', `${where}/${slug}-20250102T000000.000Z.erp.tar`, '--json'])
    expect(damaged.code).to.equal(65)
    const zeros = await run(['backup', 'restore', `${where}/${slug}-20250103T000000.000Z.erp.tar`, '--as', uniqueSlug('s3h_copy'), '--json'])
    expect(zeros.code).to.equal(65)
    const traces = await tenantTraces(db, slug)
    expect(traces.registry).to.equal(true)
  })
})
