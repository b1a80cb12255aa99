import { Flags } from '@oclif/core'

import { usageError } from '../../errors.js'
import type { Column } from '../render.js'
import { Problems } from '../../validation.js'
import { ADDRESS_FORMAT, parseAddress, type Address, type AddressInput } from '../../customers/addresses.js'
import type { Customer, CustomerDetail, CustomerFields } from '../../customers/customers.js'
import type { CustomerGroup } from '../../customers/groups.js'

/**
 * What the customer commands share: flags, flags → service input, list columns. Command-layer
 * code (it imports oclif); services never import it.
 */

export const customerFieldFlags = {
  name: Flags.string({ char: 'n', description: 'Customer name' }),
  email: Flags.string({ description: 'Email address' }),
  phone: Flags.string({ description: 'Phone number' }),
  'tax-id': Flags.string({ description: 'Tax / VAT identification number' }),
  group: Flags.string({ char: 'g', description: 'Customer group code', helpValue: '<code>' }),
  'credit-limit': Flags.string({ description: 'Credit limit, a decimal ≥ 0 with up to 2 decimals', helpValue: '<decimal>' }),
  'payment-terms': Flags.integer({ description: 'Payment terms in days (0–365)', helpValue: '<days>' }),
}

export const addressFlags = {
  'billing-address': Flags.string({
    description: `Billing address, "${ADDRESS_FORMAT}"; repeatable, the first is the default`,
    multiple: true,
    helpValue: '<address>',
  }),
  'shipping-address': Flags.string({
    description: 'Shipping address, same form; repeatable, the first is the default',
    multiple: true,
    helpValue: '<address>',
  }),
}

export function customerFieldsFrom(flags: {
  name?: string; email?: string; phone?: string; 'tax-id'?: string; group?: string; 'credit-limit'?: string; 'payment-terms'?: number
}): CustomerFields {
  return {
    name: flags.name,
    email: flags.email,
    phone: flags.phone,
    taxId: flags['tax-id'],
    group: flags.group,
    creditLimit: flags['credit-limit'],
    paymentTermsDays: flags['payment-terms'],
  }
}

/** --billing-address / --shipping-address texts → addresses; the first of each kind is the default. */
export function addressesFrom(flags: { 'billing-address'?: string[]; 'shipping-address'?: string[] }): AddressInput[] {
  const problems = new Problems()
  const out: AddressInput[] = []
  for (const kind of ['billing', 'shipping'] as const) {
    ;(flags[`${kind}-address`] ?? []).forEach((text, i) => {
      const address = parseAddress(problems, `--${kind}-address`, text, kind)
      if (address) out.push({ ...address, isDefault: i === 0 })
    })
  }
  if (!problems.empty) {
    throw usageError(problems.list.map((p) => `${p.field}: ${p.message}`).join('; '), {
      actions: [`Write an address as "${ADDRESS_FORMAT}"`],
    })
  }
  return out
}

export const CUSTOMER_COLUMNS: Column<Customer>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'email' },
  { key: 'phone' },
  { key: 'group' },
  { key: 'creditLimit', align: 'right' },
  { key: 'paymentTermsDays', align: 'right' },
  { key: 'taxId' },
]

export function formatAddress(a: Address): string {
  const place = [a.postalCode, a.city].filter(Boolean).join(' ')
  return [a.line1, a.line2, place, a.region, a.country].filter(Boolean).join(', ')
}

export function customerRecord(c: CustomerDetail): Record<string, unknown> {
  const addresses = c.addresses
    .map((a) => `#${a.id} ${a.kind}${a.isDefault ? ' (default)' : ''}: ${formatAddress(a)}`)
    .join('\n')
  return {
    code: c.code, id: c.id, name: c.name, email: c.email, phone: c.phone, 'tax id': c.taxId, group: c.group,
    'credit limit': c.creditLimit, 'payment terms': `${c.paymentTermsDays} days`, addresses,
    created: c.createdAt, updated: c.updatedAt, archived: c.archivedAt,
  }
}

export const GROUP_COLUMNS: Column<CustomerGroup>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'discountPercent', align: 'right' },
  { key: 'priceList' },
  { key: 'customers', align: 'right' },
]
