import { spawn } from 'node:child_process'

import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { migrationsWith } from '../test/helpers/migrations.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { forEachTenant } from '../src/lib/tenants/fleet.js'
import { BIN, progress, report, runErp, timed, withBenchDatabase } from './lib.js'

/**
 * Issue 8's figures over a fleet of 1,000 tenants: `migrate status --all-tenants`, a no-op
 * `migrate latest --all-tenants`, one real migration (add a column and an index to a populated
 * table) through one process, and another through 4 concurrent `migrate latest` processes (the
 * per-tenant advisory lock keeps them from doing any tenant twice). Each figure is the wall time of
 * the real CLI, process start included.
 */
const FLEET = Number(process.env.BENCH_FLEET ?? 1000)
const ROWS_PER_TENANT = 200

await withBenchDatabase(async () => {
  const db = await openTestDb()
  try {
    progress(`Provisioning ${FLEET} tenants (4 at a time) with ${ROWS_PER_TENANT} settings rows each…`)
    const provision = await timed(() =>
      forEachTenant(Array.from({ length: FLEET }, () => uniqueSlug('f')), 4, async (slug) => {
        await createTenant(db, { slug })
        await db.knex.raw(
          `insert into "tenant_${slug}".settings (key, value) select 'k' || g, to_jsonb(g) from generate_series(1, ?) g`,
          [ROWS_PER_TENANT],
        )
      }),
    )
    const failed = provision.value.filter((o) => !o.ok)
    if (failed.length) throw new Error(`${failed.length} tenants failed to provision: ${failed[0].error}`)

    const first = migrationsWith([{
      stamp: '29991201000000',
      name: 'bench_fleet_column_and_index',
      up: 'alter table settings add column note text; create index settings_note on settings (note);',
    }])
    const second = migrationsWith([
      { stamp: '29991201000000', name: 'bench_fleet_column_and_index', up: 'alter table settings add column note text; create index settings_note on settings (note);' },
      { stamp: '29991202000000', name: 'bench_fleet_second_column_and_index', up: 'alter table settings add column tag text; create index settings_tag on settings (tag);' },
    ])

    progress('migrate status --all-tenants (nothing pending)…')
    runErp(['migrate', 'status', '--all-tenants', '--json']) // warm the OS caches once
    const statusMs = runErp(['migrate', 'status', '--all-tenants', '--json'])
    progress('migrate latest --all-tenants with nothing pending…')
    const noopMs = runErp(['migrate', 'latest', '--all-tenants', '--json'])
    progress('One real migration (add a column and an index) over all tenants, one process, concurrency 4…')
    const migrateMs = runErp(['migrate', 'latest', '--all-tenants', '--concurrency', '4', '--json'], { ERP_MIGRATIONS_DIR: first })
    const pendingStatusMs = runErp(['migrate', 'status', '--all-tenants', '--json'], { ERP_MIGRATIONS_DIR: second })
    progress('The next one through 4 concurrent migrate latest processes (concurrency 1 each)…')
    const sampling = process.env.BENCH_DEBUG ? setInterval(async () => {
      const { rows: waits } = await db.knex.raw(`select wait_event_type, wait_event, state, left(query, 60) as q from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`)
      process.stderr.write(JSON.stringify(waits) + '\n')
    }, 300) : undefined
    const parallel = await timed(() =>
      Promise.all(Array.from({ length: 4 }, () => runAsync(['migrate', 'latest', '--all-tenants', '--concurrency', '1', '--json'], { ERP_MIGRATIONS_DIR: second }))),
    )
    if (sampling) clearInterval(sampling)
    const { rows } = await db.knex.raw(
      `select count(*)::int as n from erp.tenants t
        where exists (select 1 from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = t.schema_name and c.relname = 'settings_tag')`,
    )
    if (rows[0].n !== FLEET) throw new Error(`Only ${rows[0].n} of ${FLEET} tenants got the second migration`)
    const noopAfterMs = runErp(['migrate', 'latest', '--all-tenants', '--json'], { ERP_MIGRATIONS_DIR: second })

    report('fleet', [
      { name: 'tenants', value: FLEET, unit: '' },
      { name: 'provision_s', value: provision.ms / 1000, unit: 's' },
      { name: 'status_all_tenants_s', value: statusMs / 1000, unit: 's', target: '≤ 2 s', ok: statusMs <= 2000 },
      { name: 'status_with_pending_s', value: pendingStatusMs / 1000, unit: 's', target: '≤ 2 s', ok: pendingStatusMs <= 2000 },
      { name: 'noop_migrate_s', value: noopMs / 1000, unit: 's', target: '≤ 3 s', ok: noopMs <= 3000 },
      { name: 'noop_migrate_after_s', value: noopAfterMs / 1000, unit: 's', target: '≤ 3 s', ok: noopAfterMs <= 3000 },
      { name: 'migrate_one_process_s', value: migrateMs / 1000, unit: 's', target: '≤ 30 s', ok: migrateMs <= 30_000 },
      { name: 'migrate_4_processes_s', value: parallel.ms / 1000, unit: 's', target: '≤ 30 s', ok: parallel.ms <= 30_000 },
    ])
  } finally {
    await db.close()
  }
})

function runAsync(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`erp ${args.join(' ')} exited ${code}: ${stderr}`))))
  })
}
