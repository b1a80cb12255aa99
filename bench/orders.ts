import { spawn } from 'node:child_process'

import type { Knex } from 'knex'

import { withTenant } from '../src/lib/tenants/tenant-work.js'
import { createInvoice } from '../src/lib/invoices/create.js'
import { invoiceOrders } from '../src/lib/invoices/from-orders.js'
import { issueInvoice, issueInvoices } from '../src/lib/invoices/issue.js'
import { confirmOrder, confirmOrders, fulfilOrder, fulfilOrders } from '../src/lib/orders/lifecycle.js'
import { createOrder } from '../src/lib/orders/orders.js'
import { createPriceList } from '../src/lib/pricing/price-lists.js'
import { createWarehouse } from '../src/lib/stock/warehouses.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { openTestDb, uniqueSlug } from '../test/helpers/database.js'
import { BIN, progress, report, timed, withBenchDatabase } from './lib.js'

/**
 * Issue 5's figures: confirm + fulfil + invoice + issue for ORDERS orders of 5 lines each in one
 * tenant through the batch services (chunks of CHUNK orders, each step one transaction per chunk
 * as the multi-id commands run them, WORKERS chunks in flight at once); the same per order (each
 * step its own transaction, as the single-id commands run them) for SINGLE orders; and through
 * bin/run.js for CLI_ORDERS orders, once with one process per order and step, once with the
 * multi-id commands over chunks of CLI_CHUNK orders. Order creation (pricing through the resolver)
 * is timed apart. Sizes: ORDERS_BENCH_ORDERS, ORDERS_BENCH_CHUNK, ORDERS_BENCH_WORKERS,
 * ORDERS_BENCH_SINGLE, ORDERS_BENCH_CLI, ORDERS_BENCH_CLI_CHUNK.
 */
