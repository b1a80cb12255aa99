import { expect } from 'chai'

import { runCli } from '../helpers/cli.js'
import { adminQuery as query, uniqueSlug } from '../helpers/database.js'
import { migrationsWith } from '../helpers/migrations.js'


async function create(slug: string, ...more: string[]) {
  const r = await runCli(['tenants', 'create', slug, ...more, '--json'])
  expect(r.code, r.stderr + r.stdout).to.equal(0)
  return r.json.result
}

describe('erp tenants (through bin/run.js)', () => {
  it('creates a tenant and lists it, as table and as --json', async () => {
    const slug = uniqueSlug('acme')
    const created = await runCli(['tenants', 'create', slug, '--name', 'Acme Ltd', '--plan', 'pro', '--json'])
    expect(created.code, created.stderr).to.equal(0)
    expect(created.json).to.include.keys('status', 'result', 'warnings')
    expect(created.json.status).to.equal(0)
    expect(created.json.result).to.include({ slug, name: 'Acme Ltd', plan: 'pro', schema: `tenant_${slug}`, status: 'active' })
    expect(created.json.result.migrations).to.be.an('array').that.is.not.empty

    const table = await runCli(['tenants', 'list'])
    expect(table.code).to.equal(0)
    expect(table.stdout).to.match(new RegExp(`^${slug}\\s+Acme Ltd\\s+active`, 'm'))

    const listed = await runCli(['tenants', 'list', '--json'])
    expect(listed.json.result.map((t: { slug: string }) => t.slug)).to.include(slug)

    const csv = await runCli(['tenants', 'list', '--output', 'csv', '--columns', 'slug,plan', '--filter', `slug==${slug}`])
    expect(csv.stdout.trim().split('\n')).to.deep.equal(['slug,plan', `${slug},pro`])

    const shown = await runCli(['tenants', 'show', slug])
    expect(shown.stdout).to.match(/schema:\s+tenant_/)
  })

  it('refuses a duplicate slug with exit 1 and a next step', async () => {
    const slug = uniqueSlug('dup')
    await create(slug)
    const again = await runCli(['tenants', 'create', slug, '--json'])
    expect(again.code).to.equal(1)
    expect(again.json.error).to.include({ kind: 'CONFLICT' })
    expect(again.json.error.actions[0]).to.contain(`erp tenants show ${slug}`)
  })

  const badSlugs = [
    'A',
    'Acme',
    'x',
    'a'.repeat(41),
    '1acme',
    'acme-ltd',
    'acme__x',
    'public',
    'erp',
    'pg_acme',
    'acme; drop schema erp cascade',
    "x'); drop table erp.tenants; --",
    'acme"',
    'acmé',
    '',
  ]
  for (const slug of badSlugs) {
    it(`refuses the slug ${JSON.stringify(slug)} as a usage error and creates nothing`, async () => {
      const before = (await query('select count(*)::int as n from erp.tenants')).rows[0].n
      const r = await runCli(['tenants', 'create', slug, '--json'])
      expect(r.code).to.equal(2)
      expect(r.json.status).to.equal(2)
      expect(r.json.error.kind).to.equal('USAGE')
      expect((await query('select count(*)::int as n from erp.tenants')).rows[0].n).to.equal(before)
      expect((await query("select count(*)::int as n from pg_namespace where nspname like 'tenant_%' and nspname not in (select schema_name from erp.tenants)")).rows[0].n).to.equal(0)
    })
  }

  it('suspends and resumes: writes are refused with exit 77 while suspended, reads still work', async () => {
    const slug = uniqueSlug('susp')
    await create(slug)
    const suspended = await runCli(['tenants', 'suspend', slug, '--json'])
    expect(suspended.json.result.status).to.equal('suspended')

    const fs = await import('node:fs')
    const script = `/tmp/erp-test-${slug}.sql`
    fs.writeFileSync(script, 'create table t (x int);')
    const refused = await runCli(['sql', 'exec', '--file', script, '--tenant', slug, '--json'])
    expect(refused.code).to.equal(1)
    expect(refused.json.result.tenants[0].error).to.match(/suspended/)
    const show = await runCli(['tenants', 'show', slug, '--json'])
    expect(show.code).to.equal(0)

    const again = await runCli(['tenants', 'suspend', slug, '--json'])
    expect(again.code).to.equal(1)
    const resumed = await runCli(['tenants', 'resume', slug, '--json'])
    expect(resumed.json.result.status).to.equal('active')
    const allowed = await runCli(['sql', 'exec', '--file', script, '--tenant', slug, '--json'])
    expect(allowed.code, allowed.stdout).to.equal(0)
    fs.rmSync(script)
  })

  it('deletes only with --yes when there is no terminal, and removes schema and roles', async () => {
    const slug = uniqueSlug('del')
    await create(slug)
    await runCli(['tenants', 'credentials', slug, '--json'])
    const unconfirmed = await runCli(['tenants', 'delete', slug, '--json'])
    expect(unconfirmed.code).to.equal(2)
    expect(unconfirmed.json.error.message).to.contain('--yes')
    expect((await query('select 1 from erp.tenants where slug = $1', [slug])).rowCount).to.equal(1)

    const deleted = await runCli(['tenants', 'delete', slug, '--yes', '--json'])
    expect(deleted.code, deleted.stdout).to.equal(0)
    expect((await query('select 1 from erp.tenants where slug = $1', [slug])).rowCount).to.equal(0)
    expect((await query('select 1 from pg_namespace where nspname = $1', [`tenant_${slug}`])).rowCount).to.equal(0)
    expect((await query('select 1 from pg_roles where rolname like $1', [`erp_tenant_${slug}%`])).rowCount).to.equal(0)

    const missing = await runCli(['tenants', 'delete', slug, '--yes', '--json'])
    expect(missing.json.error.kind).to.equal('NOT_FOUND')
  })

  it('clones schema and data from one snapshot; identity and serial columns go on from the copied values', async () => {
    const env = {
      ERP_MIGRATIONS_DIR: migrationsWith([{
        stamp: '29990101000000',
        name: 'clone_fixture',
        up: `create table parent (id bigint generated always as identity primary key, name text);
             create table child (id serial primary key, parent_id bigint references parent, qty numeric(12,3));`,
      }]),
    }
    const from = uniqueSlug('src')
    const to = uniqueSlug('dst')
    expect((await runCli(['tenants', 'create', from, '--json'], { env })).code).to.equal(0)
    await query(`
      insert into tenant_${from}.parent (name) values ('a'), ('b'), ('c');
      insert into tenant_${from}.child (parent_id, qty) values (1, 1.5), (2, 0.001), (3, 123456789.123);
    `)
    const r = await runCli(['tenants', 'clone', from, to, '--json'], { env })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.tables).to.deep.include({ table: 'child', rows: 3 })
    const rows = (await query(`select p.name, c.qty::text from tenant_${to}.child c join tenant_${to}.parent p on p.id = c.parent_id order by p.id`)).rows
    expect(rows).to.deep.equal([{ name: 'a', qty: '1.500' }, { name: 'b', qty: '0.001' }, { name: 'c', qty: '123456789.123' }])
    expect((await query(`insert into tenant_${to}.parent (name) values ('d') returning id`)).rows[0].id).to.equal('4')
    expect((await query(`insert into tenant_${to}.child (parent_id) values (4) returning id`)).rows[0].id).to.equal(4)
    // The source is untouched.
    expect((await query(`select count(*)::int as n from tenant_${from}.parent`)).rows[0].n).to.equal(3)
  })

  it('refuses to clone a tenant whose schema has drifted from the migrations, naming what would be lost', async () => {
    const from = uniqueSlug('drift')
    await create(from)
    await query(`create table tenant_${from}.adhoc (x int); alter table tenant_${from}.settings add column note text`)
    const to = uniqueSlug('dst')
    const r = await runCli(['tenants', 'clone', from, to, '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.error.message).to.contain('adhoc').and.contain('settings.note')
    expect((await query('select 1 from erp.tenants where slug = $1', [to])).rowCount).to.equal(0)
    expect((await query('select 1 from pg_roles where rolname like $1', [`erp_tenant_${to}%`])).rowCount).to.equal(0)
  })
})
