import { readFile } from 'node:fs/promises'

import { Flags } from '@oclif/core'

import { ErpError, ErrorKind, usageError } from '../../errors.js'
import type { Column } from '../render.js'
import type { Invoice, InvoiceLine } from '../../invoices/invoice.js'
import type { AgingRow, InvoiceListItem } from '../../invoices/reports.js'
import type { PostedMove } from '../../stock/moves.js'
import type { LinePick } from '../../orders/lifecycle.js'
import type { CreateOrderInput, Order, OrderLine } from '../../orders/orders.js'

/** What order and invoice commands share: columns, and parsing what operators type. */

export const orderArg = { description: 'Order number (123 or SO-123), or ext:REF for the order with that external reference', required: true } as const
export const invoiceArg = { description: 'Invoice id or number (INV-2026-000123)', required: true } as const
/** Commands that act on many orders or invoices (`static strict = false`): the first of them. */
export const ordersArg = {
  description: 'Order number (123 or SO-123), or ext:REF for the order with that external reference; several are done together, all or nothing',
  required: true,
} as const
export const invoicesArg = { description: 'Invoice id or number (INV-2026-000123); several are issued together, all or nothing', required: true } as const

/** Flags that name lines or units of one order make no sense for several. */
export function refuseWithSeveral(count: number, flags: Record<string, unknown>, what: string): void {
  const given = Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([k]) => `--${k}`)
  if (count > 1 && given.length) {
    throw usageError(`${given.join(' and ')} apply to one ${what}: give a single ${what} with them`, { data: { flags: given } })
  }
}

export const skipFailingFlag = Flags.boolean({
  description: 'With several: do every one that can be done, report each one left out with its reason, and exit 1 if any was',
})

export const dateFlag = (description: string) => Flags.string({ description, helpValue: 'YYYY-MM-DD' })

export const ORDER_COLUMNS: Column<Order>[] = [
  { key: 'reference' },
  { key: 'externalRef' },
  { key: 'orderDate' },
  { key: 'customer' },
  { key: 'state' },
  { key: 'currency' },
  { key: 'net', align: 'right' },
  { key: 'tax', align: 'right' },
  { key: 'gross', align: 'right' },
]

export const ORDER_LINE_COLUMNS: Column<OrderLine>[] = [
  { key: 'line', align: 'right' },
  { key: 'sku' },
  { key: 'description' },
  { key: 'qty', align: 'right' },
  { key: 'unitPrice', align: 'right' },
  { key: 'priceSource' },
  { key: 'net', align: 'right' },
  { key: 'tax', align: 'right' },
  { key: 'gross', align: 'right' },
  { key: 'qtyFulfilled', align: 'right' },
  { key: 'qtyReturned', align: 'right' },
  { key: 'qtyInvoiced', align: 'right' },
]

export const MOVE_COLUMNS: Column<PostedMove>[] = [
  { key: 'sku' },
  { key: 'from' },
  { key: 'to' },
  { key: 'qty', align: 'right' },
  { key: 'lot' },
  { key: 'serials', get: (m) => m.serials.join(' ') },
]

export const INVOICE_COLUMNS: Column<Invoice | InvoiceListItem>[] = [
  { key: 'id', align: 'right' },
  { key: 'number' },
  { key: 'kind' },
  { key: 'state' },
  { key: 'customer' },
  { key: 'order' },
  { key: 'issueDate' },
  { key: 'dueDate' },
  { key: 'currency' },
  { key: 'gross', align: 'right' },
  { key: 'paid', align: 'right' },
  { key: 'due', align: 'right' },
  { key: 'daysOverdue', align: 'right', get: (i) => ('daysOverdue' in i ? i.daysOverdue : null) },
]

export const INVOICE_LINE_COLUMNS: Column<InvoiceLine>[] = [
  { key: 'line', align: 'right' },
  { key: 'sku' },
  { key: 'description' },
  { key: 'qty', align: 'right' },
  { key: 'unitPrice', align: 'right' },
  { key: 'taxRate', align: 'right' },
  { key: 'net', align: 'right' },
  { key: 'tax', align: 'right' },
  { key: 'gross', align: 'right' },
]

export const AGING_COLUMNS: Column<AgingRow>[] = [
  { key: 'customer' },
  { key: 'name' },
  { key: 'currency' },
  { key: 'd0_30', align: 'right' },
  { key: 'd31_60', align: 'right' },
  { key: 'd61_90', align: 'right' },
  { key: 'd90_plus', align: 'right' },
  { key: 'credits', align: 'right' },
  { key: 'total', align: 'right' },
]

