import { spawn } from 'node:child_process'

import type { Knex } from 'knex'

import { withTenant } from '../src/lib/db/tenant-scope.js'
import { createInvoice, issueInvoice } from '../src/lib/invoices/invoices.js'
import { confirmOrder, fulfilOrder } from '../src/lib/orders/lifecycle.js'
import { createOrder } from '../src/lib/orders/orders.js'
import { createPriceList } from '../src/lib/pricing/price-lists.js'
import { createWarehouse } from '../src/lib/stock/warehouses.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { BIN, progress, report, timed, withBenchDatabase } from './lib.js'

/**
 * Issue 5's figures: confirm + fulfil + invoice + issue for ORDERS orders of 5 lines each in one
 * tenant through the service layer (each step its own transaction, as the commands run them,
 * WORKERS orders in flight at once), and the same for CLI_ORDERS orders through bin/run.js.
 * Order creation (pricing through the resolver) is timed apart. Sizes: ORDERS_BENCH_ORDERS,
 * ORDERS_BENCH_CLI, ORDERS_BENCH_WORKERS.
 */
const ORDERS = Number(process.env.ORDERS_BENCH_ORDERS ?? 10_000)
const CLI_ORDERS = Number(process.env.ORDERS_BENCH_CLI ?? 200)
const WORKERS = Number(process.env.ORDERS_BENCH_WORKERS ?? 4)
const PRODUCTS = 200
const LINES = 5

async function setUp(slug: string, db: Awaited<ReturnType<typeof openTestDb>>): Promise<void> {
  await createTenant(db, { slug })
  await withTenant(db, slug, async (trx) => {
    await createPriceList(trx, { code: 'RETAIL', currency: 'EUR', isDefault: true })
    await createWarehouse(trx, { code: 'WH1' })
    await trx.raw(`
      insert into tax_rates (tax_class, rate) values ('standard', 20), ('reduced', 5.5);
      insert into products (sku, name, tax_class) select 'P' || lpad(g::text, 4, '0'), 'Product ' || g, case when g % 3 = 0 then 'reduced' else 'standard' end
        from generate_series(1, ${PRODUCTS}) g;
      insert into price_list_items (price_list_id, product_id, price)
        select (select id from price_lists where code = 'RETAIL'), id, round((random() * 100 + 1)::numeric, 2) from products;
      insert into customers (code, name, payment_terms_days) select 'C' || lpad(g::text, 4, '0'), 'Customer ' || g, 30 from generate_series(1, 100) g;
    `)
    // Opening stock through one receipt batch: enough for every order.
    const { postMoves } = await import('../src/lib/stock/moves.js')
    const skus: string[] = (await trx.raw('select sku from products order by sku')).rows.map((r: { sku: string }) => r.sku)
    await postMoves(trx, skus.map((sku) => ({ sku, from: 'supplier', to: 'WH1', qty: '1000000', reason: 'receipt' as const })))
  })
}

function orderLines(i: number): Array<{ sku: string; qty: string }> {
  return Array.from({ length: LINES }, (_, k) => ({ sku: `P${String(((i * 7 + k * 37) % PRODUCTS) + 1).padStart(4, '0')}`, qty: String((i + k) % 4 + 1) }))
}

async function inParallel(n: number, workers: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < n) await work(next++)
  }))
}

function erp(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`erp ${args.join(' ')} exited ${code}: ${err}${out.slice(0, 500)}`))))
  })
}

