import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { failedWith, failedWithMessage, okResult, runCli } from '../helpers/cli.js'
import { adminQuery as query, uniqueSlug, useScratchDatabase } from '../helpers/database.js'
import { migrationsWith } from '../helpers/migrations.js'

/**
 * Issue 13, parts 4 and 5: `migrate rollback` never empties a tenant and backs it up first; an erp
 * older than a schema (a tenant's or the registry's) refuses to write to it and warns on reads.
 * The suite runs in a database of its own: it leaves tenants (and a registry) migrated past the
 * tree, which later suites' fleet-wide commands would rightly refuse.
 */

const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `erp-${prefix}-`))
const archivesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.erp.tar')) : [])
const applied = async (slug: string) =>
  (await query(`select name, batch from tenant_${slug}.knex_migrations order by id`)).rows as Array<{ name: string; batch: number }>
const tableExists = async (slug: string, table: string) =>
  (await query('select to_regclass($1) is not null as present', [`tenant_${slug}.${table}`])).rows[0].present as boolean
const productCount = async (slug: string) => (await query(`select count(*)::int as n from tenant_${slug}.products`)).rows[0].n as number

const WIDGETS = {
  stamp: '29990201000000',
  name: 'add_widgets',
  up: 'create table widgets (id bigint generated always as identity primary key, label text)',
  down: 'drop table widgets',
}
const NEWER = { stamp: '29990901000000', name: 'newer_erp_column', up: 'alter table settings add column newer_note text' }

describe('erp migrate rollback keeps the tenant whole', function () {
  this.timeout(120_000)
  useScratchDatabase('rollback')
  const widgets = migrationsWith([WIDGETS])

  it('refuses to roll back the base (provisioning) batch, with the reason and what to do, and changes nothing', async () => {
    const slug = uniqueSlug('rb')
    okResult(await runCli(['tenants', 'create', slug, '--json']))
    const before = await applied(slug)
    const backups = tmpDir('rb-base')
    const r = await runCli(['migrate', 'rollback', '--tenant', slug, '--yes', '--backup-dir', backups, '--json'])
    const error = failedWith(r, 77, 'NOT_ALLOWED')
    expect(error.message).to.match(/base batch/).and.to.contain(slug)
    expect(error.actions.join(' ')).to.contain(`tenants delete ${slug}`).and.to.contain('backup restore')
    expect(await applied(slug)).to.deep.equal(before)
    expect(await tableExists(slug, 'products')).to.equal(true)
    expect(archivesIn(backups)).to.deep.equal([])
    // --dry-run says the same, before anything is done.
    failedWith(await runCli(['migrate', 'rollback', '--tenant', slug, '--dry-run', '--json']), 77, 'NOT_ALLOWED')
  })

  it('--all-tenants refuses every tenant at its base batch and rolls back the others', async () => {
    const base = [uniqueSlug('rb_all'), uniqueSlug('rb_all')]
    const later = uniqueSlug('rb_all')
    for (const slug of [...base, later]) okResult(await runCli(['tenants', 'create', slug, '--json']))
    okResult(await runCli(['migrate', 'latest', '--tenant', later, '--json'], { env: { ERP_MIGRATIONS_DIR: widgets } }))
    const backups = tmpDir('rb-all')
    const r = await runCli(['migrate', 'rollback', '--all-tenants', '--yes', '--backup-dir', backups, '--json'], {
      env: { ERP_MIGRATIONS_DIR: widgets },
    })
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    const rows = Object.fromEntries(r.json.result.tenants.map((t: { tenant: string }) => [t.tenant, t]))
    for (const slug of base) {
      expect(rows[slug]).to.include({ status: 'failed' })
      expect(rows[slug].error).to.match(/base batch/)
      expect(await tableExists(slug, 'products')).to.equal(true)
    }
    expect(rows[later]).to.include({ status: 'ok' })
    expect(rows[later].applied).to.deep.equal(['29990201000000_add_widgets.js'])
    expect(await tableExists(later, 'widgets')).to.equal(false)
    expect(await tableExists(later, 'products')).to.equal(true)
    // Only the tenant that was rolled back was backed up.
    expect(archivesIn(backups)).to.have.length(1)
    expect(rows[later].backup).to.equal(path.join(backups, archivesIn(backups)[0]))
  })

  it('backs the tenant up before rolling back a later batch; --dry-run changes nothing; --no-backup takes none', async () => {
    const slug = uniqueSlug('rb_later')
    okResult(await runCli(['tenants', 'create', slug, '--json']))
    const env = { ERP_MIGRATIONS_DIR: widgets }
    okResult(await runCli(['migrate', 'latest', '--tenant', slug, '--json'], { env }))
    await query(`insert into tenant_${slug}.widgets (label) values ('kept in the backup')`)

    const backups = tmpDir('rb-later')
    const dry = okResult(await runCli(['migrate', 'rollback', '--tenant', slug, '--dry-run', '--backup-dir', backups, '--json'], { env }))
    expect(dry.tenants[0]).to.include({ status: 'planned', batch: 2 })
    expect(dry.tenants[0].applied).to.deep.equal(['29990201000000_add_widgets.js'])
    expect(await tableExists(slug, 'widgets')).to.equal(true)
    expect(archivesIn(backups)).to.deep.equal([])

    const r = okResult(await runCli(['migrate', 'rollback', '--tenant', slug, '--yes', '--backup-dir', backups, '--json'], { env }))
    expect(r.tenants[0]).to.include({ status: 'ok', batch: 2 })
    expect(await tableExists(slug, 'widgets')).to.equal(false)
    const archives = archivesIn(backups)
    expect(archives).to.have.length(1)
    expect(r.tenants[0].backup).to.equal(path.join(backups, archives[0]))
    // The archive holds the state before the rollback: the widgets table and its row.
    const copy = uniqueSlug('rb_copy')
    okResult(await runCli(['backup', 'restore', r.tenants[0].backup, '--as', copy, '--json'], { env }))
    expect((await query(`select label from tenant_${copy}.widgets`)).rows).to.deep.equal([{ label: 'kept in the backup' }])

    okResult(await runCli(['migrate', 'latest', '--tenant', slug, '--json'], { env }))
    const none = tmpDir('rb-none')
    okResult(await runCli(['migrate', 'rollback', '--tenant', slug, '--yes', '--no-backup', '--backup-dir', none, '--json'], { env }))
    expect(await tableExists(slug, 'widgets')).to.equal(false)
    expect(archivesIn(none)).to.deep.equal([])
    // Back at the base batch: the next rollback is refused.
    failedWith(await runCli(['migrate', 'rollback', '--tenant', slug, '--yes', '--no-backup', '--json'], { env }), 77, 'NOT_ALLOWED')
  })
})

