import type { Knex } from 'knex'

import { notFound } from '../errors.js'
import { Problems, checkText } from '../validation.js'
import { checkCode, checkCurrency } from './checks.js'

export interface PriceList {
  id: string
  code: string
  name: string
  currency: string
  /** Prices of this list include tax (gross); otherwise they are net. */
  taxInclusive: boolean
  isDefault: boolean
  /** Price items in the list. */
  items: number
  /** Customer groups pointing at the list. */
  groups: number
  createdAt: Date
  updatedAt: Date
}

export interface CreatePriceListInput {
  code: string
  name?: string
  currency: string
  taxInclusive?: boolean
  /** Make it the tenant's default list (the previous default stops being one). */
  isDefault?: boolean
}

const SELECT = `
  select l.id::text as id, l.code, l.name, l.currency, l.tax_inclusive as "taxInclusive", l.is_default as "isDefault",
         (select count(*)::int from price_list_items i where i.price_list_id = l.id) as items,
         (select count(*)::int from customer_groups g where g.price_list_id = l.id) as groups,
         l.created_at as "createdAt", l.updated_at as "updatedAt"
  from price_lists l`

/**
 * Create a price list. The tenant's first list becomes its default; `isDefault` moves the default
 * to the new list. The default list prices customers without a group list, and lines their group's
 * list has no price for (when it is in the same currency).
 */
export async function createPriceList(trx: Knex.Transaction, input: CreatePriceListInput): Promise<PriceList> {
  const problems = new Problems()
  const code = checkCode(problems, 'code', input.code)
  const name = input.name === undefined ? code : checkText(problems, 'name', input.name, 200)
  const currency = checkCurrency(problems, 'currency', input.currency)
  if (code && (await trx('price_lists').where({ code }).first('id'))) {
    problems.add('code', `a price list "${code}" already exists`, { conflict: true, action: 'See them with: erp price-lists list' })
  }
  problems.throwIfAny(`Price list "${input.code}" was not created`)
  // Serialise default changes: two lists created as default at once must not both fail or both win.
  await trx.raw('lock table price_lists in share row exclusive mode')
  const hasDefault = Boolean(await trx('price_lists').where({ is_default: true }).first('id'))
  const isDefault = input.isDefault === true || !hasDefault
  if (isDefault) await trx('price_lists').where({ is_default: true }).update({ is_default: false, updated_at: trx.fn.now() })
  await trx('price_lists').insert({ code, name, currency, tax_inclusive: input.taxInclusive === true, is_default: isDefault })
  return getPriceList(trx, code!)
}

export interface UpdatePriceListInput {
  name?: string
  taxInclusive?: boolean
  /** true moves the tenant's default to this list (a default is never left without one). */
  isDefault?: true
}

/** Rename a list, switch its tax basis, or make it the default. The currency stays: its prices are in it. */
export async function updatePriceList(trx: Knex.Transaction, code: string, input: UpdatePriceListInput): Promise<PriceList> {
  const problems = new Problems()
  const name = input.name === undefined ? undefined : checkText(problems, 'name', input.name, 200)
  problems.throwIfAny(`Price list "${code}" was not updated`)
  const list = await getPriceList(trx, code)
  if (input.isDefault && !list.isDefault) {
    await trx.raw('lock table price_lists in share row exclusive mode')
    await trx('price_lists').where({ is_default: true }).update({ is_default: false, updated_at: trx.fn.now() })
  }
  const changes: Record<string, unknown> = {}
  if (name !== undefined) changes.name = name
  if (input.taxInclusive !== undefined) changes.tax_inclusive = input.taxInclusive
  if (input.isDefault) changes.is_default = true
  if (Object.keys(changes).length > 0) await trx('price_lists').where({ id: list.id }).update({ ...changes, updated_at: trx.fn.now() })
  return getPriceList(trx, code)
}

export async function getPriceList(trx: Knex.Transaction, code: string): Promise<PriceList> {
  const { rows } = await trx.raw(`${SELECT} where l.code = ?`, [code])
  if (rows.length === 0) {
    throw notFound(`No price list "${code}"`, { actions: ['See them with: erp price-lists list'], data: { priceList: code } })
  }
  return rows[0]
}

export async function listPriceLists(trx: Knex.Transaction): Promise<PriceList[]> {
  const { rows } = await trx.raw(`${SELECT} order by l.code`)
  return rows
}

export interface GroupPriceList {
  group: string
  priceList: string | null
}

/**
 * Point customer groups at a price list (or, with `list` null, back at the default list). Every
 * unknown group is reported at once and nothing changes then.
 */
export async function assignPriceList(trx: Knex.Transaction, list: string | null, groups: string[]): Promise<GroupPriceList[]> {
  const problems = new Problems()
  if (groups.length === 0) problems.add('group', 'name at least one customer group')
  const { rows: found } = await trx.raw('select code from customer_groups where code = any(?::text[])', [groups])
  const known = new Set(found.map((r: { code: string }) => r.code))
  for (const group of groups) if (!known.has(group)) problems.add('group', `no customer group "${group}"`, { action: 'See them with: erp customer-groups list' })
  const target = list === null ? null : await trx('price_lists').where({ code: list }).first('id')
  if (list !== null && !target) problems.add('list', `no price list "${list}"`, { action: 'See them with: erp price-lists list' })
  problems.throwIfAny(list === null ? 'Price lists were not unassigned' : `Price list "${list}" was not assigned`)
  await trx('customer_groups').whereIn('code', groups).update({ price_list_id: target?.id ?? null })
  const { rows } = await trx.raw(
    `select g.code as "group", l.code as "priceList" from customer_groups g left join price_lists l on l.id = g.price_list_id
      where g.code = any(?::text[]) order by g.code`,
    [groups],
  )
  return rows
}
