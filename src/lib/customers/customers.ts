import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import { countryCode } from '../fields/country.js'
import { checkPhoneNumber } from '../fields/phone.js'
import { checkDecimal, checkEmail, checkInteger, checkText, escapeLike, optionalText, Problems } from '../validation.js'
import {
  checkAddress, deleteAddress, insertAddresses, listAddresses, makeDefaultAddress,
  type Address, type AddressInput,
} from './addresses.js'
import { CODE, CODE_RULE, findCustomerGroup } from './groups.js'

export interface Customer {
  id: string
  code: string
  name: string
  email: string | null
  phone: string | null
  taxId: string | null
  /** The group's code. */
  group: string | null
  /** numeric(14,2) as a decimal string; null means no limit. */
  creditLimit: string | null
  paymentTermsDays: number
  createdAt: Date
  updatedAt: Date
  archivedAt: Date | null
}

export interface CustomerDetail extends Customer {
  addresses: Address[]
}

/** Fields as plain text input; null clears a field. */
export interface CustomerFields {
  name?: string
  email?: string | null
  phone?: string | null
  taxId?: string | null
  /** Group code; null takes the customer out of its group. */
  group?: string | null
  creditLimit?: string | null
  paymentTermsDays?: string | number
}

export interface CreateCustomerInput extends CustomerFields {
  code: string
  name: string
  addresses?: AddressInput[]
}

export interface UpdateCustomerInput extends CustomerFields {
  code: string
}

const COLUMNS = {
  id: 'c.id', code: 'c.code', name: 'c.name', email: 'c.email', phone: 'c.phone', taxId: 'c.tax_id', group: 'g.code',
  creditLimit: 'c.credit_limit', paymentTermsDays: 'c.payment_terms_days', createdAt: 'c.created_at',
  updatedAt: 'c.updated_at', archivedAt: 'c.archived_at',
}

function customerQuery(trx: Knex.Transaction): Knex.QueryBuilder {
  return trx('customers as c').leftJoin('customer_groups as g', 'g.id', 'c.group_id').select(COLUMNS)
}

export async function findCustomer(trx: Knex.Transaction, code: string): Promise<Customer | undefined> {
  return customerQuery(trx).where('c.code', code).first()
}

export async function getCustomer(trx: Knex.Transaction, code: string): Promise<CustomerDetail> {
  const customer = await findCustomer(trx, code)
  if (!customer) throw unknownCustomer(code)
  return { ...customer, addresses: await listAddresses(trx, customer.id) }
}

function unknownCustomer(code: string) {
  return notFound(`No customer "${code}"`, { actions: ['Search with: erp customers list --search <start of code or name>'], data: { customer: code } })
}

/**
 * A phone number, or null for a blank one; undefined after recording a problem. Read in the
 * customer's country when it is known (see fields/phone.ts): normalised when valid there, else kept
 * as written when it reads as a number at all.
 */
export function checkPhone(problems: Problems, field: string, value: string | null, country?: string | null): string | null | undefined {
  return checkPhoneNumber(problems, field, value, country)
}

/** `country` (the customer's billing or shipping country, when known) is where the phone number is read. */
async function checkFields(trx: Knex.Transaction, problems: Problems, input: CustomerFields, country?: string | null): Promise<Record<string, unknown>> {
  const row: Record<string, unknown> = {}
  if (input.name !== undefined) row.name = checkText(problems, 'name', input.name, 300)
  if (input.email !== undefined) {
    row.email = input.email === null || input.email.trim() === '' ? null : checkEmail(problems, 'email', input.email)
  }
  if (input.phone !== undefined) {
    row.phone = checkPhone(problems, 'phone', input.phone, country)
  }
  if (input.taxId !== undefined) row.tax_id = optionalText(problems, 'taxId', input.taxId, 40)
  if (input.creditLimit !== undefined) {
    row.credit_limit = input.creditLimit === null
      ? null
      : checkDecimal(problems, 'creditLimit', input.creditLimit, { precision: 14, scale: 2, nonNegative: true })
  }
  if (input.paymentTermsDays !== undefined) {
    row.payment_terms_days = checkInteger(problems, 'paymentTermsDays', input.paymentTermsDays, 0, 365)
  }
  if (input.group !== undefined) {
    if (input.group === null) row.group_id = null
    else {
      const group = await findCustomerGroup(trx, input.group)
      if (group) row.group_id = group.id
      else problems.add('group', `unknown customer group "${input.group}"`, { action: 'List groups with: erp customer-groups list' })
    }
  }
  return row
}

