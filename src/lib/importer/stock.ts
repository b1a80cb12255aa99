import path from 'node:path'

import { checkSku } from '../catalog/products.js'
import { checkDate } from '../pricing/checks.js'
import { applyReport, buildReport, countWarehouseId, holdLevelsForCount } from '../stock/reconcile.js'
import { checkDecimal, checkText, type Problems } from '../validation.js'
import { guardFormulaSql, type EntitySpec, type FieldSpec, type MergeCounts } from './spec.js'

/**
 * Opening stock and stock counts: each row says how much of a product (lot, serial number) is at a
 * location, and the import makes the books say so, through the stock count's own set-based
 * report and moves (reason 'count', one per difference; lots created with their expiry). Modes:
 * insert is opening stock (a line where stock is already recorded is refused), upsert sets any
 * level (a count), update only levels that hold stock. Re-importing the same file posts nothing.
 */
export interface StockImportOptions {
  /** Bare location codes are looked up in this warehouse first (as `erp stock reconcile --warehouse`). */
  warehouse?: string
}

const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const FIELDS: FieldSpec[] = [
  {
    key: 'sku',
    aliases: ['product', 'item code'],
    text: true,
    doc: 'The product\'s SKU.',
    example: 'A-100',
    check: (p, v) => {
      checkSku(p, 'sku', v.trim())
      return v.trim()
    },
  },
  { key: 'location', aliases: ['loc', 'bin', 'location code'], required: () => true, text: true, doc: 'WAREHOUSE/LOCATION, or a warehouse code for its default location (with --warehouse: a location code in it).', example: 'MAIN', check: (p, v) => checkText(p, 'location', v, 200) },
  {
    key: 'lot',
    aliases: ['serial', 'lot/serial', 'lot or serial', 'lot number', 'serial number', 'batch'],
    text: true,
    doc: 'The lot, or the serial number of a serial-tracked product; empty for an untracked one.',
    example: '',
    check: blankIsNull((p, v) => checkText(p, 'lot', v, 100)),
  },
  {
    key: 'counted',
    aliases: ['qty', 'quantity', 'on hand', 'count', 'counted qty'],
    required: () => true,
    type: 'decimal',
    doc: 'The quantity there (0 or 1 for a serial number; 4 decimals at most).',
    example: '12',
    check: (p, v) => checkDecimal(p, 'counted', v, { precision: 18, scale: 4, nonNegative: true }),
  },
  { key: 'expiry', aliases: ['expires on', 'expiry date', 'best before'], type: 'date', doc: 'Expiry of a lot the import creates.', example: '', check: blankIsNull((p, v) => checkDate(p, 'expiry', v)) },
]

/** What the mode refuses, as a problem for the count report's lines that are otherwise valid. */
const MODE_PROBLEM: Record<string, string | undefined> = {
  insert: `case when system_qty <> 0 then format('%s already has %s on hand at %s (import with --mode upsert to count it)', sku, trim_scale(system_qty), location) end`,
  update: `case when system_qty = 0 then format('no stock of %s is recorded at %s (import with --mode upsert to add it)', sku, location) end`,
}

export const stockSpec: EntitySpec<StockImportOptions> = {
  entity: 'stock',
  key: 'sku',

  async fields() {
    return FIELDS
  },

  async validate(staged, options) {
    const { trx, columns, rows, errors, mode, dryRun, staging } = staged
    const warehouseId = await countWarehouseId(trx, options.warehouse)
    if (!dryRun) await holdLevelsForCount(trx)
    const cell = (key: string) => (columns.has(key) ? `s.${columns.get(key)}` : 'null')
    const report = await buildReport(trx, staging, {
      source: `(select s.line, ${cell('sku')} as sku, ${cell('location')} as location, ${cell('lot')} as lot, ${cell('counted')} as counted,
                       null::text as problem, ${cell('expiry')}::date as expires_on from ${rows} s)`,
      warehouse: options.warehouse ?? null,
      warehouseId,
      decimalComma: false,
    })
    const modeProblem = MODE_PROBLEM[mode]
    if (modeProblem) await trx.raw(`update ${report} set problem = ${modeProblem} where problem is null`)
    await trx.raw(`insert into ${errors} (line, field, value, message) select line, null, null, problem from ${report} where problem is not null`)
  },

  async merge(staged) {
    const { trx, dryRun } = staged
    const report = staged.staging.table('count_report')
    // New stock where none was recorded counts as inserted; a changed level as updated.
    const { rows: counts } = await trx.raw(`select
        count(*) filter (where problem is null and difference <> 0 and system_qty = 0)::int as inserted,
        count(*) filter (where problem is null and difference <> 0 and system_qty <> 0)::int as updated
      from ${report}`)
    const { inserted, updated } = counts[0] as { inserted: number; updated: number }
    if (dryRun) return { inserted, updated, extra: { moves: inserted + updated } } satisfies MergeCounts
    const reference = staged.batchRef ?? `IMPORT-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${staged.sha256.slice(0, 8)}`
    const moves = await applyReport(trx, report, { reference, file: path.basename(staged.file) })
    return { inserted, updated, extra: { moves } } satisfies MergeCounts
  },
}

/**
 * Stock on hand in the import's format: one row per product × location × lot with stock, and one
 * per serial number in stock (counted 1). Importing it back (--mode upsert) posts nothing.
 */
export function exportStockSql(): string {
  const text = (expression: string, alias: string) => `${guardFormulaSql(expression)} as ${alias}`
  return `copy (
    select ${text('x.sku', 'sku')}, ${text('x.location', 'location')}, ${text('x.lot', 'lot')}, x.counted, x.expiry
      from (select p.sku, l.full_code as location, lo.code as lot, trim_scale(s.on_hand) as counted, lo.expires_on as expiry
              from stock_levels s join products p on p.id = s.product_id join locations l on l.id = s.location_id
              left join lots lo on lo.id = s.lot_id
             where s.on_hand <> 0 and p.tracking <> 'serial'
            union all
            select p.sku, l.full_code, se.serial, 1, null
              from serials se join products p on p.id = se.product_id join locations l on l.id = se.location_id) x
     order by x.sku, x.location, x.lot nulls first
  ) to stdout with (format csv, header true)`
}
