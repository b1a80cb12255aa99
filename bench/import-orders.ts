import { spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { createWarehouse } from '../src/lib/stock/warehouses.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { withTenant } from '../src/lib/tenants/tenant-work.js'
import { progress, report, runErpMeasured, withBenchDatabase } from './lib.js'

/**
 * Issue 14's order history figure: `erp import orders` of a deterministic file of 100,000 orders
 * of 5 lines (500,000 rows) into a tenant with 2,000 products and 5,000 customers, as drafts,
 * against `psql \copy` of the same file into a plain table (the peer, in the same run); the
 * import's peak RSS. Then a smaller --state confirmed import over stock (reservations through
 * orders confirm's batch). ORDERS=… overrides the order count, CONFIRMED=… the confirmed one.
 */
const ORDERS = Number(process.env.ORDERS ?? 100_000)
const CONFIRMED = Number(process.env.CONFIRMED ?? 10_000)
const LINES = 5
const PRODUCTS = 2_000
const CUSTOMERS = 5_000

function generate(file: string, orders: number, prefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file)
    out.on('error', reject)
    out.write('external_ref,customer,date,sku,quantity,unit_price,discount_percent\n')
    let i = 0
    const write = () => {
      let ok = true
      while (i < orders && ok) {
        i++
        const ref = `${prefix}-${String(i).padStart(7, '0')}`
        const customer = `C${String((i * 7919) % CUSTOMERS).padStart(5, '0')}`
        const date = `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`
        let text = ''
        for (let l = 0; l < LINES; l++) {
          const p = (i * 31 + l * 397) % PRODUCTS
          const price = `${(p % 200) + 1}.${String((i + l) % 100).padStart(2, '0')}`
          text += `${ref},${customer},${date},SKU-${String(p).padStart(5, '0')},${(l % 4) + 1},${price},${(i + l) % 7 === 0 ? '12.5' : ''}\n`
        }
        ok = out.write(text)
      }
      if (i < orders) out.once('drain', write)
      else out.end(resolve)
    }
    write()
  })
}

await withBenchDatabase(async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'erp-bench-import-orders-'))
  const csv = path.join(work, 'orders.csv')
  const open = path.join(work, 'open-orders.csv')
  const db = await openTestDb()
  try {
    progress(`Generating ${ORDERS.toLocaleString('en')} orders of ${LINES} lines…`)
    await generate(csv, ORDERS, 'PO')
    await generate(open, CONFIRMED, 'OPEN')
    const sizeMb = statSync(csv).size / 1024 / 1024
    const slug = uniqueSlug('bench')
    await createTenant(db, { slug })
    const s = `"tenant_${slug}"`
    await db.knex.raw(`insert into ${s}.tax_rates (tax_class, rate) values ('standard', 20) on conflict (tax_class) do update set rate = 20`)
    await db.knex.raw(`insert into ${s}.price_lists (code, name, currency, is_default) values ('BENCH', 'Bench', 'EUR', true)
      on conflict do nothing`)
    await db.knex.raw(`insert into ${s}.products (sku, name, tax_class) select 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, 'standard'
      from generate_series(0, ${PRODUCTS - 1}) g`)
    await db.knex.raw(`insert into ${s}.customers (code, name, payment_terms_days) select 'C' || lpad(g::text, 5, '0'), 'Customer ' || g, 30
      from generate_series(0, ${CUSTOMERS - 1}) g`)
    await db.knex.raw(`analyze ${s}.products`)
    await db.knex.raw(`analyze ${s}.customers`)

    progress('psql \\copy of the same rows into a plain table…')
    await db.knex.raw(`create table public.bench_orders_copy (external_ref text not null, customer text not null, date date, sku text not null,
      quantity numeric(18,4) not null, unit_price numeric(18,4) not null, discount_percent numeric(7,4))`)
    await db.knex.raw('checkpoint')
    const copyStarted = performance.now()
    const psql = spawnSync('psql', [process.env.DATABASE_URL!, '-v', 'ON_ERROR_STOP=1', '-c',
      `\\copy public.bench_orders_copy from '${csv}' with (format csv, header true)`], { encoding: 'utf8' })
    const copyMs = performance.now() - copyStarted
    if (psql.status !== 0) throw new Error(`psql failed: ${psql.stderr}`)

    await db.knex.raw('checkpoint')
    progress('erp import orders (drafts, into a tenant without orders)…')
    const drafts = await runErpMeasured(['import', 'orders', csv, '--tenant', slug, '--json'])
    const { rows } = await db.knex.raw(`select count(*)::int as orders, (select count(*)::int from ${s}.order_lines) as lines from ${s}.orders`)
    if (rows[0].orders !== ORDERS || rows[0].lines !== ORDERS * LINES) throw new Error(`expected ${ORDERS} orders, found ${JSON.stringify(rows[0])}`)

    progress(`erp import orders --state confirmed (${CONFIRMED.toLocaleString('en')} orders over stock)…`)
    await withTenant(db, slug, (trx) => createWarehouse(trx, { code: 'BW', name: 'Bench' }))
    const receive = ['sku,location,counted']
    const { rows: products } = await db.knex.raw(`select sku from ${s}.products order by sku`)
    for (const p of products as Array<{ sku: string }>) receive.push(`${p.sku},BW,100000`)
    const stockCsv = path.join(work, 'stock.csv')
    writeFileSync(stockCsv, `${receive.join('\n')}\n`)
    await runErpMeasured(['import', 'stock', stockCsv, '--tenant', slug, '--json'])
    await db.knex.raw('checkpoint')
    const confirmed = await runErpMeasured(['import', 'orders', open, '--tenant', slug, '--state', 'confirmed', '--json'])

    const rate = ORDERS / (drafts.ms / 1000)
    const peak = Math.max(drafts.peakRssMb, confirmed.peakRssMb)
    report(`import-orders (${ORDERS.toLocaleString('en')} orders × ${LINES} lines, ${sizeMb.toFixed(0)} MB CSV)`, [
      { name: 'psql \\copy (plain table)', value: copyMs / 1000, unit: 's' },
      { name: 'erp import orders (drafts)', value: drafts.ms / 1000, unit: 's' },
      { name: 'import / \\copy', value: drafts.ms / copyMs, unit: '×' },
      { name: 'orders/s (drafts)', value: rate, unit: 'orders/s', target: '≥ 3000', ok: rate >= 3000 },
      { name: 'rows/s (drafts)', value: (ORDERS * LINES) / (drafts.ms / 1000), unit: 'rows/s' },
      { name: 'drafts peak RSS', value: drafts.peakRssMb, unit: 'MB', target: '≤ 200', ok: drafts.peakRssMb <= 200 },
      { name: `erp import orders --state confirmed (${CONFIRMED})`, value: confirmed.ms / 1000, unit: 's' },
      { name: 'orders/s (confirmed)', value: CONFIRMED / (confirmed.ms / 1000), unit: 'orders/s' },
      { name: 'confirmed peak RSS', value: confirmed.peakRssMb, unit: 'MB' },
      { name: 'peak RSS (both)', value: peak, unit: 'MB' },
    ], { orders: ORDERS, lines: ORDERS * LINES, confirmed: CONFIRMED, csvMb: sizeMb })
  } finally {
    await db.close()
    if (existsSync(work)) rmSync(work, { recursive: true, force: true })
  }
})
