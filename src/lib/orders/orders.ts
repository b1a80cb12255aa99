import type { Knex } from 'knex'

import { distinct, throwIfFailed, type ItemFailure } from '../batch.js'
import { ErpError, conflict, notFound, usageError } from '../errors.js'
import { quote, type QuoteLineInput } from '../pricing/resolve.js'
import { queryRows } from '../db/query-rows.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { Problems, checkDate } from '../validation.js'

/**
 * Sales orders: priced by the one price resolver (overrides recorded with the list price they
 * replaced), then draft → confirmed (stock reserved, credit checked) → partially fulfilled →
 * fulfilled (outgoing moves posted) → closed (everything shipped is invoiced); or cancelled
 * (reservations released). Stock work goes through the stock services; an order's reservations
 * and moves carry the reference SO-<id>.
 */

export const ORDER_STATES = ['draft', 'confirmed', 'partially_fulfilled', 'fulfilled', 'closed', 'cancelled'] as const
export type OrderState = (typeof ORDER_STATES)[number]

export interface OrderLine {
  line: number
  id: string
  sku: string
  description: string
  qty: string
  unitPrice: string
  priceSource: 'list' | 'fallback' | 'override'
  /** The list price an override replaced (null when none was found, or no override). */
  listUnitPrice: string | null
  discount: string
  /** The percent an imported line was given (erp import orders); null when the price resolver discounted it. */
  discountPercent: string | null
  taxRate: string
  net: string
  tax: string
  gross: string
  qtyFulfilled: string
  qtyReturned: string
  qtyInvoiced: string
  qtyCredited: string
}

export interface Order {
  id: string
  reference: string
  /** The order's number in the client's own system (unique in the tenant); null when none was given. */
  externalRef: string | null
  customer: string
  customerName: string
  state: OrderState
  orderDate: string
  currency: string
  priceList: string
  taxInclusive: boolean
  net: string
  tax: string
  gross: string
  note: string | null
  creditOverride: string | null
  createdAt: Date
  confirmedAt: Date | null
  cancelledAt: Date | null
  closedAt: Date | null
}

export interface OrderDetail extends Order {
  lines: OrderLine[]
  reservations: Array<{ sku: string; location: string; lot: string | null; qty: string }>
  /** `at` as an ISO timestamp. */
  moves: Array<{ id: string; at: string; sku: string; from: string; to: string; qty: string; lot: string | null; reason: string; serials: string[] }>
  invoices: Array<{ id: string; number: string | null; kind: string; state: string; gross: string }>
}

export const orderReference = (id: string | number): string => `SO-${id}`

/**
 * The line of an order that a pick names by its number, or by its SKU when the order has one line
 * of it; otherwise a problem on `field`, and undefined.
 */
export function matchOrderLine<L extends { line_no: number; sku: string }>(
  problems: Problems,
  field: string,
  orderId: string,
  lines: L[],
  pick: { line?: number; sku?: string },
): L | undefined {
  const matches = lines.filter((l) => (pick.line !== undefined ? l.line_no === pick.line : l.sku === pick.sku))
  if (matches.length === 1) return matches[0]
  problems.add(field, matches.length === 0 ? `${orderReference(orderId)} has no line ${pick.line ?? pick.sku}` : `${pick.sku} is on several lines: name the line number`)
  return undefined
}

/** How a batch's failures name these orders: SO-12, whatever form each was given in; an unknown ext:REF as ext:REF. */
export async function orderKeys(trx: Knex.Transaction, refs: Array<string | number>): Promise<string[]> {
  const ids = await lookUpOrderRefs(trx, refs)
  return refs.map((ref, i) => ids[i] === undefined ? `${EXTERNAL_REF_PREFIX}${externalRefOf(ref)}` : orderReference(ids[i]!))
}

export function parseOrderRef(ref: string | number): string {
  const text = String(ref).trim()
  const m = /^(?:SO-)?(\d{1,18})$/i.exec(text)
  if (!m) {
    throw usageError(`"${text}" is not an order: give its number (123 or SO-123), or ext:REF for its external reference`, { data: { order: text } })
  }
  return m[1]
}

