import type { Knex } from 'knex'

import { ErpError, ErrorKind, conflict, invalidData } from '../errors.js'
import { transactionNow } from '../db/clock.js'
import { dayProblem, duplicatesOf, isWholeQuantity, quantityProblem } from './input.js'
import { applyBatchToLevels, newBatch, type LevelShortage, type StockGuard } from './ledger.js'
import {
  ALLOW_NEGATIVE_SQL, productKey, productLabel, resolveLocations, resolveLots, resolveProducts,
  type LocationRef, type ResolvedLocation, type ResolvedLot, type ResolvedProduct,
} from './refs.js'
import { queryRows } from '../db/query-rows.js'

export const MOVE_REASONS = ['receipt', 'shipment', 'return', 'transfer', 'adjustment', 'count', 'scrap'] as const
export type MoveReason = (typeof MOVE_REASONS)[number]

/** One move to post: a quantity of a product from one location to another. */
export interface MoveLine {
  sku?: string
  productId?: string
  from: LocationRef
  to: LocationRef
  /** Positive decimal string. */
  qty: string
  /** Lot code: required for lot-tracked products, refused for others. */
  lot?: string
  /** Expiry (YYYY-MM-DD) of a lot this move brings into stock for the first time. */
  expiresOn?: string
  /** Serial numbers of a serial-tracked product: as many as the quantity, whole units. */
  serials?: string[]
  reason: MoveReason
  reference?: string
  note?: string
}

export interface PostMovesOptions {
  /**
   * 'available' (the default): a move may not take stock reserved for documents; release the
   * reservation in the same transaction first. 'on_hand': physical corrections (adjustments,
   * scrap, counts) may, as long as on-hand stays at or above zero.
   */
  guard?: StockGuard
  /** Reference for lines that carry none. */
  reference?: string
  createdBy?: string
  /** When the moves happened, for back-dated ones (move-day.ts); now by default. */
  at?: string
}

export interface PostedMove {
  id: string
  batch: string
  /** 1-based position of the line in the input. */
  line: number
  at: Date
  sku: string
  productId: string
  from: string
  to: string
  qty: string
  lot: string | null
  expiresOn: string | null
  serials: string[]
  reason: MoveReason
  reference: string | null
  note: string | null
}

export interface MoveProblem {
  line: number
  sku?: string
  message: string
}

interface CheckedLine {
  line: number
  input: MoveLine
  product: ResolvedProduct
  from: ResolvedLocation
  to: ResolvedLocation
  qty: string
  serials: string[]
  lotCode: string | null
  lot?: ResolvedLot
}

/**
 * Post moves: all of them or none. Every line is checked first and every problem reported at
 * once (exit 65); then the moves are appended to the ledger, the level cache follows in one
 * statement, and if that leaves any level short the whole batch is refused with the shortages
 * named (a CONFLICT, data.shortages). Serial numbers move in the same transaction, guarded by
 * their current location, so two operators cannot move one unit twice.
 */
export async function postMoves(trx: Knex.Transaction, lines: MoveLine[], options: PostMovesOptions = {}): Promise<PostedMove[]> {
  if (lines.length === 0) return []
  const checked = await checkLines(trx, lines)
  await createMissingLots(trx, checked)
  const batch = newBatch()
  // Move ids drawn first, so that each line knows its move (serial numbers link to it).
  const [{ ids: drawn, allow_negative: allowNegative }] = await queryRows<{ ids: string[]; allow_negative: boolean }>(
    trx,
    `select array(select nextval(pg_get_serial_sequence('stock_moves', 'id'))::text from generate_series(1, ?::int)) as ids,
            ${ALLOW_NEGATIVE_SQL} as allow_negative`,
    [checked.length],
  )
  const ids = drawn.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
  const inserted = await queryRows<{ id: string; at: Date }>(
      trx,
    `insert into stock_moves (id, at, batch, product_id, from_location_id, to_location_id, qty, lot_id, reason, reference, note, created_by)
     overriding system value
     select t.id, ?::timestamptz, ?::uuid, t.product_id, t.from_id, t.to_id, t.qty, t.lot_id, t.reason, t.reference, t.note, coalesce(?, session_user)
       from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::numeric[], ?::bigint[], ?::text[], ?::text[], ?::text[])
         as t(id, product_id, from_id, to_id, qty, lot_id, reason, reference, note)
     returning id, at`,
    [
      options.at ?? await transactionNow(trx),
      batch,
      options.createdBy ?? null,
      ids,
      checked.map((c) => c.product.id),
      checked.map((c) => c.from.id),
      checked.map((c) => c.to.id),
      checked.map((c) => c.qty),
      checked.map((c) => c.lot?.id ?? null),
      checked.map((c) => c.input.reason),
      checked.map((c) => c.input.reference ?? options.reference ?? null),
      checked.map((c) => c.input.note ?? null),
    ],
  )

  const shortages = await applyBatchToLevels(trx, batch, { guard: options.guard ?? 'available', allowNegative })
  if (shortages.length > 0) throw shortageError(shortages, checked)

  await moveSerials(trx, checked, ids)

  const at = inserted[0]?.at
  return checked.map((c, i) => ({
    id: ids[i],
    batch,
    line: c.line,
    at,
    sku: c.product.sku,
    productId: c.product.id,
    from: c.from.fullCode,
    to: c.to.fullCode,
    qty: c.qty,
    lot: c.lot?.code ?? null,
    expiresOn: c.lot?.expiresOn ?? null,
    serials: c.serials,
    reason: c.input.reason,
    reference: c.input.reference ?? options.reference ?? null,
    note: c.input.note ?? null,
  }))
}

