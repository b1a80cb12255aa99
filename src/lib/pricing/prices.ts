import type { Knex } from 'knex'

import { notFound } from '../errors.js'
import { transactionNow } from '../db/clock.js'
import { Problems, checkDecimal, checkInteger } from '../validation.js'
import { checkDate, checkPeriod } from './checks.js'

/** One price of a product in a list: from `minQty` units on (a quantity break), within a period. */
export interface PriceItem {
  id: string
  priceList: string
  currency: string
  taxInclusive: boolean
  sku: string
  productName: string
  /** The break: the price applies to lines of at least this quantity ("0" = any quantity). */
  minQty: string
  /** Inclusive dates, null = open-ended. */
  validFrom: string | null
  validTo: string | null
  price: string
  updatedAt: Date
}

export interface SetPriceInput {
  priceList: string
  sku: string
  price: string
  minQty?: string
  validFrom?: string
  validTo?: string
}

const SELECT = `
  select i.id::text as id, l.code as "priceList", l.currency, l.tax_inclusive as "taxInclusive", p.sku,
         p.name as "productName", trim_scale(i.min_qty)::text as "minQty", i.valid_from::text as "validFrom",
         i.valid_to::text as "validTo", i.price::text as price, i.updated_at as "updatedAt"
  from price_list_items i
  join price_lists l on l.id = i.price_list_id
  join products p on p.id = i.product_id`

/**
 * Set a product's price in a list. The item's key is (list, product, min qty, valid from): setting
 * it again changes its price and end date. Prices are in the list's currency and tax basis, zero
 * or more, up to 4 decimals.
 */
export async function setPrice(trx: Knex.Transaction, input: SetPriceInput): Promise<PriceItem> {
  const problems = new Problems()
  const price = checkDecimal(problems, 'price', input.price, { precision: 18, scale: 4, nonNegative: true })
  const minQty = input.minQty === undefined ? '0' : checkDecimal(problems, 'minQty', input.minQty, { precision: 18, scale: 4, nonNegative: true })
  const validFrom = input.validFrom === undefined ? undefined : checkDate(problems, 'from', input.validFrom)
  const validTo = input.validTo === undefined ? undefined : checkDate(problems, 'to', input.validTo)
  checkPeriod(problems, validFrom, validTo)
  const { rows } = await trx.raw(
    `select (select id from price_lists where code = ?) as list_id, (select id from products where sku = ?) as product_id`,
    [input.priceList, input.sku],
  )
  if (rows[0].list_id === null) problems.add('list', `no price list "${input.priceList}"`, { action: 'See them with: erp price-lists list' })
  if (rows[0].product_id === null) problems.add('sku', `no product "${input.sku}"`, { action: 'Look it up with: erp products list --search <text>' })
  problems.throwIfAny(`Price of "${input.sku}" in "${input.priceList}" was not set`)
  const key = [rows[0].list_id, rows[0].product_id, minQty, validFrom ?? null]
  await trx.raw(
    `insert into price_list_items (price_list_id, product_id, min_qty, valid_from, valid_to, price)
     values (?, ?, ?, ?, ?, ?)
     on conflict (price_list_id, product_id, min_qty, coalesce(valid_from, '-infinity'::date))
     do update set price = excluded.price, valid_to = excluded.valid_to, updated_at = ?::timestamptz
     where (price_list_items.price, price_list_items.valid_to) is distinct from (excluded.price, excluded.valid_to)`,
    [...key, validTo ?? null, price, await transactionNow(trx)],
  )
  const { rows: items } = await trx.raw(
    `${SELECT} where i.price_list_id = ? and i.product_id = ? and i.min_qty = ?
       and coalesce(i.valid_from, '-infinity'::date) = coalesce(?::date, '-infinity'::date)`,
    key,
  )
  return items[0]
}

export interface ListPricesInput {
  priceList?: string
  sku?: string
  /** Only items valid on this date. */
  date?: string
  limit?: number
}

/** Price items, by list, SKU, break and start date. */
export async function listPrices(trx: Knex.Transaction, input: ListPricesInput = {}): Promise<PriceItem[]> {
  const problems = new Problems()
  const date = input.date === undefined ? undefined : checkDate(problems, 'date', input.date)
  const limit = input.limit === undefined ? 1000 : checkInteger(problems, 'limit', input.limit, 1, 1_000_000)
  problems.throwIfAny('Prices were not listed')
  const conditions: string[] = []
  const bindings: string[] = []
  if (input.priceList !== undefined) {
    conditions.push('l.code = ?')
    bindings.push(input.priceList)
  }
  if (input.sku !== undefined) {
    conditions.push('p.sku = ?')
    bindings.push(input.sku)
  }
  if (date !== undefined) {
    conditions.push('(i.valid_from is null or i.valid_from <= ?::date) and (i.valid_to is null or i.valid_to >= ?::date)')
    bindings.push(date, date)
  }
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : ''
  const { rows } = await trx.raw(
    `${SELECT} ${where} order by l.code, p.sku, i.min_qty, i.valid_from nulls first limit ?`,
    [...bindings, limit!] as Array<string | number>,
  )
  return rows
}

export interface RemovePriceInput {
  priceList: string
  sku: string
  /** The item's key: its break and start date ("0" and none by default). */
  minQty?: string
  validFrom?: string
}

/** Remove one price item, found by its key (list, SKU, min qty, valid from). Returns what was removed. */
export async function removePrice(trx: Knex.Transaction, input: RemovePriceInput): Promise<PriceItem> {
  const problems = new Problems()
  const minQty = input.minQty === undefined ? '0' : checkDecimal(problems, 'minQty', input.minQty, { precision: 18, scale: 4, nonNegative: true })
  const validFrom = input.validFrom === undefined ? undefined : checkDate(problems, 'from', input.validFrom)
  problems.throwIfAny(`Price of "${input.sku}" in "${input.priceList}" was not removed`)
  const { rows } = await trx.raw(
    `${SELECT} where l.code = ? and p.sku = ? and i.min_qty = ?
       and coalesce(i.valid_from, '-infinity'::date) = coalesce(?::date, '-infinity'::date) for update of i`,
    [input.priceList, input.sku, minQty!, validFrom ?? null],
  )
  if (rows.length === 0) {
    const period = validFrom ? ` from ${validFrom}` : ''
    throw notFound(`No price for "${input.sku}" in "${input.priceList}" at min qty ${minQty}${period}`, {
      actions: [`See its prices with: erp prices list --sku ${input.sku}`],
      data: { priceList: input.priceList, sku: input.sku, minQty, validFrom: validFrom ?? null },
    })
  }
  await trx('price_list_items').where({ id: rows[0].id }).delete()
  return rows[0]
}
