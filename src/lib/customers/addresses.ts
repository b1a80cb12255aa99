import type { Knex } from 'knex'

import { notFound } from '../errors.js'
import { COUNTRY_FORMS, countryCode } from '../fields/country.js'
import { checkText, optionalText, type Problems } from '../validation.js'

export const ADDRESS_KINDS = ['billing', 'shipping'] as const
export type AddressKind = (typeof ADDRESS_KINDS)[number]

export interface Address {
  id: string
  kind: AddressKind
  isDefault: boolean
  line1: string
  line2: string | null
  city: string
  postalCode: string | null
  region: string | null
  /** ISO 3166-1 alpha-2, upper case. */
  country: string
}

export interface AddressInput {
  kind: string
  line1: string
  line2?: string | null
  city: string
  postalCode?: string | null
  region?: string | null
  country: string
  /** Make it the default of its kind. The first address of a kind is the default anyway. */
  isDefault?: boolean
}

export const ADDRESS_SELECT = {
  id: 'id', kind: 'kind', isDefault: 'is_default', line1: 'line1', line2: 'line2', city: 'city',
  postalCode: 'postal_code', region: 'region', country: 'country',
}

const KEYS: Record<string, keyof AddressInput> = {
  line1: 'line1', line2: 'line2', city: 'city', postal: 'postalCode', postal_code: 'postalCode', zip: 'postalCode',
  region: 'region', state: 'region', country: 'country',
}

/** How the one-string form is written, for help texts and error messages. */
export const ADDRESS_FORMAT = 'line1=<street>;line2=<more>;city=<city>;postal=<code>;region=<region>;country=<ISO code or English name>'

/**
 * The one-string form of an address used by flags: `key=value` pairs separated by semicolons, e.g.
 * "line1=12 High St;city=London;postal=SW1A 1AA;country=GB". line1, city and country are required.
 */
export function parseAddress(problems: Problems, field: string, text: string, kind: AddressKind): AddressInput | undefined {
  const input: Partial<AddressInput> = { kind }
  const before = problems.list.length
  for (const part of text.split(';')) {
    if (part.trim() === '') continue
    const at = part.indexOf('=')
    const key = KEYS[part.slice(0, Math.max(at, 0)).trim().toLowerCase()]
    if (at <= 0 || !key) {
      problems.add(field, `"${part.trim()}": the keys are line1, line2, city, postal, region, country`)
      continue
    }
    ;(input as Record<string, string>)[key] = part.slice(at + 1).trim()
  }
  for (const required of ['line1', 'city', 'country'] as const) {
    if (!input[required]) problems.add(field, `${required}= is required`)
  }
  return problems.list.length > before ? undefined : (input as AddressInput)
}

/** Check an address and turn it into column values (without customer_id and is_default). */
export function checkAddress(problems: Problems, field: string, input: AddressInput): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  if (!(ADDRESS_KINDS as readonly string[]).includes(input.kind)) {
    problems.add(field, `"${input.kind}" is not an address kind; use billing or shipping`)
  }
  row.kind = input.kind
  row.line1 = checkText(problems, `${field}.line1`, input.line1 ?? '', 200)
  row.line2 = optionalText(problems, `${field}.line2`, input.line2, 200) ?? null
  row.city = checkText(problems, `${field}.city`, input.city ?? '', 100)
  row.postal_code = optionalText(problems, `${field}.postalCode`, input.postalCode, 20) ?? null
  row.region = optionalText(problems, `${field}.region`, input.region, 100) ?? null
  const country = countryCode(input.country ?? '')
  if (country) row.country = country
  else problems.add(`${field}.country`, `"${input.country}" is not a country: write ${COUNTRY_FORMS}`)
  return row
}

/**
 * Insert checked addresses of one customer. An address asked to be the default replaces the
 * current default of its kind; a kind without a default gets its first address as default.
 */
export async function insertAddresses(
  trx: Knex.Transaction,
  customerId: string,
  addresses: { row: Record<string, unknown>; isDefault: boolean }[],
): Promise<Address[]> {
  const out: Address[] = []
  for (const { row, isDefault } of addresses) {
    const hasDefault = await trx('customer_addresses').where({ customer_id: customerId, kind: row.kind, is_default: true }).first('id')
    if (isDefault && hasDefault) {
      await trx('customer_addresses').where('id', hasDefault.id).update({ is_default: false })
    }
    const [address] = await trx('customer_addresses')
      .insert({ ...row, customer_id: customerId, is_default: isDefault || !hasDefault })
      .returning(Object.entries(ADDRESS_SELECT).map(([k, c]) => `${c} as ${k}`))
    out.push(address)
  }
  return out
}

export async function listAddresses(trx: Knex.Transaction, customerId: string): Promise<Address[]> {
  return trx('customer_addresses').select(ADDRESS_SELECT).where('customer_id', customerId).orderBy(['kind', 'id'])
}

/** Remove an address; when it was the default of its kind, the oldest remaining one takes over. */
export async function deleteAddress(trx: Knex.Transaction, customerId: string, addressId: string): Promise<Address> {
  const address = await getAddress(trx, customerId, addressId)
  await trx('customer_addresses').where('id', address.id).delete()
  if (address.isDefault) {
    await trx.raw(
      `update customer_addresses set is_default = true
        where id = (select id from customer_addresses where customer_id = ? and kind = ? order by id limit 1)`,
      [customerId, address.kind],
    )
  }
  return address
}

export async function makeDefaultAddress(trx: Knex.Transaction, customerId: string, addressId: string): Promise<Address> {
  const address = await getAddress(trx, customerId, addressId)
  if (!address.isDefault) {
    await trx('customer_addresses').where({ customer_id: customerId, kind: address.kind, is_default: true }).update({ is_default: false })
    await trx('customer_addresses').where('id', address.id).update({ is_default: true })
  }
  return { ...address, isDefault: true }
}

async function getAddress(trx: Knex.Transaction, customerId: string, addressId: string): Promise<Address> {
  const address = /^\d{1,18}$/.test(addressId)
    ? await trx('customer_addresses').select(ADDRESS_SELECT).where({ customer_id: customerId, id: addressId }).first()
    : undefined
  if (!address) {
    throw notFound(`The customer has no address with id "${addressId}"`, {
      actions: ['See its addresses (and their ids) with: erp customers show <code>'],
      data: { address: addressId },
    })
  }
  return address
}
