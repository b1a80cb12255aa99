import type { Knex } from 'knex'

import { usageError } from '../errors.js'
import { queryRows } from '../db/query-rows.js'
import { isCalendarDate, notADate } from '../validation.js'

/**
 * The day a back-dated stock move happened (--date), so that history can be replayed and a late
 * entry recorded on its day. A past day's moves are posted at the start of that day in the
 * server's time zone; today's at the current time, as without --date. A day after today is
 * refused: the ledger records what happened. The command and its --date are in the audit log,
 * with the time the entry was made.
 */
export interface MoveDay {
  /** YYYY-MM-DD. */
  day: string
  /** The timestamptz the moves are posted at, as the server's text. */
  at: string
}

export async function moveDay(trx: Knex.Transaction, value: string | undefined): Promise<MoveDay | undefined> {
  if (value === undefined) return undefined
  const day = value.trim()
  if (!isCalendarDate(day)) throw usageError(`--date: ${notADate(value)}`)
  const [{ at, today }] = await queryRows<{ at: string; today: string }>(
    trx,
    `select (case when ?::date = current_date then now() else ?::date::timestamptz end)::text as at, current_date::text as today`,
    [day, day],
  )
  if (day > today) {
    throw usageError(`Not posted: ${day} is in the future (today is ${today})`, {
      actions: ['A stock move is recorded on the day it happened: give today or an earlier day'],
      data: { date: day, today },
    })
  }
  return { day, at }
}
