/**
 * Pricing benchmark: the median wall time of `erp prices quote` for a 50-line order, run through the
 * CLI process (start-up included), in a tenant holding 1,000,000 products with a price each (plus
 * quantity breaks, a group list and discounts). Target: ≤ 0.5 s.
 *
 *   node --import tsx bench/pricing.ts [--products N] [--runs N] [--json]
 *
 * Uses a throwaway database on TEST_DATABASE_URL's server, or the embedded server, and drops it after.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { connect } from '../src/lib/auth/connection-target.js'
import { withTenant } from '../src/lib/tenants/tenant-work.js'
import { quote } from '../src/lib/pricing/resolve.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { setUpTestDatabase, tearDownTestDatabase } from '../test/helpers/database.js'

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
const { values: opts } = parseArgs({
  options: {
    products: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
  },
})
const PRODUCTS = Number(opts.products)
const RUNS = Number(opts.runs)
const LINES = 50
const log = (m: string) => {
  if (!opts.json) process.stderr.write(`${m}\n`)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const CPU_LINE = /^erp-cpu (\d+\.\d+) (\d+\.\d+)$/m

/** Run erp; with /usr/bin/time at hand, also the process's user + system CPU time (load-independent). */
function runCli(args: string[]): Promise<{ code: number | null; ms: number; cpuMs?: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const [command, argv] = TIME
      ? [TIME, ['-f', 'erp-cpu %U %S', process.execPath, BIN, ...args]]
      : [process.execPath, [BIN, ...args]]
    const child = spawn(command, argv, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const cpu = CPU_LINE.exec(stderr)
      resolve({ code, ms: performance.now() - started, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined, stdout, stderr })
    })
  })
}

