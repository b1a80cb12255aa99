import type { Knex } from 'knex'

import { ErpError, ErrorKind, invalidData } from '../errors.js'
import { Decimal } from '../pricing/money.js'
import { isWholeQuantity, quantityProblem } from './input.js'
import { productKey, productLabel, resolveLocations, resolveLots, resolveProducts, resolveWarehouses } from './refs.js'
import { queryRows } from '../db/query-rows.js'

/**
 * Reservations hold stock for documents (orders, transfer requests). A reservation is allocated
 * to concrete level rows, first-expiry-first-out for lots, and adds to their `reserved`; stock
 * is available when on hand and not reserved. Allocation happens in SQL on rows locked in key
 * order, so concurrent reservations never hand out the same unit twice.
 */

export interface ReserveLine {
  sku?: string
  productId?: string
  qty: string
  /** Reserve only in this warehouse (code). */
  warehouse?: string
  /** Reserve only at this location (full code, e.g. WH1/A-01). */
  location?: string
  /** Reserve only this lot. */
  lot?: string
}

export interface ReserveInput {
  /** The document holding the stock, e.g. SO-1001. */
  reference: string
  lines: ReserveLine[]
  createdBy?: string
}

export interface Reservation {
  id: string
  reference: string
  /** 1-based input line the reservation was made for (reserve only). */
  line?: number
  sku: string
  productId: string
  warehouse: string
  location: string
  locationId: string
  lot: string | null
  lotId: string | null
  expiresOn: string | null
  qty: string
  createdAt: Date
}

export interface ReserveShortage {
  line: number
  sku: string
  requested: string
  available: string
}

interface CheckedReserveLine {
  /** Position over all documents' lines: earlier lines are served first. */
  req: number
  reference: string
  line: number
  productId: string
  sku: string
  qty: string
  warehouseId: string | null
  locationId: string | null
  lotId: string | null
}

export interface DocumentShortage extends ReserveShortage {
  reference: string
}

/** Reserve every line, or nothing: the error names the lines short of stock (data.shortages). */
export async function reserve(trx: Knex.Transaction, input: ReserveInput): Promise<Reservation[]> {
  return reserveMany(trx, [input])
}

/**
 * Reserve for many documents at once, every line of every document or nothing, in a few
 * statements whatever their number. Documents are served in the order given (and their lines in
 * order): a line is short when what it asks for is not available after the lines before it. The
 * error names every short line of every document (data.shortages, with the reference).
 */
