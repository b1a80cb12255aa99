/**
 * Stock benchmark: a tenant with 100,000 products and 1,000,000 moves over 5 warehouses (generated
 * set-based in SQL), then, through the real CLI (bin/run.js over dist/, so build first):
 *   - `stock reconcile` of a 100,000-line count file, dry run (--json and --output csv),
 *   - the same with --apply,
 *   - `stock verify` over the whole ledger.
 * Prints wall time and the CLI process's peak RSS per step. Targets: each ≤ 5 s, ≤ 200 MB.
 *
 *   npm run build && node --import tsx bench/stock.ts [--json] [--keep] [--scale 0.1]
 *
 * --keep leaves the database and tenant in place (and prints where) to look at query plans.
 *
 * Uses a throwaway database on TEST_DATABASE_URL's server, or on the embedded server.
 */
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'

import { connect } from '../src/lib/auth/connection-target.js'
import { withTenant } from '../src/lib/tenants/tenant-work.js'
import { createTenant } from '../src/lib/tenants/provision.js'
import { createLocation } from '../src/lib/stock/locations.js'
import { createWarehouse } from '../src/lib/stock/warehouses.js'
import { setUpTestDatabase, tearDownTestDatabase, uniqueSlug } from '../test/helpers/database.js'

/** --scale 0.1 for a quick look at the same shape, ten times smaller. */
const scaleAt = process.argv.indexOf('--scale')
const SCALE = scaleAt > 0 ? Number(process.argv[scaleAt + 1]) : 1
const PRODUCTS = Math.round(100_000 * SCALE)
const MOVES = Math.round(1_000_000 * SCALE)
const WAREHOUSES = 5
const BINS = 20
const COUNT_LINES = Math.round(100_000 * SCALE)
const TARGET_SECONDS = 5
const TARGET_MB = 200

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const json = process.argv.includes('--json')
const keep = process.argv.includes('--keep')
const log = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`)
}

interface Figure {
  step: string
  seconds: number
  peakMb: number | null
  /** CPU seconds of the erp process (user + sys). */
  cliCpu: number | null
  /** CPU seconds of the database backends serving it (embedded or local server only). */
  dbCpu: number | null
  /** Load average over the last minute when the step ended: other work on the machine. */
  load: number
  exitCode: number | null
  note: string
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'commands', 'stock', 'reconcile.js'))) {
    throw new Error('Build first: npm run build')
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'erp-bench-stock-'))
  await setUpTestDatabase()
  const figures: Figure[] = []
  const setup: Record<string, number> = {}
  try {
    const db = await connect({})
    const slug = uniqueSlug('bench')
    if (keep) log(`Tenant: ${slug}`)
    try {
      let t = performance.now()
      await createTenant(db, { slug })
      await withTenant(db, slug, async (trx) => {
        for (let w = 1; w <= WAREHOUSES; w++) {
          await createWarehouse(trx, { code: `WH${w}` })
          for (let b = 1; b <= BINS; b++) await createLocation(trx, { fullCode: `WH${w}/B${String(b).padStart(2, '0')}` })
        }
      })
      log(`Generating ${PRODUCTS} products and ${MOVES} moves (set-based)…`)
      await withTenant(db, slug, (trx) => generate(trx))
      // What autovacuum does to an insert-only table after a while: index-only scans need it.
      await db.knex.raw(`vacuum analyze "tenant_${slug}".stock_moves, "tenant_${slug}".stock_levels`)
      setup.generateSeconds = round((performance.now() - t) / 1000)
      t = performance.now()
      const countFile = path.join(work, 'count.csv')
      await withTenant(db, slug, (trx) => writeCountFile(trx, countFile))
      setup.countFileSeconds = round((performance.now() - t) / 1000)
      setup.countFileMb = round(statSync(countFile).size / 1e6)
      const [{ levels, moves }] = await withTenant(db, slug, async (trx) =>
        (await trx.raw('select (select count(*) from stock_levels)::int as levels, (select count(*) from stock_moves)::int as moves')).rows,
      )
      setup.levels = levels
      setup.moves = moves
      await db.close()

      const cli = (step: string, args: string[], note: string) => runStep(step, [...args, '--tenant', slug], note).then((f) => figures.push(f))
      log('Running the CLI…')
      await cli('reconcile dry run --json', ['stock', 'reconcile', '--counts', countFile, '--json'], 'differences listed')
      await cli('reconcile dry run --all --output csv', ['stock', 'reconcile', '--counts', countFile, '--all', '--output', 'csv'], `all ${COUNT_LINES} lines listed`)
      await cli('reconcile dry run --all --json', ['stock', 'reconcile', '--counts', countFile, '--all', '--json'], `all ${COUNT_LINES} lines listed`)
      await cli('reconcile --apply --json', ['stock', 'reconcile', '--counts', countFile, '--apply', '--json'], 'one adjustment per difference')
      await cli('verify', ['stock', 'verify', '--json'], `${moves.toLocaleString('en')} moves vs ${levels.toLocaleString('en')} levels`)
    } finally {
      await db.close().catch(() => undefined)
    }
  } finally {
    if (keep) log(`Kept: DATABASE_URL=${process.env.DATABASE_URL} (count file in ${work})`)
    else {
      await tearDownTestDatabase()
      rmSync(work, { recursive: true, force: true })
    }
  }
  report(figures, setup)
}

/** 100,000 products (10% lot-tracked), 1,000,000 moves, levels rebuilt from the ledger. */
async function generate(trx: Knex.Transaction): Promise<void> {
  await trx.raw("set local work_mem = '256MB'")
  await trx.raw(
    `insert into products (sku, name, tracking, cost)
     select 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i, case when i % 10 = 0 then 'lot' else 'none' end,
            round((1 + (i * 7919 % 10000) / 100.0)::numeric, 4)
       from generate_series(1, ?::int) i`,
    [PRODUCTS],
  )
  await trx.raw(`insert into lots (product_id, code, expires_on) select id, 'LOT-A', date '2030-01-01' + (id % 365)::int from products where tracking = 'lot'`)
  // Internal locations numbered 0..104 for arithmetic placement.
  await trx.raw(`create temp table bench_loc on commit drop as
                 select row_number() over (order by id) - 1 as n, id, warehouse_id from locations where kind = 'internal'`)
  const receipts = PRODUCTS * WAREHOUSES // one receipt per product and warehouse
  const others = MOVES - receipts
  // Receipts: each product into one bin of each warehouse, 100 units.
  await trx.raw(
    `insert into stock_moves (batch, at, product_id, from_location_id, to_location_id, qty, lot_id, reason, reference)
     select gen_random_uuid(), now() - interval '90 days' + (g.w * ?::int + p.id) * interval '1 second',
            p.id, (select id from locations where kind = 'supplier'), l.id, 100, lo.id, 'receipt', 'PO-' || (p.id % 5000)
       from products p
       cross join generate_series(0, ?::int - 1) as g(w)
       join bench_loc l on l.n = g.w * (?::int + 1) + 1 + (p.id % ?::int)
       left join lots lo on lo.product_id = p.id`,
    [PRODUCTS, WAREHOUSES, BINS, BINS],
  )
  // Then transfers within a warehouse, shipments and adjustments: at most 10 units each, and
  // each level loses at most a few of those, so nothing goes below zero.
  await trx.raw(
    `insert into stock_moves (batch, at, product_id, from_location_id, to_location_id, qty, lot_id, reason, reference)
     select gen_random_uuid(), now() - interval '30 days' + i * interval '1 second', p.id, src.id,
            case k when 0 then dst.id when 1 then (select id from locations where kind = 'customer')
                   else (select id from locations where kind = 'adjustment') end,
            1 + i % 10, lo.id,
            case k when 0 then 'transfer' when 1 then 'shipment' else 'adjustment' end,
            case k when 1 then 'SO-' || i end
       from generate_series(1, ?::int) i
       cross join lateral (select (i % ?::int) + 1 as pid, (i / ?::int) % ?::int as w, case when i % 10 < 5 then 0 when i % 10 < 9 then 1 else 2 end as k) x
       join products p on p.id = x.pid
       join bench_loc src on src.n = x.w * (?::int + 1) + 1 + (p.id % ?::int)
       join bench_loc dst on dst.n = x.w * (?::int + 1)
       left join lots lo on lo.product_id = p.id`,
    [others, PRODUCTS, PRODUCTS, WAREHOUSES, BINS, BINS, BINS],
  )
  await trx.raw(
    `insert into stock_levels (product_id, location_id, lot_id, on_hand)
     select x.product_id, x.location_id, nullif(x.lot_key, 0), sum(x.qty)
       from (select product_id, to_location_id as location_id, coalesce(lot_id, 0) as lot_key, qty from stock_moves
             union all
             select product_id, from_location_id, coalesce(lot_id, 0), -qty from stock_moves) x
       join locations l on l.id = x.location_id and l.kind = 'internal'
      group by 1, 2, 3`,
  )
}

/** 100,000 count lines from the levels, one in ten counted differently from the system. */
async function writeCountFile(trx: Knex.Transaction, file: string): Promise<void> {
  const { to: copyTo } = await import('pg-copy-streams')
  const connection = await trx.client.acquireConnection()
  const stream = connection.query(
    copyTo(`copy (
      select p.sku, l.full_code as location, lo.code as lot,
             trim_scale(case when s.id % 10 = 0 then greatest(s.on_hand + (s.id % 7) - 3, 0) else s.on_hand end) as counted
        from stock_levels s join products p on p.id = s.product_id join locations l on l.id = s.location_id
        left join lots lo on lo.id = s.lot_id
       order by s.id % 997, s.id
       limit ${COUNT_LINES}
    ) to stdout with (format csv, header)`),
  )
  await pipeline(stream, createWriteStream(file))
}

/** Run one CLI step under /usr/bin/time for the child's peak RSS and CPU time. */
function runStep(step: string, args: string[], note: string): Promise<Figure> {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
  const command = timeBin ?? process.execPath
  const argv = timeBin ? ['-f', 'ERP_BENCH %e %M %U %S', process.execPath, BIN, ...args] : [BIN, ...args]
  const backends = new BackendCpu(new URL(process.env.DATABASE_URL!).pathname.slice(1))
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env })
    let stderr = ''
    let stdoutBytes = 0
    child.stdout.on('data', (d: Buffer) => (stdoutBytes += d.length))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      const dbCpu = backends.stop()
      const measured = /ERP_BENCH ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr)
      if (code !== 0) log(`${step}: exit ${code}\n${stderr.slice(-2000)}`)
      resolve({
        step,
        seconds: round(seconds),
        peakMb: measured ? round(Number(measured[2]) / 1024) : null,
        cliCpu: measured ? round(Number(measured[3]) + Number(measured[4])) : null,
        dbCpu,
        load: round(os.loadavg()[0]),
        exitCode: code,
        note: `${note}; ${round(stdoutBytes / 1e6)} MB output`,
      })
    })
  })
}

/**
 * CPU time of the PostgreSQL processes working for one database (backends, and their parallel
 * workers), sampled from /proc every 20 ms while a step runs: the part of a step's cost that
 * does not show in the erp process, and that the machine's other load does not inflate much.
 * Null when the server is not on this machine.
 */
class BackendCpu {
  private readonly seen = new Map<string, number>()
  private readonly others = new Set<string>()
  private readonly timer?: NodeJS.Timeout
  private readonly tick = 100 // USER_HZ: clock ticks per second on Linux

  constructor(private readonly database: string) {
    if (!existsSync('/proc/self/stat')) return
    this.timer = setInterval(() => this.sample(), 20)
    this.sample()
  }

  stop(): number | null {
    if (!this.timer) return null
    clearInterval(this.timer)
    this.sample()
    if (this.seen.size === 0) return null
    return round([...this.seen.values()].reduce((a, b) => a + b, 0) / this.tick)
  }

  private sample(): void {
    let pids: string[]
    try {
      pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
    } catch {
      return
    }
    const leaders = new Set([...this.seen.keys()].map((key) => Number(key.split(':')[0])))
    for (const name of pids) {
      const pid = Number(name)
      if (this.others.has(name)) continue
      try {
        // Keyed by pid and start time: a pid the system hands to another process later is not ours.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
        const key = `${pid}:${fields[19]}`
        if (!this.seen.has(key)) {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          const leader = /parallel worker for PID (\d+)/.exec(cmdline)
          const mine = cmdline.startsWith('postgres: ') && !cmdline.includes('autovacuum') &&
            (cmdline.includes(` ${this.database} `) || (leader !== null && leaders.has(Number(leader[1]))))
          if (!mine) {
            // A backend that is still starting shows the server's own command line: look again.
            if (!cmdline.includes('postgres')) this.others.add(name)
            continue
          }
        }
        this.seen.set(key, Number(fields[11]) + Number(fields[12]))
      } catch {
        // The process ended between readdir and read: its last sample stands.
      }
    }
  }
}

function report(figures: Figure[], setup: Record<string, number>): void {
  const result = {
    suite: 'stock',
    machine: { cpus: os.cpus().length, node: process.version },
    setup,
    targets: { seconds: TARGET_SECONDS, peakMb: TARGET_MB },
    figures: figures.map((f) => ({ ...f, withinTarget: f.exitCode === 0 && f.seconds <= TARGET_SECONDS && (f.peakMb ?? 0) <= TARGET_MB })),
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  const rows = [['step', 'seconds', 'peak MB', 'erp CPU s', 'db CPU s', 'load', 'exit', 'target met', 'note']]
  const num = (n: number | null, digits = 2) => (n === null ? '?' : n.toFixed(digits))
  for (const f of result.figures) {
    rows.push([
      f.step, num(f.seconds), num(f.peakMb, 0), num(f.cliCpu), num(f.dbCpu), num(f.load, 1), String(f.exitCode),
      f.withinTarget ? 'yes' : 'NO', f.note,
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const lines = rows.map((r) => r.map((cell, i) => (i >= 1 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '))
  process.stdout.write(
    `stock benchmark: ${setup.moves.toLocaleString('en')} moves, ${setup.levels.toLocaleString('en')} levels, ` +
      `${PRODUCTS.toLocaleString('en')} products, ${WAREHOUSES} warehouses; ${os.cpus().length} CPUs\n` +
      `setup: generated in ${setup.generateSeconds} s, count file (${setup.countFileMb} MB) in ${setup.countFileSeconds} s\n\n` +
      `${lines.join('\n')}\n\ntargets: each ≤ ${TARGET_SECONDS} s and ≤ ${TARGET_MB} MB peak RSS of the erp process.\n` +
      'erp CPU + db CPU is what a step costs the machine; with a load average above the CPU count, wall time is\n' +
      'mostly waiting for a CPU.\n',
  )
}

const round = (n: number) => Math.round(n * 100) / 100

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exitCode = 1
})
