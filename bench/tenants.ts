import { spawnSync } from 'node:child_process'

import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { migrationsWith } from '../test/helpers/migrations.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { forEachTenant } from '../src/lib/tenants/fleet.js'
import type { Db } from '../src/lib/db/connect.js'
import { BIN, median, progress, report, runErp, timed, withBenchDatabase, type Figure } from './lib.js'

/**
 * Issue 2's figures: provisioning time, one real migration over 500 populated tenants, and the
 * cold start of `erp --version` against `node -e 0`. Issue 15's: a real command's start-up,
 * `erp tenants show X --json` against a running server, beside `node -e 0` and `psql -c` in the
 * same run, with and without the bundle (ERP_NO_BUNDLE=1 runs oclif over dist/src), and an admin's
 * tenant command (`products list --tenant X --json`: the owner login, the scoped transaction).
 * `--startup` measures the start-up figures only.
 */
const PROVISION = 100
const FLEET = 500
const ROWS_PER_TENANT = 1000

const startupOnly = process.argv.includes('--startup')
const RUNS = 21

await withBenchDatabase(async () => {
  const db = await openTestDb()
  try {
    progress(`Start-up: ${RUNS} runs each of node -e 0, psql -c, erp --version, erp tenants show --json (bundled and not), erp products list --json…`)
    const startup = await startupFigures(db)
    if (startupOnly) {
      report('tenants', startup)
      return
    }

    progress(`Provisioning ${PROVISION} tenants one after another…`)
    const provision = await timed(async () => {
      for (let i = 0; i < PROVISION; i++) await createTenant(db, { slug: uniqueSlug('p') })
    })

    progress(`Provisioning ${FLEET - PROVISION} more and filling each with ${ROWS_PER_TENANT} rows…`)
    const fleetDb = await openTestDb()
    await forEachTenant(Array.from({ length: FLEET - PROVISION }, () => uniqueSlug('f')), 4, (slug) => createTenant(fleetDb, { slug }))
    await fleetDb.close()
    const { rows: schemas } = await db.knex.raw('select schema_name from erp.tenants')
    for (const { schema_name: schema } of schemas) {
      await db.knex.raw(
        `insert into "${schema}".settings (key, value) select 'k' || g, to_jsonb(g) from generate_series(1, ?) g`,
        [ROWS_PER_TENANT],
      )
    }

    progress('Applying one migration (add a column and an index) over all of them…')
    const dir = migrationsWith([{
      stamp: '29991231000000',
      name: 'bench_add_column_and_index',
      up: 'alter table settings add column note text; create index settings_updated_at on settings (updated_at);',
      down: 'drop index settings_updated_at; alter table settings drop column note;',
    }])
    const migrateMs = runErp(['migrate', 'latest', '--all-tenants', '--concurrency', '4', '--json'], { ERP_MIGRATIONS_DIR: dir })
    const noopMs = runErp(['migrate', 'latest', '--all-tenants', '--concurrency', '4', '--json'], { ERP_MIGRATIONS_DIR: dir })

    const perTenant = provision.ms / PROVISION
    report('tenants', [
      { name: 'provision_ms_per_tenant', value: perTenant, unit: 'ms', target: '≤ 150 ms', ok: perTenant <= 150 },
      { name: 'migrate_500_tenants_s', value: migrateMs / 1000, unit: 's', target: '≤ 15 s', ok: migrateMs <= 15_000 },
      { name: 'noop_migrate_500_tenants_s', value: noopMs / 1000, unit: 's' },
      ...startup,
    ])
  } finally {
    await db.close()
  }
})

/**
 * Wall time of whole processes, interleaved (one run of each in turn, RUNS times) so that the load
 * of a shared machine falls on all of them alike; medians, and ratios to `node -e 0` of the same run.
 */
async function startupFigures(db: Db): Promise<Figure[]> {
  const slug = uniqueSlug('show')
  await createTenant(db, { slug })
  const url = process.env.DATABASE_URL!
  const runs: Record<string, { command: string; args: string[]; env?: Record<string, string> }> = {
    node: { command: process.execPath, args: ['-e', '0'] },
    psql: { command: 'psql', args: [url, '-X', '-At', '-c', `select row_to_json(t) from erp.tenants t where slug = '${slug}'`] },
    version: { command: process.execPath, args: [BIN, '--version'] },
    show: { command: process.execPath, args: [BIN, 'tenants', 'show', slug, '--json'] },
    showUnbundled: { command: process.execPath, args: [BIN, 'tenants', 'show', slug, '--json'], env: { ERP_NO_BUNDLE: '1' } },
    products: { command: process.execPath, args: [BIN, 'products', 'list', '--tenant', slug, '--json'] },
  }
  const times = Object.fromEntries(Object.keys(runs).map((name) => [name, [] as number[]]))
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(runs)) times[name].push(wall(run.command, run.args, run.env))
  }
  const ms = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
  const ratio = (name: string) => ms[name] / ms.node
  return [
    { name: 'node_e0_ms', value: ms.node, unit: 'ms' },
    { name: 'psql_c_ms', value: ms.psql, unit: 'ms' },
    { name: 'version_cold_start_ms', value: ms.version, unit: 'ms' },
    { name: 'version_vs_node_ratio', value: ratio('version'), unit: '×', target: '≤ 2.5×', ok: ratio('version') <= 2.5 },
    { name: 'show_json_ms', value: ms.show, unit: 'ms' },
    { name: 'show_json_vs_node_ratio', value: ratio('show'), unit: '×', target: '≤ 2.0×', ok: ratio('show') <= 2 },
    { name: 'show_json_unbundled_ms', value: ms.showUnbundled, unit: 'ms' },
    { name: 'show_json_unbundled_vs_node_ratio', value: ratio('showUnbundled'), unit: '×' },
    { name: 'products_list_json_ms', value: ms.products, unit: 'ms' },
    { name: 'products_list_json_vs_node_ratio', value: ratio('products'), unit: '×' },
  ]
}

/** One process's wall time in ms; throws when it fails (a figure of a failing run says nothing). */
function wall(command: string, args: string[], env: Record<string, string> = {}): number {
  const started = performance.now()
  const run = spawnSync(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const ms = performance.now() - started
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}): ${run.stderr}`)
  return ms
}
