import type { Knex } from 'knex'

import { throwIfFailed, type ItemFailure } from '../batch.js'
import { ErpError, ErrorKind, invalidData } from '../errors.js'
import { quantityProblem } from './input.js'
import { postMoves, type MoveLine, type MoveReason, type PostedMove } from './moves.js'
import { productLabel, type LocationRef } from './refs.js'
import { queryRows } from '../db/query-rows.js'

/**
 * Shipping what a document reserved: the reservation is consumed (first-expiry-first-out over
 * the lots and locations it was allocated to) and the outgoing moves are posted, in the caller's
 * transaction, all or nothing. This is how orders fulfil.
 */

export interface FulfilLine {
  sku?: string
  productId?: string
  /** Defaults to everything still reserved for the product (not for serial-tracked products). */
  qty?: string
  /** Serial-tracked products: the units shipped; their locations pick the reservations used. */
  serials?: string[]
}

export interface FulfilInput {
  reference: string
  /** Every reserved product in full when left out. */
  lines?: FulfilLine[]
  /** Where the goods go: the customer by default. */
  to?: LocationRef
  reason?: MoveReason
  note?: string
  createdBy?: string
}

interface Taken {
  location: string
  lot: string | null
  qty: string
}

export interface FulfilOptions {
  /** When the goods left, for a back-dated shipment (move-day.ts); now by default. */
  at?: string
}

export async function fulfilReservations(trx: Knex.Transaction, input: FulfilInput): Promise<PostedMove[]> {
  return fulfilMany(trx, [input])
}

/**
 * Ship for many documents at once, all or nothing, in a few statements whatever their number:
 * their reservations are consumed together and the outgoing moves posted as one batch. The
 * error names every document that cannot be shipped and why.
 */