/** The prefix that names an order by its external reference: ext:PO-4471. */
export const EXTERNAL_REF_PREFIX = 'ext:'

/** The external reference an order name gives (`ext:REF`, the prefix in any case), or undefined for an id. */
export function externalRefOf(ref: string | number): string | undefined {
  const text = String(ref)
  return text.slice(0, EXTERNAL_REF_PREFIX.length).toLowerCase() === EXTERNAL_REF_PREFIX ? text.slice(EXTERNAL_REF_PREFIX.length).trim() : undefined
}

/** An external reference as stored: 1 to 100 characters, no control characters, no spaces around it. */
export function checkExternalRef(problems: Problems, field: string, value: string): string | undefined {
  const text = value.trim()
  if (text === '') problems.add(field, 'an external reference cannot be empty')
  else if (text.length > 100) problems.add(field, `an external reference has at most 100 characters (got ${text.length})`)
  else if (/\p{Cc}/u.test(text)) problems.add(field, 'an external reference cannot hold control characters')
  else return text
  return undefined
}

/**
 * Order names as ids: 123 and SO-123 are ids; ext:REF is the order whose external reference is
 * REF (exact, case-sensitive). A name is either, never both, so it cannot be ambiguous. An
 * unknown external reference is NOT_FOUND; a malformed name a usage error. Other names pass
 * through as their id.
 */
export async function resolveOrderRefs(trx: Knex.Transaction, refs: Array<string | number>): Promise<string[]> {
  const ids = await lookUpOrderRefs(trx, refs)
  const missing = distinct(refs.filter((_, i) => ids[i] === undefined).map((ref) => externalRefOf(ref)!), (r) => r)
  // Each unknown reference fails as an item of its own, so --skip-failing leaves it out and goes on.
  throwIfFailed('orders', refs.map(String), missing.map((r) => ({
    key: `${EXTERNAL_REF_PREFIX}${r}`,
    error: notFound(`No order with external reference ${JSON.stringify(r)}`, {
      actions: ['Search for it with: erp orders list --external-ref <ref>'],
      data: { externalRef: r },
    }),
  })))
  return ids as string[]
}

/** Each ref's order id: ids are parsed (a malformed one is a usage error), ext:REF looked up (undefined when no order has it). */
async function lookUpOrderRefs(trx: Knex.Transaction, refs: Array<string | number>): Promise<Array<string | undefined>> {
  const external = [...new Set(refs.map(externalRefOf).filter((r): r is string => r !== undefined))]
  const ids = new Map<string, string>()
  if (external.length) {
    const rows = await queryRows<{ id: string; external_ref: string }>(
      trx, 'select id::text, external_ref from orders where external_ref = any(?::text[])', [external],
    )
    for (const r of rows) ids.set(r.external_ref, r.id)
  }
  return refs.map((ref) => {
    const external = externalRefOf(ref)
    return external === undefined ? parseOrderRef(ref) : ids.get(external)
  })
}

/** The same inputs with their `order` named by id (see resolveOrderRefs). */
export async function withOrderIds<I extends { order: string | number }>(trx: Knex.Transaction, inputs: I[]): Promise<I[]> {
  const ids = await resolveOrderRefs(trx, inputs.map((i) => i.order))
  return inputs.map((input, k) => ({ ...input, order: ids[k] }))
}

const ORDER_SELECT = `
  select o.id::text, 'SO-' || o.id as reference, o.external_ref as "externalRef", c.code as customer, c.name as "customerName", o.state,
         to_char(o.order_date, 'YYYY-MM-DD') as "orderDate", o.currency, o.price_list as "priceList",
         o.tax_inclusive as "taxInclusive", round(o.net, o.scale)::text as net, round(o.tax, o.scale)::text as tax,
         round(o.gross, o.scale)::text as gross, o.note, o.credit_override as "creditOverride", o.created_at as "createdAt",
         o.confirmed_at as "confirmedAt", o.cancelled_at as "cancelledAt", o.closed_at as "closedAt"
    from orders o join customers c on c.id = o.customer_id`

// ---- create ---------------------------------------------------------------------------------

