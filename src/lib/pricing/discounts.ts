import type { Knex } from 'knex'

import { conflict, notFound } from '../errors.js'
import { Problems, checkDecimal, checkInteger, checkText } from '../validation.js'
import { checkCode, checkCurrency, checkDate, checkPeriod } from './checks.js'

export const DISCOUNT_KINDS = ['percent', 'amount'] as const
export const DISCOUNT_SCOPES = ['product', 'category', 'order'] as const
export const STACKING_RULES = ['exclusive', 'stackable'] as const

export type DiscountKind = (typeof DISCOUNT_KINDS)[number]
export type DiscountScope = (typeof DISCOUNT_SCOPES)[number]
export type StackingRule = (typeof STACKING_RULES)[number]

/**
 * A discount or promotion. How they combine is decided by the price resolver (resolve.ts), which
 * documents the rules; in short:
 * - percent: that share of the line amount; amount: that much off per unit (product/category
 *   scope) or off the whole order (order scope, shared over its lines in proportion to their amounts);
 * - category scope covers the category's sub-categories;
 * - minQty / minAmount: the line's quantity / amount before discounts (product and category scope)
 *   or the order's (order scope);
 * - exclusive: never combined, the best single exclusive discount competes with the stack of all
 *   stackable ones (applied by priority, compounding); the line gets whichever is larger.
 */
export interface Discount {
  id: string
  code: string
  name: string
  kind: DiscountKind
  /** Percent (0–100] or an amount in `currency`. */
  value: string
  currency: string | null
  scope: DiscountScope
  sku: string | null
  /** Category path, e.g. "Hardware/Tools". */
  category: string | null
  /** Only customers of this group get it. */
  group: string | null
  validFrom: string | null
  validTo: string | null
  minQty: string | null
  minAmount: string | null
  stacking: StackingRule
  /** Lower applies first among stackable discounts. */
  priority: number
  archivedAt: Date | null
  createdAt: Date
}

export interface CreateDiscountInput {
  code: string
  name?: string
  kind: DiscountKind
  value: string
  /** Required for amount discounts and for a minimum amount. */
  currency?: string
  /** Exactly one of sku / category / order. */
  sku?: string
  category?: string
  order?: boolean
  group?: string
  validFrom?: string
  validTo?: string
  minQty?: string
  minAmount?: string
  stacking?: StackingRule
  priority?: number
}

export const DISCOUNT_SELECT = `
  select d.id::text as id, d.code, d.name, d.kind, trim_scale(d.value)::text as value, d.currency, d.scope,
         p.sku, c.path as category, g.code as "group", d.valid_from::text as "validFrom", d.valid_to::text as "validTo",
         trim_scale(d.min_qty)::text as "minQty", trim_scale(d.min_amount)::text as "minAmount", d.stacking, d.priority,
         d.archived_at as "archivedAt", d.created_at as "createdAt"
  from discounts d
  left join products p on p.id = d.product_id
  left join categories c on c.id = d.category_id
  left join customer_groups g on g.id = d.customer_group_id`