export async function createCustomer(trx: Knex.Transaction, input: CreateCustomerInput): Promise<CustomerDetail> {
  const problems = new Problems()
  if (!CODE.test(input.code)) problems.add('code', `"${input.code}" is not a customer code: ${CODE_RULE}`)
  const addressed = [...(input.addresses ?? [])].sort((a, b) => Number(b.kind === 'billing') - Number(a.kind === 'billing'))
  const row = await checkFields(trx, problems, input, addressed.length > 0 ? countryCode(addressed[0].country ?? '') : null)
  const addresses = (input.addresses ?? []).map((address, i) => ({
    row: checkAddress(problems, `addresses[${i}]`, address),
    isDefault: address.isDefault ?? false,
  }))
  for (const kind of ['billing', 'shipping']) {
    if (addresses.filter((a) => a.row.kind === kind && a.isDefault).length > 1) {
      problems.add('addresses', `only one ${kind} address can be the default`)
    }
  }
  if (problems.empty && (await findCustomer(trx, input.code))) {
    problems.add('code', `customer "${input.code}" already exists`, { conflict: true, action: `See it with: erp customers show ${input.code}` })
  }
  problems.throwIfAny(`Customer "${input.code}" was not created`)

  const inserted = await trx('customers').insert({ ...row, code: input.code }).onConflict('code').ignore().returning('id')
  if (inserted.length === 0) throw conflict(`Customer "${input.code}" already exists`, { data: { customer: input.code } })
  await insertAddresses(trx, inserted[0].id, addresses)
  return getCustomer(trx, input.code)
}

export async function updateCustomer(trx: Knex.Transaction, input: UpdateCustomerInput): Promise<CustomerDetail> {
  const current = await lockCustomer(trx, input.code)
  if (current.archived_at) {
    throw conflict(`Customer "${input.code}" is archived`, { actions: [`Restore it first: erp customers restore ${input.code}`] })
  }
  const problems = new Problems()
  const row = await checkFields(trx, problems, input)
  problems.throwIfAny(`Customer "${input.code}" was not updated`)
  if (Object.keys(row).length === 0) throw usageError('Nothing to change: pass the fields to update (see --help)')
  await trx('customers').where('id', current.id).update({ ...row, updated_at: trx.fn.now() })
  return getCustomer(trx, input.code)
}

async function lockCustomer(trx: Knex.Transaction, code: string): Promise<{ id: string; archived_at: Date | null }> {
  const row = await trx('customers').select('id', 'archived_at').where('code', code).forUpdate().first()
  if (!row) throw unknownCustomer(code)
  return row
}

export interface CustomerArchiveOutcome {
  customer: CustomerDetail
  changed: boolean
}

/** Archive (hide from lists, refuse updates) or restore a customer. Idempotent. */
export async function setCustomerArchived(trx: Knex.Transaction, code: string, archived: boolean): Promise<CustomerArchiveOutcome> {
  const updated = await trx('customers')
    .where('code', code)
    .modify((q) => (archived ? q.whereNull('archived_at') : q.whereNotNull('archived_at')))
    .update({ archived_at: archived ? trx.fn.now() : null, updated_at: trx.fn.now() })
  return { customer: await getCustomer(trx, code), changed: updated > 0 }
}

export interface ListCustomersInput {
  group?: string
  /** Case-insensitive prefix of the code or of the name. */
  search?: string
  archived?: boolean
  limit?: number
  /** The code of the last customer of the previous page. */
  after?: string
}

export interface CustomerPage {
  items: Customer[]
  nextCursor: string | null
}

/** A page of customers in code order (keyset paging on the unique code). */
export async function listCustomers(trx: Knex.Transaction, input: ListCustomersInput = {}): Promise<CustomerPage> {
  const limit = input.limit ?? 50
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usageError('--limit must be from 1 to 1000')
  const query = customerQuery(trx).orderBy('c.code').limit(limit + 1)
  if (input.archived) query.whereNotNull('c.archived_at')
  else query.whereNull('c.archived_at')
  if (input.group !== undefined) {
    const group = await findCustomerGroup(trx, input.group)
    if (!group) throw notFound(`No customer group "${input.group}"`, { actions: ['List groups with: erp customer-groups list'] })
    query.where('c.group_id', group.id)
  }
  if (input.search !== undefined && input.search.trim() !== '') {
    const prefix = `${escapeLike(input.search.trim().toLowerCase())}%`
    query.where((q) => q.whereRaw(`lower(c.code) like ? escape '\\'`, [prefix]).orWhereRaw(`lower(c.name) like ? escape '\\'`, [prefix]))
  }
  if (input.after !== undefined) query.where('c.code', '>', input.after)
  const rows: Customer[] = await query
  const more = rows.length > limit
  const items = more ? rows.slice(0, limit) : rows
  return { items, nextCursor: more ? items.at(-1)!.code : null }
}

export async function addCustomerAddress(trx: Knex.Transaction, code: string, address: AddressInput): Promise<Address> {
  const customer = await lockCustomer(trx, code)
  const problems = new Problems()
  const row = checkAddress(problems, 'address', address)
  problems.throwIfAny(`The address was not added to customer "${code}"`)
  const [added] = await insertAddresses(trx, customer.id, [{ row, isDefault: address.isDefault ?? false }])
  return added
}

export async function removeCustomerAddress(trx: Knex.Transaction, code: string, addressId: string): Promise<Address> {
  const customer = await lockCustomer(trx, code)
  return deleteAddress(trx, customer.id, addressId)
}

export async function setDefaultCustomerAddress(trx: Knex.Transaction, code: string, addressId: string): Promise<Address> {
  const customer = await lockCustomer(trx, code)
  return makeDefaultAddress(trx, customer.id, addressId)
}
