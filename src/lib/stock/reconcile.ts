import path from 'node:path'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, conflict, invalidData } from '../errors.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { withStaging, type Staging } from '../db/staging.js'
import { loadCountFile, type Delimiter } from './count-file.js'
import { applyBatchToLevels, newBatch } from './ledger.js'
import { allowNegativeStock, resolveWarehouses, virtualLocationId } from './refs.js'
import { queryRows } from '../db/query-rows.js'
import { commaInDecimalPointFile, pointInDecimalCommaFile } from '../validation.js'

/**
 * Stock reconciliation: a physical count compared with the system, line by line, and (with
 * apply) one 'count' adjustment move per difference, all in one transaction, tagged with the
 * count's reference. Set-based from end to end: the file is COPYed into a temporary table, one
 * query builds the report (resolving SKUs, locations, lots, serials and levels for every line at
 * once), one INSERT … SELECT appends the moves and one statement brings the levels along. The
 * levels are locked against other writers while a count is applied, so the differences are
 * computed against the stock as it is when the moves land.
 */

export interface ReconcileInput {
  /** Path of the count CSV. */
  file: string
  /** Restrict the count to this warehouse; bare location codes in the file are looked up in it first. */
  warehouse?: string
  apply?: boolean
  /** Apply the valid lines even though some are invalid. */
  skipInvalid?: boolean
  /** Reference of the count's moves; COUNT-<date>-<checksum prefix> by default. */
  reference?: string
  /** List matching lines too; by default `lines` holds the lines with a difference or a problem. */
  allLines?: boolean
  /** Counted quantities are written with a decimal comma; by default a ;-delimited file is (validation.ts fromDecimalComma). */
  decimalComma?: boolean
  createdBy?: string
}

export type CountLineStatus = 'match' | 'over' | 'short' | 'invalid'

export interface CountLine {
  /** Line number in the CSV file. */
  line: number
  sku: string | null
  location: string | null
  lot: string | null
  system: string | null
  counted: string | null
  difference: string | null
  unitCost: string | null
  /** difference × cost, rounded to cents; null without a cost. */
  value: string | null
  status: CountLineStatus
  problem: string | null
}

export interface CountTotals {
  lines: number
  valid: number
  invalid: number
  differences: number
  /** Units found over the system quantity, and missing under it. */
  qtyOver: string
  qtyShort: string
  valueOver: string
  valueShort: string
  valueNet: string
  /** Lines with a difference whose product has no cost. */
  withoutCost: number
}

export interface ReconcileResult {
  file: string
  checksum: string
  delimiter: Delimiter
  reference: string
  warehouse: string | null
  applied: boolean
  /** Moves posted by --apply. */
  moves: number
  /** When this file was applied before. */
  appliedBefore: { at: Date; reference: string } | null
  totals: CountTotals
  lines: CountLine[]
}


/** The count file's lines as the report reads them (no expiry dates in a count file). */
const countFileLines = (table: string) => `(select line, sku, location, lot, counted, problem, null::date as expires_on from ${table})`

export async function reconcileCount(trx: Knex.Transaction, input: ReconcileInput): Promise<ReconcileResult> {
  const warehouseId = await countWarehouseId(trx, input.warehouse)
  await trx.raw("set local work_mem = '64MB'")
  return withStaging(trx, (staging) => reconcileStaged(trx, staging, warehouseId, input))
}