export async function createDiscount(trx: Knex.Transaction, input: CreateDiscountInput): Promise<Discount> {
  const problems = new Problems()
  const code = checkCode(problems, 'code', input.code)
  const name = input.name === undefined ? code : checkText(problems, 'name', input.name, 200)
  if (!DISCOUNT_KINDS.includes(input.kind)) problems.add('kind', `must be one of ${DISCOUNT_KINDS.join(', ')}`)
  const value = checkDecimal(problems, 'value', input.value, { precision: 18, scale: 4, nonNegative: true, max: input.kind === 'percent' ? 100 : undefined })
  if (value === '0') problems.add('value', 'must be more than zero')
  const currency = input.currency === undefined ? undefined : checkCurrency(problems, 'currency', input.currency)
  const scopes = [input.sku !== undefined, input.category !== undefined, input.order === true].filter(Boolean).length
  if (scopes !== 1) problems.add('scope', 'give exactly one of a product (sku), a category, or the whole order')
  const scope: DiscountScope = input.sku !== undefined ? 'product' : input.category !== undefined ? 'category' : 'order'
  const validFrom = input.validFrom === undefined ? undefined : checkDate(problems, 'from', input.validFrom)
  const validTo = input.validTo === undefined ? undefined : checkDate(problems, 'to', input.validTo)
  checkPeriod(problems, validFrom, validTo)
  const minQty = input.minQty === undefined ? undefined : checkDecimal(problems, 'minQty', input.minQty, { precision: 18, scale: 4, nonNegative: true })
  const minAmount = input.minAmount === undefined ? undefined : checkDecimal(problems, 'minAmount', input.minAmount, { precision: 18, scale: 4, nonNegative: true })
  if (minQty === '0') problems.add('minQty', 'must be more than zero (leave it out for no minimum)')
  if (minAmount === '0') problems.add('minAmount', 'must be more than zero (leave it out for no minimum)')
  if (input.currency === undefined && input.kind === 'amount') problems.add('currency', 'an amount discount needs a currency')
  else if (input.currency === undefined && input.minAmount !== undefined) problems.add('currency', 'a minimum amount needs a currency')
  const stacking = input.stacking ?? 'exclusive'
  if (!STACKING_RULES.includes(stacking)) problems.add('stacking', `must be one of ${STACKING_RULES.join(', ')}`)
  const priority = input.priority === undefined ? 100 : checkInteger(problems, 'priority', input.priority, -1_000_000, 1_000_000)

  const { rows } = await trx.raw(
    `select (select id from discounts where code = ?) as existing,
            (select id from products where sku = ?) as product_id,
            (select id from categories where path = ?) as category_id,
            (select id from customer_groups where code = ?) as group_id`,
    [code ?? '', input.sku ?? '', input.category ?? '', input.group ?? ''],
  )
  const found = rows[0]
  if (code && found.existing !== null) problems.add('code', `a discount "${code}" already exists`, { conflict: true, action: 'See them with: erp discounts list --all' })
  if (input.sku !== undefined && found.product_id === null) problems.add('sku', `no product "${input.sku}"`)
  if (input.category !== undefined && found.category_id === null) problems.add('category', `no category "${input.category}" (give its path, e.g. Hardware/Tools)`, { action: 'See them with: erp categories list' })
  if (input.group !== undefined && found.group_id === null) problems.add('group', `no customer group "${input.group}"`)
  problems.throwIfAny(`Discount "${input.code}" was not created`)

  await trx('discounts').insert({
    code, name, kind: input.kind, value, currency: currency ?? null, scope,
    product_id: found.product_id, category_id: found.category_id, customer_group_id: found.group_id,
    valid_from: validFrom ?? null, valid_to: validTo ?? null, min_qty: minQty ?? null, min_amount: minAmount ?? null,
    stacking, priority,
  })
  return getDiscount(trx, code!)
}

export async function getDiscount(trx: Knex.Transaction, code: string): Promise<Discount> {
  const { rows } = await trx.raw(`${DISCOUNT_SELECT} where d.code = ?`, [code])
  if (rows.length === 0) throw notFound(`No discount "${code}"`, { actions: ['See them with: erp discounts list --all'], data: { discount: code } })
  return rows[0]
}

export interface ListDiscountsInput {
  /** Archived ones too. */
  all?: boolean
  /** Only discounts whose period covers this date. */
  date?: string
}

export async function listDiscounts(trx: Knex.Transaction, input: ListDiscountsInput = {}): Promise<Discount[]> {
  const problems = new Problems()
  const date = input.date === undefined ? undefined : checkDate(problems, 'date', input.date)
  problems.throwIfAny('Discounts were not listed')
  const conditions: string[] = []
  const bindings: string[] = []
  if (!input.all) conditions.push('d.archived_at is null')
  if (date) {
    conditions.push('(d.valid_from is null or d.valid_from <= ?::date) and (d.valid_to is null or d.valid_to >= ?::date)')
    bindings.push(date, date)
  }
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : ''
  const { rows } = await trx.raw(`${DISCOUNT_SELECT} ${where} order by d.priority, d.code`, bindings)
  return rows
}

/** Archive: the discount stops applying; it stays listed with --all for the record. */
export async function archiveDiscount(trx: Knex.Transaction, code: string): Promise<Discount> {
  const discount = await getDiscount(trx, code)
  if (discount.archivedAt) {
    throw conflict(`Discount "${code}" is already archived`, { data: { discount: code, archivedAt: discount.archivedAt } })
  }
  await trx('discounts').where({ code }).update({ archived_at: trx.fn.now(), updated_at: trx.fn.now() })
  return getDiscount(trx, code)
}
