import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import { checkDecimal, checkText, Problems } from '../validation.js'

/** Customer groups carry a default price list (set by pricing) and a discount for their members. */
export interface CustomerGroup {
  id: string
  code: string
  name: string
  priceListId: string | null
  /** The code of that price list: what an operator types and reads. */
  priceList: string | null
  /** numeric(5,2), 0–100, as a decimal string. */
  discountPercent: string
  /** Customers in the group (not archived), in listings only. */
  customers?: number
  createdAt: Date
}

export interface CustomerGroupInput {
  code: string
  name?: string
  discountPercent?: string
}

export const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
export const CODE_RULE = '1–64 letters, digits, _ . or -, starting with a letter or digit'

const SELECT = {
  id: 'g.id', code: 'g.code', name: 'g.name', priceListId: 'g.price_list_id', priceList: 'l.code', discountPercent: 'g.discount_percent', createdAt: 'g.created_at',
}
const groupsWithList = (trx: Knex.Transaction) => trx('customer_groups as g').leftJoin('price_lists as l', 'l.id', 'g.price_list_id')

export async function findCustomerGroup(trx: Knex.Transaction, code: string): Promise<CustomerGroup | undefined> {
  return groupsWithList(trx).select(SELECT).where('g.code', code).first()
}

export async function getCustomerGroup(trx: Knex.Transaction, code: string): Promise<CustomerGroup> {
  const group = await findCustomerGroup(trx, code)
  if (!group) {
    throw notFound(`No customer group "${code}"`, { actions: ['List groups with: erp customer-groups list'], data: { group: code } })
  }
  return group
}

function checkGroupFields(problems: Problems, input: Omit<CustomerGroupInput, 'code'>): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  if (input.name !== undefined) row.name = checkText(problems, 'name', input.name, 200)
  if (input.discountPercent !== undefined) {
    row.discount_percent = checkDecimal(problems, 'discountPercent', input.discountPercent, { precision: 5, scale: 2, nonNegative: true, max: 100 })
  }
  return row
}

export async function createCustomerGroup(trx: Knex.Transaction, input: CustomerGroupInput & { name: string }): Promise<CustomerGroup> {
  const problems = new Problems()
  if (!CODE.test(input.code)) problems.add('code', `"${input.code}" is not a group code: ${CODE_RULE}`)
  const row = checkGroupFields(problems, input)
  problems.throwIfAny(`Customer group "${input.code}" was not created`)
  const inserted = await trx('customer_groups').insert({ ...row, code: input.code }).onConflict('code').ignore().returning('id')
  if (inserted.length === 0) {
    throw conflict(`Customer group "${input.code}" already exists`, { actions: ['List groups with: erp customer-groups list'], data: { group: input.code } })
  }
  return getCustomerGroup(trx, input.code)
}

export async function updateCustomerGroup(trx: Knex.Transaction, input: CustomerGroupInput): Promise<CustomerGroup> {
  const group = await getCustomerGroup(trx, input.code)
  const problems = new Problems()
  const row = checkGroupFields(problems, input)
  problems.throwIfAny(`Customer group "${input.code}" was not updated`)
  if (Object.keys(row).length === 0) throw usageError('Nothing to change: pass --name and/or --discount')
  await trx('customer_groups').where('id', group.id).update(row)
  return getCustomerGroup(trx, input.code)
}

/** Groups by code, with how many (not archived) customers each has. */
export async function listCustomerGroups(trx: Knex.Transaction): Promise<CustomerGroup[]> {
  return groupsWithList(trx)
    .select(SELECT)
    .select(trx.raw('(select count(*) from customers c where c.group_id = g.id and c.archived_at is null)::int as customers'))
    .orderBy('g.code')
}