async function main(): Promise<void> {
  await setUpTestDatabase()
  const db = await connect({ poolMax: 2 })
  const slug = `bench_${process.pid}`
  try {
    log(`creating tenant ${slug} with ${PRODUCTS.toLocaleString('en')} products…`)
    const t0 = performance.now()
    await createTenant(db, { slug })
    await withTenant(db, slug, async (trx) => {
      await trx.raw(`
        insert into categories (name, path) select 'Cat' || g, 'Cat' || g from generate_series(1, 20) g;
        insert into categories (name, parent_id, path)
          select 'Sub' || s, c.id, c.path || '/Sub' || s from categories c cross join generate_series(1, 10) s;
        insert into attributes (code, type, enum_values) values ('color', 'enum', array['red', 'green', 'blue', 'black']);
        insert into tax_rates (tax_class, rate) values ('standard', 20), ('reduced', 5);
        insert into price_lists (code, name, currency, tax_inclusive, is_default) values ('RETAIL', 'Retail', 'EUR', true, true),
          ('TRADE', 'Trade', 'EUR', false, false);
        insert into customer_groups (code, name, price_list_id, discount_percent)
          select 'TRADE', 'Trade', id, 3 from price_lists where code = 'TRADE';
        insert into customers (code, name, group_id) select 'C-BENCH', 'Bench customer', id from customer_groups;
      `)
      await trx.raw(`
        insert into products (sku, name, category_id, tax_class, attributes)
        select 'SKU-' || lpad(g::text, 7, '0'), 'Product ' || g, 21 + (g % 200),
               case when g % 10 = 0 then 'reduced' else 'standard' end,
               jsonb_build_object('color', (array['red', 'green', 'blue', 'black'])[1 + g % 4])
          from generate_series(1, ?::int) g`, [PRODUCTS])
      await trx.raw(`
        insert into price_list_items (price_list_id, product_id, min_qty, price)
        select l.id, p.id, 0, 1 + (p.id % 10000) / 100.0 from products p, price_lists l where l.code = 'RETAIL';
        insert into price_list_items (price_list_id, product_id, min_qty, price)
        select l.id, p.id, 10, 0.9 * (1 + (p.id % 10000) / 100.0) from products p, price_lists l where l.code = 'RETAIL' and p.id % 3 = 0;
        insert into price_list_items (price_list_id, product_id, min_qty, valid_from, valid_to, price)
        select l.id, p.id, 0, '2026-12-01', '2026-12-31', 0.8 * (1 + (p.id % 10000) / 100.0)
          from products p, price_lists l where l.code = 'RETAIL' and p.id % 7 = 0;
        insert into price_list_items (price_list_id, product_id, min_qty, price)
        select l.id, p.id, 0, 0.7 * (1 + (p.id % 10000) / 100.0) from products p, price_lists l where l.code = 'TRADE' and p.id % 2 = 0;
        insert into discounts (code, name, kind, value, scope, category_id, stacking)
          select 'CAT' || c.id, 'Category ' || c.path, 'percent', 5 + c.id % 10, 'category', c.id,
                 case when c.id % 2 = 0 then 'stackable' else 'exclusive' end from categories c;
        insert into discounts (code, name, kind, value, currency, scope, min_amount, stacking)
          values ('ORDER20', 'Order 20 off', 'amount', 20, 'EUR', 'order', 100, 'stackable');
      `)
    })
    const setupMs = performance.now() - t0
    log(`  ${(setupMs / 1000).toFixed(1)} s; analyzing…`)
    await withTenant(db, slug, (trx) => trx.raw('analyze'))
    const { rows: counts } = await db.knex.raw(
      `select (select count(*) from ${`tenant_${slug}`}.products)::int as products, (select count(*) from ${`tenant_${slug}`}.price_list_items)::int as items`,
    )

    // 50 lines spread over the whole catalog, some reaching a break.
    const lines = Array.from({ length: LINES }, (_, i) => {
      const id = 1 + Math.floor(((i + 1) * PRODUCTS) / (LINES + 1))
      return `SKU-${String(id).padStart(7, '0')}:${1 + (i % 15)}`
    })
    const args = ['prices', 'quote', '--tenant', slug, '--customer', 'C-BENCH', '--date', '2026-12-15', '--json', ...lines.flatMap((l) => ['--line', l])]

    const warm = await runCli(args)
    if (warm.code !== 0) throw new Error(`quote failed: ${warm.stdout}${warm.stderr}`)
    const result = JSON.parse(warm.stdout).result
    const times: number[] = []
    const cpu: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const run = await runCli(args)
      if (run.code !== 0) throw new Error(`quote failed: ${run.stdout}${run.stderr}`)
      times.push(run.ms)
      if (run.cpuMs !== undefined) cpu.push(run.cpuMs)
      log(`  run ${i + 1}: ${run.ms.toFixed(0)} ms`)
    }
    const startup: number[] = []
    const startupCpu: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const run = await runCli(['--version'])
      startup.push(run.ms)
      if (run.cpuMs !== undefined) startupCpu.push(run.cpuMs)
    }
    // The service alone, in this process, for the share start-up takes.
    const service: number[] = []
    const parsed = lines.map((l) => ({ sku: l.split(':')[0], qty: l.split(':')[1] }))
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      await withTenant(db, slug, (trx) => quote(trx, { customer: 'C-BENCH', lines: parsed, date: '2026-12-15' }), { access: 'read' })
      service.push(performance.now() - t)
    }

    const figures = {
      suite: 'pricing',
      products: counts[0].products,
      priceItems: counts[0].items,
      lines: LINES,
      runs: RUNS,
      quoteCliMedianMs: Math.round(median(times)),
      quoteCliMinMs: Math.round(Math.min(...times)),
      quoteCliMaxMs: Math.round(Math.max(...times)),
      quoteCliCpuMedianMs: cpu.length ? Math.round(median(cpu)) : null,
      cliStartupMedianMs: Math.round(median(startup)),
      cliStartupCpuMedianMs: startupCpu.length ? Math.round(median(startupCpu)) : null,
      quoteServiceMedianMs: Math.round(median(service) * 10) / 10,
      targetMs: 500,
      withinTarget: median(times) <= 500,
      quoteGross: result.totals.gross,
      setupSeconds: Math.round(setupMs / 100) / 10,
      cpus: os.cpus().length,
      loadAverage1m: Math.round(os.loadavg()[0] * 10) / 10,
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(figures)}\n`)
    } else {
      const rows: Array<[string, string]> = [
        ['products in tenant', figures.products.toLocaleString('en')],
        ['price list items', figures.priceItems.toLocaleString('en')],
        [`erp prices quote, ${LINES} lines, median of ${RUNS} (CLI process)`, `${figures.quoteCliMedianMs} ms`],
        ['  min / max', `${figures.quoteCliMinMs} / ${figures.quoteCliMaxMs} ms`],
        ['  CPU time of the process (user + system), median', figures.quoteCliCpuMedianMs === null ? 'n/a' : `${figures.quoteCliCpuMedianMs} ms`],
        ['erp --version (process start alone), median', `${figures.cliStartupMedianMs} ms (CPU ${figures.cliStartupCpuMedianMs ?? 'n/a'} ms)`],
        ['quote() service in-process, median', `${figures.quoteServiceMedianMs} ms`],
        ['target', `≤ ${figures.targetMs} ms: ${figures.withinTarget ? 'met' : 'NOT met'}`],
        ['machine', `${figures.cpus} CPUs, load average ${figures.loadAverage1m} while measuring`],
      ]
      const width = Math.max(...rows.map(([k]) => k.length))
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`)
    }
  } finally {
    await db.close()
    await tearDownTestDatabase()
  }
}

await main()