export async function reserveMany(trx: Knex.Transaction, inputs: ReserveInput[]): Promise<Reservation[]> {
  const lines = await checkReserveLines(trx, inputs)
  if (lines.length === 0) return []

  // Lock every level row any line could draw from, in the ledger's key order.
  const keys = distinctBy(lines, (l) => `${l.productId}:${l.warehouseId}:${l.locationId}:${l.lotId}`)
  const locked = await queryRows<{ id: string }>(
      trx,
    `select s.id
       from stock_levels s
       join locations l on l.id = s.location_id
      where exists (select 1 from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) as k(product_id, warehouse_id, location_id, lot_id)
                     where k.product_id = s.product_id
                       and (k.warehouse_id is null or l.warehouse_id = k.warehouse_id)
                       and (k.location_id is null or s.location_id = k.location_id)
                       and (k.lot_id is null or s.lot_id = k.lot_id))
      order by s.product_id, s.location_id, s.lot_key
      for update of s`,
    [keys.map((l) => l.productId), keys.map((l) => l.warehouseId), keys.map((l) => l.locationId), keys.map((l) => l.lotId)],
  )
  const lockedIds = locked.map((r) => r.id)

  let complete = true
  const supplies: Array<Map<number, string>> = []
  const made: Array<{ req: number; reservation: Reservation }> = []
  const rounds = reserveRounds(lines)
  for (const round of rounds) {
    const outcomes = await queryRows<{ req: number; complete: boolean; supply: string; reservations: Array<Reservation & { createdAt: string }> | null }>(
      trx,
      `with k as (
         select * from unnest(?::int[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::numeric[])
           as k(req, reference, product_id, warehouse_id, location_id, lot_id, qty)
       ), d as (
         -- Each line's place in its product's queue: what the lines before it ask for.
         select k.*, coalesce(sum(k.qty) over (partition by k.product_id order by k.req rows between unbounded preceding and 1 preceding), 0) as before
           from k
       ), f as (
         select distinct product_id, warehouse_id, location_id, lot_id from k
       ), cand as (
         -- The stock each product draws from, soonest expiry first, and what comes before each level row.
         select s.id, s.product_id, s.location_id, s.lot_id, s.on_hand - s.reserved as avail,
                coalesce(sum(s.on_hand - s.reserved) over (partition by s.product_id order by lo.expires_on nulls last, s.location_id, s.id
                                                           rows between unbounded preceding and 1 preceding), 0) as before
           from f
           join stock_levels s on s.product_id = f.product_id
           join locations l on l.id = s.location_id
           left join lots lo on lo.id = s.lot_id
          where s.id = any(?::bigint[])
            and (f.warehouse_id is null or l.warehouse_id = f.warehouse_id)
            and (f.location_id is null or s.location_id = f.location_id)
            and (f.lot_id is null or s.lot_id = f.lot_id)
            and s.on_hand - s.reserved > 0
            and (lo.expires_on is null or lo.expires_on >= current_date)
       ), alloc as materialized (
         -- A line takes the overlap of its queue segment with each level row's segment.
         select d.req, d.reference, c.id, c.product_id, c.location_id, c.lot_id,
                least(d.before + d.qty, c.before + c.avail) - greatest(d.before, c.before) as take,
                nextval(pg_get_serial_sequence('reservations', 'id')) as rid
           from d join cand c on c.product_id = d.product_id
          where least(d.before + d.qty, c.before + c.avail) > greatest(d.before, c.before)
       ), upd as (
         update stock_levels s set reserved = s.reserved + x.take, updated_at = now()
           from (select id, sum(take) as take from alloc group by id) x
          where s.id = x.id and s.on_hand - s.reserved >= x.take
         returning s.id
       ), ins as (
         insert into reservations (id, reference, product_id, location_id, lot_id, qty, created_by)
         overriding system value
         select a.rid, a.reference, a.product_id, a.location_id, a.lot_id, a.take, coalesce(?, session_user)
           from alloc a where a.id in (select id from upd)
       ), made as (
         -- What was inserted, read from alloc (CTE row estimates are poor: no join back to ins).
         select a.req, sum(a.take) as taken,
                json_agg(json_build_object(
                  'id', a.rid::text, 'reference', a.reference, 'sku', p.sku, 'productId', a.product_id::text,
                  'warehouse', w.code, 'location', l.full_code, 'locationId', a.location_id::text,
                  'lot', lo.code, 'lotId', a.lot_id::text, 'expiresOn', to_char(lo.expires_on, 'YYYY-MM-DD'),
                  'qty', trim_scale(a.take)::text, 'createdAt', now())
                  order by lo.expires_on nulls last, l.full_code, lo.code, a.rid) as reservations
           from alloc a join products p on p.id = a.product_id join locations l on l.id = a.location_id
           join warehouses w on w.id = l.warehouse_id left join lots lo on lo.id = a.lot_id
          where a.id in (select id from upd)
          group by a.req
       )
       select d.req, coalesce(m.taken, 0) = d.qty as complete,
              trim_scale(coalesce(sup.total, 0))::text as supply,
              m.reservations
         from d
         left join made m on m.req = d.req
         left join (select product_id, sum(avail) as total from cand group by product_id) sup on sup.product_id = d.product_id
        order by d.req`,
      [
        round.map((l) => l.req), round.map((l) => l.reference), round.map((l) => l.productId), round.map((l) => l.warehouseId),
        round.map((l) => l.locationId), round.map((l) => l.lotId), round.map((l) => l.qty),
        lockedIds, inputs[0]?.createdBy ?? null,
      ],
    )
    supplies.push(new Map(outcomes.map((o) => [o.req, o.supply])))
    for (const outcome of outcomes) {
      const line = lines[outcome.req]
      complete &&= outcome.complete
      made.push(...(outcome.reservations ?? []).map((r) => ({ req: line.req, reservation: { ...r, line: line.line, createdAt: new Date(r.createdAt) } })))
    }
  }

  if (!complete) {
    // What was written is rolled back with the caller's transaction; the error blames documents greedily.
    const shortages = blameShortages(rounds, supplies)
    const references = [...new Set(shortages.map((s) => s.reference))]
    const text = references
      .map((ref) => `${inputs.length > 1 ? `${ref} ` : ''}${shortages.filter((s) => s.reference === ref).map((s) => `line ${s.line} ${s.sku}: ${s.requested} requested, ${s.available} available`).join('; ')}`)
      .join('; ')
    const what = inputs.length > 1 ? `${references.length} of ${inputs.length} documents` : inputs[0].reference
    throw new ErpError(ErrorKind.CONFLICT, `Not enough stock to reserve for ${what}: ${text}`, {
      actions: ['Nothing was reserved. Check availability with: erp stock levels --sku <sku>'],
      data: inputs.length > 1 ? { references, shortages } : { reference: inputs[0].reference, shortages: shortages.map(({ reference: _r, ...s }) => s) },
    })
  }
  return made.sort((a, b) => a.req - b.req).map((m) => m.reservation)
}