export async function fulfilMany(trx: Knex.Transaction, inputs: FulfilInput[], options: FulfilOptions = {}): Promise<PostedMove[]> {
  const references = inputs.map((i) => i.reference)
  // Lock the documents' reservations (one fulfilment of a document at a time) and learn what they hold.
  const heldRows = await queryRows<{ reference: string; product_id: string; sku: string; tracking: string }>(
    trx,
    `with locked as (select id, reference, product_id from reservations where reference = any(?::text[]) order by id for update)
     select distinct k.reference, k.product_id::text, p.sku, p.tracking from locked k join products p on p.id = k.product_id
      order by k.reference, p.sku`,
    [references],
  )
  const heldBy = new Map<string, typeof heldRows>()
  for (const row of heldRows) heldBy.set(row.reference, [...(heldBy.get(row.reference) ?? []), row])
  const serialsAt = await serialLocations(trx, inputs.flatMap((input) => (input.lines ?? []).flatMap((line) => {
    const product = (heldBy.get(input.reference) ?? []).find((h) => (line.productId !== undefined ? h.product_id === line.productId : h.sku === line.sku))
    return product?.tracking === 'serial' ? (line.serials ?? []).map((serial) => ({ productId: product.product_id, serial })) : []
  })))

  const failures: ItemFailure[] = []
  const requests: ConsumeRequest[] = []
  const problemsOf = new Map<string, string[]>()
  for (const input of inputs) {
    const held = heldBy.get(input.reference) ?? []
    if (held.length === 0) {
      failures.push({ key: input.reference, error: new ErpError(ErrorKind.NOT_FOUND, `Nothing is reserved for ${input.reference}`, {
        actions: ['Reserve first (erp stock reserve), or post the moves directly'],
        data: { reference: input.reference },
      }) })
      continue
    }
    const serial = held.filter((h) => h.tracking === 'serial').map((h) => h.sku)
    if (!input.lines && serial.length) {
      failures.push({ key: input.reference, error: invalidData(`${input.reference} holds serial-tracked products (${serial.join(', ')}): name the serial numbers shipped`) })
      continue
    }
    const lines: FulfilLine[] = input.lines ?? held.map((h) => ({ productId: h.product_id }))
    const bySku = new Map(held.map((h) => [h.sku, h]))
    const byId = new Map(held.map((h) => [h.product_id, h]))
    const problems: string[] = []
    problemsOf.set(input.reference, problems)
    for (const [index, line] of lines.entries()) {
      const product = line.productId !== undefined ? byId.get(line.productId) : bySku.get(line.sku ?? '')
      const label = `line ${index + 1} (${productLabel(line, product)})`
      if (!product) {
        problems.push(`${label}: nothing reserved for it under ${input.reference}`)
        continue
      }
      if (line.qty !== undefined) {
        const problem = quantityProblem(line.qty)
        if (problem) {
          problems.push(`${label}: ${problem}`)
          continue
        }
      }
      const base = { input, label, productId: product.product_id, sku: product.sku }
      if (product.tracking !== 'serial') {
        requests.push({ ...base, qty: line.qty ?? null, location: null })
        continue
      }
      const serials = line.serials ?? []
      if (serials.length === 0) {
        problems.push(`${label}: serial-tracked, give the serial numbers shipped`)
        continue
      }
      const byLocation = new Map<string | null, string[]>()
      for (const unit of serials) {
        const location = serialsAt.get(`${product.product_id}:${unit}`) ?? null
        byLocation.set(location, [...(byLocation.get(location) ?? []), unit])
      }
      for (const [location, units] of byLocation) {
        if (location === null) problems.push(`${label}: serials not in stock: ${units.join(', ')}`)
        else requests.push({ ...base, qty: String(units.length), location, serials: units })
      }
    }
  }
  const failed = (ref: string) => failures.some((f) => f.key === ref) || (problemsOf.get(ref)?.length ?? 0) > 0
  // The level rows they hold stock on, in the ledger's key order: as late as possible, other batches wait for them.
  await queryRows(
    trx,
    `select s.id from stock_levels s
       join (select distinct product_id, location_id, coalesce(lot_id, 0) as lot_key from reservations where reference = any(?::text[])) r
         on r.product_id = s.product_id and r.location_id = s.location_id and r.lot_key = s.lot_key
      order by s.product_id, s.location_id, s.lot_key
      for update of s`,
    [references],
  )
  const moves: MoveLine[] = []
  for (const { request, taken } of await consume(trx, requests.filter((r) => !failed(r.input.reference)))) {
    const { input } = request
    if (!taken) {
      problemsOf.get(input.reference)!.push(
        request.location
          ? `${request.label}: fewer than ${request.qty} units reserved at ${request.location} for ${input.reference}`
          : `${request.label}: only part of ${request.qty} is reserved for ${input.reference}`,
      )
      continue
    }
    const base = { sku: request.sku, to: input.to ?? 'customer', reason: input.reason ?? 'shipment', reference: input.reference, note: input.note }
    if (request.serials) moves.push({ ...base, from: request.location!, qty: request.qty!, serials: request.serials })
    else for (const t of taken) moves.push({ ...base, from: t.location, qty: t.qty, lot: t.lot ?? undefined })
  }
  for (const [reference, problems] of problemsOf) {
    if (problems.length === 0) continue
    failures.push({ key: reference, error: invalidData(`Cannot fulfil ${reference}: ${problems.join('; ')}`, {
      actions: ['Nothing was shipped. See what is reserved with: erp stock reservations --reference <ref>'],
      data: { reference, problems },
    }) })
  }
  throwIfFailed('documents', references, failures)
  return postMoves(trx, moves, { guard: 'available', createdBy: inputs[0]?.createdBy, at: options.at })
}

interface ConsumeRequest {
  input: FulfilInput
  label: string
  productId: string
  sku: string
  /** null: everything reserved for the product. */
  qty: string | null
  /** Only reservations at this location (serial numbers are where they are). */
  location: string | null
  serials?: string[]
}

