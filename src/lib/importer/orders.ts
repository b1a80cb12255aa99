import { ErpError, isErpError } from '../errors.js'
import { checkSku } from '../catalog/products.js'
import { quoteLiteral } from '../db/identifiers.js'
import { queryRows } from '../db/query-rows.js'
import { roundingMode } from '../invoices/drafts.js'
import { confirmOrders } from '../orders/confirm.js'
import { checkExternalRef } from '../orders/orders.js'
import { currencyScale, type RoundingMode } from '../pricing/money.js'
import { checkDate, checkDecimal, checkText, type Problems } from '../validation.js'
import { insertInBulk, type BulkLoadOption } from './bulk-load.js'
import { guardFormulaSql, rememberValid, type EntitySpec, type FieldSpec, type MergeCounts, type StagedImport } from './spec.js'

/**
 * Sales orders from the client's system, one row per order line, grouped by the client's order
 * reference (`external_ref`, stored on the order: unique in the tenant, `erp orders list
 * --external-ref`, `ext:REF`). Every row of one reference must name the same customer and date;
 * its lines are numbered in file order. Prices come from the file (unit price in the basis of the
 * customer's price list, as an override of `erp orders create` is; price source "override"), with
 * an optional discount percent per line; tax and rounding are the price resolver's (resolve.ts,
 * steps 3 to 6): B = round(unit price × qty), discount = round(B × percent / 100), tax at the
 * product's tax-class rate on B − discount, every amount rounded to the currency's minor unit with
 * the tenant's rounding.mode. Orders come in as drafts, or confirmed (`state: 'confirmed'`) through
 * `erp orders confirm`'s own batch (credit check, stock reserved, no oversell): all or nothing.
 * Set-based: a few statements per file, whatever the number of orders.
 */
export interface OrdersImportOptions extends BulkLoadOption {
  state?: 'draft' | 'confirmed'
  /** Confirm although the credit check refuses (kept on each order, as orders confirm --override). */
  creditOverride?: string
}

const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

const FIELDS: FieldSpec[] = [
  {
    key: 'external_ref',
    aliases: ['order ref', 'order reference', 'order number', 'order no', 'reference'],
    text: true,
    check: (p, v) => checkExternalRef(p, 'external_ref', v),
  },
  { key: 'customer', aliases: ['customer code'], required: () => true, text: true, check: rememberValid((p, v) => checkText(p, 'customer', v, 100)) },
  { key: 'date', aliases: ['order date', 'ordered on'], check: rememberValid(blankIsNull((p, v) => checkDate(p, 'date', v))) },
  {
    key: 'sku',
    aliases: ['product', 'item code'],
    required: () => true,
    text: true,
    check: rememberValid((p, v) => {
      checkSku(p, 'sku', v.trim())
      return v.trim()
    }),
  },
  {
    key: 'quantity',
    aliases: ['qty'],
    required: () => true,
    check: (p, v) => {
      const qty = checkDecimal(p, 'quantity', v, { precision: 18, scale: 4 })
      // One rule, one message, for -1 and 0 alike (as orders create).
      if (qty !== undefined && (qty.startsWith('-') || /^[0.]+$/.test(qty))) {
        p.add('quantity', `must be more than zero (got ${v.trim()})`)
        return undefined
      }
      return qty
    },
  },
  {
    key: 'unit_price',
    aliases: ['price', 'unit price net', 'unit price gross'],
    required: () => true,
    check: (p, v) => checkDecimal(p, 'unit_price', v, { precision: 18, scale: 4, nonNegative: true }),
  },
  {
    key: 'discount_percent',
    aliases: ['discount', 'discount %', 'disc %'],
    check: blankIsNull((p, v) => checkDecimal(p, 'discount_percent', v, { precision: 7, scale: 4, nonNegative: true, max: 100 })),
  },
]

/** The largest amount an order or a line holds (numeric(18,4)). */
const MAX_AMOUNT = '99999999999999'

