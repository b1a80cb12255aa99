import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../cli/errors.js'
import { quantityProblem } from './input.js'
import { postMoves, type MoveLine, type MoveReason, type PostedMove } from './moves.js'
import { productLabel, type LocationRef } from './refs.js'
import { queryRows } from './sql.js'

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

export async function fulfilReservations(trx: Knex.Transaction, input: FulfilInput): Promise<PostedMove[]> {
  // Lock the document's reservations (one fulfilment at a time) and learn what it holds.
  const held = await queryRows<{ product_id: string; sku: string; tracking: string }>(
    trx,
    `with locked as (select id, product_id from reservations where reference = ? order by id for update)
     select distinct k.product_id, p.sku, p.tracking from locked k join products p on p.id = k.product_id order by p.sku`,
    [input.reference],
  )
  if (held.length === 0) {
    throw new ErpError(ErrorKind.NOT_FOUND, `Nothing is reserved for ${input.reference}`, {
      actions: ['Reserve first (erp stock reserve), or post the moves directly'],
      data: { reference: input.reference },
    })
  }
  const lines = input.lines ?? wholeReference(input.reference, held)
  const bySku = new Map(held.map((h) => [h.sku, h]))
  const byId = new Map(held.map((h) => [h.product_id, h]))
  const problems: string[] = []
  const requests: ConsumeRequest[] = []
  for (const [index, line] of lines.entries()) {
    const label = `line ${index + 1} (${productLabel(line)})`
    const product = line.productId !== undefined ? byId.get(line.productId) : bySku.get(line.sku ?? '')
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
    if (product.tracking !== 'serial') {
      requests.push({ label, productId: product.product_id, sku: product.sku, qty: line.qty ?? null, location: null })
      continue
    }
    const serials = line.serials ?? []
    if (serials.length === 0) {
      problems.push(`${label}: serial-tracked, give the serial numbers shipped`)
      continue
    }
    for (const [location, units] of await serialLocations(trx, product.product_id, serials)) {
      if (location === null) problems.push(`${label}: serials not in stock: ${units.join(', ')}`)
      else requests.push({ label, productId: product.product_id, sku: product.sku, qty: String(units.length), location, serials: units })
    }
  }
  const moves: MoveLine[] = []
  if (problems.length === 0) {
    for (const { request, taken } of await consume(trx, input.reference, requests)) {
      if (!taken) {
        problems.push(
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
  }
  if (problems.length) {
    throw invalidData(`Cannot fulfil ${input.reference}: ${problems.join('; ')}`, {
      actions: ['Nothing was shipped. See what is reserved with: erp stock reservations --reference <ref>'],
      data: { reference: input.reference, problems },
    })
  }
  return postMoves(trx, moves, { guard: 'available', createdBy: input.createdBy })
}

interface ConsumeRequest {
  label: string
  productId: string
  sku: string
  /** null: everything reserved for the product. */
  qty: string | null
  /** Only reservations at this location (serial numbers are where they are). */
  location: string | null
  serials?: string[]
}

function wholeReference(reference: string, held: Array<{ product_id: string; sku: string; tracking: string }>): FulfilLine[] {
  const serial = held.filter((h) => h.tracking === 'serial').map((h) => h.sku)
  if (serial.length) {
    throw invalidData(`${reference} holds serial-tracked products (${serial.join(', ')}): name the serial numbers shipped`)
  }
  return held.map((h) => ({ productId: h.product_id }))
}

async function serialLocations(trx: Knex.Transaction, productId: string, serials: string[]): Promise<Map<string | null, string[]>> {
  const rows = await queryRows<{ serial: string; location: string | null }>(
    trx,
    `select k.serial, l.full_code as location
       from unnest(?::text[]) as k(serial)
       left join serials s on s.product_id = ? and s.serial = k.serial
       left join locations l on l.id = s.location_id`,
    [serials, productId],
  )
  const map = new Map<string | null, string[]>()
  for (const row of rows) map.set(row.location, [...(map.get(row.location) ?? []), row.serial])
  return map
}

/**
 * Take the requested quantities (all when null) off the reference's reservations, soonest expiry
 * first, and hand them back to the levels' `reserved`: one statement per round of requests for
 * distinct products (a reservation row is changed once per statement). A request comes back
 * without `taken` when not enough is reserved for it.
 */
async function consume(
  trx: Knex.Transaction,
  reference: string,
  requests: ConsumeRequest[],
): Promise<Array<{ request: ConsumeRequest; taken?: Taken[] }>> {
  const rounds: Array<Array<{ index: number; request: ConsumeRequest }>> = []
  requests.forEach((request, index) => {
    const round = rounds.find((r) => !r.some((x) => x.request.productId === request.productId))
    if (round) round.push({ index, request })
    else rounds.push([{ index, request }])
  })
  const results: Array<{ request: ConsumeRequest; taken?: Taken[] }> = requests.map((request) => ({ request }))
  for (const round of rounds) {
    const rows = await queryRows<{ req: number; complete: boolean; taken: Taken[] }>(
      trx,
      `with k as (
         select * from unnest(?::int[], ?::bigint[], ?::numeric[], ?::text[]) as k(req, product_id, qty, location)
       ), cand as (
         select k.req, k.qty as wanted, r.id, r.qty, r.product_id, r.location_id, r.lot_id, lo.expires_on
           from k
           join reservations r on r.reference = ? and r.product_id = k.product_id
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
       )
       select k.req,
              exists (select 1 from agg a where a.req = k.req)
                and (k.qty is null or coalesce((select sum(a.take) from agg a where a.req = k.req), 0) = k.qty) as complete,
              coalesce((select json_agg(json_build_object('location', l.full_code, 'lot', lo.code, 'qty', trim_scale(a.take)::text)
                                        order by l.full_code, lo.code)
                          from agg a join locations l on l.id = a.location_id left join lots lo on lo.id = a.lot_id
                         where a.req = k.req), '[]') as taken
         from k order by k.req`,
      [
        round.map((x) => x.index), round.map((x) => x.request.productId), round.map((x) => x.request.qty),
        round.map((x) => x.request.location), reference,
      ],
    )
    for (const row of rows) if (row.complete) results[row.req].taken = row.taken
  }
  return results
}