/**
 * Which documents to leave out: taken in order, a document is served when each of its lines fits
 * in what its product's stock holds after the documents served before it (per round); otherwise
 * its lines that do not fit are short, with what was left for them. A document short only because
 * of another short one before it is not blamed.
 */
function blameShortages(rounds: CheckedReserveLine[][], supplies: Array<Map<number, string>>): DocumentShortage[] {
  const failed = new Map<string, DocumentShortage[]>()
  rounds.forEach((round, r) => {
    const served = new Map<string, Decimal>()
    const references = [...new Set(round.map((l) => l.reference))]
    for (const reference of references) {
      const own = new Map<string, Decimal>()
      const short: DocumentShortage[] = []
      for (const line of round.filter((l) => l.reference === reference)) {
        const before = (served.get(line.productId) ?? new Decimal(0)).plus(own.get(line.productId) ?? 0)
        const left = Decimal.max(new Decimal(supplies[r].get(line.req) ?? 0).minus(before), 0)
        if (left.lessThan(line.qty)) short.push({ reference, line: line.line, sku: line.sku, requested: line.qty, available: left.toFixed() })
        own.set(line.productId, (own.get(line.productId) ?? new Decimal(0)).plus(line.qty))
      }
      if (short.length) failed.set(reference, [...(failed.get(reference) ?? []), ...short])
      else for (const [product, qty] of own) served.set(product, (served.get(product) ?? new Decimal(0)).plus(qty))
    }
  })
  const order = new Map(rounds.flat().map((l) => [`${l.reference}\n${l.line}`, l.req]))
  return [...failed.values()].flat().sort((a, b) => order.get(`${a.reference}\n${a.line}`)! - order.get(`${b.reference}\n${b.line}`)!)
}

/**
 * Lines are allocated one statement per round. In a round a product draws from one set of level
 * rows (one warehouse/location/lot restriction), so its lines queue over the same stock; a line
 * restricted differently waits for a later round. Orders (no restrictions) are one round.
 */
function reserveRounds(lines: CheckedReserveLine[]): CheckedReserveLine[][] {
  const rounds: Array<{ lines: CheckedReserveLine[]; filters: Map<string, string> }> = []
  const last = new Map<string, number>()
  for (const line of lines) {
    const filter = `${line.warehouseId}:${line.locationId}:${line.lotId}`
    const at = last.get(line.productId)
    let index = at !== undefined && rounds[at].filters.get(line.productId) === filter ? at : -1
    if (index === -1) {
      index = rounds.findIndex((r, i) => i > (at ?? -1) && !r.filters.has(line.productId))
      if (index === -1) index = rounds.push({ lines: [], filters: new Map() }) - 1
    }
    rounds[index].lines.push(line)
    rounds[index].filters.set(line.productId, filter)
    last.set(line.productId, index)
  }
  return rounds.map((r) => r.lines)
}

function distinctBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>()
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item)
  return [...seen.values()]
}

async function checkReserveLines(trx: Knex.Transaction, inputs: ReserveInput[]): Promise<CheckedReserveLine[]> {
  const problems: Array<{ reference?: string; line: number; sku?: string; message: string }> = []
  const all = inputs.flatMap((input) => input.lines.map((l, index) => ({ input, l, line: index + 1 })))
  for (const input of inputs) {
    if (!input.reference || input.reference.trim() === '') problems.push({ line: 0, message: 'a reservation needs a reference (the document holding the stock)' })
  }
  const products = await resolveProducts(trx, all.map((x) => x.l))
  const warehouses = await resolveWarehouses(trx, all.flatMap((x) => (x.l.warehouse ? [x.l.warehouse] : [])))
  const locations = await resolveLocations(trx, all.flatMap((x) => (x.l.location ? [x.l.location] : [])))
  const lotPairs = all.flatMap(({ l }) => {
    const product = products.get(productKey(l))
    return product && l.lot ? [{ productId: product.id, code: l.lot }] : []
  })
  const lots = await resolveLots(trx, lotPairs)
  const checked: CheckedReserveLine[] = []
  for (const { input, l, line } of all) {
    const product = products.get(productKey(l))
    const sku = productLabel(l, product)
    const fail = (message: string) => problems.push({ ...(inputs.length > 1 ? { reference: input.reference } : {}), line, sku, message })
    const before = problems.length
    if (!product) fail(`unknown product ${sku}`)
    const qtyProblem = quantityProblem(String(l.qty ?? ''))
    if (qtyProblem) fail(qtyProblem)
    const warehouse = l.warehouse ? warehouses.get(l.warehouse) : undefined
    if (l.warehouse && !warehouse) fail(`unknown warehouse "${l.warehouse}"`)
    const location = l.location ? locations.get(l.location) : undefined
    if (l.location && !location) fail(`unknown location "${l.location}"`)
    if (location && location.kind !== 'internal') fail(`${location.fullCode} is not a warehouse location`)
    if (location && warehouse && location.warehouseId !== warehouse.id) fail(`${location.fullCode} is not in warehouse ${warehouse.code}`)
    let lotId: string | null = null
    if (product) {
      if (!product.active) fail(`product ${product.sku} is archived or inactive`)
      if (product.tracking === 'serial' && !qtyProblem && !isWholeQuantity(l.qty)) fail(`product ${product.sku} is serial-tracked: whole units only`)
      if (l.lot && product.tracking !== 'lot') fail(`product ${product.sku} is not lot-tracked: it takes no lot`)
      if (l.lot && product.tracking === 'lot') {
        const lot = lots.get(`${product.id}:${l.lot}`)
        if (!lot) fail(`unknown lot ${l.lot} of ${product.sku}`)
        else if (lot.expired) fail(`lot ${l.lot} of ${product.sku} expired on ${lot.expiresOn}`)
        else lotId = lot.id
      }
    }
    if (problems.length === before) {
      checked.push({
        req: checked.length, reference: input.reference, line, productId: product!.id, sku: product!.sku, qty: l.qty.trim(),
        warehouseId: warehouse?.id ?? null, locationId: location?.id ?? null, lotId,
      })
    }
  }
  if (problems.length) {
    const text = problems.map((p) => `${p.reference ? `${p.reference} ` : ''}${p.line ? `line ${p.line}: ` : ''}${p.message}`).join('; ')
    throw invalidData(`Refused: ${text}`, { actions: ['Correct the lines and run again: nothing was reserved.'], data: { problems } })
  }
  return checked
}

