import { expect } from 'chai'
import pg from 'pg'

import { runCli } from '../helpers/cli.js'
import { adminQuery as query, namesFor, uniqueSlug } from '../helpers/database.js'
import { migrationsWith } from '../helpers/migrations.js'
import { waitFor } from '../helpers/wait.js'


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
    expect(listed.json.result.items.map((t: { slug: string }) => t.slug)).to.include(slug)

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

  it('suspend also ends a login that came in while the suspension was committing', async () => {
    const slug = uniqueSlug('race')
    await create(slug)
    const login = await runCli(['tenants', 'credentials', slug, '--json'])
    expect(login.code, login.stderr).to.equal(0)
    const { role: loginRole, password } = login.json.result
    // Hold the tenant's registry row: the suspension stops after NOLOGIN and its first terminate,
    // before its commit, the moment a login still gets in.
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await holder.connect()
    holder.on('error', () => undefined)
    const intruderUrl = new URL(process.env.DATABASE_URL!)
    intruderUrl.username = loginRole
    intruderUrl.password = password
    const intruder = new pg.Client({ connectionString: intruderUrl.toString() })
    intruder.on('error', () => undefined)
    try {
      await holder.query('begin')
      await holder.query('select 1 from erp.tenants where slug = $1 for update', [slug])
      const suspending = runCli(['tenants', 'suspend', slug, '--json'])
      await waitFor('the suspension to wait for the registry row', async () => (await query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'update "erp"."tenants"%'`)).rows[0].n === 1)
      await intruder.connect()
      await intruder.query('select 1')
      await holder.query('commit')
      const suspended = await suspending
      expect(suspended.code, suspended.stderr).to.equal(0)
      // pg_terminate_backend signals; the backend leaves pg_stat_activity as it exits.
      const sessions = async () => (await query('select count(*)::int as n from pg_stat_activity where usename = $1', [loginRole])).rows[0].n
      await waitFor("the login's session to end", async () => (await sessions()) === 0, 5_000)
      let error: Error | undefined
      await intruder.query('select 1').catch((err: Error) => (error = err))
      expect(error?.message).to.match(/terminat|not queryable/i)
    } finally {
      await holder.end()
      await intruder.end().catch(() => undefined)
    }
  })

  it('deletes only with --yes when there is no terminal, keeps it for the grace period, and --purge removes schema and roles', async () => {
    const slug = uniqueSlug('del')
    await create(slug)
    await runCli(['tenants', 'credentials', slug, '--json'])
    const unconfirmed = await runCli(['tenants', 'delete', slug, '--json'])
    expect(unconfirmed.code).to.equal(2)
    expect(unconfirmed.json.error.message).to.contain('--yes')
    expect((await query('select status from erp.tenants where slug = $1', [slug])).rows[0].status).to.equal('active')

    const deleted = await runCli(['tenants', 'delete', slug, '--yes', '--json'])
    expect(deleted.code, deleted.stdout).to.equal(0)
    expect(deleted.json.result).to.include({ status: 'deleted', purged: false })
    expect(deleted.json.result.schema).to.match(new RegExp(`^deleted_${slug}_\\d{14}$`))
    expect((await query('select 1 from pg_namespace where nspname = $1', [`tenant_${slug}`])).rowCount).to.equal(0)
    expect((await query('select rolcanlogin from pg_roles where rolname = $1', [`${(await namesFor(slug)).loginRole}`])).rows[0].rolcanlogin).to.equal(false)
    const shown = await runCli(['tenants', 'show', slug, '--json'])
    expect(shown.json.error.kind).to.equal('NOT_FOUND')
    expect(shown.json.error.actions.join(' ')).to.contain(`undelete ${slug}`)

    // A final backup is taken of live tenants only: an already deleted one is purged with --no-backup.
    const noBackup = await runCli(['tenants', 'delete', slug, '--purge', '--yes', '--json'])
    expect(noBackup.code).to.equal(2)
    expect(noBackup.json.error.actions.join(' ')).to.contain('--no-backup')
    const purged = await runCli(['tenants', 'delete', slug, '--purge', '--no-backup', '--yes', '--json'])
    expect(purged.code, purged.stdout).to.equal(0)
    expect(purged.json.result.purged).to.equal(true)
    expect((await query('select 1 from erp.tenants where slug = $1', [slug])).rowCount).to.equal(0)
    expect((await query("select 1 from pg_namespace where nspname like $1", [`%${slug}%`])).rowCount).to.equal(0)
    expect((await query('select 1 from pg_roles where rolname like $1', [`${(await namesFor(slug)).ownerRole}%`])).rowCount).to.equal(0)

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

  it('clones what was added by hand too (erp sql exec): tables, columns, views, grants', async () => {
    const from = uniqueSlug('drift')
    const to = uniqueSlug('dst')
    await create(from)
    await query(`set role ${(await namesFor(from)).ownerRole};
      create table tenant_${from}.adhoc (id bigint generated always as identity primary key, x int);
      insert into tenant_${from}.adhoc (x) values (1), (2);
      create view tenant_${from}.adhoc_view as select sum(x) as total from tenant_${from}.adhoc;
      alter table tenant_${from}.settings add column note text;
      insert into tenant_${from}.settings (key, value, note) values ('a.b', '1', 'kept');
      reset role;`)
    const r = await runCli(['tenants', 'clone', from, to, '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect((await query(`select total::int from tenant_${to}.adhoc_view`)).rows[0].total).to.equal(3)
    expect((await query(`select note from tenant_${to}.settings where key = 'a.b'`)).rows[0].note).to.equal('kept')
    expect((await query(`insert into tenant_${to}.adhoc (x) values (3) returning id`)).rows[0].id).to.equal('3')
    const owner = await query('select tableowner from pg_tables where schemaname = $1 and tablename = $2', [`tenant_${to}`, 'adhoc'])
    expect(owner.rows[0].tableowner).to.equal(`${(await namesFor(to)).ownerRole}`)
  })

  it('a clone onto an existing slug is refused and changes nothing', async () => {
    const from = uniqueSlug('cs')
    const to = uniqueSlug('ct')
    await create(from)
    await create(to)
    const r = await runCli(['tenants', 'clone', from, to, '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.error.kind).to.equal('CONFLICT')
  })
})
