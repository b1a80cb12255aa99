import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { packageRoot } from '../../src/lib/paths.js'

/**
 * A copy of the real migrations tree plus extra tenant migrations, for ERP_MIGRATIONS_DIR.
 * `extra` maps a name (after the timestamp) to the SQL its up() runs, and optionally its down().
 */
export function migrationsWith(extra: Array<{ stamp: string; name: string; up: string; down?: string }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-migrations-'))
  fs.cpSync(path.join(packageRoot(), 'migrations'), dir, { recursive: true })
  for (const m of extra) {
    fs.writeFileSync(
      path.join(dir, 'tenant', `${m.stamp}_${m.name}.js`),
      `export async function up(knex) { await knex.raw(${JSON.stringify(m.up)}) }\n` +
        `export async function down(knex) { await knex.raw(${JSON.stringify(m.down ?? 'select 1')}) }\n`,
    )
  }
  return dir
}
