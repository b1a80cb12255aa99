import type { Knex } from 'knex'

import { countryName, isoCountry, isoCurrency } from '../iso-codes.js'
import { createPriceList } from '../pricing/price-lists.js'
import { listTaxRates, setTaxRate, type TaxRate } from '../pricing/taxes.js'
import { setSetting } from '../settings/settings.js'
import { createWarehouse } from '../stock/warehouses.js'
import { Problems, checkDecimal } from '../validation.js'

/**
 * What a new tenant needs before its first sale: a default price list in its currency (products
 * get their prices there), a rate for the tax class products default to (`standard`; `zero`
 * comes with the migrations), a warehouse to receive stock into (orders reserve from stock), and,
 * when given, the seller's country. `erp tenants create` sets it
 * up in the transaction that creates the tenant; clones and restores bring their own data instead.
 */
export interface TradeSetupInput {
  /** ISO 4217; EUR by default. */
  currency?: string
  /** ISO 3166-1 alpha-2; none by default (the company.country setting stays empty). */
  country?: string
  /** Percent for tax class standard; 20 by default. */
  standardTaxRate?: string
}

export const TRADE_DEFAULTS = { currency: 'EUR', standardTaxRate: '20' } as const

/** The code of the price list a new tenant gets: not one an operator is likely to create next. */
export const DEFAULT_PRICE_LIST = 'DEFAULT'
/** The warehouse a new tenant gets, with its default location STOCK: `erp stock receive --location MAIN`. */
export const DEFAULT_WAREHOUSE = 'MAIN'

export interface CheckedTradeSetup {
  currency: string
  country: string | null
  standardTaxRate: string
}

export interface TradeSetup extends CheckedTradeSetup {
  countryName: string | null
  priceList: { code: string; name: string; currency: string; taxInclusive: boolean; isDefault: boolean }
  taxRates: Array<Pick<TaxRate, 'taxClass' | 'rate'>>
  warehouse: { code: string; name: string; defaultLocation: string | null }
}

/** Every bad value at once, before anything is provisioned. */
export function checkTradeSetup(input: TradeSetupInput): CheckedTradeSetup {
  const problems = new Problems()
  const currency = isoCurrency(input.currency ?? TRADE_DEFAULTS.currency)
  if (!currency) problems.add('currency', `"${input.currency}" is not a current ISO 4217 currency code (e.g. EUR, USD, GBP)`)
  const country = input.country === undefined ? null : isoCountry(input.country)
  if (input.country !== undefined && !country) problems.add('country', `"${input.country}" is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE, GB)`)
  const rate = checkDecimal(problems, 'standardTaxRate', input.standardTaxRate ?? TRADE_DEFAULTS.standardTaxRate, {
    precision: 7, scale: 4, nonNegative: true, max: 100,
  })
  problems.throwIfAny('Tenant not created')
  return { currency: currency!, country, standardTaxRate: rate! }
}

/** In the new tenant's scope (its role, its schema), inside the transaction that creates it. */
export async function setUpTrade(trx: Knex.Transaction, setup: CheckedTradeSetup): Promise<TradeSetup> {
  const list = await createPriceList(trx, {
    code: DEFAULT_PRICE_LIST, name: `Default (${setup.currency}, net)`, currency: setup.currency, isDefault: true,
  })
  await setTaxRate(trx, { taxClass: 'standard', rate: setup.standardTaxRate })
  const warehouse = await createWarehouse(trx, { code: DEFAULT_WAREHOUSE, name: 'Main warehouse' })
  if (setup.country) await setSetting(trx, 'company.country', setup.country)
  return {
    ...setup,
    countryName: setup.country ? countryName(setup.country) : null,
    priceList: { code: list.code, name: list.name, currency: list.currency, taxInclusive: list.taxInclusive, isDefault: list.isDefault },
    taxRates: (await listTaxRates(trx)).map(({ taxClass, rate }) => ({ taxClass, rate })),
    warehouse: { code: warehouse.code, name: warehouse.name, defaultLocation: warehouse.defaultLocation },
  }
}