function shortageError(shortages: LevelShortage[], checked: CheckedLine[]): ErpError {
  const described = shortages.map((s) => {
    const lines = checked
      .filter((c) => c.product.id === s.productId && (c.from.id === s.locationId) && (c.lot?.id ?? null) === s.lotId)
      .map((c) => c.line)
    return { ...s, lines }
  })
  const text = described
    .map((s) => `${s.sku}${s.lot ? ` lot ${s.lot}` : ''} at ${s.location}: ${s.requested} requested, ${s.available} available`)
    .join('; ')
  return new ErpError(ErrorKind.CONFLICT, `Not enough stock: ${text}`, {
    actions: [
      'Check the levels with: erp stock levels --sku <sku>',
      'Reserved stock is not available: release the reservation first (erp stock release --reference …)',
      'A tenant may allow negative stock: erp stock settings --allow-negative',
    ],
    data: { shortages: described },
  })
}

/** Check every line against products, locations, lots and serials; report all problems at once. */
async function checkLines(trx: Knex.Transaction, lines: MoveLine[]): Promise<CheckedLine[]> {
  const problems: MoveProblem[] = []
  const products = await resolveProducts(trx, lines)
  const locations = await resolveLocations(trx, lines.flatMap((l) => [l.from, l.to]))
  const checked: CheckedLine[] = []

  lines.forEach((input, index) => {
    const line = index + 1
    const product = products.get(productKey(input))
    const sku = productLabel(input, product)
    const fail = (message: string) => problems.push({ line, sku, message })
    const before = problems.length
    const from = locations.get(input.from)
    const to = locations.get(input.to)
    if (input.sku === undefined && input.productId === undefined) fail('no product given')
    else if (!product) fail(`unknown product ${sku}`)
    if (!from) fail(`unknown location "${input.from}"`)
    if (!to) fail(`unknown location "${input.to}"`)
    if (!(MOVE_REASONS as readonly string[]).includes(input.reason)) fail(`unknown reason "${input.reason}"`)
    const qtyProblem = quantityProblem(String(input.qty ?? ''))
    if (qtyProblem) fail(qtyProblem)
    if (from && to) {
      if (from.id === to.id) fail(`from and to are the same location (${from.fullCode})`)
      else if (from.kind !== 'internal' && to.kind !== 'internal') fail(`a move needs a warehouse location on one side (${from.fullCode} → ${to.fullCode})`)
      if (to.kind === 'internal' && (!to.active || to.warehouseActive === false)) {
        fail(`location ${to.fullCode} is inactive and cannot receive stock`)
      }
    }
    const serials = (input.serials ?? []).map((s) => s.trim())
    if (product) {
      if (from?.kind === 'supplier' && !product.active) fail(`product ${product.sku} is archived or inactive and cannot be received`)
      if (product.tracking === 'lot' && !input.lot) fail(`product ${product.sku} is lot-tracked: give a lot`)
      if (product.tracking !== 'lot' && input.lot) fail(`product ${product.sku} is not lot-tracked: it takes no lot`)
      if (product.tracking !== 'lot' && input.expiresOn) fail(`product ${product.sku} is not lot-tracked: it takes no expiry date`)
      if (product.tracking === 'serial') {
        if (!qtyProblem && !isWholeQuantity(input.qty)) fail(`product ${product.sku} is serial-tracked: quantities are whole units`)
        else if (!qtyProblem && serials.length !== Number(input.qty)) {
          fail(`product ${product.sku} is serial-tracked: ${input.qty} units need ${input.qty} serial numbers, ${serials.length} given`)
        }
        if (serials.some((s) => s === '')) fail('empty serial number')
        const repeated = duplicatesOf(serials)
        if (repeated.length) fail(`duplicate serial numbers: ${repeated.join(', ')}`)
      } else if (serials.length) {
        fail(`product ${product.sku} is not serial-tracked: it takes no serial numbers`)
      }
    }
    if (input.expiresOn) {
      const problem = dayProblem(input.expiresOn, 'expiry')
      if (problem) fail(problem)
    }
    if (input.lot !== undefined && input.lot.trim() === '') fail('empty lot code')
    if (problems.length === before) {
      checked.push({ line, input, product: product!, from: from!, to: to!, qty: input.qty.trim(), serials, lotCode: input.lot?.trim() ?? null })
    }
  })

  // The same serial in two lines of one batch would move one unit twice.
  const serialOwners = new Map<string, number>()
  for (const c of checked) {
    for (const serial of c.serials) {
      const key = `${c.product.id}:${serial}`
      const first = serialOwners.get(key)
      if (first !== undefined) problems.push({ line: c.line, sku: c.product.sku, message: `serial ${serial} is also on line ${first}` })
      else serialOwners.set(key, c.line)
    }
  }

  await checkLots(trx, checked, problems)
  await checkSerials(trx, checked, problems)

  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line)
    const shown = problems.slice(0, 10).map((p) => (lines.length > 1 ? `line ${p.line}: ${p.message}` : p.message))
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : ''
    throw invalidData(`${problems.length === 1 ? 'Refused' : `${problems.length} problems`}: ${shown.join('; ')}${more}`, {
      actions: ['Correct the input and run again: nothing was posted.'],
      data: { problems },
    })
  }
  return checked
}

