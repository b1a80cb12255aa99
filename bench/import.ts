import { spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { timeHandLoad } from './import-floor.js'
import { progress, report, runErpMeasured, withBenchDatabase } from './lib.js'
import { writeProductsXlsx, type ProductRow } from './workbook/products-xlsx.js'

/**
 * Issue 6's headline figure: `erp import products` of a deterministic 1,000,000-row CSV (insert into
 * an empty tenant, then upsert of the same file over the existing rows) against `psql \copy` of the
 * same file into a bare table with the same unique indexes; and the import's peak RSS. Then the
 * floor of the real tables (import-floor.ts): how close the import comes to the least any loader
 * must write. Then an .xlsx of the same rows (as Excel writes it: shared strings), imported into
 * a tenant of its own, its time beside the CSV's.
 * ROWS=… overrides the row count.
 */
const ROWS = Number(process.env.ROWS ?? 1_000_000)

const COLOURS = ['red', 'green', 'blue', 'black', 'white', 'steel', 'brass']

/** Row i (1-based) of the bench's products, the cells as the CSV writes them. */
function productRow(i: number): ProductRow {
  const c = COLOURS[i % COLOURS.length]
  return [
    `SKU-${String(i).padStart(7, '0')}`,
    `Hex bolt M${(i % 24) + 3}, ${c}, pack of ${(i % 50) + 1}`,
    `Zinc-plated steel bolt for general assembly, grade ${(i % 3) + 8}.8, lot ${i % 997}`,
    `Hardware/Fasteners/Group ${i % 40}`,
    `${Math.floor((i % 10000) / 100)}.${String(i % 100).padStart(2, '0')}`,
    String(4000000000000 + i),
    ((i % 5000) / 1000).toFixed(3),
  ]
}

function generate(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file)
    out.on('error', reject)
    out.write('sku,name,description,category,price,barcode,weight\n')
    let i = 0
    const write = () => {
      let ok = true
      while (i < ROWS && ok) {
        i++
        const [sku, name, description, category, price, barcode, weight] = productRow(i)
        ok = out.write(`${sku},"${name}","${description}",${category},${price},${barcode},${weight}\n`)
      }
      if (i < ROWS) out.once('drain', write)
      else out.end(resolve)
    }
    write()
  })
}

await withBenchDatabase(async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'erp-bench-import-'))
  const csv = path.join(work, 'products.csv')
  const db = await openTestDb()
  try {
    progress(`Generating ${ROWS.toLocaleString('en')} rows…`)
    await generate(csv)
    const sizeMb = statSync(csv).size / 1024 / 1024
    const slug = uniqueSlug('bench')
    await createTenant(db, { slug })
    const schema = `tenant_${slug}`
    await db.knex.raw(`insert into "${schema}".price_lists (code, name, currency, is_default) values ('default', 'Default', 'EUR', true)`)

    progress('psql \\copy into a bare table with the same unique indexes…')
    await db.knex.raw(`create table public.bench_copy (
      id bigint generated always as identity primary key, sku text not null unique, name text not null, description text,
      category text, price numeric(18,4), barcode text unique, weight numeric(12,3))`)
    await db.knex.raw('checkpoint')
    const copyStarted = performance.now()
    const psql = spawnSync('psql', [process.env.DATABASE_URL!, '-v', 'ON_ERROR_STOP=1', '-c',
      `\\copy public.bench_copy (sku, name, description, category, price, barcode, weight) from '${csv}' with (format csv, header true)`], { encoding: 'utf8' })
    const copyMs = performance.now() - copyStarted
    if (psql.status !== 0) throw new Error(`psql failed: ${psql.stderr}`)

    await db.knex.raw('checkpoint')
    progress('erp import products (insert into an empty tenant)…')
    const insert = await runErpMeasured(['import', 'products', csv, '--tenant', slug, '--json'])
    await db.knex.raw('checkpoint')
    progress('erp import products --mode upsert (same file over the existing rows)…')
    const upsert = await runErpMeasured(['import', 'products', csv, '--tenant', slug, '--mode', 'upsert', '--json'])
    const { rows } = await db.knex.raw(`select count(*)::int as n from "${schema}".products`)
    if (rows[0].n !== ROWS) throw new Error(`expected ${ROWS} products, found ${rows[0].n}`)
    progress('hand-written load of the same rows into the real tables (the floor)…')
    const floorMs = await timeHandLoad(db, schema, work)

    progress(`Writing the same ${ROWS.toLocaleString('en')} rows as .xlsx…`)
    const xlsx = path.join(work, 'products.xlsx')
    await writeProductsXlsx(xlsx, ROWS, productRow)
    const xlsxMb = statSync(xlsx).size / 1024 / 1024
    const xlsxSlug = uniqueSlug('bench')
    await createTenant(db, { slug: xlsxSlug })
    await db.knex.raw(`insert into "tenant_${xlsxSlug}".price_lists (code, name, currency, is_default) values ('default', 'Default', 'EUR', true)`)
    await db.knex.raw('checkpoint')
    progress('erp import products of the .xlsx (insert into an empty tenant)…')
    const fromXlsx = await runErpMeasured(['import', 'products', xlsx, '--tenant', xlsxSlug, '--json'])
    const { rows: xlsxRows } = await db.knex.raw(`select count(*)::int as n from "tenant_${xlsxSlug}".products`)
    if (xlsxRows[0].n !== ROWS) throw new Error(`expected ${ROWS} products from the .xlsx, found ${xlsxRows[0].n}`)

    const peak = Math.max(insert.peakRssMb, upsert.peakRssMb)
    report(`import (${ROWS.toLocaleString('en')} rows, ${sizeMb.toFixed(0)} MB CSV)`, [
      { name: 'psql \\copy', value: copyMs / 1000, unit: 's' },
      { name: 'erp import (insert)', value: insert.ms / 1000, unit: 's' },
      { name: 'erp import (upsert, unchanged)', value: upsert.ms / 1000, unit: 's' },
      { name: 'insert / \\copy', value: insert.ms / copyMs, unit: '×', target: '≤ 1.5', ok: insert.ms / copyMs <= 1.5 },
      { name: 'upsert / \\copy', value: upsert.ms / copyMs, unit: '×', target: '≤ 2.0', ok: upsert.ms / copyMs <= 2.0 },
      { name: 'hand-written load (floor)', value: floorMs / 1000, unit: 's' },
      { name: 'floor / \\copy', value: floorMs / copyMs, unit: '×' },
      { name: 'insert / floor', value: insert.ms / floorMs, unit: '×', target: '≤ 1.3', ok: insert.ms / floorMs <= 1.3 },
      { name: 'import peak RSS', value: peak, unit: 'MB', target: '≤ 200', ok: peak <= 200 },
      { name: 'insert rows/s', value: ROWS / (insert.ms / 1000), unit: 'rows/s' },
      { name: `erp import .xlsx (insert, ${xlsxMb.toFixed(0)} MB)`, value: fromXlsx.ms / 1000, unit: 's' },
      { name: '.xlsx / CSV (insert)', value: fromXlsx.ms / insert.ms, unit: '×' },
      { name: '.xlsx import peak RSS', value: fromXlsx.peakRssMb, unit: 'MB' },
    ], { rows: ROWS, csvMb: sizeMb, xlsxMb })
  } finally {
    await db.close()
    if (existsSync(work)) rmSync(work, { recursive: true, force: true })
  }
})
