import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'

import type { Db } from '../src/lib/db/connect.js'
import { quoteIdent, quoteLiteral } from '../src/lib/db/identifiers.js'
import { secondaryDefinitions } from '../src/lib/importer/bulk-load.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { uniqueSlug } from '../test/helpers/database.js'

/**
 * The floor under `erp import products` on this schema: the least any loader has to do to put the
 * same products and prices into a tenant, timed with psql. The rows come ready (product, category
 * and price list ids resolved) in COPY text files; one transaction drops the two tables' secondary
 * indexes and constraints, loads both with \copy, recreates everything and analyzes: the import's
 * bulk load, without reading CSV, checking a cell or staging a row. `\copy` into a bare table with
 * three indexes is the issue's yardstick; this one says what the real tables cost.
 */
const TABLES = [
  { table: 'products', columns: 'id, sku, name, description, category_id, barcode, weight' },
  { table: 'price_list_items', columns: 'price_list_id, product_id, price' },
]

/** Time the hand-written load of what `from` (a tenant schema the import filled) holds. Returns ms. */
export async function timeHandLoad(db: Db, from: string, work: string): Promise<number> {
  const slug = uniqueSlug('floor')
  await createTenant(db, { slug })
  const to = `tenant_${slug}`
  // The references the rows point to, under the same ids.
  for (const table of ['categories', 'price_lists']) {
    await db.knex.raw(`insert into ${quoteIdent(to)}.${table} overriding system value select * from ${quoteIdent(from)}.${table} order by id`)
  }
  const script = [`begin;`, `set local maintenance_work_mem = '256MB';`]
  for (const { table, columns } of TABLES) {
    const file = path.join(work, `${table}.copy`)
    psql(['-c', `\\copy (select ${columns} from ${quoteIdent(from)}.${table}) to ${quoteLiteral(file)}`])
    const saved = await secondaryDefinitions(db.knex, `${quoteIdent(to)}.${table}`)
    const constraints = saved.filter((d) => d.kind === 'constraint')
    const indexes = saved.filter((d) => d.kind === 'index')
    const target = `${quoteIdent(to)}.${table}`
    if (constraints.length > 0) script.push(`alter table ${target} ${constraints.map((d) => `drop constraint ${quoteIdent(d.name)}`).join(', ')};`)
    if (indexes.length > 0) script.push(`drop index ${indexes.map((d) => `${quoteIdent(to)}.${quoteIdent(d.name)}`).join(', ')};`)
    script.push(`\\copy ${target} (${columns}) from ${quoteLiteral(file)}`)
    for (const d of [...indexes, ...constraints]) {
      script.push(d.kind === 'index' ? `${d.definition};` : `alter table ${target} add constraint ${quoteIdent(d.name)} ${d.definition};`)
    }
    script.push(`analyze ${target};`)
  }
  script.push('commit;')
  const file = path.join(work, 'hand-load.sql')
  writeFileSync(file, `${script.join('\n')}\n`)
  await db.knex.raw('checkpoint')
  const started = performance.now()
  psql(['-f', file])
  return performance.now() - started
}

function psql(args: string[]): void {
  const run = spawnSync('psql', [process.env.DATABASE_URL!, '-q', '-v', 'ON_ERROR_STOP=1', ...args], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`)
}