async function checkLots(trx: Knex.Transaction, checked: CheckedLine[], problems: MoveProblem[]): Promise<void> {
  const withLot = checked.filter((c) => c.lotCode !== null)
  const lots = await resolveLots(trx, withLot.map((c) => ({ productId: c.product.id, code: c.lotCode! })))
  const today = new Date().toISOString().slice(0, 10)
  for (const c of withLot) {
    const fail = (message: string) => problems.push({ line: c.line, sku: c.product.sku, message })
    const lot = lots.get(`${c.product.id}:${c.lotCode}`)
    const label = `lot ${c.lotCode} of ${c.product.sku}`
    if (lot) {
      c.lot = lot
      if (c.input.expiresOn && lot.expiresOn !== c.input.expiresOn) {
        fail(`${label} already exists with expiry ${lot.expiresOn ?? 'none'}, not ${c.input.expiresOn}`)
      }
      if (lot.expired && c.to.kind === 'customer') fail(`${label} expired on ${lot.expiresOn}: expired stock is not shipped`)
      if (lot.expired && c.from.kind === 'supplier') fail(`${label} expired on ${lot.expiresOn}: expired goods are not received`)
    } else if (c.from.kind === 'internal') {
      fail(`unknown ${label}`)
    } else if (c.input.expiresOn && c.input.expiresOn < today && c.from.kind === 'supplier') {
      fail(`${label} expired on ${c.input.expiresOn}: expired goods are not received`)
    }
  }
}

async function checkSerials(trx: Knex.Transaction, checked: CheckedLine[], problems: MoveProblem[]): Promise<void> {
  const pairs = checked.flatMap((c) => c.serials.map((serial) => ({ c, serial })))
  if (pairs.length === 0) return
  const rows = await queryRows<{ product_id: string; serial: string; location_id: string | null; location: string | null }>(
      trx,
    `select s.product_id, s.serial, s.location_id, l.full_code as location
       from serials s
       join unnest(?::bigint[], ?::text[]) as k(product_id, serial) on k.product_id = s.product_id and k.serial = s.serial
       left join locations l on l.id = s.location_id`,
    [pairs.map((p) => p.c.product.id), pairs.map((p) => p.serial)],
  )
  const known = new Map(rows.map((r) => [`${r.product_id}:${r.serial}`, r]))
  for (const { c, serial } of pairs) {
    const fail = (message: string) => problems.push({ line: c.line, sku: c.product.sku, message })
    const found = known.get(`${c.product.id}:${serial}`)
    if (c.from.kind === 'internal') {
      if (!found) fail(`unknown serial ${serial} of ${c.product.sku}`)
      else if (found.location_id === null) fail(`serial ${serial} of ${c.product.sku} is not in stock`)
      else if (found.location_id !== c.from.id) fail(`serial ${serial} of ${c.product.sku} is at ${found.location}, not ${c.from.fullCode}`)
    } else if (found?.location_id) {
      fail(`serial ${serial} of ${c.product.sku} is already in stock at ${found.location}`)
    }
  }
}