export const ordersSpec: EntitySpec<OrdersImportOptions> = {
  entity: 'orders',
  key: 'external_ref',

  async fields() {
    return FIELDS
  },

  async validate(staged) {
    const { trx, columns, rows, errors, staging, trace } = staged
    const c = (key: string) => `s.${columns.get(key)!}`
    const [{ today }] = await queryRows<{ today: string }>(trx, `select to_char(current_date, 'YYYY-MM-DD') as today`)
    // Today as a constant: Citus refuses a non-immutable function in some writes (docs/citus.md).
    const date = columns.has('date') ? `coalesce(${c('date')}::date, ${quoteLiteral(today)}::date)` : `${quoteLiteral(today)}::date`
    const discount = columns.has('discount_percent') ? `${c('discount_percent')}::numeric` : 'null::numeric'
    const mode = await roundingMode(trx)
    const currencies = await queryRows<{ currency: string }>(trx, 'select distinct currency from price_lists')
    const scale = `case pl.currency ${currencies.map((x) => `when ${quoteLiteral(x.currency)} then ${currencyScale(x.currency)}`).join(' ')} else 2 end`
    const r = (expression: string) => roundSql(expression, 'sc.scale', mode)
    // One row per line, in one statement: the customer and its price list (its group's, or the
    // tenant's default), the product and its tax rate, the order's first row (what every row of it
    // must repeat), a reference the tenant already has, and the line's amounts by the price
    // resolver's steps 3 to 6 (base, discount, tax, net, gross).
    const lines = await staging.create('order_lines', `as
      select s.line, ${c('external_ref')} as external_ref, ${c('customer')} as customer_code, cu.id as customer_id,
             cu.archived_at is not null as customer_archived, ${date} as order_date,
             ${c('sku')} as sku_given, p.id as product_id, p.sku, p.name, p.active and p.archived_at is null as sellable,
             p.archived_at is not null as archived, p.tax_class, tr.rate as tax_rate,
             s.qty, s.unit_price, s.discount_percent,
             pl.id as list_id, pl.code as list_code, pl.currency, pl.tax_inclusive, sc.scale, taken.id as taken_by,
             row_number() over by_ref as line_no,
             first_value(${c('customer')}) over by_ref as first_customer, first_value(${date}) over by_ref as first_date,
             first_value(s.line) over by_ref as first_line,
             sum(s.qty * s.unit_price) over (partition by ${c('external_ref')}) as order_total,
             b.base, d.discount, t.tax,
             case when pl.tax_inclusive then b.base - d.discount - t.tax else b.base - d.discount end as net,
             case when pl.tax_inclusive then b.base - d.discount else b.base - d.discount + t.tax end as gross
        from (select s.*, ${c('quantity')}::numeric as qty, ${c('unit_price')}::numeric as unit_price, ${discount} as discount_percent
                from ${rows} s) s
        left join customers cu on cu.code = ${c('customer')}
        left join customer_groups g on g.id = cu.group_id
        left join price_lists pl on pl.id = coalesce(g.price_list_id, (select d.id from price_lists d where d.is_default))
        left join products p on p.sku = ${c('sku')}
        left join tax_rates tr on tr.tax_class = p.tax_class
        left join orders taken on taken.external_ref = ${c('external_ref')}
        cross join lateral (select ${scale} as scale) sc
        cross join lateral (select ${r('s.qty * s.unit_price')} as base) b
        cross join lateral (select ${r('b.base * coalesce(s.discount_percent, 0) / 100')} as discount) d
        cross join lateral (select case when pl.tax_inclusive then ${r('(b.base - d.discount) * tr.rate / (100 + tr.rate)')}
                                        else ${r('(b.base - d.discount) * tr.rate / 100')} end as tax) t
      window by_ref as (partition by ${c('external_ref')} order by s.line)`)
    trace('order lines staged')
    // Every problem of every line, in one pass: the message is built inside the subquery (Citus' shape, see repeats.ts).
    await trx.raw(`insert into ${errors} (line, field, value, message)
      select line, field, value, message from (
        select k.line, v.field::text as field, v.value::text as value, v.message::text as message
          from ${lines} k
          cross join lateral (values
            ('customer', k.customer_code, case
               when k.customer_id is null then 'no customer with this code (see erp customers list)'
               when k.customer_archived then 'the customer is archived (erp customers restore brings it back)'
               when k.list_id is null then 'neither the customer''s group nor the tenant has a price list (erp price-lists create --default)' end),
            ('customer', k.customer_code, case when k.customer_code <> k.first_customer then
               format('order %s has customer %s on line %s: every row of an order gives the same customer', k.external_ref, k.first_customer, k.first_line) end),
            ('date', k.order_date::text, case when k.order_date <> k.first_date then
               format('order %s has date %s on line %s: every row of an order gives the same date', k.external_ref, k.first_date, k.first_line) end),
            ('sku', k.sku_given, case
               when k.product_id is null then 'no product with this SKU (see erp products list)'
               when not k.sellable then case when k.archived then 'the product is archived' else 'the product is inactive' end
               when k.tax_rate is null then format('no tax rate for tax class %s (erp taxes set %s <percent>)', k.tax_class, k.tax_class) end),
            ('unit_price', k.unit_price::text, case when k.qty * k.unit_price > ${MAX_AMOUNT} then 'quantity × unit price is too large for an order line' end),
            ('external_ref', k.external_ref, case when k.order_total > ${MAX_AMOUNT} and k.qty * k.unit_price <= ${MAX_AMOUNT} then
               format('order %s totals more than %s', k.external_ref, '${MAX_AMOUNT}') end),
            ('external_ref', k.external_ref, case when k.taken_by is not null then
               format('an order with this external reference already exists (SO-%s; erp orders show ext:%s)', k.taken_by, k.external_ref) end)
          ) as v(field, value, message)
         where (k.customer_id is null or k.customer_archived or k.list_id is null or k.customer_code <> k.first_customer
                or k.order_date <> k.first_date or k.product_id is null or not k.sellable or k.tax_rate is null
                or k.order_total > ${MAX_AMOUNT} or k.taken_by is not null)
           and v.message is not null) x`)
  },

  async merge(staged, options) {
    const { trx, dryRun } = staged
    // An order is all its lines: one with a rejected line is left out whole (only --skip-invalid gets here with one).
    const all = staged.staging.table('order_lines')
    const [{ rejected }] = await queryRows<{ rejected: boolean }>(trx, `select exists (select 1 from ${staged.errors}) as rejected`)
    const lines = !rejected ? all : await staged.staging.create('order_valid', `as
      select k.* from ${all} k where k.external_ref not in (select k2.external_ref from ${all} k2 join ${staged.errors} e on e.line = k2.line)`)
    const [counts] = await queryRows<{ orders: number; lines: number }>(trx, `select count(distinct external_ref)::int as orders, count(*)::int as lines from ${lines}`)
    const confirm = options.state === 'confirmed'
    if (dryRun && !confirm) return { inserted: counts.lines, updated: 0, extra: { orders: counts.orders } } satisfies MergeCounts
    // A dry run of confirmed orders writes them and confirms them (every stock and credit check of
    // a real run), then takes all of it back.
    if (dryRun) await trx.raw('savepoint import_orders_dry_run')
    let done = false
    try {
      const { orders, confirmed } = await writeOrders(staged, options, lines)
      done = true
      return { inserted: counts.lines, updated: 0, extra: { orders, ...(confirm ? { confirmed } : {}) } } satisfies MergeCounts
    } finally {
      // After a refused statement the transaction is lost anyway: its rollback takes everything back.
      if (dryRun && done) await trx.raw('rollback to savepoint import_orders_dry_run')
    }
  },
}

