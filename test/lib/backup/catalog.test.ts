import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'

import { readArchive, sha256, writeArchive } from '../../../src/lib/backup/archive.js'
import { isoWeek, listArchives, pruneArchives, retention } from '../../../src/lib/backup/catalog.js'
import { ARCHIVE_FORMAT, FORMAT_VERSION, archiveFileName, dataEntryName, type Manifest } from '../../../src/lib/backup/format.js'
import { runCli } from '../../helpers/cli.js'

/** A small but real archive of `slug` dated `createdAt`, as `erp backup create` would write it. */
async function makeArchive(dir: string, slug: string, createdAt: string): Promise<string> {
  const data = Buffer.from('1\tx\n2\ttab\\tand\\nnewline\n')
  const gz = zlib.gzipSync(data)
  const tmp = path.join(dir, `.tmp-${slug}-${Date.parse(createdAt)}`)
  fs.writeFileSync(tmp, gz)
  const table = { name: 't', entry: dataEntryName(0), columns: ['id', 'v'], rows: 2, bytes: data.length, sha256: sha256(data), compressedBytes: gz.length }
  const schema = Buffer.from(JSON.stringify({ statements: [], acls: [], defaultAcls: [], functionSettings: [], schemaComment: null }))
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT,
    formatVersion: FORMAT_VERSION,
    tenant: { slug, name: slug, plan: null, status: 'active', schema: `tenant_${slug}`, ownerRole: `erp_tenant_${slug}`, loginRole: `erp_tenant_${slug}_login` },
    migrations: { applied: ['20261125000000_settings.js'], version: '20261125000000_settings.js' },
    server: { version: '17.0', versionNum: 170000 },
    tool: { name: 'erp', version: 'test' },
    createdAt,
    compression: 'gzip',
    schema: { entry: 'schema.json', sha256: sha256(schema), bytes: schema.length, statements: 0 },
    tables: [table],
    totals: { tables: 1, rows: 2, bytes: data.length },
  }
  const file = path.join(dir, archiveFileName(slug, new Date(createdAt)))
  await writeArchive(file, manifest, schema, [{ table, file: tmp }])
  fs.rmSync(tmp)
  return file
}

const created: string[] = []
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-prune-test-'))
  created.push(dir)
  return dir
}
const at = (day: string, time = '03:00') => `${day}T${time}:00.000Z`