async function reconcileStaged(trx: Knex.Transaction, staging: Staging, warehouseId: string | null, input: ReconcileInput): Promise<ReconcileResult> {
  const loaded = await loadCountFile(trx, staging, input.file)
  const reference = input.reference ?? `COUNT-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${loaded.checksum.slice(0, 8)}`
  const [appliedBefore] = await queryRows<{ at: Date; reference: string }>(
    trx,
    'select applied_at as at, reference from stock_counts where checksum = ?',
    [loaded.checksum],
  )
  if (input.apply && appliedBefore) throw alreadyApplied(input.file, appliedBefore)

  if (input.apply) await holdLevelsForCount(trx)
  const report = await buildReport(trx, staging, { source: countFileLines(loaded.table), warehouse: input.warehouse ?? null, warehouseId, decimalComma: input.decimalComma ?? loaded.delimiter === ';' })
  const totals = await reportTotals(trx, report)

  let moves = 0
  if (input.apply) {
    if (totals.lines === 0) throw invalidData(`${path.basename(input.file)} has no count lines: nothing to apply`)
    if (totals.invalid > 0 && !input.skipInvalid) {
      const invalid = await reportLines(trx, report, { invalidOnly: true, limit: 1000 })
      throw invalidRows(input.file, totals.invalid, invalid)
    }
    moves = await applyReport(trx, report, { reference, file: input.file, createdBy: input.createdBy })
    try {
      await trx.raw(
        `insert into stock_counts (checksum, reference, file_name, warehouse_id, lines, adjustments, value)
         values (?, ?, ?, ?, ?, ?, ?)`,
        [loaded.checksum, reference, path.basename(input.file), warehouseId, totals.valid, moves, totals.valueNet],
      )
    } catch (err) {
      if (sqlStateOf(err) === SqlState.UNIQUE_VIOLATION) {
        throw conflict(`${path.basename(input.file)} was applied meanwhile by someone else`, { cause: err })
      }
      throw err
    }
  }
  const lines = await reportLines(trx, report, { differencesOnly: input.allLines !== true })
  return {
    file: input.file,
    checksum: loaded.checksum,
    delimiter: loaded.delimiter,
    reference,
    warehouse: input.warehouse ?? null,
    applied: input.apply === true,
    moves,
    appliedBefore: appliedBefore ?? null,
    totals,
    lines,
  }
}

/** The id of the warehouse a count is restricted to (null for none); an unknown code is an error. */
export async function countWarehouseId(trx: Knex.Transaction, code: string | undefined): Promise<string | null> {
  if (!code) return null
  const warehouse = (await resolveWarehouses(trx, [code])).get(code)
  if (!warehouse) throw new ErpError(ErrorKind.NOT_FOUND, `No warehouse "${code}"`, { actions: ['List warehouses with: erp warehouses list'] })
  return warehouse.id
}

function alreadyApplied(file: string, before: { at: Date; reference: string }): ErpError {
  return conflict(`${path.basename(file)} was already applied on ${before.at.toISOString()} as ${before.reference}`, {
    actions: [
      'A count file is applied once. To count again, make a new count file.',
      `See its moves with: erp stock moves --reference ${before.reference}`,
    ],
    data: { appliedAt: before.at, reference: before.reference },
  })
}

export function invalidRows(file: string, count: number, lines: CountLine[]): ErpError {
  const name = path.basename(file)
  const shown = lines.slice(0, 5).map((l) => `${name}:${l.line}: ${l.problem}`).join('; ')
  return invalidData(`${count} invalid line${count === 1 ? '' : 's'} in the count, nothing applied: ${shown}${count > 5 ? '; …' : ''}`, {
    actions: [
      'Correct the lines and run again',
      'Or apply the valid lines only with --skip-invalid',
      'See every line with: erp stock reconcile --counts <file> (a dry run)',
    ],
    data: { invalid: lines.map((l) => ({ line: l.line, sku: l.sku, location: l.location, lot: l.lot, counted: l.counted, problem: l.problem })) },
  })
}

/** Moves posted meanwhile would make the differences stale: they wait until the count commits. */
export async function holdLevelsForCount(trx: Knex.Transaction): Promise<void> {
  await trx.raw("set local lock_timeout = '30s'")
  await trx.raw('lock table stock_levels in share row exclusive mode')
}

