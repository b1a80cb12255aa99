import { checkSku } from '../catalog/products.js'
import { Decimal } from '../pricing/money.js'
import { checkDecimal, checkText, type Problems } from '../validation.js'
import { rejectRepeatedKeys } from './repeats.js'
import { guardFormulaSql, rememberValid, type EntitySpec, type FieldSpec, type MergeCounts } from './spec.js'

/**
 * Reorder points, as `erp stock reorder set` keeps them: (sku, warehouse) is the key; min (the
 * minimum available quantity) and max (what to refill to, not below min; blank for none) are what
 * an upsert or update changes. Set-based: one statement checks, one writes.
 */
const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const quantity = (field: string) => (p: Problems, v: string) => checkDecimal(p, field, v, { precision: 18, scale: 4, nonNegative: true })

const FIELDS: FieldSpec[] = [
  {
    key: 'sku',
    aliases: ['product', 'item code'],
    text: true,
    check: (p, v) => {
      checkSku(p, 'sku', v.trim())
      return v.trim()
    },
  },
  { key: 'warehouse', aliases: ['warehouse code', 'wh'], required: () => true, text: true, check: rememberValid((p, v) => checkText(p, 'warehouse', v, 100)) },
  { key: 'min', aliases: ['min qty', 'minimum', 'reorder point'], required: (m) => m !== 'update', check: quantity('min') },
  { key: 'max', aliases: ['max qty', 'maximum', 'order up to'], check: blankIsNull(quantity('max')) },
]

export const reorderPointsSpec: EntitySpec = {
  entity: 'reorder points',
  key: 'sku',

  async fields() {
    return FIELDS
  },

  checkRow(problems, row) {
    if (row.min != null && row.max != null && new Decimal(row.max).lessThan(row.min)) {
      problems.add('max', `the maximum ${row.max} is below the minimum ${row.min}`)
    }
  },

  async validate({ trx, mode, columns, rows, errors, staging }) {
    const c = (key: string) => (columns.has(key) ? `s.${columns.get(key)!}` : 'null')
    const keys = await staging.create('reorder_keys', `as
      select s.line, ${c('sku')} as sku, ${c('warehouse')} as warehouse, p.id as product_id, w.id as warehouse_id,
             ${c('min')}::numeric as min_qty, ${c('max')}::numeric as max_qty, rp.product_id is not null as existing,
             rp.min_qty as old_min, rp.max_qty as old_max
        from ${rows} s left join products p on p.sku = ${c('sku')} left join warehouses w on w.code = ${c('warehouse')}
        left join reorder_points rp on rp.product_id = p.id and rp.warehouse_id = w.id`)
    await trx.raw(`insert into ${errors} (line, field, value, message)
      select line, field, value, message from (
        select k.line, v.field::text as field, v.value::text as value, v.message::text as message
          from ${keys} k
          cross join lateral (values
            ('sku', k.sku, case when k.product_id is null then 'no product with this SKU (see erp products list)' end),
            ('warehouse', k.warehouse, case when k.warehouse_id is null then 'no warehouse with this code (see erp warehouses list)' end),
            ('max', k.max_qty::text, case when ${columns.has('min') ? 'false' : 'true'} and k.max_qty < k.old_min
               then format('the maximum %s is below the minimum %s', trim_scale(k.max_qty), trim_scale(k.old_min)) end),
            ('sku', k.sku, case
               when '${mode}' = 'insert' and k.existing then 'this reorder point already exists (import with --mode upsert to change it)'
               when '${mode}' = 'update' and not k.existing and k.product_id is not null and k.warehouse_id is not null
                 then 'no reorder point here yet (import with --mode upsert to add it)' end)
          ) as v(field, value, message)
         where v.message is not null) x`)
    await rejectRepeatedKeys(trx, errors, {
      from: keys,
      key: 's.product_id, s.warehouse_id',
      where: 's.product_id is not null and s.warehouse_id is not null',
      field: 'sku',
      value: 's.sku',
      message: (first) => `'the same SKU and warehouse as line ' || ${first}`,
    })
  },

  async merge({ trx, dryRun, columns, staging, errors }) {
    const keys = staging.table('reorder_keys')
    const min = columns.has('min') ? 'k.min_qty' : 'k.old_min'
    const max = columns.has('max') ? 'k.max_qty' : 'k.old_max'
    const valid = `${keys} k where k.line not in (select line from ${errors})`
    const [counts] = (await trx.raw(`select count(*) filter (where not k.existing)::int as inserted,
        count(*) filter (where k.existing and (k.old_min, k.old_max) is distinct from (${min}, ${max}))::int as updated
      from ${valid}`)).rows as Array<{ inserted: number; updated: number }>
    if (dryRun) return counts satisfies MergeCounts
    await trx.raw(`insert into reorder_points (product_id, warehouse_id, min_qty, max_qty)
      select k.product_id, k.warehouse_id, ${min}, ${max} from ${valid} and (not k.existing or (k.old_min, k.old_max) is distinct from (${min}, ${max}))
      on conflict (product_id, warehouse_id) do update set min_qty = excluded.min_qty, max_qty = excluded.max_qty, updated_at = excluded.updated_at`)
    return counts satisfies MergeCounts
  },
}

export function exportReorderPointsSql(): string {
  return `copy (
    select ${guardFormulaSql('p.sku')} as sku, ${guardFormulaSql('w.code')} as warehouse, trim_scale(rp.min_qty) as min, trim_scale(rp.max_qty) as max
      from reorder_points rp join products p on p.id = rp.product_id join warehouses w on w.id = rp.warehouse_id
     order by p.sku, w.code
  ) to stdout with (format csv, header true)`
}