export interface CreateOrderInput {
  customer: string
  lines: QuoteLineInput[]
  /** YYYY-MM-DD, prices as of this date; today by default. */
  date?: string
  note?: string
  /** The order's number in the client's system: unique in the tenant. */
  externalRef?: string
}

/** Price the lines with the resolver and store a draft order. Nothing is written when anything is wrong. */
export async function createOrder(trx: Knex.Transaction, input: CreateOrderInput): Promise<OrderDetail> {
  const problems = new Problems()
  if (!input.customer || input.customer.trim() === '') problems.add('customer', 'an order needs a customer')
  if (!Array.isArray(input.lines) || input.lines.length === 0) problems.add('lines', 'an order needs at least one line')
  const externalRef = input.externalRef === undefined ? null : checkExternalRef(problems, 'externalRef', input.externalRef)
  problems.throwIfAny('Order not created')
  if (externalRef) await refuseTakenExternalRef(trx, externalRef)
  const priced = await quote(trx, { customer: input.customer, lines: input.lines, date: input.date })

  // What the list would have charged where the price was overridden: recorded beside the override.
  const overridden = input.lines.flatMap((l, i) => (l.unitPriceOverride === undefined ? [] : [i]))
  const listPrices = new Map<number, string>()
  if (overridden.length) {
    try {
      const plain = await quote(trx, { customer: input.customer, date: priced.date, lines: overridden.map((i) => ({ sku: input.lines[i].sku, qty: input.lines[i].qty })) })
      plain.lines.forEach((l, k) => listPrices.set(overridden[k], l.unitPrice))
    } catch (err) {
      if (!(err instanceof ErpError)) throw err
    }
  }

  const rows = await queryRows<{ id: string }>(
    trx,
    `insert into orders (customer_id, order_date, currency, scale, price_list, tax_inclusive, net, tax, gross, note, external_ref)
     select c.id, ?::date, ?, ?, ?, ?, ?, ?, ?, ?, ? from customers c where c.code = ?
     returning id::text`,
    [
      priced.date, priced.currency, priced.rounding.scale, priced.priceList.code, priced.priceList.taxInclusive,
      priced.totals.net, priced.totals.tax, priced.totals.gross, input.note ?? null, externalRef ?? null, input.customer,
    ],
  ).catch((err) => {
    // Another session took the reference between the check and the insert.
    if (sqlStateOf(err) === SqlState.UNIQUE_VIOLATION && externalRef) throw takenExternalRef(externalRef, undefined, err)
    throw err
  })
  const orderId = rows[0].id
  const lines = priced.lines.map((l, i) => ({
    line_no: l.line, product_id: l.productId, sku: l.sku, description: l.name, qty: l.qty, unit_price: l.unitPrice,
    price_source: l.priceSource, list_unit_price: listPrices.get(i) ?? null, discount: l.discountTotal, discount_percent: l.discountPercent,
    tax_rate: l.taxRate, net: l.net, tax: l.tax, gross: l.gross,
  }))
  await trx.raw(
    `insert into order_lines (order_id, line_no, product_id, sku, description, qty, unit_price, price_source, list_unit_price,
                              discount, discount_percent, tax_rate, net, tax, gross)
     select ?, x.line_no, x.product_id, x.sku, x.description, x.qty, x.unit_price, x.price_source, x.list_unit_price,
            x.discount, x.discount_percent, x.tax_rate, x.net, x.tax, x.gross
       from jsonb_to_recordset(?::jsonb) as x(line_no int, product_id bigint, sku text, description text, qty numeric,
            unit_price numeric, price_source text, list_unit_price numeric, discount numeric, discount_percent numeric, tax_rate numeric,
            net numeric, tax numeric, gross numeric)`,
    [orderId, JSON.stringify(lines)],
  )
  return getOrder(trx, orderId)
}

async function refuseTakenExternalRef(trx: Knex.Transaction, externalRef: string): Promise<void> {
  const [taken] = await queryRows<{ id: string }>(trx, 'select id::text from orders where external_ref = ?', [externalRef])
  if (taken) throw takenExternalRef(externalRef, taken.id)
}