/** An amount rounded to `scale` digits with the tenant's rounding mode, in SQL (round() is half away from zero). */
export function roundSql(expression: string, scale: string, mode: RoundingMode): string {
  if (mode === 'half_up') return `round(${expression}, ${scale})`
  return `(case when mod(abs(${expression}) * power(10::numeric, ${scale}), 2) = 0.5 then trunc(${expression}, ${scale}) else round(${expression}, ${scale}) end)`
}

async function writeOrders(staged: StagedImport, options: OrdersImportOptions, amounts: string): Promise<{ orders: number; confirmed: number }> {
  const { trx, trace, dryRun } = staged
  const bulkLoad = !dryRun && options.bulkLoad !== false
  const orders = await insertInBulk(trx, { table: 'orders', source: `select distinct external_ref from ${amounts}`, enabled: bulkLoad, trace }, () => trx.raw(
    `insert into orders (customer_id, order_date, currency, scale, price_list, tax_inclusive, net, tax, gross, external_ref)
     select min(customer_id), min(order_date), min(currency), min(scale), min(list_code), bool_and(tax_inclusive),
            sum(net), sum(tax), sum(gross), external_ref
       from ${amounts}
      group by external_ref
      order by min(line)`))
  trace('orders inserted')
  await insertInBulk(trx, { table: 'order_lines', source: `select from ${amounts}`, enabled: bulkLoad, trace }, () => trx.raw(
    `insert into order_lines (order_id, line_no, product_id, sku, description, qty, unit_price, price_source, list_unit_price,
                              discount, discount_percent, tax_rate, net, tax, gross)
     select o.id, a.line_no, a.product_id, a.sku, a.name, a.qty, a.unit_price, 'override', null,
            a.discount, a.discount_percent, a.tax_rate, a.net, a.tax, a.gross
       from ${amounts} a join orders o on o.external_ref = a.external_ref`))
  trace('order lines inserted')
  const written = orders.rowCount ?? 0
  if (options.state !== 'confirmed') return { orders: written, confirmed: 0 }

  const ids = await queryRows<{ id: string; external_ref: string }>(
    trx, `select o.id::text, o.external_ref from orders o where o.external_ref in (select external_ref from ${amounts}) order by o.id`,
  )
  try {
    const result = await confirmOrders(trx, { orders: ids.map((o) => o.id), override: options.creditOverride })
    trace('orders confirmed')
    return { orders: written, confirmed: result.items.length }
  } catch (err) {
    throw namedByExternalRef(err, new Map(ids.map((o) => [o.id, o.external_ref])))
  }
}