export interface ReportOptions {
  /**
   * The count lines: a relation (table name or parenthesised SELECT of our own, never input) with
   * line, sku, location, lot, counted (text), problem (a shape problem found while loading) and
   * expires_on (date: the expiry of a lot the count creates).
   */
  source: string
  warehouse: string | null
  warehouseId: string | null
  /**
   * Counted quantities are written with a decimal comma. The rule is validation.ts's
   * fromDecimalComma, in SQL: with a comma, a point is refused (1.234 is not guessed); without, a
   * value that reads as a decimal comma says so.
   */
  decimalComma: boolean
}

/** One query: every count line resolved, checked, and compared with the system, into a staging table (its name returned). */
export async function buildReport(trx: Knex.Transaction, staging: Staging, options: ReportOptions): Promise<string> {
  const { warehouse, warehouseId, decimalComma } = options
  const report = await staging.create(
    'count_report',
    `as
     with c as (
       select c.*, case when ? then replace(c.counted, ',', '.') else c.counted end as counted_text
         from ${options.source} c
     ), r as (
       select c.line, c.sku, c.location, c.lot, c.counted, c.counted_text, c.problem as shape_problem, c.expires_on, lo.expires_on as lot_expires_on,
              p.id as product_id, p.tracking, p.cost,
              l.id as location_id, l.kind, l.warehouse_id, l.full_code,
              lo.id as lot_id, se.id as serial_id, se.location_id as serial_location_id, sl.full_code as serial_location,
              s.on_hand
         from c
         left join products p on p.sku = c.sku
         -- A bare code is a location of --warehouse when there is one; else a warehouse (its default
         -- location) or a virtual location, as everywhere else.
         left join locations lw on ?::text is not null and position('/' in c.location) = 0 and lw.full_code = ?::text || '/' || c.location
         left join warehouses wd on position('/' in c.location) = 0 and wd.code = c.location
         left join locations d on d.warehouse_id = wd.id and d.is_default
         left join locations lg on lg.full_code = coalesce(d.full_code, c.location)
         left join locations l on l.id = coalesce(lw.id, lg.id)
         left join lots lo on p.tracking = 'lot' and lo.product_id = p.id and lo.code = c.lot
         left join serials se on p.tracking = 'serial' and se.product_id = p.id and se.serial = c.lot
         left join locations sl on sl.id = se.location_id
         left join stock_levels s on p.tracking <> 'serial' and s.product_id = p.id and s.location_id = l.id
                                 and s.lot_key = coalesce(lo.id, 0) and (p.tracking <> 'lot' or lo.id is not null)
     ), v as (
       select r.*,
              case
                when shape_problem is not null then shape_problem
                when sku is null then 'no SKU'
                when product_id is null then format('unknown SKU "%s"', sku)
                when location is null then 'no location'
                when location_id is null and position('/' in location) = 0 and ?::text is null
                  then format('unknown location "%s": write WAREHOUSE/LOCATION, or pass --warehouse', location)
                when location_id is null then format('unknown location "%s"', location)
                when kind <> 'internal' then format('%s is not a warehouse location', full_code)
                when ?::bigint is not null and warehouse_id <> ?::bigint then format('%s is not in warehouse %s', full_code, ?::text)
                when counted is null then 'no counted quantity'
                when ?::boolean and position('.' in counted) > 0 then format(?::text, counted)
                when not ?::boolean and counted ~ '^[[:space:]]*[+-]{0,1}[0-9]+,[0-9]+[[:space:]]*$' then format(?::text, counted)
                when counted_text !~ '^[0-9]{1,14}([.][0-9]{1,4}){0,1}$'
                  then format('counted quantity "%s" is not a number ≥ 0 with at most 4 decimals', counted)
                when tracking = 'lot' and lot is null then format('%s is lot-tracked: give the lot', sku)
                when tracking = 'serial' and lot is null then format('%s is serial-tracked: give the serial number', sku)
                when tracking = 'none' and lot is not null then format('%s has no lots or serial numbers: leave the lot empty', sku)
                when tracking <> 'lot' and expires_on is not null then format('%s is not lot-tracked: leave the expiry empty', sku)
                when expires_on is not null and lot_id is not null and expires_on is distinct from lot_expires_on
                  then format('lot %s of %s expires on %s, not %s', lot, sku, coalesce(lot_expires_on::text, 'no date'), expires_on)
                when tracking = 'serial' and counted_text::numeric not in (0, 1) then format('serial %s is counted 0 or 1', lot)
                when tracking = 'serial' and counted_text::numeric = 1 and serial_location_id <> location_id
                  then format('serial %s is recorded at %s: transfer it first', lot, serial_location)
                when line <> min(line) over (partition by product_id, location_id, coalesce(lot, ''))
                  then format('counted twice: repeats line %s', min(line) over (partition by product_id, location_id, coalesce(lot, '')))
              end as problem
         from r
     ), q as (
       select v.*,
              case when problem is null then
                case when tracking = 'serial' then case when serial_location_id = location_id then 1 else 0 end::numeric
                     else coalesce(on_hand, 0) end
              end as system_qty,
              case when problem is null then counted_text::numeric end as counted_qty
         from v
     )
     select line, sku, location, lot, expires_on, counted as counted_raw, product_id, tracking, cost, location_id, lot_id, serial_id, problem,
            system_qty, counted_qty, counted_qty - system_qty as difference,
            round((counted_qty - system_qty) * cost, 2) as value,
            null::bigint as move_id
       from q`,
    [decimalComma, warehouse, warehouse, warehouse, warehouseId, warehouseId, warehouse,
      decimalComma, pointInDecimalCommaFile('%s'), decimalComma, commaInDecimalPointFile('%s')],
  )
  await trx.raw(`create index on ${report} (line)`)
  return report
}