describe('backup catalog: list and prune', () => {
  after(() => {
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('computes ISO weeks in UTC', () => {
    expect(isoWeek(new Date('2026-11-23T00:00:00Z'))).to.equal('2026-W48')
    expect(isoWeek(new Date('2026-11-22T23:59:59Z'))).to.equal('2026-W47')
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'))).to.equal('2026-W01')
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).to.equal('2025-W01')
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).to.equal('2020-W53')
  })

  it('keeps the newest archive of each of the last N days, weeks and months that have one', () => {
    const dates = ['2026-11-25T03:00', '2026-11-25T01:00', '2026-11-24T03:00', '2026-11-23T03:00', '2026-11-20T03:00', '2026-11-15T03:00',
      '2026-11-02T03:00', '2026-10-15T03:00', '2026-09-30T03:00', '2026-08-01T03:00'].map((d) => new Date(`${d}:00Z`))
    const keep = retention(dates, { daily: 3, weekly: 2, monthly: 3 })
    expect(Object.fromEntries(keep)).to.deep.equal({
      0: ['daily', 'weekly', 'monthly'],
      2: ['daily'],
      3: ['daily'],
      4: ['weekly'],
      7: ['monthly'],
      8: ['monthly'],
    })
    expect(retention(dates, { daily: 0, weekly: 0, monthly: 0 }).size).to.equal(0)
    expect([...retention(dates, { daily: 100, weekly: 0, monthly: 0 }).keys()]).to.deep.equal([0, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('prunes a dated set per tenant, keeps the newest good archive, leaves damaged ones, clears stale leftovers', async () => {
    const dir = tmpDir()
    const a: Record<string, string> = {}
    for (const [day, time] of [['2026-11-25', '03:00'], ['2026-11-25', '01:00'], ['2026-11-24', '03:00'], ['2026-11-23', '03:00'], ['2026-11-20', '03:00'],
      ['2026-11-15', '03:00'], ['2026-11-02', '03:00'], ['2026-10-15', '03:00'], ['2026-09-30', '03:00'], ['2026-08-01', '03:00']]) {
      a[`${day} ${time}`] = await makeArchive(dir, 'alpha', at(day, time))
    }
    // beta: the newest archive is cut short, the next one has a flipped byte: both are left alone,
    // and the newest that verifies is kept although the policy would not keep it.
    const b = {
      cut: await makeArchive(dir, 'beta', at('2026-11-25')),
      flipped: await makeArchive(dir, 'beta', at('2026-11-24')),
      good: await makeArchive(dir, 'beta', at('2026-06-01')),
      old: await makeArchive(dir, 'beta', at('2026-05-01')),
    }
    fs.truncateSync(b.cut, fs.statSync(b.cut).size - 700)
    const bytes = fs.readFileSync(b.flipped)
    bytes[bytes.indexOf(Buffer.from('data/0001.copy.gz')) + 512 + 15] ^= 0x01
    fs.writeFileSync(b.flipped, bytes)
    const stalePartial = path.join(dir, 'alpha-20261101T030000.000Z.erp.tar.partial')
    const freshPartial = path.join(dir, 'alpha-20261125T040000.000Z.erp.tar.partial')
    const staleStaging = path.join(dir, '.alpha-staging-abc123')
    fs.writeFileSync(stalePartial, 'half')
    fs.writeFileSync(freshPartial, 'running')
    fs.mkdirSync(staleStaging)
    const old = new Date(Date.now() - 3 * 86_400_000)
    fs.utimesSync(stalePartial, old, old)
    fs.utimesSync(staleStaging, old, old)

    const listed = await listArchives(dir)
    expect(listed.map((x) => x.check)).to.include.members(['partial', 'damaged', 'whole'])
    expect(listed.find((x) => x.file === b.cut)!.check).to.equal('damaged')
    expect(listed.find((x) => x.file === b.flipped)!.check).to.equal('whole') // a glance does not read the data

    const policy = { daily: 3, weekly: 2, monthly: 3 }
    const dry = await pruneArchives(dir, policy, { dryRun: true })
    const action = (file: string) => dry.entries.find((e) => e.file === file)?.action
    expect(fs.readdirSync(dir)).to.have.length(17)
    for (const kept of ['2026-11-25 03:00', '2026-11-24 03:00', '2026-11-23 03:00', '2026-11-20 03:00', '2026-10-15 03:00', '2026-09-30 03:00']) {
      expect(action(a[kept]), kept).to.equal('keep')
    }
    for (const gone of ['2026-11-25 01:00', '2026-11-15 03:00', '2026-11-02 03:00', '2026-08-01 03:00']) expect(action(a[gone]), gone).to.equal('delete')
    expect(dry.entries.find((e) => e.file === a['2026-11-25 03:00'])!.reasons).to.deep.equal(['newest good', 'daily', 'weekly', 'monthly'])
    expect(action(b.cut)).to.equal('leave')
    expect(action(b.flipped)).to.equal('leave')
    expect(dry.entries.find((e) => e.file === b.good)!.reasons[0]).to.equal('newest good')
    expect(action(stalePartial)).to.equal('delete')
    expect(action(staleStaging)).to.equal('delete')
    expect(action(freshPartial)).to.equal(undefined)

    // The CLI, for real this time, with the strictest policy: only the newest good archives stay.
    const run = await runCli(['backup', 'prune', '--dir', dir, '--keep-daily', '0', '--yes', '--json'])
    expect(run.code, run.stdout).to.equal(0)
    expect(run.json.result.kept).to.equal(2)
    const left = fs.readdirSync(dir).sort()
    expect(left).to.deep.equal([path.basename(b.good), path.basename(b.flipped), path.basename(b.cut), path.basename(a['2026-11-25 03:00']), path.basename(freshPartial)].sort())
    await readArchive(a['2026-11-25 03:00'])
  })

  it('prints one summary line for cron and needs --yes without a terminal', async () => {
    const dir = tmpDir()
    await makeArchive(dir, 'gamma', at('2026-11-25'))
    await makeArchive(dir, 'gamma', at('2026-11-24'))
    const refused = await runCli(['backup', 'prune', '--dir', dir, '--keep-daily', '1'])
    expect(refused.code).to.equal(2)
    expect(fs.readdirSync(dir)).to.have.length(2)
    const run = await runCli(['backup', 'prune', '--dir', dir, '--keep-daily', '1', '--yes'])
    expect(run.code).to.equal(0)
    expect(run.stdout).to.match(/^Deleted 1 archive\(s\) \([\d.]+ \w+\), kept 1\.\n$/)
    expect(run.stderr).to.equal('')
    const list = await runCli(['backup', 'list', '--dir', dir, '--verify', '--output', 'csv', '--columns', 'tenant,rows,check'])
    expect(list.stdout.trim().split(/\r?\n/)).to.deep.equal(['tenant,rows,check', 'gamma,2,verified'])
  })
})
