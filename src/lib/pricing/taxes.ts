import type { Knex } from 'knex'

import { transactionNow } from '../db/clock.js'
import { Problems, checkDecimal } from '../validation.js'

export interface TaxRate {
  taxClass: string
  /** Percent, as a decimal string: "20", "5.5". */
  rate: string
  updatedAt: Date
}

/** The class every tenant has: always 0 %. */
export const ZERO_TAX_CLASS = 'zero'
const TAX_CLASS = /^[a-z][a-z0-9_]{0,39}$/

const SELECT = `select tax_class as "taxClass", trim_scale(rate)::text as rate, updated_at as "updatedAt" from tax_rates`

/**
 * Set the rate of a tax class (percent, 0–100, up to 4 decimals). Products name their tax class
 * (`standard` by default); the `zero` class exists in every tenant and stays at 0.
 */
export async function setTaxRate(trx: Knex.Transaction, input: { taxClass: string; rate: string }): Promise<TaxRate> {
  const problems = new Problems()
  const taxClass = input.taxClass.trim()
  if (!TAX_CLASS.test(taxClass)) problems.add('taxClass', `"${input.taxClass}" is not a valid tax class (lowercase letters, digits and _, starting with a letter)`)
  const rate = checkDecimal(problems, 'rate', input.rate, { precision: 7, scale: 4, nonNegative: true, max: 100 })
  if (taxClass === ZERO_TAX_CLASS && rate !== undefined && rate !== '0') problems.add('rate', 'the zero class is always 0')
  problems.throwIfAny(`Tax rate for "${input.taxClass}" was not set`)
  await trx.raw(
    `insert into tax_rates (tax_class, rate) values (?, ?)
     on conflict (tax_class) do update set rate = excluded.rate, updated_at = ?::timestamptz
     where tax_rates.rate is distinct from excluded.rate`,
    [taxClass, rate!, await transactionNow(trx)],
  )
  const { rows } = await trx.raw(`${SELECT} where tax_class = ?`, [taxClass])
  return rows[0]
}

export async function listTaxRates(trx: Knex.Transaction): Promise<TaxRate[]> {
  const { rows } = await trx.raw(`${SELECT} order by tax_class`)
  return rows
}
