import { checkCode, checkDate, checkPeriod } from '../pricing/checks.js'
import { checkDecimal, type Problems } from '../validation.js'
import { checkSku } from '../catalog/products.js'
import { insertInBulk, type BulkLoadOption } from './bulk-load.js'
import { rejectRepeatedKeys } from './repeats.js'
import { guardFormulaSql, type EntitySpec, type FieldSpec, type MergeCounts } from './spec.js'

/**
 * Price-list items: (price_list, sku, min_qty, valid_from) is the key, as for `erp prices set`;
 * price and valid_to are what an upsert changes.
 */
const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const FIELDS: FieldSpec[] = [
  { key: 'price_list', aliases: ['list', 'price list code'], required: () => true, text: true, doc: 'The price list\'s code (erp price-lists list).', example: 'DEFAULT', check: (p, v) => checkCode(p, 'priceList', v) },
  {
    key: 'sku',
    text: true,
    doc: 'The product\'s SKU, which must exist.',
    example: 'A-100',
    check: (p, v) => {
      checkSku(p, 'sku', v.trim())
      return v.trim()
    },
  },
  { key: 'min_qty', aliases: ['quantity', 'min quantity'], type: 'decimal', doc: 'The quantity from which the price holds (0 when empty).', example: '0', check: blankIsNull((p, v) => checkDecimal(p, 'minQty', v, { precision: 18, scale: 4, nonNegative: true })) },
  { key: 'valid_from', aliases: ['from'], type: 'date', doc: 'First day of the price (open when empty).', example: '', check: blankIsNull((p, v) => checkDate(p, 'validFrom', v)) },
  { key: 'valid_to', aliases: ['to'], type: 'date', doc: 'Last day of the price (open when empty).', example: '', check: blankIsNull((p, v) => checkDate(p, 'validTo', v)) },
  { key: 'price', required: (m) => m !== 'update', type: 'decimal', doc: 'The price, in the list\'s currency and tax basis.', example: '0.25', check: (p, v) => checkDecimal(p, 'price', v, { precision: 18, scale: 4, nonNegative: true }) },
]

