import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

import { runCli, runProcess, spawnCli } from '../helpers/cli.js'
import { adminQuery as query, namesFor, openTestDb, uniqueSlug, useScratchDatabase } from '../helpers/database.js'
import { migrationsWith } from '../helpers/migrations.js'
import { waitFor } from '../helpers/wait.js'
import type { Db } from '../../src/lib/db/connect.js'
import { forEachTenant } from '../../src/lib/tenants/fleet.js'
import { createTenant } from '../../src/lib/tenants/provision.js'


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A fleet of two dozen tenants. Their slugs start with `a0_`, which sorts before every other test's
 * tenants, so they are the first in slug order: the canary and the first waves are theirs.
 * Each scenario adds one migration to the tree of the scenarios before it.
 */
describe('erp migrate latest over a fleet (waves, canary, max failures, resume, lock timeouts)', function () {
  this.timeout(120_000)
  // A database of its own: these runs migrate every tenant in it past the tree, and other suites'
  // tenants (some migrated past this tree) would be refused by them.
  useScratchDatabase('fleet')
  const FLEET = 24
  const fleet = Array.from({ length: FLEET }, () => uniqueSlug('a0')).sort()
  const extra: Array<{ stamp: string; name: string; up: string }> = []
  let db: Db

  const migrationDir = (name: string, up: string) => {
    extra.push({ stamp: `2999060${extra.length}000000`, name, up })
    return migrationsWith(extra)
  }
  /** The file name of the migration migrationDir added last. */
  const newest = () => `${extra.at(-1)!.stamp}_${extra.at(-1)!.name}.js`
  const latest = (dir: string, ...args: string[]) =>
    runCli(['migrate', 'latest', ...args, '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
  /** A run in a process of its own, for a run still going while other runs happen (in-process runs take turns). */
  const latestProcess = (dir: string, ...args: string[]) =>
    runProcess(['migrate', 'latest', ...args, '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
  const mine = (tenants: Array<{ tenant: string }>) => tenants.filter((t) => fleet.includes(t.tenant))
  const byTenant = (tenants: Array<{ tenant: string }>) => Object.fromEntries(tenants.map((t) => [t.tenant, t])) as Record<string, any>

  before(async () => {
    db = await openTestDb()
    await forEachTenant(fleet, 4, (slug) => createTenant(db, { slug }))
  })
  after(async () => {
    await db.close()
  })

  it('rolls out canary first, then waves, records the run, and a second run touches nothing', async () => {
    const dir = migrationDir('note_one', 'alter table settings add column note1 text')
    const r = await latest(dir, '--all-tenants', '--canary', '3', '--wave', '5', '--concurrency', '2')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.runStatus).to.equal('completed')
    const rows = mine(r.json.result.tenants)
    expect(rows).to.have.length(FLEET)
    expect(rows.map((t: any) => t.wave)).to.deep.equal([0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5])
    for (const t of rows) expect(t).to.include({ status: 'ok', attempts: 1 })

    const shown = await runCli(['migrate', 'runs', 'show', String(r.json.result.runId), '--json'])
    expect(shown.code).to.equal(0)
    expect(shown.json.result.status).to.equal('completed')
    expect(mine(shown.json.result.items).every((i: any) => i.state === 'succeeded')).to.equal(true)
    const listed = await runCli(['migrate', 'runs', '--json'])
    expect(listed.json.result.items[0]).to.include({ id: r.json.result.runId, status: 'completed' })

    const again = await latest(dir, '--all-tenants')
    expect(again.code).to.equal(0)
    expect(again.json.result.upToDate).to.be.at.least(FLEET)
    for (const t of mine(again.json.result.tenants)) expect(t).to.deep.include({ status: 'ok', applied: [] })
    // No transaction was opened on an up-to-date tenant: nothing shows as attempted.
    expect(mine(again.json.result.tenants).every((t: any) => t.attempts === undefined)).to.equal(true)
  })

  it('a failing canary stops the rollout; --retry-failed then --continue finish it', async () => {
    const dir = migrationDir('gizmos', 'create table fleet_gizmos (id bigint generated always as identity primary key)')
    await query(`create table tenant_${fleet[1]}.fleet_gizmos (x int)`)
    const r = await latest(dir, '--all-tenants', '--canary', '3', '--wave', '5')
    expect(r.code).to.equal(1)
    expect(r.json.result.runStatus).to.equal('stopped')
    expect(r.json.result.stopReason).to.contain('canary')
    expect(r.json.warnings.join(' ')).to.contain('--retry-failed')
    const rows = byTenant(r.json.result.tenants)
    expect(rows[fleet[0]].status).to.equal('ok')
    expect(rows[fleet[1]].status).to.equal('failed')
    expect(rows[fleet[1]].error).to.contain('fleet_gizmos')
    expect(rows[fleet[2]].status).to.equal('ok')
    for (const slug of fleet.slice(3)) expect(rows[slug].status).to.equal('not_reached')
    expect((await query('select to_regclass($1) as t', [`tenant_${fleet[5]}.fleet_gizmos`])).rows[0].t).to.equal(null)

    // How far the rollout got, one row per schema version.
    const byVersion = await runCli(['migrate', 'status', '--all-tenants', '--by-version', '--json'], { env: { ERP_MIGRATIONS_DIR: dir } })
    expect(byVersion.code).to.equal(0)
    const done = byVersion.json.result.items.find((g: any) => g.version === '29990601000000_gizmos.js')
    const behind = byVersion.json.result.items.find((g: any) => g.version === '29990600000000_note_one.js' && g.pending.length === 1)
    expect(done.tenants).to.be.at.least(2)
    expect(behind.pending).to.deep.equal(['29990601000000_gizmos.js'])
    expect(behind.tenants).to.be.at.least(FLEET - 2)

    await query(`drop table tenant_${fleet[1]}.fleet_gizmos`)
    const retried = await latest(dir, '--retry-failed')
    // The failed tenant is done; the ones never reached are carried over, so the run is not complete.
    expect(retried.code).to.equal(1)
    expect(retried.json.result.resumedFrom).to.equal(r.json.result.runId)
    const retriedRows = byTenant(retried.json.result.tenants)
    expect(retriedRows[fleet[1]]).to.include({ status: 'ok' })
    expect(retriedRows[fleet[1]].applied).to.deep.equal(['29990601000000_gizmos.js'])
    expect(retriedRows[fleet[10]].status).to.equal('not_reached')

    const continued = await latest(dir, '--continue', '--wave', '10')
    expect(continued.code, continued.stdout).to.equal(0)
    expect(continued.json.result.resumedFrom).to.equal(retried.json.result.runId)
    for (const slug of fleet.slice(3)) expect(byTenant(continued.json.result.tenants)[slug].status).to.equal('ok')
    for (const slug of fleet) expect((await query('select to_regclass($1) as t', [`tenant_${slug}.fleet_gizmos`])).rows[0].t).to.not.equal(null)
  })

  it('stops once failures pass --max-failures; --retry-failed --continue picks up both kinds at once', async () => {
    const dir = migrationDir('gadgets', 'create table fleet_gadgets (id int)')
    for (const i of [4, 6, 8]) await query(`create table tenant_${fleet[i]}.fleet_gadgets (x int)`)
    const r = await latest(dir, '--all-tenants', '--wave', '4', '--max-failures', '1', '--concurrency', '1')
    expect(r.code).to.equal(1)
    expect(r.json.result.runStatus).to.equal('stopped')
    expect(r.json.result.stopReason).to.contain('--max-failures 1')
    const rows = byTenant(r.json.result.tenants)
    expect(fleet.slice(0, 10).map((slug) => rows[slug].status)).to.deep.equal([
      'ok', 'ok', 'ok', 'ok', 'failed', 'ok', 'failed', 'not_reached', 'not_reached', 'not_reached',
    ])
    const shown = await runCli(['migrate', 'runs', 'show', '--json'])
    const items = byTenant(shown.json.result.items)
    expect(items[fleet[4]].state).to.equal('failed')
    expect(items[fleet[8]].state).to.equal('not_reached')

    for (const i of [4, 6, 8]) await query(`drop table tenant_${fleet[i]}.fleet_gadgets`)
    const resumed = await latest(dir, '--retry-failed', '--continue')
    expect(resumed.code, resumed.stdout).to.equal(0)
    expect(resumed.json.result.runStatus).to.equal('completed')
    const done = byTenant(resumed.json.result.tenants)
    for (const i of [4, 6, 7, 8, 23]) expect(done[fleet[i]].status).to.equal('ok')
    expect(done[fleet[0]]).to.equal(undefined)
  })

  it('a tenant whose table is locked times out, is retried later in the run, and succeeds once the lock is gone', async () => {
    const dir = migrationDir('note_four', 'alter table settings add column note4 text')
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await holder.connect()
    const target = fleet[2]
    try {
      await holder.query('begin')
      await holder.query(`lock table tenant_${target}.settings in access exclusive mode`)
      const waiting = () =>
        query(`select count(*)::int as n from pg_locks where relation = to_regclass($1) and not granted`, [`tenant_${target}.settings`])
      const run = latestProcess(dir, '--all-tenants', '--lock-timeout', '300ms', '--retry-delay', '1s', '--lock-attempts', '5', '--concurrency', '2')
      // Release the lock only after a first attempt has waited for it and given up.
      while ((await waiting()).rows[0].n === 0) await sleep(20)
      // Meanwhile the run lists as running (its process holds the run's lock).
      const live = await runCli(['migrate', 'runs', '--limit', '1', '--json'])
      expect(live.json.result.items[0].status).to.equal('running')
      while ((await waiting()).rows[0].n > 0) await sleep(20)
      await holder.query('rollback')
      const r = await run
      expect(r.code, r.stdout).to.equal(0)
      const row = byTenant(r.json.result.tenants)[target]
      expect(row.status).to.equal('ok')
      expect(row.lockTimeouts).to.be.at.least(1)
      expect(row.attempts).to.equal(row.lockTimeouts + 1)
      expect(row.applied).to.deep.equal(['29990603000000_note_four.js'])
    } finally {
      await holder.end()
    }
  })

  it('a lock held for the whole run is reported lock-timed-out after the attempts; the advisory lock wait obeys lock_timeout too', async () => {
    const dir = migrationDir('note_five', 'alter table settings add column note5 text')
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await holder.connect()
    const [locked, busy] = [fleet[3], fleet[5]]
    try {
      await holder.query('begin')
      await holder.query(`lock table tenant_${locked}.settings in access exclusive mode`)
      // Another migration run holding a tenant's advisory lock.
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`erp.migrate:tenant_${busy}`])
      const r = await latest(dir, '--all-tenants', '--lock-timeout', '200ms', '--retry-delay', '100ms', '--lock-attempts', '2')
      expect(r.code).to.equal(1)
      expect(r.json.result.runStatus).to.equal('completed_with_failures')
      expect(r.json.result.lockTimedOut).to.equal(2)
      const rows = byTenant(r.json.result.tenants)
      for (const slug of [locked, busy]) {
        expect(rows[slug]).to.include({ status: 'lock_timeout', attempts: 2, lockTimeouts: 2 })
        expect(rows[slug].error).to.match(/lock timeout/i)
      }
      expect(rows[fleet[4]].status).to.equal('ok')
    } finally {
      await holder.query('rollback')
      await holder.end()
    }
    const retried = await latest(dir, '--retry-failed')
    expect(retried.code, retried.stdout).to.equal(0)
    expect(byTenant(retried.json.result.tenants)[locked].status).to.equal('ok')
  })

  /** Fleet tenants whose knex_migrations holds `name`: what really committed. */
  const appliedTo = async (name: string) =>
    (await query(fleet.map((s) => `select '${s}' as tenant from tenant_${s}.knex_migrations where name = $1`).join(' union all '), [name]))
      .rows.map((r: { tenant: string }) => r.tenant).sort()
  const inState = (items: Array<{ tenant: string; state: string }>, state: string) =>
    mine(items).filter((i: any) => i.state === state).map((i) => i.tenant).sort()

  it('a run killed halfway has recorded exactly the tenants that committed; --continue records the rest', async () => {
    const dir = migrationDir('slow_note', "alter table settings add column note6 text; select pg_sleep(0.15)")
    const name = newest()
    const child = spawnCli(['migrate', 'latest', '--all-tenants', '--concurrency', '1', '--json'], { ERP_MIGRATIONS_DIR: dir })
    await waitFor('three tenants migrated', async () => (await appliedTo(name)).length >= 3)
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('close', resolve))
    // The migration in flight at the kill never commits: its session is gone.
    await waitFor('the killed session to end', async () =>
      (await query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(0.15)%' and pid <> pg_backend_pid()`)).rows[0].n === 0)
    const committed = await appliedTo(name)
    expect(committed.length).to.be.lessThan(FLEET)

    const killed = await runCli(['migrate', 'runs', 'show', '--json'])
    expect(killed.json.result.status).to.equal('interrupted')
    const items = killed.json.result.items
    expect(inState(items, 'succeeded')).to.deep.equal(committed)
    for (const item of mine(items).filter((i: any) => i.state === 'succeeded')) expect(item).to.deep.include({ applied: [name], attempts: 1 })
    expect(inState(items, 'not_reached')).to.deep.equal(fleet.filter((s) => !committed.includes(s)))
    expect(killed.json.result.succeeded).to.equal(committed.length)

    const r = await latest(dir, '--continue')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.resumedFrom).to.equal(killed.json.result.id)
    expect(await appliedTo(name)).to.deep.equal(fleet)
    const continued = (await runCli(['migrate', 'runs', 'show', String(r.json.result.runId), '--json'])).json.result
    expect(continued.status).to.equal('completed')
    // What the killed run did is not claimed again: the new run lists and counts only the rest.
    expect(inState(continued.items, 'succeeded')).to.deep.equal(fleet.filter((s) => !committed.includes(s)))
    expect(mine(continued.items)).to.have.length(FLEET - committed.length)
    expect(r.json.result.migrated).to.equal(continued.succeeded)
  })

  it('two runs at once: each tenant is recorded as migrated by exactly one of them, and the counts add up', async () => {
    const dir = migrationDir('concurrent_note', 'alter table settings add column note7 text')
    const name = newest()
    const blocked = fleet[3]
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await holder.connect()
    let runs
    try {
      // The first run migrates fleet[0..2], then waits for this lock; the second starts meanwhile,
      // skips the tenant the first is on and migrates the rest. Then the first goes on.
      await holder.query('begin')
      await holder.query(`lock table tenant_${blocked}.settings in access exclusive mode`)
      const first = latestProcess(dir, '--all-tenants', '--concurrency', '1', '--lock-timeout', '60s')
      await waitFor('the first run to wait for the lock', async () =>
        (await query('select count(*)::int as n from pg_locks where relation = to_regclass($1) and not granted', [`tenant_${blocked}.settings`])).rows[0].n > 0)
      const second = latestProcess(dir, '--all-tenants', '--concurrency', '1', '--lock-timeout', '60s')
      // The first run is stuck on fleet[3]: a fourth migrated tenant is the second run's.
      await waitFor('the second run to migrate a tenant', async () => (await appliedTo(name)).length > 3)
      await holder.query('rollback')
      runs = await Promise.all([first, second])
    } finally {
      await holder.end()
    }
    for (const r of runs) expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(await appliedTo(name)).to.deep.equal(fleet)

    const [a, b] = await Promise.all(runs.map(async (r) => (await runCli(['migrate', 'runs', 'show', String(r.json.result.runId), '--json'])).json.result))
    const tenantsThere = (await query(
      `select count(*)::int as n from erp.tenants t where t.status <> 'deleted' and exists (
         select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = t.schema_name and c.relname = 'knex_migrations')`,
    )).rows[0].n as number
    // The two runs' counts of tenants they migrated add up to the tenants there are: none twice.
    expect(a.succeeded + b.succeeded).to.equal(tenantsThere)
    expect(runs[0].json.result.migrated + runs[1].json.result.migrated).to.equal(tenantsThere)
    const byA = inState(a.items, 'succeeded')
    const byB = inState(b.items, 'succeeded')
    expect(byA).to.include.members(fleet.slice(0, 4))
    expect(byB.length).to.be.greaterThan(0)
    expect([...byA, ...byB].sort()).to.deep.equal(fleet)
    expect(byA.filter((s) => byB.includes(s))).to.deep.equal([])
    // A tenant one run found done had been done by the other, and its record says which.
    for (const [run, other] of [[a, b], [b, a]]) {
      for (const item of mine(run.items).filter((i: any) => i.state !== 'succeeded')) {
        expect(item).to.deep.include({ state: 'up_to_date', applied: [], doneBy: other.id })
      }
    }
    expect(mine(b.items).find((i: any) => i.tenant === blocked)).to.deep.include({ state: 'up_to_date', doneBy: a.id })
  })

  it("writing the record as the admin inside a tenant's migration does not let the tenant's deferred triggers run as the admin", async () => {
    const slug = fleet[0]
    const { owner_role: owner } = (await query('select owner_role from erp.tenants where slug = $1', [slug])).rows[0]
    // What a tenant's owner can set up in its own schema (erp sql exec runs as that role).
    await query(`
      set role "${owner}";
      create table tenant_${slug}.who_ran (name text);
      create function tenant_${slug}.note_who() returns trigger language plpgsql as $$
        begin insert into tenant_${slug}.who_ran values (current_user); return null; end $$;
      create constraint trigger note_who after update on tenant_${slug}.settings deferrable initially deferred
        for each row execute function tenant_${slug}.note_who();
      insert into tenant_${slug}.settings (key, value) values ('touched', '1');
      reset role;`)
    const dir = migrationDir('touch_settings', "update settings set value = value where key = 'touched'")
    const r = await latest(dir, '--all-tenants')
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(byTenant(r.json.result.tenants)[slug].applied).to.deep.equal([newest()])
    expect((await query(`select name from tenant_${slug}.who_ran`)).rows).to.deep.equal([{ name: owner }])
  })

  it('refuses bad flag combinations and durations', async () => {
    const dir = migrationsWith(extra)
    const bad = await latest(dir, '--all-tenants', '--lock-timeout', 'soon')
    expect(bad.code).to.equal(2)
    expect(bad.json.error.message).to.contain('soon')
    const both = await latest(dir, '--tenant', fleet[0], '--retry-failed')
    expect(both.code).to.equal(2)
  })
})

describe('erp migrate lint', function () {
  this.timeout(60_000)
  const big = uniqueSlug('lint')
  let scratch: string

  before(async () => {
    expect((await runCli(['tenants', 'create', big])).code).to.equal(0)
    await query(`insert into tenant_${big}.settings (key, value) select 'k' || g, to_jsonb(g) from generate_series(1, 3000) g`)
    await query(`analyze tenant_${big}.settings`)
    scratch = migrationsWith([])
  })

  const write = (name: string, body: string) => {
    const file = `${scratch}/tenant/${name}`
    fs.writeFileSync(file, body)
    return file
  }

  it('flags rewrites, blocking index builds and NOT NULL columns on a large table, and passes what is safe', async () => {
    const file = write('29990701000000_risky.js', `
      export async function up(knex) {
        await knex.raw(\`alter table settings alter column value type text;
          create index settings_updated on settings (updated_at);
          alter table settings add column label text default 'x', add column token uuid default gen_random_uuid();
          -- a new table is no risk
          create table fresh (id int); create index fresh_id on fresh (id);\`)
        await knex.schema.alterTable('settings', (t) => { t.integer('must').notNullable() })
      }`)
    const r = await runCli(['migrate', 'lint', '--file', file, '--row-threshold', '1000', '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    const rules = r.json.result.findings.map((f: { rule: string; table: string }) => `${f.rule}:${f.table}`)
    expect(rules).to.have.members([
      'alter-column-type:settings',
      'index-without-concurrently:settings',
      'volatile-default:settings',
      'not-null-without-default:settings',
      // Five statements in one knex.raw: Citus refuses that whatever the table sizes.
      'citus-multi-statement:null',
    ])
    const index = r.json.result.findings.find((f: { rule: string }) => f.rule === 'index-without-concurrently')
    expect(index.rows).to.be.at.least(3000)
    expect(index.statement).to.contain('create index settings_updated')
    // Nothing ran for real: no tenant has the new table or index.
    expect((await query(`select to_regclass($1) as t`, [`tenant_${big}.settings_updated`])).rows[0].t).to.equal(null)

    const small = await runCli(['migrate', 'lint', '--file', file, '--row-threshold', '1000000', '--json'])
    expect(small.json.result.findings.map((f: { rule: string }) => f.rule)).to.have.members(['citus-multi-statement', 'not-null-without-default'])
  })

  it('flags SQL a Citus coordinator refuses, on any table size, and judges trigger functions as the plan leaves them', async () => {
    const file = write('29990705000000_citus.js', `
      export async function up(knex) {
        await knex.raw("insert into settings (key, value) values ('a', '1') on conflict (key) do update set value = excluded.value, updated_at = now()")
        await knex.raw("update settings set updated_at = case when key = 'a' then now() else updated_at end")
        await knex.raw('create temp table scratch_rows (id int)')
        await knex.raw('create index settings_a on settings (key)')
        await knex.raw('create index settings_b on settings (value)')
        await knex.raw('drop index settings_a, settings_b')
        await knex.raw(\`create function by_name() returns trigger language plpgsql as $$
          begin if tg_table_name = 'settings' then return new; end if; return new; end $$\`)
        await knex.raw(\`create function replaced() returns trigger language plpgsql as $$
          begin if tg_table_name = 'settings' then return new; end if; return new; end $$\`)
        await knex.raw(\`create or replace function replaced() returns trigger language plpgsql as $$
          begin if tg_argv[0] = 'settings' then return new; end if; return new; end $$\`)
      }`)
    const r = await runCli(['migrate', 'lint', '--file', file, '--row-threshold', '1000000', '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    const rules = r.json.result.findings.map((f: { rule: string }) => f.rule)
    expect(rules).to.have.members([
      'citus-mutable-in-upsert',
      'citus-mutable-in-case',
      'citus-temp-staging',
      'citus-multi-object-ddl',
      'citus-trigger-table-name',
    ])
    const trigger = r.json.result.findings.find((f: { rule: string }) => f.rule === 'citus-trigger-table-name')
    expect(trigger.statement).to.contain('create function by_name')
    fs.rmSync(file)
  })

  it('lints the pending migrations of the tree, and exits 0 when they are safe', async () => {
    write('29990702000000_safe.js', `export async function up(knex) { await knex.raw("alter table settings add column memo text default 'none'") }`)
    fs.rmSync(`${scratch}/tenant/29990701000000_risky.js`)
    const r = await runCli(['migrate', 'lint', '--row-threshold', '1000', '--json'], { env: { ERP_MIGRATIONS_DIR: scratch } })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.migrations).to.include('29990702000000_safe.js')
    expect(r.json.result.findings).to.deep.equal([])
    write('29990703000000_rewrite.js', `export async function up(knex) { await knex.raw('alter table settings alter column key type varchar(20)') }`)
    const bad = await runCli(['migrate', 'lint', '--row-threshold', '1000'], { env: { ERP_MIGRATIONS_DIR: scratch } })
    expect(bad.code).to.equal(1)
    expect(bad.stdout).to.match(/29990703000000_rewrite\.js\s+alter-column-type\s+settings/)
  })

  it('reports a missing file and a migration that fails', async () => {
    const missing = await runCli(['migrate', 'lint', '--file', '/nonexistent/29990101000000_x.js', '--json'])
    expect(missing.code).to.equal(66)
    const broken = write('29990704000000_broken.js', `export async function up(knex) { await knex.raw('alter table nosuch add column x int') }`)
    const r = await runCli(['migrate', 'lint', '--file', broken, '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.error.message).to.contain('nosuch')
  })
})

describe('erp tenants delete with a grace period, undelete, purge-deleted', function () {
  this.timeout(60_000)
  const create = async (slug: string) => expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
  const status = async (slug: string) => (await query('select status from erp.tenants where slug = $1', [slug])).rows[0]?.status

  it('keeps a deleted tenant out of use and out of listings, refuses its slug, and undelete brings it back as it was', async () => {
    const slug = uniqueSlug('gone')
    await create(slug)
    await query(`insert into tenant_${slug}.settings (key, value) values ('kept', '"yes"')`)
    await runCli(['tenants', 'suspend', slug])
    const deleted = await runCli(['tenants', 'delete', slug, '--grace', '30d', '--yes', '--json'])
    expect(deleted.code, deleted.stdout).to.equal(0)
    const days = (new Date(deleted.json.result.purgeAfter).getTime() - new Date(deleted.json.result.deletedAt).getTime()) / 86_400_000
    expect(days).to.be.closeTo(30, 0.001)

    const listed = await runCli(['tenants', 'list', '--json'])
    expect(listed.json.result.items.map((t: { slug: string }) => t.slug)).not.to.include(slug)
    const deletedList = await runCli(['tenants', 'list', '--deleted', '--json'])
    expect(deletedList.json.result.items.map((t: { slug: string }) => t.slug)).to.include(slug)
    const work = await runCli(['migrate', 'latest', '--tenant', slug, '--json'])
    expect(work.json.error.kind).to.equal('NOT_FOUND')
    const again = await runCli(['tenants', 'create', slug, '--json'])
    expect(again.code).to.equal(1)
    expect(again.json.error.kind).to.equal('CONFLICT')
    expect(again.json.error.actions.join(' ')).to.contain(`undelete ${slug}`)

    // A migration released while it was deleted: deleted tenants are not migrated, undelete says so.
    const later = migrationsWith([{ stamp: '29990801000000', name: 'missed', up: 'select 1' }])
    const back = await runCli(['tenants', 'undelete', slug, '--json'], { env: { ERP_MIGRATIONS_DIR: later } })
    expect(back.code, back.stdout).to.equal(0)
    expect(back.json.result).to.include({ status: 'suspended', schema: `tenant_${slug}` })
    expect(back.json.result.pendingMigrations).to.deep.equal(['29990801000000_missed.js'])
    expect(back.json.warnings.join(' ')).to.contain(`migrate latest --tenant ${slug}`)
    expect((await query(`select value from tenant_${slug}.settings where key = 'kept'`)).rows[0].value).to.equal('yes')
    expect((await runCli(['tenants', 'resume', slug])).code).to.equal(0)
    expect((await query('select rolcanlogin from pg_roles where rolname = $1', [`${(await namesFor(slug)).loginRole}`])).rows).to.satisfy(
      (rows: Array<{ rolcanlogin: boolean }>) => rows.every((r) => r.rolcanlogin),
    )
    const notDeleted = await runCli(['tenants', 'undelete', slug, '--json'])
    expect(notDeleted.json.error.kind).to.equal('CONFLICT')
  })

  it('--purge takes a final backup first, which restores the tenant', async () => {
    const slug = uniqueSlug('final')
    await create(slug)
    await query(`insert into tenant_${slug}.settings (key, value) values ('last', '"words"')`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-final-'))
    try {
      const r = await runCli(['tenants', 'delete', slug, '--purge', '--yes', '--backup-dir', dir, '--json'])
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      expect(r.json.result.purged).to.equal(true)
      expect(path.dirname(r.json.result.finalBackup)).to.equal(dir)
      expect(fs.existsSync(r.json.result.finalBackup)).to.equal(true)
      expect(await status(slug)).to.equal(undefined)

      const restored = await runCli(['backup', 'restore', r.json.result.finalBackup, '--json'])
      expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
      expect((await query(`select value from tenant_${slug}.settings where key = 'last'`)).rows[0].value).to.equal('words')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('undelete refuses when the schema name has been taken meanwhile', async () => {
    const slug = uniqueSlug('taken')
    await create(slug)
    expect((await runCli(['tenants', 'delete', slug, '--yes'])).code).to.equal(0)
    await query(`create schema tenant_${slug}`)
    const r = await runCli(['tenants', 'undelete', slug, '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.error.message).to.contain(`tenant_${slug}`)
    expect(await status(slug)).to.equal('deleted')
    await query(`drop schema tenant_${slug}`)
  })

  it('purge-deleted drops only tenants past their grace period (dry run first), with their schema and roles', async () => {
    const [due, notDue] = [uniqueSlug('due'), uniqueSlug('notdue')]
    for (const slug of [due, notDue]) {
      await create(slug)
      expect((await runCli(['tenants', 'delete', slug, '--yes'])).code).to.equal(0)
    }
    await query(`update erp.tenants set deleted_at = now() - interval '8 days', purge_after = now() - interval '1 day' where slug = $1`, [due])
    const dry = await runCli(['tenants', 'purge-deleted', '--dry-run', '--json'])
    expect(dry.code).to.equal(0)
    const slugs = dry.json.result.tenants.map((t: { slug: string }) => t.slug)
    expect(slugs).to.include(due)
    expect(slugs).not.to.include(notDue)
    expect(await status(due)).to.equal('deleted')

    const unconfirmed = await runCli(['tenants', 'purge-deleted', '--json'])
    expect(unconfirmed.code).to.equal(2)
    const r = await runCli(['tenants', 'purge-deleted', '--yes', '--json'])
    expect(r.code, r.stdout).to.equal(0)
    expect(r.json.result.tenants.find((t: { slug: string }) => t.slug === due).purged).to.equal(true)
    expect(await status(due)).to.equal(undefined)
    expect(await status(notDue)).to.equal('deleted')
    expect((await query("select 1 from pg_namespace where nspname like $1", [`deleted_${due}_%`])).rowCount).to.equal(0)
    expect((await query('select 1 from pg_roles where rolname like $1', [`${(await namesFor(due)).ownerRole}%`])).rowCount).to.equal(0)
  })
})

describe('erp tenants usage', function () {
  this.timeout(60_000)
  const [small, large] = [uniqueSlug('use'), uniqueSlug('use')]

  before(async () => {
    for (const slug of [small, large]) expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    await query(`insert into tenant_${small}.settings (key, value) select 'k' || g, to_jsonb(g) from generate_series(1, 10) g`)
    await query(`insert into tenant_${large}.settings (key, value) select 'k' || g, to_jsonb(repeat('x', 200)) from generate_series(1, 5000) g`)
    await query(`analyze tenant_${small}.settings; analyze tenant_${large}.settings`)
  })

  it('reports size, row estimates and last activity of every tenant, largest first', async () => {
    const r = await runCli(['tenants', 'usage', '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const rows = r.json.result.items as Array<any>
    const [s, l] = [rows.find((u) => u.slug === small), rows.find((u) => u.slug === large)]
    expect(l.sizeBytes).to.be.greaterThan(s.sizeBytes)
    expect(rows.indexOf(l)).to.be.lessThan(rows.indexOf(s))
    expect(l.tableRows.settings).to.equal(5000)
    expect(s.tableRows.settings).to.equal(10)
    expect(l.tableRows).not.to.have.property('knex_migrations')
    expect(l.lastCommandAt).to.be.a('string')
    expect(l.lastMaintenanceAt).to.be.a('string')
    expect(l.lastActivityAt).to.be.a('string')

    const asc = await runCli(['tenants', 'usage', '--sort', 'size', '--columns', 'slug,size', '--output', 'csv'])
    const order = asc.stdout.trim().split('\n').slice(1).map((line) => line.split(',')[0])
    expect(order.indexOf(small)).to.be.lessThan(order.indexOf(large))
    const one = await runCli(['tenants', 'usage', '--tenant', small, '--json'])
    expect(one.json.result.items.map((u: { slug: string }) => u.slug)).to.deep.equal([small])
  })
})

describe('erp tenants check-distributable', function () {
  this.timeout(60_000)
  const [clean, messy, other] = [uniqueSlug('cit'), uniqueSlug('cit'), uniqueSlug('cit')]

  before(async () => {
    for (const slug of [clean, messy, other]) expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    await query(`
      set role ${(await namesFor(clean)).ownerRole};
      create table tenant_${clean}.parent (id bigint generated always as identity primary key);
      create table tenant_${clean}.child (id bigint generated always as identity primary key, parent_id bigint references tenant_${clean}.parent);
      reset role;
      set role ${(await namesFor(messy)).ownerRole};
      create table tenant_${messy}.items (id serial primary key, settings_key text references tenant_${messy}.settings);
      create table tenant_${messy}.base (id bigint generated always as identity primary key);
      create table tenant_${messy}.derived (extra text) inherits (tenant_${messy}.base);
      reset role;
      create table tenant_${messy}.audit_copy (id bigint, registry_slug text references erp.tenants (slug));
      create table tenant_${other}.refs (key text references tenant_${messy}.settings);
    `)
  })

  it('finds foreign keys across schemas, inheritance, narrow ids and foreign owners, and passes a clean tenant', async () => {
    const r = await runCli(['tenants', 'check-distributable', messy, '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    const checks = r.json.result.findings.map((f: { check: string; object: string }) => `${f.check} ${f.object}`)
    expect(checks).to.include.members([
      `foreign-key-out tenant_${messy}.audit_copy`,
      `foreign-key-in tenant_${messy}.settings`,
      `inheritance tenant_${messy}.derived`,
      `table-owner tenant_${messy}.audit_copy`,
      `narrow-id-sequence tenant_${messy}.items.id`,
    ])
    expect(r.json.result.findings.find((f: { check: string }) => f.check === 'narrow-id-sequence').severity).to.equal('risk')
    expect(r.json.result.blocked).to.deep.equal([messy])

    // erp's own schema: its triggers (invoices, the append-only ledger), which
    // citus_schema_distribute refuses without citus.enable_unsafe_triggers, and nothing else.
    const ok = await runCli(['tenants', 'check-distributable', clean, '--json'])
    expect(ok.code, ok.stdout).to.equal(1)
    expect(ok.json.result.findings.map((f: { check: string; object: string }) => `${f.check} ${f.object}`)).to.deep.equal(
      ['invoice_lines', 'invoice_taxes', 'invoices', 'stock_moves'].map((t) => `trigger tenant_${clean}.${t}`),
    )
    expect(ok.json.result.findings[0].detail).to.contain('citus.enable_unsafe_triggers')
  })

  it('finds row-level security policies with subqueries and partitions of partitions', async () => {
    const slug = uniqueSlug('cit')
    expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    await query(`
      set role ${(await namesFor(slug)).ownerRole};
      create policy own_settings on tenant_${slug}.settings using (key in (select key from tenant_${slug}.settings where false));
      create table tenant_${slug}.events (at date, kind text) partition by range (at);
      create table tenant_${slug}.events_2026 partition of tenant_${slug}.events for values from ('2026-01-01') to ('2027-01-01') partition by list (kind);
      reset role;
    `)
    const r = await runCli(['tenants', 'check-distributable', slug, '--json'])
    const checks = r.json.result.findings.map((f: { check: string; object: string }) => `${f.check} ${f.object}`)
    expect(checks).to.include.members([`policy-subquery tenant_${slug}.settings`, `multi-level-partition tenant_${slug}.events_2026`])
  })

  it('checks the whole fleet in one go, and refuses an ambiguous selection', async () => {
    const r = await runCli(['tenants', 'check-distributable', '--all-tenants', '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.result.blocked).to.include.members([messy, other])
    expect(r.json.result.findings.filter((f: { tenant: string }) => f.tenant === clean).map((f: { check: string }) => f.check)).to.deep.equal(['trigger', 'trigger', 'trigger', 'trigger'])
    expect(r.json.result.checked).to.be.at.least(3)
    expect((await runCli(['tenants', 'check-distributable', '--json'])).code).to.equal(2)
    expect((await runCli(['tenants', 'check-distributable', clean, '--all-tenants', '--json'])).code).to.equal(2)
  })
})
