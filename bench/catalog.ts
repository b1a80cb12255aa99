/**
 * Catalog benchmark: `erp products list` with a category + attribute filter on 1,000,000 products,
 * timed through the real CLI process (bin/run.js over dist/, so run `npm run build` first), process
 * start included. Target: median ≤ 0.5 s.
 *
 *   node --import tsx bench/catalog.ts [--products 1000000] [--runs 7] [--json] [--keep]
 *
 * Uses a throwaway database on the server in TEST_DATABASE_URL, or on the embedded server, and
 * drops it (and the tenant's roles) at the end.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { openTestDb, setUpTestDatabase, tearDownTestDatabase, uniqueSlug } from '../test/helpers/database.js'
import { withTenant } from '../src/lib/tenants/tenant-work.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { listProducts, type ListProductsInput } from '../src/lib/catalog/products.js'
import type { Db } from '../src/lib/db/connect.js'

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')

const { values: options } = parseArgs({
  options: {
    products: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
    /** Keep the database and tenant afterwards (prints how to reach them), to look at plans. */
    keep: { type: 'boolean', default: false },
  },
})
const PRODUCTS = Number(options.products)
const RUNS = Number(options.runs)
const TARGET_MS = 500

const TOP = ['Hardware', 'Garden', 'Kitchen', 'Electrical', 'Plumbing', 'Paint', 'Tools', 'Lighting', 'Storage', 'Outdoor']
const COLORS = ['red', 'blue', 'green', 'black', 'white', 'yellow', 'grey', 'orange']
const MATERIALS = ['steel', 'brass', 'plastic', 'wood', 'aluminium']
const NAMES = ['Hex bolt', 'Wood screw', 'Garden hose', 'Paint brush', 'LED bulb', 'Pipe clamp', 'Drill bit', 'Storage box']

interface Scenario {
  name: string
  args: string[]
  /** The same query through the service, in this process: the database's share. */
  input: ListProductsInput
  /** The headline figure, held to the target. */
  headline?: boolean
}

interface Figure {
  scenario: string
  args: string
  runs: number
  medianMs: number
  minMs: number
  maxMs: number
  /** user + system CPU time of the erp process (from /usr/bin/time), median; null without it. */
  cpuMedianMs: number | null
  inProcessMedianMs: number
  rows: number
}

const log = (message: string) => {
  if (!options.json) process.stderr.write(`${message}\n`)
}