export const priceItemsSpec: EntitySpec<BulkLoadOption> = {
  entity: 'price-list items',
  key: 'sku',

  async fields() {
    return FIELDS
  },

  checkRow(problems, row) {
    const before = problems.list.length
    checkPeriod(problems, row.valid_from ?? undefined, row.valid_to ?? undefined)
    for (const p of problems.list.slice(before)) p.field = 'valid_to'
  },

  async validate({ trx, mode, columns, rows, errors, staging }) {
    const list = columns.get('price_list')!
    const sku = columns.get('sku')!
    const minQty = columns.has('min_qty') ? `coalesce(s.${columns.get('min_qty')}::numeric, 0)` : '0::numeric'
    const from = columns.has('valid_from') ? `s.${columns.get('valid_from')}::date` : 'null::date'
    const q = (sql: string) => trx.raw(sql)
    const keys = await staging.create('import_keys', `as
      select s.line, l.id as list_id, p.id as product_id, ${minQty} as min_qty, ${from} as valid_from
      from ${rows} s left join price_lists l on l.code = s.${list} left join products p on p.sku = s.${sku}`)
    await q(`insert into ${errors} (line, field, value, message)
      select k.line, 'price_list', s.${list}, 'no price list with this code (see erp price-lists list)'
      from ${keys} k join ${rows} s on s.line = k.line where k.list_id is null`)
    await q(`insert into ${errors} (line, field, value, message)
      select k.line, 'sku', s.${sku}, 'no product with this SKU'
      from ${keys} k join ${rows} s on s.line = k.line where k.product_id is null`)
    await rejectRepeatedKeys(trx, errors, {
      from: keys,
      key: `s.list_id, s.product_id, s.min_qty, coalesce(s.valid_from, '-infinity')`,
      where: 's.list_id is not null and s.product_id is not null',
      field: 'sku',
      value: 'null',
      message: (first) => `'the same price list, SKU, quantity and start date as line ' || ${first}`,
    })
    const existing = `exists (select 1 from price_list_items i where i.price_list_id = k.list_id and i.product_id = k.product_id
      and i.min_qty = k.min_qty and coalesce(i.valid_from, '-infinity') = coalesce(k.valid_from, '-infinity'))`
    if (mode === 'insert') {
      // A price already there as the row gives it is left as it is (an export imported where
      // import products set the default list's prices round-trips); only a different one is refused.
      const price = columns.has('price') ? `s.${columns.get('price')}::numeric` : 'i.price'
      const to = columns.has('valid_to') ? `s.${columns.get('valid_to')}::date` : 'null::date'
      await q(`insert into ${errors} (line, field, value, message)
        select k.line, null, null, 'this price already exists with another price or end date (import with --mode upsert to change it)'
          from ${keys} k join ${rows} s on s.line = k.line
          join price_list_items i on i.price_list_id = k.list_id and i.product_id = k.product_id and i.min_qty = k.min_qty
           and coalesce(i.valid_from, '-infinity') = coalesce(k.valid_from, '-infinity')
         where (i.price, i.valid_to) is distinct from (${price}, ${to})`)
    }
    if (mode === 'update') {
      await q(`insert into ${errors} (line, field, value, message)
        select k.line, null, null, 'no such price yet (import with --mode upsert to add it)'
        from ${keys} k where k.list_id is not null and k.product_id is not null and not ${existing}`)
    }
  },

  async merge({ trx, mode, dryRun, columns, rows, staging, trace }, options) {
    const keys = staging.table('import_keys')
    const price = columns.has('price') ? `s.${columns.get('price')}::numeric` : 'i.price'
    const to = columns.has('valid_to') ? `s.${columns.get('valid_to')}::date` : 'i.valid_to'
    const source = `${keys} k join ${rows} s on s.line = k.line`
    const match = `i.price_list_id = k.list_id and i.product_id = k.product_id and i.min_qty = k.min_qty
      and coalesce(i.valid_from, '-infinity') = coalesce(k.valid_from, '-infinity')`
    const differs = `(i.price, i.valid_to) is distinct from (${price}, ${to})`
    let inserted = 0
    let updated = 0
    if (dryRun) {
      const { rows: n } = await trx.raw(`select count(*) filter (where i.id is null)::int as inserted,
          count(*) filter (where i.id is not null and ${differs})::int as updated
        from ${source} left join price_list_items i on ${match}`)
      return { inserted: mode === 'update' ? 0 : n[0].inserted, updated: mode === 'insert' ? 0 : n[0].updated }
    }
    if (mode !== 'insert') {
      const result = await trx.raw(`update price_list_items i set price = ${price}, valid_to = ${to}, updated_at = now()
        from ${source} where ${match} and ${differs}`)
      updated = result.rowCount ?? 0
    }
    if (mode !== 'update') {
      const bulk = { table: 'price_list_items', source: `select from ${source}`, enabled: options.bulkLoad, trace }
      const skipped = `select from ${source} where exists (select 1 from price_list_items i where ${match})`
      const result = await insertInBulk(trx, { ...bulk, skipped }, () => trx.raw(`insert into price_list_items (price_list_id, product_id, min_qty, valid_from, valid_to, price)
        select k.list_id, k.product_id, k.min_qty, k.valid_from, ${columns.has('valid_to') ? `s.${columns.get('valid_to')}::date` : 'null'},
               s.${columns.get('price')}::numeric
        from ${source} where not exists (select 1 from price_list_items i where ${match})`))
      inserted = result.rowCount ?? 0
    }
    return { inserted, updated } satisfies MergeCounts
  },
}

export function exportPriceItemsSql(): string {
  return `copy (select ${guardFormulaSql('l.code')} as price_list, ${guardFormulaSql('p.sku')} as sku, i.min_qty, i.valid_from, i.valid_to, i.price
    from price_list_items i join price_lists l on l.id = i.price_list_id join products p on p.id = i.product_id
    order by l.code, p.sku, i.min_qty, i.valid_from nulls first) to stdout with (format csv, header true)`
}