/** Lots that receipts and adjustments bring into stock for the first time. */
async function createMissingLots(trx: Knex.Transaction, checked: CheckedLine[]): Promise<void> {
  const missing = checked.filter((c) => c.lotCode !== null && !c.lot)
  if (missing.length === 0) return
  await queryRows(
    trx,
    `insert into lots (product_id, code, expires_on)
     select product_id, code, expires_on from unnest(?::bigint[], ?::text[], ?::date[]) as t(product_id, code, expires_on)
     order by product_id, code
     on conflict (product_id, code) do nothing`,
    [missing.map((c) => c.product.id), missing.map((c) => c.lotCode), missing.map((c) => c.input.expiresOn ?? null)],
  )
  const lots = await resolveLots(trx, missing.map((c) => ({ productId: c.product.id, code: c.lotCode! })))
  for (const c of missing) c.lot = lots.get(`${c.product.id}:${c.lotCode}`)
}

/**
 * Serial numbers follow their moves: out of a location only if they are there now, into stock
 * only if they are not in stock anywhere. The guards sit in the statements, so a unit moved by
 * someone else since the checks is refused here.
 */
async function moveSerials(trx: Knex.Transaction, checked: CheckedLine[], ids: string[]): Promise<void> {
  const units = checked.flatMap((c, i) =>
    c.serials.map((serial) => ({
      moveId: ids[i],
      productId: c.product.id,
      serial,
      fromId: c.from.kind === 'internal' ? c.from.id : null,
      toId: c.to.kind === 'internal' ? c.to.id : null,
      sku: c.product.sku,
    })),
  )
  if (units.length === 0) return
  const outOf = units.filter((u) => u.fromId !== null)
  const into = units.filter((u) => u.fromId === null)
  const moved: Array<{ product_id: string; serial: string }> = []
  if (outOf.length) {
    const rows = await queryRows<any>(
      trx,
      `with want as (
         select * from unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[]) as t(move_id, product_id, serial, from_id, to_id)
       ), upd as (
         update serials s set location_id = w.to_id, updated_at = now()
           from want w
          where s.product_id = w.product_id and s.serial = w.serial and s.location_id = w.from_id
         returning s.id, s.product_id, s.serial, w.move_id
       ), link as (
         insert into stock_move_serials (move_id, serial_id) select move_id, id from upd
       )
       select product_id, serial from upd`,
      [outOf.map((u) => u.moveId), outOf.map((u) => u.productId), outOf.map((u) => u.serial), outOf.map((u) => u.fromId), outOf.map((u) => u.toId)],
    )
    moved.push(...rows)
  }
  if (into.length) {
    const rows = await queryRows<any>(
      trx,
      `with want as (
         select * from unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[]) as t(move_id, product_id, serial, to_id)
       ), up as (
         insert into serials as s (product_id, serial, location_id)
         select product_id, serial, to_id from want order by product_id, serial
         on conflict (product_id, serial) do update set location_id = excluded.location_id, updated_at = ?::timestamptz
           where s.location_id is null
         returning s.id, s.product_id, s.serial
       ), link as (
         insert into stock_move_serials (move_id, serial_id)
         select w.move_id, up.id from up join want w on w.product_id = up.product_id and w.serial = up.serial
       )
       select product_id, serial from up`,
      [into.map((u) => u.moveId), into.map((u) => u.productId), into.map((u) => u.serial), into.map((u) => u.toId), await transactionNow(trx)],
    )
    moved.push(...rows)
  }
  const done = new Set(moved.map((m) => `${m.product_id}:${m.serial}`))
  const lost = units.filter((u) => !done.has(`${u.productId}:${u.serial}`))
  if (lost.length) {
    throw conflict(`Serial numbers moved by someone else meanwhile: ${lost.map((u) => `${u.sku} ${u.serial}`).join(', ')}`, {
      actions: ['Look them up with: erp stock serials --serial <serial>, then run again'],
      data: { serials: lost.map((u) => ({ sku: u.sku, serial: u.serial })) },
    })
  }
}