/** A refusal of orders confirm names orders SO-<id>: ids the rollback takes back. Name them as the file does. */
function namedByExternalRef(err: unknown, refs: Map<string, string>): unknown {
  if (!isErpError(err)) return err
  const rename = (text: string) => text.replace(/\bSO-(\d+)\b/g, (whole, id: string) => (refs.has(id) ? `order ${refs.get(id)}` : whole))
  return new ErpError(err.kind, `Not imported: ${rename(err.message)}`, {
    actions: [
      'Nothing was imported. Receive the stock, collect payment or pass --credit-override "<reason>", or import these orders as drafts (--state draft)',
    ],
    data: byExternalRef(JSON.parse(rename(JSON.stringify(err.data ?? null))), refs),
    cause: err,
  })
}

/** `order: <id>` entries of an error's data, as `externalRef: <ref>` (the ids are rolled back). */
function byExternalRef(data: unknown, refs: Map<string, string>): unknown {
  if (Array.isArray(data)) return data.map((d) => byExternalRef(d, refs))
  if (data === null || typeof data !== 'object') return data
  return Object.fromEntries(Object.entries(data).map(([key, value]) =>
    key === 'order' && typeof value === 'string' && refs.has(value) ? ['externalRef', refs.get(value)] : [key, byExternalRef(value, refs)]))
}

/**
 * Orders in the import's format, one row per line in line order (`--state` filters), with their
 * external reference, or SO-<id> for an order that has none. Importing the file into another tenant
 * and exporting it there gives the same file.
 */
export function exportOrdersSql(states: readonly string[] | undefined): string {
  const text = (expression: string, alias: string) => `${guardFormulaSql(expression)} as ${alias}`
  const where = states && states.length ? `where o.state in (${states.map(quoteLiteral).join(', ')})` : ''
  return `copy (
    select ${text(`coalesce(o.external_ref, 'SO-' || o.id)`, 'external_ref')}, ${text('c.code', 'customer')},
           to_char(o.order_date, 'YYYY-MM-DD') as date, ${text('l.sku', 'sku')}, trim_scale(l.qty) as quantity,
           trim_scale(l.unit_price) as unit_price,
           trim_scale(coalesce(l.discount_percent,
             case when l.discount = 0 then null else round(l.discount * 100 / nullif(l.qty * l.unit_price, 0), 4) end)) as discount_percent
      from orders o join customers c on c.id = o.customer_id join order_lines l on l.order_id = o.id
     ${where}
     order by o.id, l.line_no
  ) to stdout with (format csv, header true)`
}
