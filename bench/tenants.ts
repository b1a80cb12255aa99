import { spawnSync } from 'node:child_process'

import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { migrationsWith } from '../test/helpers/migrations.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { forEachTenant } from '../src/lib/tenants/fleet.js'
import { BIN, median, progress, report, runErp, timed, withBenchDatabase } from './lib.js'

/**
 * Issue 2's figures: provisioning time, one real migration over 500 populated tenants, and the
 * cold start of `erp --version` against `node -e 0`.
 */
const PROVISION = 100
const FLEET = 500
const ROWS_PER_TENANT = 1000

await withBenchDatabase(async () => {
  const db = await openTestDb()
  try {
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

    progress('Cold start: erp --version against node -e 0…')
    const node: number[] = []
    const erp: number[] = []
    for (let i = 0; i < 15; i++) {
      node.push(wall(['-e', '0']))
      erp.push(wall([BIN, '--version']))
    }
    const ratio = median(erp) / median(node)
    const perTenant = provision.ms / PROVISION
    report('tenants', [
      { name: 'provision_ms_per_tenant', value: perTenant, unit: 'ms', target: '≤ 150 ms', ok: perTenant <= 150 },
      { name: 'migrate_500_tenants_s', value: migrateMs / 1000, unit: 's', target: '≤ 15 s', ok: migrateMs <= 15_000 },
      { name: 'noop_migrate_500_tenants_s', value: noopMs / 1000, unit: 's' },
      { name: 'version_cold_start_ms', value: median(erp), unit: 'ms' },
      { name: 'node_e0_ms', value: median(node), unit: 'ms' },
      { name: 'version_vs_node_ratio', value: ratio, unit: '×', target: '≤ 2.5×', ok: ratio <= 2.5 },
    ])
  } finally {
    await db.close()
  }
})

function wall(args: string[]): number {
  const started = performance.now()
  spawnSync(process.execPath, args, { stdio: 'ignore' })
  return performance.now() - started
}