/** Where each named unit is now (null: unknown or not in stock), for many products' serials in one query. */
async function serialLocations(trx: Knex.Transaction, units: Array<{ productId: string; serial: string }>): Promise<Map<string, string | null>> {
  if (units.length === 0) return new Map()
  const rows = await queryRows<{ product_id: string; serial: string; location: string | null }>(
    trx,
    `select k.product_id::text, k.serial, l.full_code as location
       from unnest(?::bigint[], ?::text[]) as k(product_id, serial)
       left join serials s on s.product_id = k.product_id and s.serial = k.serial
       left join locations l on l.id = s.location_id`,
    [units.map((u) => u.productId), units.map((u) => u.serial)],
  )
  return new Map(rows.map((r) => [`${r.product_id}:${r.serial}`, r.location]))
}

/**
 * Take the requested quantities (all when null) off the documents' reservations, soonest expiry
 * first, and hand them back to the levels' `reserved`: one statement per round of requests, a
 * round holding one request per document and product (a reservation row is changed once per
 * statement), so shipping whole documents is one statement. A request comes back without
 * `taken` when not enough is reserved for it.
 */
async function consume(trx: Knex.Transaction, requests: ConsumeRequest[]): Promise<Array<{ request: ConsumeRequest; taken?: Taken[] }>> {
  const rounds: Array<{ keys: Set<string>; items: Array<{ index: number; request: ConsumeRequest }> }> = []
  requests.forEach((request, index) => {
    const key = `${request.input.reference}\n${request.productId}`
    let round = rounds.find((r) => !r.keys.has(key))
    if (!round) rounds.push((round = { keys: new Set(), items: [] }))
    round.keys.add(key)
    round.items.push({ index, request })
  })
  const results: Array<{ request: ConsumeRequest; taken?: Taken[] }> = requests.map((request) => ({ request }))
  for (const { items: round } of rounds) {
    const rows = await queryRows<{ req: number; complete: boolean; taken: Taken[] }>(
      trx,
      `with k as (
         select * from unnest(?::int[], ?::text[], ?::bigint[], ?::numeric[], ?::text[]) as k(req, reference, product_id, qty, location)
       ), cand as (
         select k.req, k.qty as wanted, r.id, r.qty, r.product_id, r.location_id, r.lot_id, lo.expires_on
           from k
           join reservations r on r.reference = k.reference and r.product_id = k.product_id
           join locations l on l.id = r.location_id
           left join lots lo on lo.id = r.lot_id
          where k.location is null or l.full_code = k.location
       ), alloc as (
         select req, id, qty, product_id, location_id, lot_id,
                case when wanted is null then qty
                     else least(qty, wanted - coalesce(sum(qty) over (
                            partition by req order by expires_on nulls last, id rows between unbounded preceding and 1 preceding), 0)) end as take
           from cand
       ), gone as (
         delete from reservations r using alloc a where r.id = a.id and a.take >= a.qty returning r.id
       ), cut as (
         update reservations r set qty = r.qty - a.take from alloc a where r.id = a.id and a.take > 0 and a.take < a.qty returning r.id
       ), agg as (
         select req, product_id, location_id, lot_id, sum(take) as take from alloc where take > 0 group by 1, 2, 3, 4
       ), lv as (
         update stock_levels s set reserved = s.reserved - x.take, updated_at = now()
           from (select product_id, location_id, coalesce(lot_id, 0) as lot_key, sum(take) as take from agg group by 1, 2, 3) x
          where s.product_id = x.product_id and s.location_id = x.location_id and s.lot_key = x.lot_key
         returning s.id
       ), per as (
         select a.req, sum(a.take) as take,
                json_agg(json_build_object('location', l.full_code, 'lot', lo.code, 'qty', trim_scale(a.take)::text) order by l.full_code, lo.code) as taken
           from agg a join locations l on l.id = a.location_id left join lots lo on lo.id = a.lot_id
          group by a.req
       )
       select k.req, p.req is not null and (k.qty is null or p.take = k.qty) as complete, coalesce(p.taken, '[]') as taken
         from k left join per p on p.req = k.req
        order by k.req`,
      [
        round.map((x) => x.index), round.map((x) => x.request.input.reference), round.map((x) => x.request.productId),
        round.map((x) => x.request.qty), round.map((x) => x.request.location),
      ],
    )
    for (const row of rows) if (row.complete) results[row.req].taken = row.taken
  }
  return results
}
