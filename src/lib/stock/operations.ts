import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { signedQuantityProblem, splitSign } from './input.js'
import { levelsAt, type StockLevel } from './levels.js'
import { moveDay } from './move-day.js'
import { postMoves, type MoveLine, type PostedMove } from './moves.js'
import { resolveLocations, type LocationRef } from './refs.js'

/**
 * The operator's four ways to post stock (receive, adjust, transfer, scrap): each builds one move
 * between the right locations with the right reason and guard, and answers with the move and the
 * levels it touched.
 */

export interface StockOperationResult {
  moves: PostedMove[]
  /** Levels of the product at the locations the move touched, after it. */
  levels: StockLevel[]
}

interface Common {
  sku: string
  qty: string
  lot?: string
  serials?: string[]
  reference?: string
  note?: string
  createdBy?: string
  /** The day it happened, for a late entry (YYYY-MM-DD, not after today); today by default. */
  date?: string
}

export interface ReceiveInput extends Common {
  /** Where the goods go: WH1 (its default location) or WH1/A-01. */
  location: LocationRef
  expiresOn?: string
}

export function receiveStock(trx: Knex.Transaction, input: ReceiveInput): Promise<StockOperationResult> {
  return post(trx, { ...line(input), from: 'supplier', to: input.location, expiresOn: input.expiresOn, reason: 'receipt' }, 'available', input)
}

export interface AdjustInput extends Common {
  location: LocationRef
  /** Signed: +5 adds stock found, -3 takes out stock lost. */
  qty: string
  expiresOn?: string
}

/** A correction of on-hand: may take reserved stock (the goods are physically not there). */
export function adjustStock(trx: Knex.Transaction, input: AdjustInput): Promise<StockOperationResult> {
  const problem = signedQuantityProblem(input.qty)
  if (problem) throw invalidData(`Refused: ${problem}`, { actions: ['Write --qty=5 to add stock, --qty=-3 to remove it'] })
  const { negative, magnitude } = splitSign(input.qty)
  const move: MoveLine = negative
    ? { ...line(input), qty: magnitude, from: input.location, to: 'adjustment', reason: 'adjustment' }
    : { ...line(input), qty: magnitude, from: 'adjustment', to: input.location, expiresOn: input.expiresOn, reason: 'adjustment' }
  return post(trx, move, 'on_hand', input)
}

export interface TransferInput extends Common {
  from: LocationRef
  to: LocationRef
}

/** Between warehouse locations; stock reserved for documents stays where it is. */
export async function transferStock(trx: Knex.Transaction, input: TransferInput): Promise<StockOperationResult> {
  const locations = await resolveLocations(trx, [input.from, input.to])
  const virtual = [input.from, input.to].filter((ref) => locations.get(ref) && locations.get(ref)!.kind !== 'internal')
  if (virtual.length) {
    throw invalidData(`Refused: a transfer moves stock between warehouse locations, and ${virtual.join(', ')} is not one`, {
      actions: ['Use erp stock receive, adjust or scrap for stock coming in or going out'],
    })
  }
  return post(trx, { ...line(input), from: input.from, to: input.to, reason: 'transfer' }, 'available', input)
}

export interface ScrapInput extends Common {
  location: LocationRef
}

/** Damaged or expired goods out of stock: may take reserved stock, like an adjustment. */
export function scrapStock(trx: Knex.Transaction, input: ScrapInput): Promise<StockOperationResult> {
  return post(trx, { ...line(input), from: input.location, to: 'scrap', reason: 'scrap' }, 'on_hand', input)
}

function line(input: Common): Omit<MoveLine, 'from' | 'to' | 'reason'> {
  return { sku: input.sku, qty: input.qty, lot: input.lot, serials: input.serials, reference: input.reference, note: input.note }
}

async function post(
  trx: Knex.Transaction,
  move: MoveLine,
  guard: 'available' | 'on_hand',
  input: Common,
): Promise<StockOperationResult> {
  const when = await moveDay(trx, input.date)
  const moves = await postMoves(trx, [move], { guard, createdBy: input.createdBy, at: when?.at })
  const keys = moves.flatMap((m) => [m.from, m.to].map((location) => ({ productId: m.productId, location })))
  return { moves, levels: await levelsAt(trx, keys) }
}