/** --line values of fulfil/return/invoice: a line number or SKU, optionally :QTY (3, 3:2, WIDGET:5). */
export function parseLinePicks(specs: string[] | undefined): LinePick[] | undefined {
  if (!specs || specs.length === 0) return undefined
  const bad: string[] = []
  const picks = specs.map((spec) => {
    const colon = spec.lastIndexOf(':')
    const ref = colon === -1 ? spec : spec.slice(0, colon)
    const qty = colon === -1 ? undefined : spec.slice(colon + 1)
    if (ref === '' || qty === '') bad.push(spec)
    return /^\d+$/.test(ref) ? { line: Number(ref), qty } : { sku: ref, qty }
  })
  if (bad.length) {
    throw usageError(`Invalid --line ${bad.map((b) => JSON.stringify(b)).join(', ')}: expected LINE or SKU, optionally :QTY`, {
      actions: ['Examples: --line 2 (all of line 2), --line 2:5, --line WIDGET:5'],
    })
  }
  return picks
}

/** --serial SKU:SERIAL values. */
export function parseSerials(specs: string[] | undefined): Array<{ sku: string; serial: string }> | undefined {
  if (!specs || specs.length === 0) return undefined
  const bad = specs.filter((s) => s.indexOf(':') <= 0 || s.endsWith(':'))
  if (bad.length) throw usageError(`Invalid --serial ${bad.map((b) => JSON.stringify(b)).join(', ')}: expected SKU:SERIAL`)
  return specs.map((s) => ({ sku: s.slice(0, s.indexOf(':')), serial: s.slice(s.indexOf(':') + 1) }))
}

/**
 * An order file: {"customer": "C1", "date"?: "YYYY-MM-DD", "note"?: "...", "externalRef"?: "PO-4471",
 * "lines": [{"sku": "A", "qty": "2", "unitPrice"?: "9.50"}]}. Quantities and prices may be
 * strings or numbers written in the file (read as their JSON text, never through a float).
 */
export async function readOrderFile(path: string): Promise<CreateOrderInput> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Cannot read order file ${path}: ${(err as Error).message}`, { cause: err })
  }
  // Numbers are kept as written: quote bare numbers before parsing so 0.1 stays "0.1".
  const safe = text.replace(/("(?:qty|unitPrice|discountPercent)"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, '$1"$2"')
  let data: unknown
  try {
    data = JSON.parse(safe)
  } catch (err) {
    throw new ErpError(ErrorKind.INVALID_DATA, `${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const o = data as { customer?: unknown; date?: unknown; note?: unknown; externalRef?: unknown; lines?: unknown }
  const problems: string[] = []
  if (typeof o !== 'object' || o === null) problems.push('expected an object with customer and lines')
  else {
    if (typeof o.customer !== 'string') problems.push('customer: a customer code is required')
    if (o.date !== undefined && typeof o.date !== 'string') problems.push('date: YYYY-MM-DD')
    if (o.externalRef !== undefined && typeof o.externalRef !== 'string') problems.push('externalRef: a text')
    if (!Array.isArray(o.lines) || o.lines.length === 0) problems.push('lines: at least one {"sku", "qty"}')
    else {
      o.lines.forEach((l: unknown, i: number) => {
        const line = l as { sku?: unknown; qty?: unknown }
        if (typeof line !== 'object' || line === null || typeof line.sku !== 'string' || typeof line.qty !== 'string') {
          problems.push(`lines[${i + 1}]: expected {"sku": "...", "qty": ...}`)
        }
      })
    }
  }
  if (problems.length) {
    throw new ErpError(ErrorKind.INVALID_DATA, `${path}: ${problems.join('; ')}`, { data: { file: path, problems } })
  }
  const lines = (o.lines as Array<{ sku: string; qty: string; unitPrice?: string; discountPercent?: string }>).map((l) => ({
    sku: l.sku, qty: l.qty, ...(l.unitPrice === undefined ? {} : { unitPriceOverride: String(l.unitPrice) }),
    ...(l.discountPercent === undefined ? {} : { discountPercent: String(l.discountPercent) }),
  }))
  return {
    customer: o.customer as string, date: o.date as string | undefined, note: typeof o.note === 'string' ? o.note : undefined,
    ...(typeof o.externalRef === 'string' ? { externalRef: o.externalRef } : {}),
    lines,
  }
}