async function main(): Promise<void> {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-bench-config-'))
  process.env.ERP_CONFIG_DIR = configDir
  process.env.ERP_CREDENTIAL_STORE = 'file'
  delete process.env.ERP_PROFILE
  delete process.env.ERP_TENANT
  delete process.env.DATABASE_URL
  await setUpTestDatabase()
  const db = await openTestDb()
  try {
    const slug = uniqueSlug('bench')
    await createTenant(db, { slug })
    const generation = await generate(db, slug)
    const scenarios: Scenario[] = [
      {
        name: 'category + attribute (headline)', headline: true,
        args: ['--category', 'Hardware', '--attr', 'color=red'],
        input: { category: 'Hardware', attributes: { color: 'red' } },
      },
      {
        name: 'leaf category + 2 attributes',
        args: ['--category', 'Hardware/Sub 3/Line 2', '--attr', 'color=red', '--attr', 'material=steel'],
        input: { category: 'Hardware/Sub 3/Line 2', attributes: { color: 'red', material: 'steel' } },
      },
      {
        name: 'category + attribute + active, after id 900000',
        args: ['--category', 'Hardware', '--attr', 'color=red', '--active', '--after', '900000'],
        input: { category: 'Hardware', attributes: { color: 'red' }, active: true, after: '900000' },
      },
      { name: 'search: SKU prefix', args: ['--search', 'SKU-04321'], input: { search: 'SKU-04321' } },
      { name: 'search: name prefix', args: ['--search', 'wood screw 12'], input: { search: 'wood screw 12' } },
    ]
    const startup = await timeCli(['--version'], RUNS)
    const figures: Figure[] = []
    for (const scenario of scenarios) {
      const args = ['products', 'list', '--tenant', slug, ...scenario.args, '--json']
      await runCli(args) // warm-up: the first run reads the pages from disk into the cache
      const { times, cpu, rows } = await timeCliRows(args, RUNS)
      const inProcess = await timeInProcess(db, slug, scenario.input)
      figures.push(figure(scenario.name, scenario.args.join(' '), times, cpu, inProcess, rows))
    }
    const report = {
      products: PRODUCTS,
      categories: generation.categories,
      generateSeconds: Number(generation.seconds.toFixed(1)),
      indexSeconds: Number(generation.indexSeconds.toFixed(1)),
      runs: RUNS,
      targetMs: TARGET_MS,
      cpus: os.cpus().length,
      loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      processStartMedianMs: Math.round(startup.medianMs),
      processStartCpuMedianMs: startup.cpuMedianMs,
      figures,
      headlineMet: figures.filter((_, i) => scenarios[i].headline).every((f) => f.medianMs <= TARGET_MS),
    }
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`)
    else printTable(report, figures)
  } finally {
    await db.close()
    if (options.keep) log(`Kept database ${new URL(process.env.DATABASE_URL!).pathname.slice(1)} (drop it and the tenant roles when done)`)
    else await tearDownTestDatabase()
    fs.rmSync(configDir, { recursive: true, force: true })
  }
}

/**
 * Set-based generation: categories (10 top, 100 second level, 500 leaves), four attributes, and
 * PRODUCTS products spread over the leaves. Category, colour and material come from hashes of the
 * row number, so they are independent of each other and scattered over ids, as in a real catalog. The product indexes are dropped during the insert and
 * rebuilt from their own definitions afterwards (faster than maintaining them row by row).
 */
async function generate(db: Db, slug: string): Promise<{ categories: number; seconds: number; indexSeconds: number }> {
  const started = performance.now()
  log(`Generating ${PRODUCTS.toLocaleString('en')} products in tenant ${slug}…`)
  let indexSeconds = 0
  const categories = await withTenant(db, slug, async (trx) => {
    await trx.raw(`set local maintenance_work_mem = '256MB'`)
    await trx('attributes').insert([
      { code: 'color', type: 'enum', enum_values: COLORS },
      { code: 'material', type: 'enum', enum_values: MATERIALS },
      { code: 'length_mm', type: 'number' },
      { code: 'fragile', type: 'boolean' },
    ])
    await trx.raw('insert into categories (name, path) select n, n from unnest(?::text[]) n', [TOP])
    await trx.raw(`insert into categories (name, parent_id, path)
                   select 'Sub ' || j, c.id, c.path || '/Sub ' || j from categories c, generate_series(1, 10) j
                    where c.parent_id is null`)
    await trx.raw(`insert into categories (name, parent_id, path)
                   select 'Line ' || k, c.id, c.path || '/Line ' || k from categories c, generate_series(1, 5) k
                    where c.path like '%/Sub %'`)
    const { rows: indexes } = await trx.raw(
      `select indexname, indexdef from pg_indexes
        where schemaname = current_schema() and tablename = 'products'
          and indexname not in (select conname from pg_constraint where conrelid = 'products'::regclass)`,
    )
    for (const index of indexes) await trx.raw(`drop index ${quoteIdentifier(index.indexname)}`)
    await trx.raw(
      `with leaves as (select array_agg(id order by id) as ids from categories where path like '%/Line %')
       insert into products (sku, name, category_id, weight, cost, active, attributes)
       select 'SKU-' || lpad(g::text, 7, '0'),
              (?::text[])[1 + g % 8] || ' ' || g,
              l.ids[1 + ((hashint4(g)::bigint + 2147483648) % array_length(l.ids, 1))::int],
              (g % 5000) / 1000.0,
              (g % 10000) / 100.0,
              g % 10 <> 0,
              jsonb_build_object('color', (?::text[])[1 + ((hashint4(-g)::bigint + 2147483648) % 8)::int], 'material', (?::text[])[1 + ((hashint4(g + 700000001)::bigint + 2147483648) % 5)::int],
                                 'length_mm', g % 250, 'fragile', g % 11 = 0)
         from generate_series(1, ?) g, leaves l`,
      [NAMES, COLORS, MATERIALS, PRODUCTS],
    )
    const indexStarted = performance.now()
    for (const index of indexes) await trx.raw(index.indexdef)
    indexSeconds = (performance.now() - indexStarted) / 1000
    const { rows } = await trx.raw('select count(*)::int as n from categories')
    return rows[0].n as number
  })
  // VACUUM cannot run in a transaction: the owner role runs it through a plain connection.
  await db.knex.raw(`vacuum analyze ${quoteIdentifier(`tenant_${slug}`)}.products`)
  await db.knex.raw(`analyze ${quoteIdentifier(`tenant_${slug}`)}.categories`)
  const seconds = (performance.now() - started) / 1000
  log(`…done in ${seconds.toFixed(1)} s (index rebuild ${indexSeconds.toFixed(1)} s).`)
  return { categories, seconds, indexSeconds }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const CPU_LINE = /^erp-cpu (\d+\.\d+) (\d+\.\d+)$/m

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** user + system CPU seconds of the erp process, when /usr/bin/time is there to tell. */
  cpuMs?: number
}

function runCli(args: string[]): Promise<CliRun> {
  const [command, argv] = TIME
    ? [TIME, ['-f', 'erp-cpu %U %S', process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const cpu = CPU_LINE.exec(stderr)
      resolve({ code, stdout, stderr, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined })
    })
  })
}

async function timeCli(args: string[], runs: number): Promise<{ medianMs: number; cpuMedianMs: number | null }> {
  const { times, cpu } = await timeCliRows(args, runs, false)
  return { medianMs: median(times), cpuMedianMs: cpu.length ? Math.round(median(cpu)) : null }
}

async function timeCliRows(args: string[], runs: number, json = true): Promise<{ times: number[]; cpu: number[]; rows: number }> {
  const times: number[] = []
  const cpu: number[] = []
  let rows = 0
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const run = await runCli(args)
    times.push(performance.now() - started)
    if (run.cpuMs !== undefined) cpu.push(run.cpuMs)
    if (run.code !== 0) throw new Error(`erp ${args.join(' ')} failed (${run.code}): ${run.stdout}${run.stderr}`)
    if (json) rows = JSON.parse(run.stdout).result.items.length
  }
  return { times, cpu, rows }
}

/** The same query through the service in this process: what the database and the service cost. */
async function timeInProcess(db: Db, slug: string, input: ListProductsInput): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    await withTenant(db, slug, (trx) => listProducts(trx, input), { access: 'read' })
    times.push(performance.now() - started)
  }
  return median(times)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function figure(scenario: string, args: string, times: number[], cpu: number[], inProcessMs: number, rows: number): Figure {
  return {
    scenario, args, runs: times.length, rows,
    medianMs: Math.round(median(times)), minMs: Math.round(Math.min(...times)), maxMs: Math.round(Math.max(...times)),
    cpuMedianMs: cpu.length ? Math.round(median(cpu)) : null,
    inProcessMedianMs: Number(inProcessMs.toFixed(1)),
  }
}

function printTable(
  report: { products: number; categories: number; generateSeconds: number; indexSeconds: number; cpus: number; loadAverage1m: number
    processStartMedianMs: number; processStartCpuMedianMs: number | null },
  figures: Figure[],
): void {
  const out = process.stdout
  out.write(`erp products list on ${report.products.toLocaleString('en')} products, ${report.categories} categories ` +
    `(generated in ${report.generateSeconds} s, of which index builds ${report.indexSeconds} s); ${RUNS} runs each through ` +
    `bin/run.js, process start included. Target: median ≤ ${TARGET_MS} ms. ${report.cpus} CPUs, load average ` +
    `${report.loadAverage1m} at the end.\n\n`)
  const header = ['scenario', 'median ms', 'min ms', 'max ms', 'cpu ms', 'in-process ms', 'rows']
  const cell = (v: number | null) => (v === null ? '' : String(v))
  const rows = figures.map((f) => [f.scenario, String(f.medianMs), String(f.minMs), String(f.maxMs), cell(f.cpuMedianMs), String(f.inProcessMedianMs), String(f.rows)])
  rows.push(['erp --version (process start only)', String(report.processStartMedianMs), '', '', cell(report.processStartCpuMedianMs), '', ''])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  out.write(`${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`)
  out.write('\ncpu ms: user + system time of the erp process; in-process ms: the same query through the service ' +
    'in this process (transaction, tenant lookup, filters, query), without process start.\n')
}

await main()