function takenExternalRef(externalRef: string, id: string | undefined, cause?: unknown): ErpError {
  return conflict(`External reference "${externalRef}" is already taken${id ? ` by ${orderReference(id)}` : ''}; nothing was created`, {
    actions: [`See that order with: erp orders show ext:${externalRef}`],
    data: { externalRef, order: id ?? null },
    cause,
  })
}

// ---- read -----------------------------------------------------------------------------------

export async function getOrder(trx: Knex.Transaction, ref: string | number): Promise<OrderDetail> {
  const [id] = await resolveOrderRefs(trx, [ref])
  // One round trip: the header, and its lines, reservations, moves and invoices as JSON arrays.
  const [order] = await queryRows<OrderDetail>(
    trx,
    `${ORDER_SELECT.replace('from orders o join customers c on c.id = o.customer_id', '')},
         coalesce((select json_agg(json_build_object(
                    'line', l.line_no, 'id', l.id::text, 'sku', l.sku, 'description', l.description, 'qty', trim_scale(l.qty)::text,
                    'unitPrice', l.unit_price::text, 'priceSource', l.price_source, 'listUnitPrice', l.list_unit_price::text,
                    'discount', round(l.discount, o.scale)::text, 'discountPercent', trim_scale(l.discount_percent)::text, 'taxRate', trim_scale(l.tax_rate)::text,
                    'net', round(l.net, o.scale)::text, 'tax', round(l.tax, o.scale)::text, 'gross', round(l.gross, o.scale)::text,
                    'qtyFulfilled', trim_scale(l.qty_fulfilled)::text, 'qtyReturned', trim_scale(l.qty_returned)::text,
                    'qtyInvoiced', trim_scale(l.qty_invoiced)::text, 'qtyCredited', trim_scale(l.qty_credited)::text) order by l.line_no)
                     from order_lines l where l.order_id = o.id), '[]') as lines,
         coalesce((select json_agg(x order by x.sku, x.location, x.lot)
                     from (select p.sku, l.full_code as location, lo.code as lot, trim_scale(sum(r.qty))::text as qty
                             from reservations r join products p on p.id = r.product_id join locations l on l.id = r.location_id
                             left join lots lo on lo.id = r.lot_id
                            where r.reference = 'SO-' || o.id group by p.sku, l.full_code, lo.code) x), '[]') as reservations,
         coalesce((select json_agg(json_build_object(
                    'id', m.id::text, 'at', m.at, 'sku', p.sku, 'from', f.full_code, 'to', t.full_code, 'qty', trim_scale(m.qty)::text,
                    'lot', lo.code, 'reason', m.reason,
                    'serials', coalesce((select array_agg(s.serial order by s.serial) from stock_move_serials ms join serials s on s.id = ms.serial_id
                                          where ms.move_id = m.id), '{}')) order by m.id)
                     from stock_moves m join products p on p.id = m.product_id
                     join locations f on f.id = m.from_location_id join locations t on t.id = m.to_location_id
                     left join lots lo on lo.id = m.lot_id
                    where m.reference = 'SO-' || o.id), '[]') as moves,
         coalesce((select json_agg(json_build_object('id', i.id::text, 'number', i.number, 'kind', i.kind, 'state', i.state,
                                                     'gross', round(i.gross, i.scale)::text) order by i.id)
                     from invoices i where i.order_id = o.id), '[]') as invoices
       from orders o join customers c on c.id = o.customer_id
      where o.id = ?`,
    [id],
  )
  if (!order) throw notFound(`No order ${orderReference(id)}`, { actions: ['List orders with: erp orders list'], data: { order: id } })
  return order
}

export interface ListOrdersInput {
  state?: OrderState
  customer?: string
  /** Only the order with this external reference (exact). */
  externalRef?: string
  /** YYYY-MM-DD, inclusive. */
  from?: string
  to?: string
  limit?: number
  /** The id of the last order of the previous page (newest first). */
  before?: string
}

export interface OrderPage {
  items: Order[]
  nextCursor: string | null
}

