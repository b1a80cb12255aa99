import type { Column } from '../render.js'
import type { Lot, SerialNumber, StockMove } from '../../stock/history.js'
import type { StockLevel } from '../../stock/levels.js'
import type { Location } from '../../stock/locations.js'
import type { PostedMove } from '../../stock/moves.js'
import type { CountLine, ReconcileResult } from '../../stock/reconcile.js'
import type { ReorderPoint } from '../../stock/reorder.js'
import type { Reservation } from '../../stock/reservations.js'
import type { LevelDrift, SerialDrift, TenantVerifyOutcome } from '../../stock/verify.js'
import type { Warehouse } from '../../stock/warehouses.js'

/** How stock data shows in lists; --columns picks among these. */

export const LEVEL_COLUMNS: Column<StockLevel>[] = [
  { key: 'sku' },
  { key: 'name' },
  { key: 'warehouse' },
  { key: 'location' },
  { key: 'lot' },
  { key: 'expiresOn', header: 'expires' },
  { key: 'onHand', header: 'on hand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'available', align: 'right' },
]

export const REORDER_LEVEL_COLUMNS: Column<StockLevel>[] = [
  { key: 'sku' },
  { key: 'name' },
  { key: 'warehouse' },
  { key: 'onHand', header: 'on hand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'available', align: 'right' },
  { key: 'reorderMin', header: 'min', align: 'right' },
  { key: 'reorderMax', header: 'max', align: 'right' },
  { key: 'suggested', header: 'to order', align: 'right' },
]

export const POSTED_MOVE_COLUMNS: Column<PostedMove>[] = [
  { key: 'id', align: 'right' },
  { key: 'sku' },
  { key: 'from' },
  { key: 'to' },
  { key: 'qty', align: 'right' },
  { key: 'lot' },
  { key: 'serials', get: (m) => m.serials.join(' ') },
  { key: 'reason' },
  { key: 'reference' },
]

export const MOVE_COLUMNS: Column<StockMove>[] = [
  { key: 'id', align: 'right' },
  { key: 'at' },
  { key: 'sku' },
  { key: 'from' },
  { key: 'to' },
  { key: 'qty', align: 'right' },
  { key: 'lot' },
  { key: 'serials', get: (m) => m.serials.join(' ') },
  { key: 'reason' },
  { key: 'reference' },
  { key: 'note' },
  { key: 'createdBy', header: 'by' },
]

export const LOT_COLUMNS: Column<Lot>[] = [
  { key: 'sku' },
  { key: 'lot' },
  { key: 'expiresOn', header: 'expires' },
  { key: 'status' },
  { key: 'onHand', header: 'on hand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'locations', align: 'right' },
]

export const SERIAL_COLUMNS: Column<SerialNumber>[] = [
  { key: 'sku' },
  { key: 'serial' },
  { key: 'status' },
  { key: 'location' },
  { key: 'lastMovedTo', header: 'last moved to' },
  { key: 'lastMoveAt', header: 'last move' },
  { key: 'lastReference', header: 'reference' },
]

export const RESERVATION_COLUMNS: Column<Reservation>[] = [
  { key: 'reference' },
  { key: 'sku' },
  { key: 'location' },
  { key: 'lot' },
  { key: 'expiresOn', header: 'expires' },
  { key: 'qty', align: 'right' },
  { key: 'createdAt', header: 'reserved at' },
]

export const REORDER_COLUMNS: Column<ReorderPoint>[] = [
  { key: 'sku' },
  { key: 'name' },
  { key: 'warehouse' },
  { key: 'min', align: 'right' },
  { key: 'max', align: 'right' },
  { key: 'updatedAt', header: 'updated' },
]

export const WAREHOUSE_COLUMNS: Column<Warehouse>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'active' },
  { key: 'defaultLocation', header: 'default location' },
  { key: 'locations', align: 'right' },
  { key: 'products', align: 'right' },
  { key: 'onHand', header: 'on hand', align: 'right' },
]

export const LOCATION_COLUMNS: Column<Location>[] = [
  { key: 'fullCode', header: 'location' },
  { key: 'name' },
  { key: 'kind' },
  { key: 'active' },
  { key: 'isDefault', header: 'default' },
  { key: 'products', align: 'right' },
  { key: 'onHand', header: 'on hand', align: 'right' },
]

/** One line per posted move, for people: "Received 10 × ABC into WH1/STOCK (move 12)". */
export function describeMove(m: PostedMove): string {
  const what = `${m.qty} × ${m.sku}${m.lot ? ` lot ${m.lot}` : ''}${m.serials.length ? ` [${m.serials.join(', ')}]` : ''}`
  const verb: Record<PostedMove['reason'], string> = {
    receipt: `Received ${what} into ${m.to}`,
    shipment: `Shipped ${what} from ${m.from}`,
    return: `Returned ${what} into ${m.to}`,
    transfer: `Moved ${what} from ${m.from} to ${m.to}`,
    adjustment: m.from === 'adjustment' ? `Added ${what} at ${m.to}` : `Removed ${what} at ${m.from}`,
    count: m.from === 'adjustment' ? `Count added ${what} at ${m.to}` : `Count removed ${what} at ${m.from}`,
    scrap: `Scrapped ${what} from ${m.from}`,
  }
  return `${verb[m.reason]} (move ${m.id}${m.reference ? `, ${m.reference}` : ''})`
}

export const COUNT_COLUMNS: Column<CountLine>[] = [
  { key: 'line', align: 'right' },
  { key: 'sku' },
  { key: 'location' },
  { key: 'lot' },
  { key: 'system', align: 'right' },
  { key: 'counted', align: 'right' },
  { key: 'difference', align: 'right' },
  { key: 'unitCost', header: 'cost', align: 'right' },
  { key: 'value', align: 'right' },
  { key: 'status' },
  { key: 'problem' },
]

export function describeCountTotals(result: ReconcileResult): string[] {
  const t = result.totals
  const lines = [
    `${t.lines} lines: ${t.valid} valid, ${t.invalid} invalid, ${t.differences} with a difference ` +
      `(+${t.qtyOver} / -${t.qtyShort} units; value +${t.valueOver} / -${t.valueShort}, net ${t.valueNet})`,
  ]
  if (t.withoutCost > 0) lines.push(`${t.withoutCost} lines with a difference have no cost: their value is left out.`)
  lines.push(
    result.applied
      ? `Applied as ${result.reference}: ${result.moves} adjustment moves.`
      : 'Dry run: nothing changed. Apply with --apply.',
  )
  return lines
}

export const DRIFT_COLUMNS: Column<LevelDrift>[] = [
  { key: 'sku' },
  { key: 'location' },
  { key: 'lot' },
  { key: 'cachedOnHand', header: 'cached on hand', align: 'right' },
  { key: 'ledgerOnHand', header: 'ledger on hand', align: 'right' },
  { key: 'cachedReserved', header: 'cached reserved', align: 'right' },
  { key: 'ledgerReserved', header: 'reservations', align: 'right' },
]

export const SERIAL_DRIFT_COLUMNS: Column<SerialDrift>[] = [
  { key: 'sku' },
  { key: 'serial' },
  { key: 'cachedLocation', header: 'recorded at' },
  { key: 'ledgerLocation', header: 'last move to' },
]

export const TENANT_VERIFY_COLUMNS: Column<TenantVerifyOutcome>[] = [
  { key: 'tenant' },
  { key: 'status' },
  { key: 'moves', align: 'right' },
  { key: 'levels', align: 'right' },
  { key: 'drifted', align: 'right' },
  { key: 'serialsDrifted', header: 'serials drifted', align: 'right' },
  { key: 'durationMs', header: 'ms', align: 'right' },
  { key: 'error' },
]