export interface ReleaseInput {
  reference: string
  /** Only these products (SKUs); everything the reference holds by default. */
  skus?: string[]
}

/** Give back what a document holds; returns what was released (nothing is not an error). */
export async function release(trx: Knex.Transaction, input: ReleaseInput): Promise<Reservation[]> {
  const skus = input.skus && input.skus.length ? input.skus : null
  const held = await listReservations(trx, { reference: input.reference, skus: skus ?? undefined })
  if (held.length === 0) return []
  const ids = held.map((r) => r.id)
  // Lock the level rows in the ledger's key order, then hand the quantities back in one statement.
  await queryRows(
    trx,
    `select s.id from stock_levels s
      where exists (select 1 from reservations r where r.id = any(?::bigint[])
                     and r.product_id = s.product_id and r.location_id = s.location_id and coalesce(r.lot_id, 0) = s.lot_key)
      order by s.product_id, s.location_id, s.lot_key
      for update`,
    [ids],
  )
  await queryRows(
    trx,
    `with r as (
       delete from reservations where id = any(?::bigint[]) returning product_id, location_id, lot_id, qty
     ), agg as (
       select product_id, location_id, coalesce(lot_id, 0) as lot_key, sum(qty) as qty from r group by 1, 2, 3
     )
     update stock_levels s set reserved = s.reserved - agg.qty, updated_at = now()
       from agg
      where s.product_id = agg.product_id and s.location_id = agg.location_id and s.lot_key = agg.lot_key`,
    [ids],
  )
  return held
}

export interface ReservationQuery {
  reference?: string
  skus?: string[]
  warehouse?: string
  ids?: string[]
  limit?: number
}

export async function listReservations(trx: Knex.Transaction, query: ReservationQuery = {}): Promise<Reservation[]> {
  const rows = await queryRows<Reservation>(
      trx,
    `select r.id, r.reference, p.sku, r.product_id as "productId", w.code as warehouse, l.full_code as location,
            r.location_id as "locationId", lo.code as lot, r.lot_id as "lotId",
            to_char(lo.expires_on, 'YYYY-MM-DD') as "expiresOn", trim_scale(r.qty)::text as qty, r.created_at as "createdAt"
       from reservations r
       join products p on p.id = r.product_id
       join locations l on l.id = r.location_id
       join warehouses w on w.id = l.warehouse_id
       left join lots lo on lo.id = r.lot_id
      where (?::text is null or r.reference = ?)
        and (?::text[] is null or p.sku = any(?::text[]))
        and (?::text is null or w.code = ?)
        and (?::bigint[] is null or r.id = any(?::bigint[]))
      order by r.reference, p.sku, lo.expires_on nulls last, l.full_code, lo.code, r.id
      limit ?::bigint`,
    [
      query.reference ?? null, query.reference ?? null,
      query.skus ?? null, query.skus ?? null,
      query.warehouse ?? null, query.warehouse ?? null,
      query.ids ?? null, query.ids ?? null,
      query.limit ?? null,
    ],
  )
  return rows
}