/** A page of orders, newest first (keyset paging on the id). */
export async function listOrders(trx: Knex.Transaction, input: ListOrdersInput = {}): Promise<OrderPage> {
  const limit = input.limit ?? 50
  const problems = new Problems()
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.add('limit', 'must be from 1 to 1000')
  if (input.state !== undefined && !ORDER_STATES.includes(input.state)) problems.add('state', `expected one of ${ORDER_STATES.join(', ')}`)
  for (const key of ['from', 'to'] as const) {
    const v = input[key]
    if (v !== undefined) checkDate(problems, key, v)
  }
  const before = input.before === undefined ? null : parseOrderRef(input.before)
  problems.throwIfAny('Orders not listed')
  if (input.customer !== undefined) {
    const [c] = await queryRows(trx, 'select 1 from customers where code = ?', [input.customer])
    if (!c) throw notFound(`No customer "${input.customer}"`, { actions: ['Look it up with: erp customers list'] })
  }
  const rows = await queryRows<Order>(
    trx,
    `${ORDER_SELECT}
      where (?::text is null or o.state = ?) and (?::text is null or c.code = ?) and (?::text is null or o.external_ref = ?)
        and (?::date is null or o.order_date >= ?::date) and (?::date is null or o.order_date <= ?::date)
        and (?::bigint is null or o.id < ?::bigint)
      order by o.id desc limit ?`,
    [
      input.state ?? null, input.state ?? null, input.customer ?? null, input.customer ?? null,
      input.externalRef?.trim() ?? null, input.externalRef?.trim() ?? null, input.from ?? null, input.from ?? null, input.to ?? null, input.to ?? null, before, before, limit + 1,
    ],
  )
  const more = rows.length > limit
  const items = more ? rows.slice(0, limit) : rows
  return { items, nextCursor: more ? items.at(-1)!.id : null }
}

// ---- state changes --------------------------------------------------------------------------

export interface LockedOrder {
  id: string
  state: OrderState
  customer_id: string
  gross: string
  /** Digits of the order's currency (orders.scale). */
  scale: number
  /** YYYY-MM-DD. */
  order_date: string
}

/** Lock the order row: state changes of one order queue behind each other. */
export async function lockOrder(trx: Knex.Transaction, ref: string | number): Promise<LockedOrder> {
  const { locked, failures } = await lockOrders(trx, [ref])
  if (failures.length) throw failures[0].error
  return locked[0]
}

/**
 * Lock many orders' rows in id order (so parallel batches queue rather than deadlock); the ones
 * that do not exist come back as failures. Order names are checked first (a usage error).
 */
export async function lockOrders(trx: Knex.Transaction, refs: Array<string | number>): Promise<{ locked: LockedOrder[]; failures: ItemFailure[] }> {
  const ids = distinct(await resolveOrderRefs(trx, refs), (id) => id)
  const locked = await queryRows<LockedOrder>(
    trx,
    `select id::text, state, customer_id::text, gross::text, scale, to_char(order_date, 'YYYY-MM-DD') as order_date from orders o where o.id = any(?::bigint[]) order by o.id for update`,
    [ids],
  )
  const found = new Set(locked.map((o) => o.id))
  const failures = ids.filter((id) => !found.has(id)).map((id) => ({
    key: orderReference(id),
    error: notFound(`No order ${orderReference(id)}`, { actions: ['List orders with: erp orders list'], data: { order: id } }),
  }))
  return { locked, failures }
}

export function refuseState(order: { id: string; state: string }, action: string, allowed: readonly string[]): void {
  const refusal = stateRefusal(order, action, allowed)
  if (refusal) throw refusal
}

/** The error for an order not in one of the allowed states (null when it is). */
export function stateRefusal(order: { id: string; state: string }, action: string, allowed: readonly string[]): ErpError | null {
  if (allowed.includes(order.state)) return null
  return conflict(`Cannot ${action} ${orderReference(order.id)}: it is ${order.state.replace('_', ' ')} (only ${allowed.map((s) => s.replace('_', ' ')).join(' or ')} orders can be)`, {
    actions: [`See it with: erp orders show ${order.id}`],
    data: { order: order.id, state: order.state, allowed },
  })
}
