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
  { key: 'expiresOn' },
  { key: 'onHand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'available', align: 'right' },
]

export const REORDER_LEVEL_COLUMNS: Column<StockLevel>[] = [
  { key: 'sku' },
  { key: 'name' },
  { key: 'warehouse' },
  { key: 'onHand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'available', align: 'right' },
  { key: 'reorderMin', align: 'right' },
  { key: 'reorderMax', align: 'right' },
  { key: 'suggested', align: 'right' },
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
  { key: 'createdBy' },
]

export const LOT_COLUMNS: Column<Lot>[] = [
  { key: 'sku' },
  { key: 'lot' },
  { key: 'expiresOn' },
  { key: 'status' },
  { key: 'onHand', align: 'right' },
  { key: 'reserved', align: 'right' },
  { key: 'locations', align: 'right' },
]

export const SERIAL_COLUMNS: Column<SerialNumber>[] = [
  { key: 'sku' },
  { key: 'serial' },
  { key: 'status' },
  { key: 'location' },
  { key: 'lastMovedTo' },
  { key: 'lastMoveAt' },
  { key: 'lastReference' },
]

export const RESERVATION_COLUMNS: Column<Reservation>[] = [
  { key: 'reference' },
  { key: 'sku' },
  { key: 'location' },
  { key: 'lot' },
  { key: 'expiresOn' },
  { key: 'qty', align: 'right' },
  { key: 'createdAt' },
]

export const REORDER_COLUMNS: Column<ReorderPoint>[] = [
  { key: 'sku' },
  { key: 'name' },
  { key: 'warehouse' },
  { key: 'min', align: 'right' },
  { key: 'max', align: 'right' },
  { key: 'updatedAt' },
]

export const WAREHOUSE_COLUMNS: Column<Warehouse>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'active' },
  { key: 'defaultLocation' },
  { key: 'locations', align: 'right' },
  { key: 'products', align: 'right' },
  { key: 'onHand', align: 'right' },
]

export const LOCATION_COLUMNS: Column<Location>[] = [
  { key: 'fullCode' },
  { key: 'name' },
  { key: 'kind' },
  { key: 'active' },
  { key: 'isDefault' },
  { key: 'products', align: 'right' },
  { key: 'onHand', align: 'right' },
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
  { key: 'unitCost', align: 'right' },
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
  { key: 'cachedOnHand', align: 'right' },
  { key: 'ledgerOnHand', align: 'right' },
  { key: 'cachedReserved', align: 'right' },
  { key: 'ledgerReserved', align: 'right' },
]

export const SERIAL_DRIFT_COLUMNS: Column<SerialDrift>[] = [
  { key: 'sku' },
  { key: 'serial' },
  { key: 'cachedLocation' },
  { key: 'ledgerLocation' },
]

export const TENANT_VERIFY_COLUMNS: Column<TenantVerifyOutcome>[] = [
  { key: 'tenant' },
  { key: 'status' },
  { key: 'moves', align: 'right' },
  { key: 'levels', align: 'right' },
  { key: 'drifted', align: 'right' },
  { key: 'serialsDrifted', align: 'right' },
  { key: 'durationMs', align: 'right' },
  { key: 'error' },
]