describe('an erp older than the schema it meets', function () {
  this.timeout(120_000)
  useScratchDatabase('newer')
  const newer = migrationsWith([NEWER])
  const name = '29990901000000_newer_erp_column.js'
  const slug = uniqueSlug('nw')
  const current = uniqueSlug('nw_cur')

  before(async () => {
    for (const s of [slug, current]) okResult(await runCli(['tenants', 'create', s, '--json']))
    okResult(await runCli(['products', 'create', 'OLD-1', '--name', 'Before the upgrade', '--tenant', slug, '--json']))
    // A newer erp migrates the tenant; the tree then loses that migration (this erp is the older one).
    okResult(await runCli(['migrate', 'latest', '--tenant', slug, '--json'], { env: { ERP_MIGRATIONS_DIR: newer } }))
  })

  it('the registry records the tenant migrations each migrating path applied', async () => {
    const { rows } = await query('select slug, schema_migrations from erp.tenants where slug = any($1) order by slug', [[slug, current]])
    const bySlug = Object.fromEntries(rows.map((r) => [r.slug, r.schema_migrations as string[]]))
    expect(bySlug[slug]).to.include(name)
    expect(bySlug[current]).not.to.include(name)
    expect(bySlug[slug]).to.deep.equal((await applied(slug)).map((m) => m.name).sort())
  })

  it('refuses a write (exit 78, naming the migration), changes nothing, and says to install a newer erp', async () => {
    const r = await runCli(['products', 'create', 'NEW-1', '--name', 'Written by an old erp', '--tenant', slug, '--json'])
    const error = failedWithMessage(r, 78, new RegExp(name.replace('.', '\\.')))
    expect(error.kind).to.equal('CONFIG')
    expect(error.message).to.contain(`Tenant "${slug}"`)
    expect(error.actions.join(' ')).to.match(/Install a newer erp/)
    expect(error.data.unknownMigrations).to.deep.equal([name])
    expect(await productCount(slug)).to.equal(1)
    // A tenant at this erp's own version is not affected.
    okResult(await runCli(['products', 'create', 'CUR-1', '--name', 'Fine', '--tenant', current, '--json']))
  })

  it('lets a read work, with a warning in the envelope and on stderr', async () => {
    const r = await runCli(['products', 'list', '--tenant', slug, '--json'])
    const products = okResult(r).items
    expect(products.map((p: { sku: string }) => p.sku)).to.deep.equal(['OLD-1'])
    expect(r.json.warnings.join(' ')).to.contain(name).and.to.contain('newer erp')
    const text = await runCli(['products', 'list', '--tenant', slug])
    expect(text.code).to.equal(0)
    expect(text.stdout).to.contain('OLD-1')
    expect(text.stderr).to.match(/Warning: .*newer erp/).and.to.contain(name)
    const fine = await runCli(['products', 'list', '--tenant', current, '--json'])
    expect(okResult(fine).items.map((p: { sku: string }) => p.sku)).to.deep.equal(['CUR-1'])
    expect(fine.json.warnings).to.deep.equal([])
  })

  it('migrate latest refuses the tenant instead of applying around the unknown migration', async () => {
    // A migration this erp has and the tenant lacks, beside the one it does not know.
    const own = migrationsWith([{ stamp: '29990801000000', name: 'own_later', up: 'create table own_later (id int)' }])
    const r = await runCli(['migrate', 'latest', '--tenant', slug, '--json'], { env: { ERP_MIGRATIONS_DIR: own } })
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    expect(r.json.result.tenants[0]).to.include({ tenant: slug, status: 'failed' })
    expect(r.json.result.tenants[0].error).to.contain(name)
    expect(await tableExists(slug, 'own_later')).to.equal(false)
    const fleet = await runCli(['migrate', 'latest', '--all-tenants', '--json'])
    expect(fleet.code).to.equal(1)
    const rows = Object.fromEntries(fleet.json.result.tenants.map((t: { tenant: string }) => [t.tenant, t]))
    expect(rows[slug]).to.include({ status: 'failed' })
    expect(rows[current]).to.include({ status: 'ok' })
    // And a rollback, which would need the unknown migration's down(), is refused as well.
    failedWithMessage(await runCli(['migrate', 'rollback', '--tenant', slug, '--yes', '--no-backup', '--json']), 78, /newer erp/)
  })

  it('migrate status warns about it; doctor reports the tenant with the migration it does not know', async () => {
    const status = await runCli(['migrate', 'status', '--json'])
    expect(okResult(status).items.find((s: { tenant: string }) => s.tenant === slug).unknown).to.deep.equal([name])
    expect(status.json.warnings.join(' ')).to.contain(slug).and.to.contain(name)
    const r = await runCli(['doctor', '--json'])
    expect(r.code).to.equal(1)
    const check = r.json.result.items.find((c: { check: string }) => c.check === 'tenant migrations')
    expect(check.status).to.equal('fail')
    expect(check.detail).to.contain(slug).and.to.contain(name)
    expect(check.detail).not.to.contain(current)
  })

  it('checks a tenant the registry has no record for from its own knex_migrations', async () => {
    // As after the registry migration, before (or if killed during) the backfill: every tenant.
    await query('update erp.tenants set schema_migrations = null')
    failedWith(await runCli(['products', 'create', 'NEW-2', '--name', 'x', '--tenant', slug, '--json']), 78, 'CONFIG')
    expect(await productCount(slug)).to.equal(1)
    const doctor = await runCli(['doctor', '--json'])
    expect(doctor.json.result.items.find((c: { check: string }) => c.check === 'tenant migrations').status).to.equal('fail')
    // migrate latest --registry fills every record in again, from each tenant's knex_migrations.
    okResult(await runCli(['migrate', 'latest', '--registry', '--json']))
    const { rows } = await query('select slug, schema_migrations from erp.tenants order by slug')
    expect(rows.length).to.be.at.least(2)
    for (const row of rows) expect(row.schema_migrations, row.slug).to.deep.equal((await applied(row.slug)).map((m) => m.name).sort())
    expect(rows.find((r) => r.slug === slug).schema_migrations).to.include(name)
  })

  it("holds for a tenant's own login too (it reads its row through erp.my_tenants)", async () => {
    const profile = `p_${slug}`
    okResult(await runCli(['tenants', 'credentials', slug, '--save-profile', profile, '--json']))
    failedWith(await runCli(['products', 'create', 'NEW-3', '--name', 'x', '--profile', profile, '--json']), 78, 'CONFIG')
    const read = await runCli(['products', 'list', '--profile', profile, '--json'])
    expect(okResult(read).items).to.have.length(1)
    expect(read.json.warnings.join(' ')).to.contain(name)
    expect(await productCount(slug)).to.equal(1)
  })

  it('refuses to restore an archive of a newer schema', async () => {
    const out = tmpDir('newer-backup')
    const backup = okResult(await runCli(['backup', 'create', '--tenant', slug, '--out', out, '--json']))
    const copy = uniqueSlug('nw_copy')
    const r = await runCli(['backup', 'restore', backup.tenants[0].file, '--as', copy, '--json'])
    failedWithMessage(r, 78, new RegExp(name.replace('.', '\\.')))
    expect((await query('select 1 from erp.tenants where slug = $1', [copy])).rowCount).to.equal(0)
  })

  describe('a registry migrated by a newer erp', () => {
    useScratchDatabase('newer_registry')
    const registryMigration = '29991001000000_newer_registry.js'
    const tenant = uniqueSlug('nr')

    before(async () => {
      okResult(await runCli(['tenants', 'create', tenant, '--json']))
      const dir = migrationsWith([])
      fs.writeFileSync(
        path.join(dir, 'registry', registryMigration),
        "export async function up(knex) { await knex.raw('create table newer_things (id int)') }\n" +
          "export async function down(knex) { await knex.raw('drop table newer_things') }\n",
      )
      // The newer erp's first admin command brings the registry up to its tree.
      okResult(await runCli(['migrate', 'latest', '--registry', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } }))
      expect((await query('select 1 from erp.knex_migrations where name = $1', [registryMigration])).rowCount).to.equal(1)
    })

    it('refuses registry writes (a new tenant, a suspension, a migration) with exit 78 naming the migration', async () => {
      const fresh = uniqueSlug('nr_new')
      const created = await runCli(['tenants', 'create', fresh, '--json'])
      const error = failedWithMessage(created, 78, new RegExp(registryMigration.replace('.', '\\.')))
      expect(error.message).to.match(/^The registry/)
      expect((await query('select 1 from erp.tenants where slug = $1', [fresh])).rowCount).to.equal(0)
      expect((await query("select 1 from pg_namespace where nspname = $1", [`tenant_${fresh}`])).rowCount).to.equal(0)
      failedWith(await runCli(['tenants', 'suspend', tenant, '--json']), 78, 'CONFIG')
      expect((await query('select status from erp.tenants where slug = $1', [tenant])).rows[0].status).to.equal('active')
      failedWith(await runCli(['migrate', 'latest', '--registry', '--json']), 78, 'CONFIG')
      failedWith(await runCli(['migrate', 'latest', '--all-tenants', '--json']), 78, 'CONFIG')
      expect((await query('select count(*)::int as n from erp.migration_runs')).rows[0].n).to.equal(0)
    })

    it('lets reads work with a warning, and doctor reports it', async () => {
      const listed = await runCli(['tenants', 'list', '--json'])
      expect(okResult(listed).items.map((t: { slug: string }) => t.slug)).to.include(tenant)
      expect(listed.json.warnings.join(' ')).to.contain(registryMigration).and.to.contain('newer erp')
      const doctor = await runCli(['doctor', '--json'])
      expect(doctor.code).to.equal(1)
      const check = doctor.json.result.items.find((c: { check: string }) => c.check === 'registry migrations')
      expect(check.status).to.equal('fail')
      expect(check.detail).to.contain(registryMigration)
    })
  })
})
