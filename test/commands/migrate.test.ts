import { expect } from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import { runCli, runProcess } from '../helpers/cli.js'
import { adminQuery as query, uniqueSlug, useScratchDatabase } from '../helpers/database.js'
import { migrationsWith } from '../helpers/migrations.js'


const applied = async (slug: string) =>
  (await query(`select name from tenant_${slug}.knex_migrations order by id`)).rows.map((r) => r.name as string)

describe('erp migrate', () => {
  // --all-tenants runs here apply extra migrations to every tenant of the database: its own.
  useScratchDatabase('migrate')
  const slugs = [uniqueSlug('m'), uniqueSlug('m'), uniqueSlug('m')]
  const extra = {
    stamp: '29990201000000',
    name: 'add_widgets',
    up: 'create table widgets (id bigint generated always as identity primary key, label text); create index widgets_label on widgets (label);',
    down: 'drop table widgets;',
  }
  let dir: string

  before(async () => {
    for (const slug of slugs) expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    dir = migrationsWith([extra])
  })

  it('status shows the new migration pending for every tenant, in a table and in --json', async () => {
    const r = await runCli(['migrate', 'status', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(r.code).to.equal(0)
    for (const slug of slugs) {
      const row = r.json.result.items.find((s: { tenant: string }) => s.tenant === slug)
      expect(row.pending).to.deep.equal(['29990201000000_add_widgets.js'])
    }
    const table = await runCli(['migrate', 'status', '--pending-only'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(table.stdout).to.match(new RegExp(`${slugs[0]}.*29990201000000_add_widgets\\.js`))
  })

  it('reports a failing tenant, migrates the others, and exits 1; the failing one is left untouched', async () => {
    // One tenant already has a table of that name: its migration fails, its transaction rolls back.
    await query(`create table tenant_${slugs[1]}.widgets (x int)`)
    const r = await runCli(['migrate', 'latest', '--all-tenants', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(r.code).to.equal(1)
    expect(r.json.status).to.equal(1)
    const byTenant = Object.fromEntries(r.json.result.tenants.map((t: { tenant: string }) => [t.tenant, t]))
    expect(byTenant[slugs[0]].status).to.equal('ok')
    expect(byTenant[slugs[2]].status).to.equal('ok')
    expect(byTenant[slugs[1]].status).to.equal('failed')
    expect(byTenant[slugs[1]].error).to.contain('widgets')
    expect(await applied(slugs[0])).to.include('29990201000000_add_widgets.js')
    expect(await applied(slugs[1])).not.to.include('29990201000000_add_widgets.js')

    await query(`drop table tenant_${slugs[1]}.widgets`)
    const retry = await runCli(['migrate', 'latest', '--tenant', slugs[1], '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(retry.code).to.equal(0)
    expect(retry.json.result.tenants[0].applied).to.deep.equal(['29990201000000_add_widgets.js'])
  })

  it('a second run is a no-op', async () => {
    const r = await runCli(['migrate', 'latest', '--all-tenants', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(r.code).to.equal(0)
    for (const t of r.json.result.tenants) expect(t.applied).to.deep.equal([])
  })

  it('rolls back the last batch of one tenant (with --yes), and migrates it again', async () => {
    const r = await runCli(['migrate', 'rollback', '--tenant', slugs[0], '--yes', '--no-backup', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result.tenants[0].applied).to.deep.equal(['29990201000000_add_widgets.js'])
    expect((await query('select to_regclass($1) as t', [`tenant_${slugs[0]}.widgets`])).rows[0].t).to.equal(null)
    const again = await runCli(['migrate', 'latest', '--tenant', slugs[0]], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(again.code).to.equal(0)
  })

  it('concurrent `migrate latest --all-tenants` runs apply each migration exactly once (advisory lock)', async () => {
    const dir2 = migrationsWith([extra, { stamp: '29990301000000', name: 'add_gadgets', up: 'create table gadgets (id int); select pg_sleep(0.05);', down: 'drop table gadgets' }])
    // Processes of their own: in-process runs take turns, and these must overlap.
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runProcess(['migrate', 'latest', '--all-tenants', '--concurrency', '2', '--json'], { env: { ERP_MIGRATIONS_DIR: dir2 } })),
    )
    for (const r of runs) expect(r.code, r.stdout + r.stderr).to.equal(0)
    for (const slug of slugs) {
      const names = await applied(slug)
      expect(names.filter((n) => n === '29990301000000_add_gadgets.js')).to.have.length(1)
      const appliedBy = runs.filter((r) =>
        r.json.result.tenants.some((t: { tenant: string; applied: string[] }) => t.tenant === slug && t.applied.length > 0),
      )
      expect(appliedBy).to.have.length(1)
    }
  })

  it('makes a new migration file', async () => {
    const scratch = migrationsWith([])
    const r = await runCli(['migrate', 'make', 'add_vat_number', '--json'], { env: { ERP_MIGRATIONS_DIR: scratch } })
    expect(r.code).to.equal(0)
    expect(path.basename(r.json.result.file)).to.match(/^\d{14}_add_vat_number\.js$/)
    expect(fs.readFileSync(r.json.result.file, 'utf8')).to.contain('export async function up(knex)')
    const bad = await runCli(['migrate', 'make', 'Bad Name', '--json'], { env: { ERP_MIGRATIONS_DIR: scratch } })
    expect(bad.code).to.equal(2)
  })

  it('migrates the registry explicitly', async () => {
    const r = await runCli(['migrate', 'latest', '--registry', '--json'])
    expect(r.code).to.equal(0)
    expect(r.json.result.registry).to.deep.equal([])
  })
})