export async function reportTotals(trx: Knex.Transaction, report: string): Promise<CountTotals> {
  const [totals] = await queryRows<CountTotals>(
    trx,
    `select count(*)::int as lines,
            count(*) filter (where problem is null)::int as valid,
            count(*) filter (where problem is not null)::int as invalid,
            count(*) filter (where difference <> 0)::int as differences,
            trim_scale(coalesce(sum(difference) filter (where difference > 0), 0))::text as "qtyOver",
            trim_scale(coalesce(-sum(difference) filter (where difference < 0), 0))::text as "qtyShort",
            coalesce(sum(value) filter (where value > 0), 0)::numeric(20,2)::text as "valueOver",
            coalesce(-sum(value) filter (where value < 0), 0)::numeric(20,2)::text as "valueShort",
            coalesce(sum(value), 0)::numeric(20,2)::text as "valueNet",
            count(*) filter (where difference <> 0 and cost is null)::int as "withoutCost"
       from ${report}`,
  )
  return totals
}

async function reportLines(
  trx: Knex.Transaction,
  report: string,
  options: { differencesOnly?: boolean; invalidOnly?: boolean; limit?: number },
): Promise<CountLine[]> {
  return queryRows<CountLine>(
    trx,
    `select line, sku, location, lot,
            trim_scale(system_qty)::text as system, coalesce(trim_scale(counted_qty)::text, counted_raw) as counted,
            trim_scale(difference)::text as difference, trim_scale(cost)::text as "unitCost", value::text as value,
            case when problem is not null then 'invalid' when difference > 0 then 'over' when difference < 0 then 'short'
                 else 'match' end as status,
            problem
       from ${report} r
      where (not ? or problem is not null or difference <> 0)
        and (not ? or problem is not null)
      order by line
      limit ?::bigint`,
    [options.differencesOnly === true, options.invalidOnly === true, options.limit ?? null],
  )
}

/**
 * One adjustment move per difference: one INSERT … SELECT for the moves, one statement for the
 * levels, two for the serial numbers. Lots counted for the first time are created first (with
 * the expiry the lines give).
 */
