import type { Knex } from 'knex'

import { transactionNow } from '../db/clock.js'
import { allowNegativeStock } from './refs.js'

/** The tenant's stock settings, kept in the shared settings table under stock.* keys. */
export interface StockSettings {
  /** Moves may take on-hand below zero (stock.allow_negative); off by default. */
  allowNegative: boolean
}

export async function getStockSettings(trx: Knex.Transaction): Promise<StockSettings> {
  return { allowNegative: await allowNegativeStock(trx) }
}

export async function updateStockSettings(trx: Knex.Transaction, changes: Partial<StockSettings>): Promise<StockSettings> {
  if (changes.allowNegative !== undefined) {
    await trx.raw(
      `insert into settings (key, value) values ('stock.allow_negative', ?::jsonb)
       on conflict (key) do update set value = excluded.value, updated_at = ?::timestamptz`,
      [JSON.stringify(changes.allowNegative), await transactionNow(trx)],
    )
  }
  return getStockSettings(trx)
}