const ORDERS = Number(process.env.ORDERS_BENCH_ORDERS ?? 10_000)
const CHUNK = Number(process.env.ORDERS_BENCH_CHUNK ?? 250)
const WORKERS = Number(process.env.ORDERS_BENCH_WORKERS ?? 4)
const SINGLE = Math.min(ORDERS, Number(process.env.ORDERS_BENCH_SINGLE ?? 1000))
const CLI_ORDERS = Number(process.env.ORDERS_BENCH_CLI ?? 200)
const CLI_CHUNK = Number(process.env.ORDERS_BENCH_CLI_CHUNK ?? 50)
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

    progress(`Confirm + fulfil + invoice + issue through the batch services, chunks of ${CHUNK}, ${WORKERS} chunks at a time…`)
    const chunks = Array.from({ length: Math.ceil(ORDERS / CHUNK) }, (_, c) => ids.slice(c * CHUNK, (c + 1) * CHUNK))
    // ORDERS_BENCH_TRACE=1: the time spent in each step (summed over workers) on stderr.
    const spent: Record<string, number> = {}
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const { ms, value } = await timed(work)
      spent[name] = (spent[name] ?? 0) + ms
      return value
    }
    // ORDERS_BENCH_TRACE=2: also the slowest statements.
    const statements = new Map<string, { n: number; ms: number }>()
    if (process.env.ORDERS_BENCH_TRACE === '2') {
      const started = new Map<string, number>()
      db.knex.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()))
      db.knex.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
        const key = q.sql.replace(/\s+/g, ' ').slice(0, 90)
        const e = statements.get(key) ?? { n: 0, ms: 0 }
        e.n++
        e.ms += performance.now() - (started.get(q.__knexQueryUid) ?? performance.now())
        statements.set(key, e)
      })
    }
    const pipeline = await timed(() => inParallel(chunks.length, WORKERS, async (c) => {
      const chunk = chunks[c]
      await step('confirm', () => t((trx) => confirmOrders(trx, { orders: chunk })))
      await step('fulfil', () => t((trx) => fulfilOrders(trx, chunk.map((order) => ({ order })))))
      const invoiced = await step('invoice', () => t(async (trx) => {
        const result = await invoiceOrders(trx, chunk.map((order) => ({ order })))
        // Traced: the database's deferred checks of the new invoices, run here rather than at commit.
        if (process.env.ORDERS_BENCH_TRACE) await step('invoice checks', () => trx.raw('set constraints all immediate'))
        return result
      }))
      await step('issue', () => t((trx) => issueInvoices(trx, { invoices: invoiced.items.map((i) => i.invoice) })))
    }))
    for (const [sql, e] of [...statements].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) progress(`  ${Math.round(e.ms)} ms  ${e.n}×  ${sql}`)
    if (process.env.ORDERS_BENCH_TRACE) progress(`  time per step (ms, all workers): ${JSON.stringify(Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round(v)])))}`)

    progress(`The same for ${SINGLE} more orders through the single-order services, each step its own transaction, ${WORKERS} orders at a time…`)
    const more: string[] = new Array(SINGLE)
    await inParallel(SINGLE, WORKERS, async (i) => {
      more[i] = (await t((trx) => createOrder(trx, { customer: `C${String((i % 100) + 1).padStart(4, '0')}`, lines: orderLines(i) }))).id
    })
    const single = await timed(() => inParallel(SINGLE, WORKERS, async (i) => {
      const id = more[i]
      await t((trx) => confirmOrder(trx, { order: id }))
      await t((trx) => fulfilOrder(trx, { order: id }))
      const invoice = await t((trx) => createInvoice(trx, { order: id }))
      await t((trx) => issueInvoice(trx, { invoice: invoice.id }))
    }))

    // The outcome: every order closed, one issued invoice each, numbers gapless.
    const verify = async (expected: number) => {
      const check = await t(async (trx) => (await trx.raw(
        `select count(*)::int as issued, count(distinct number)::int as numbers, max(seq)::int - min(seq)::int + 1 as span,
                (select count(*)::int from orders where state = 'closed') as closed,
                (select count(*)::int from reservations) as reserved
           from invoices where state = 'issued'`,
      )).rows[0])
      const ok = check.issued === expected && check.numbers === expected && check.span === expected && check.closed === expected && check.reserved === 0
      if (!ok) throw new Error(`bench check failed, expected ${expected} closed orders and gapless invoices: ${JSON.stringify(check)}`)
    }
    await verify(ORDERS + SINGLE)

    const base = ['--tenant', slug]
    const cliOrder = async (i: number) => {
      const lines = orderLines(i).flatMap((l) => ['--line', `${l.sku}:${l.qty}`])
      return JSON.parse(await erp(['orders', 'create', '--customer', 'C0001', ...lines, ...base])).result.id as string
    }
    progress(`Through the CLI: ${CLI_ORDERS} orders (create, confirm, fulfil, invoice, issue: 5 processes each), ${WORKERS} at a time…`)
    const cli = await timed(() => inParallel(CLI_ORDERS, WORKERS, async (i) => {
      const order = await cliOrder(i)
      await erp(['orders', 'confirm', order, ...base])
      await erp(['orders', 'fulfil', order, ...base])
      const invoice = JSON.parse(await erp(['invoices', 'create', '--order', order, ...base])).result
      await erp(['invoices', 'issue', invoice.id, ...base])
    }))
    progress(`Through the CLI with the multi-id commands: ${CLI_ORDERS} orders (one create each, then confirm/fulfil/invoice/issue per ${CLI_CHUNK} orders)…`)
    const created2: string[] = new Array(CLI_ORDERS)
    const cliCreate = await timed(() => inParallel(CLI_ORDERS, WORKERS, async (i) => {
      created2[i] = await cliOrder(i)
    }))
    const cliChunks = Array.from({ length: Math.ceil(CLI_ORDERS / CLI_CHUNK) }, (_, c) => created2.slice(c * CLI_CHUNK, (c + 1) * CLI_CHUNK))
    const cliBatch = await timed(() => inParallel(cliChunks.length, WORKERS, async (c) => {
      const chunk = cliChunks[c]
      await erp(['orders', 'confirm', ...chunk, ...base])
      await erp(['orders', 'fulfil', ...chunk, ...base])
      const invoiced = JSON.parse(await erp(['invoices', 'create', ...chunk.flatMap((o) => ['--order', o]), ...base])).result
      await erp(['invoices', 'issue', ...invoiced.items.map((i: { invoice: string }) => i.invoice), ...base])
    }))
    await verify(ORDERS + SINGLE + 2 * CLI_ORDERS)

    const perSec = (n: number, ms: number) => n / (ms / 1000)
    const services = perSec(ORDERS, pipeline.ms)
    report('orders', [
      { name: `services: create ${ORDERS} orders × ${LINES} lines`, value: perSec(ORDERS, created.ms), unit: 'orders/s' },
      { name: `services, batches of ${CHUNK} (${WORKERS} workers): confirm+fulfil+invoice+issue`, value: services, unit: 'orders/s', target: '≥ 500', ok: services >= 500 },
      { name: 'services, batches: wall time of that', value: pipeline.ms / 1000, unit: 's' },
      { name: `services, per order, each step its own transaction (${SINGLE}, ${WORKERS} at a time)`, value: perSec(SINGLE, single.ms), unit: 'orders/s' },
      { name: `CLI: ${CLI_ORDERS} orders, create..issue, single-id commands (5 processes each)`, value: perSec(CLI_ORDERS, cli.ms), unit: 'orders/s' },
      { name: 'CLI: per command', value: cli.ms / (CLI_ORDERS * 5), unit: 'ms' },
      { name: `CLI: ${CLI_ORDERS} orders, create (1 process each) + multi-id confirm..issue per ${CLI_CHUNK}`, value: perSec(CLI_ORDERS, cliCreate.ms + cliBatch.ms), unit: 'orders/s' },
      { name: 'CLI: multi-id confirm..issue alone', value: perSec(CLI_ORDERS, cliBatch.ms), unit: 'orders/s' },
    ], { orders: ORDERS, lines: LINES, chunk: CHUNK, workers: WORKERS, single: SINGLE, cliOrders: CLI_ORDERS, cliChunk: CLI_CHUNK })
  } finally {
    await db.close()
  }
})