export async function applyReport(trx: Knex.Transaction, report: string, options: { reference: string; file: string; createdBy?: string }): Promise<number> {
  const pending = `problem is null and difference <> 0`
  await trx.raw(
    `insert into lots (product_id, code, expires_on)
     select distinct on (product_id, lot) product_id, lot, expires_on from ${report}
      where ${pending} and tracking = 'lot' and lot_id is null
      order by product_id, lot, expires_on nulls last
     on conflict (product_id, code) do nothing`,
  )
  await trx.raw(
    `update ${report} r set lot_id = lo.id from lots lo
      where r.${pending} and r.tracking = 'lot' and r.lot_id is null and lo.product_id = r.product_id and lo.code = r.lot`,
  )
  // Move ids drawn in a query of their own, then bound: Citus refuses nextval() (VOLATILE) in an UPDATE.
  const [{ n }] = await queryRows<{ n: number }>(trx, `select count(*)::int as n from ${report} where ${pending}`)
  const [{ ids }] = await queryRows<{ ids: string[] }>(
    trx,
    `select array(select nextval(pg_get_serial_sequence('stock_moves', 'id'))::text from generate_series(1, ?::int)) as ids`,
    [n],
  )
  await trx.raw(
    `update ${report} r set move_id = (?::bigint[])[x.rank]
       from (select line, row_number() over (order by line) as rank from ${report} where ${pending}) x
      where r.line = x.line`,
    [ids],
  )
  const batch = newBatch()
  const adjustment = { id: await virtualLocationId(trx, 'adjustment') }
  const [{ moves }] = await queryRows<{ moves: number }>(
    trx,
    `with ins as (
       insert into stock_moves (id, batch, product_id, from_location_id, to_location_id, qty, lot_id, reason, reference, note, created_by)
       overriding system value
       select move_id, ?::uuid, product_id,
              case when difference > 0 then ?::bigint else location_id end,
              case when difference > 0 then location_id else ?::bigint end,
              abs(difference), lot_id, 'count', ?, format('%s line %s', ?::text, line), coalesce(?, session_user)
         from ${report} where move_id is not null
        order by move_id
       returning 1
     )
     select count(*)::int as moves from ins`,
    [batch, adjustment.id, adjustment.id, options.reference, path.basename(options.file), options.createdBy ?? null],
  )
  const shortages = await applyBatchToLevels(trx, batch, { guard: 'on_hand', allowNegative: await allowNegativeStock(trx) })
  if (shortages.length) {
    throw conflict(`The count would take stock below zero at ${shortages.map((s) => `${s.sku} ${s.location}`).join(', ')}`, {
      data: { shortages },
    })
  }
  await applySerials(trx, report)
  return moves
}

async function applySerials(trx: Knex.Transaction, report: string): Promise<void> {
  const [{ expected }] = await queryRows<{ expected: number }>(
    trx,
    `select count(*)::int as expected from ${report} where move_id is not null and tracking = 'serial'`,
  )
  if (expected === 0) return
  const [{ done }] = await queryRows<{ done: number }>(
    trx,
    `with found as (
       update serials s set location_id = case when r.difference > 0 then r.location_id end, updated_at = now()
         from ${report} r
        where r.move_id is not null and r.tracking = 'serial' and s.id = r.serial_id
          and ((r.difference > 0 and s.location_id is null) or (r.difference < 0 and s.location_id = r.location_id))
       returning s.id, r.move_id
     ), created as (
       insert into serials (product_id, serial, location_id)
       select product_id, lot, location_id from ${report}
        where move_id is not null and tracking = 'serial' and serial_id is null and difference > 0
       order by product_id, lot
       on conflict (product_id, serial) do nothing
       returning id, product_id, serial
     ), links as (
       insert into stock_move_serials (move_id, serial_id)
       select move_id, id from found
       union all
       select r.move_id, c.id from created c join ${report} r on r.product_id = c.product_id and r.lot = c.serial and r.move_id is not null
       returning 1
     )
     select count(*)::int as done from links`,
  )
  if (done !== expected) {
    throw conflict('Serial numbers in the count were moved by someone else meanwhile: nothing applied', {
      actions: ['Run the count again (a dry run shows the current differences)'],
    })
  }
}