await withBenchDatabase(async () => {
  const db = await openTestDb()
  try {
    const slug = uniqueSlug('bo')
    progress(`Setting up a tenant with ${PRODUCTS} products and stock…`)
    await setUp(slug, db)
    const t = <T>(work: (trx: Knex.Transaction) => Promise<T>) => withTenant(db, slug, work)

    progress(`Creating ${ORDERS} orders of ${LINES} lines (priced by the resolver)…`)
    const ids: string[] = new Array(ORDERS)
    const created = await timed(() => inParallel(ORDERS, WORKERS, async (i) => {
      ids[i] = (await t((trx) => createOrder(trx, { customer: `C${String((i % 100) + 1).padStart(4, '0')}`, lines: orderLines(i) }))).id
    }))

    progress(`Confirm + fulfil + invoice + issue, ${WORKERS} orders at a time…`)
    const pipeline = await timed(() => inParallel(ORDERS, WORKERS, async (i) => {
      const id = ids[i]
      await t((trx) => confirmOrder(trx, { order: id }))
      await t((trx) => fulfilOrder(trx, { order: id }))
      const invoice = await t((trx) => createInvoice(trx, { order: id }))
      await t((trx) => issueInvoice(trx, { invoice: invoice.id }))
    }))

    // The same services composed in one transaction per order (what a batch job would do):
    // the per-transaction overhead (BEGIN, tenant lookup, SET LOCAL ×2, COMMIT) paid once, not four times.
    const SINGLE = Math.min(ORDERS, Number(process.env.ORDERS_BENCH_SINGLE ?? 1000))
    progress(`The same for ${SINGLE} more orders, one transaction per order…`)
    const more: string[] = new Array(SINGLE)
    await inParallel(SINGLE, WORKERS, async (i) => {
      more[i] = (await t((trx) => createOrder(trx, { customer: `C${String((i % 100) + 1).padStart(4, '0')}`, lines: orderLines(i) }))).id
    })
    const single = await timed(() => inParallel(SINGLE, WORKERS, async (i) => {
      await t(async (trx) => {
        await confirmOrder(trx, { order: more[i] })
        await fulfilOrder(trx, { order: more[i] })
        const invoice = await createInvoice(trx, { order: more[i] })
        await issueInvoice(trx, { invoice: invoice.id })
      })
    }))

    const check = await t(async (trx) => (await trx.raw(
      `select count(*)::int as issued, max(seq)::int - min(seq)::int + 1 as span,
              (select count(*)::int from orders where state = 'closed') as closed
         from invoices where state = 'issued'`,
    )).rows[0])
    if (check.issued !== ORDERS + SINGLE || check.span !== ORDERS + SINGLE || check.closed !== ORDERS + SINGLE) throw new Error(`bench check failed: ${JSON.stringify(check)}`)

    progress(`Through the CLI: ${CLI_ORDERS} orders (create, confirm, fulfil, invoice, issue: 5 processes each), ${WORKERS} at a time…`)
    const cli = await timed(() => inParallel(CLI_ORDERS, WORKERS, async (i) => {
      const base = ['--tenant', slug]
      const lines = orderLines(i).flatMap((l) => ['--line', `${l.sku}:${l.qty}`])
      const order = JSON.parse(await erp(['orders', 'create', '--customer', 'C0001', ...lines, ...base])).result
      await erp(['orders', 'confirm', order.id, ...base])
      await erp(['orders', 'fulfil', order.id, ...base])
      const invoice = JSON.parse(await erp(['invoices', 'create', '--order', order.id, ...base])).result
      await erp(['invoices', 'issue', invoice.id, ...base])
    }))

    const perSec = (n: number, ms: number) => n / (ms / 1000)
    const services = perSec(ORDERS, pipeline.ms)
    report('orders', [
      { name: `services: create ${ORDERS} orders × ${LINES} lines`, value: perSec(ORDERS, created.ms), unit: 'orders/s' },
      { name: 'services: confirm+fulfil+invoice+issue', value: services, unit: 'orders/s', target: '≥ 500', ok: services >= 500 },
      { name: 'services: wall time of that', value: pipeline.ms / 1000, unit: 's' },
      { name: `services: the same, one transaction per order (${SINGLE})`, value: perSec(SINGLE, single.ms), unit: 'orders/s' },
      { name: `CLI: ${CLI_ORDERS} orders, create..issue (5 processes each)`, value: perSec(CLI_ORDERS, cli.ms), unit: 'orders/s' },
      { name: 'CLI: per command', value: cli.ms / (CLI_ORDERS * 5), unit: 'ms' },
    ], { orders: ORDERS, lines: LINES, workers: WORKERS, cliOrders: CLI_ORDERS })
  } finally {
    await db.close()
  }
})
