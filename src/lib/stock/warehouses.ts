import type { Knex } from 'knex'

import { conflict, invalidData, notFound } from '../errors.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { ensureVirtualLocations } from './refs.js'
import { queryRows } from '../db/query-rows.js'

export interface Warehouse {
  code: string
  name: string
  active: boolean
  defaultLocation: string | null
  locations: number
  products: number
  onHand: string
  createdAt: Date
}

export interface CreateWarehouseInput {
  code: string
  name?: string
  /** Code of the location created with the warehouse, which receipts use when no location is named. */
  defaultLocation?: string
}

const WAREHOUSE_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/
const LOCATION_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const RESERVED = new Set(['supplier', 'customer', 'adjustment', 'scrap'])

export function warehouseCodeProblem(code: string): string | undefined {
  if (!WAREHOUSE_CODE.test(code)) return `Invalid warehouse code "${code}": 1–32 letters, digits, '_', '.', '-', starting with a letter or digit`
  if (RESERVED.has(code.toLowerCase())) return `"${code}" names a virtual location and cannot be a warehouse code`
  return undefined
}

export function locationCodeProblem(code: string): string | undefined {
  if (!LOCATION_CODE.test(code)) return `Invalid location code "${code}": 1–64 letters, digits, '_', '.', '-', starting with a letter or digit`
  return undefined
}

/** A warehouse and its default location, created together. */
export async function createWarehouse(trx: Knex.Transaction, input: CreateWarehouseInput): Promise<Warehouse> {
  const defaultCode = input.defaultLocation ?? 'STOCK'
  const problems = [warehouseCodeProblem(input.code), locationCodeProblem(defaultCode)].filter((p): p is string => !!p)
  if (input.name !== undefined && input.name.trim() === '') problems.push('The warehouse name must not be empty')
  if (problems.length) throw invalidData(problems.join('; '), { data: { problems } })
  try {
    const [warehouse] = await trx('warehouses').insert({ code: input.code, name: input.name ?? input.code }).returning('id')
    // Receipts, shipments, adjustments and scrap need their other side from the first move on.
    await ensureVirtualLocations(trx)
    await trx('locations').insert({
      warehouse_id: warehouse.id, code: defaultCode, full_code: `${input.code}/${defaultCode}`,
      name: 'Default location', kind: 'internal', is_default: true,
    })
  } catch (err) {
    if (sqlStateOf(err) === SqlState.UNIQUE_VIOLATION) {
      throw conflict(`Warehouse "${input.code}" already exists`, { actions: ['See warehouses with: erp warehouses list'], cause: err })
    }
    throw err
  }
  return getWarehouse(trx, input.code)
}

export async function listWarehouses(trx: Knex.Transaction, options: { includeInactive?: boolean } = {}): Promise<Warehouse[]> {
  const rows = await queryRows<Warehouse>(
      trx,
    `select w.code, w.name, w.active, d.full_code as "defaultLocation",
            (select count(*)::int from locations l where l.warehouse_id = w.id) as locations,
            coalesce(s.products, 0)::int as products, trim_scale(coalesce(s.on_hand, 0))::text as "onHand",
            w.created_at as "createdAt"
       from warehouses w
       left join locations d on d.warehouse_id = w.id and d.is_default
       left join lateral (
         select count(distinct sl.product_id) filter (where sl.on_hand <> 0) as products, sum(sl.on_hand) as on_hand
           from stock_levels sl join locations l on l.id = sl.location_id
          where l.warehouse_id = w.id
       ) s on true
      where ? or w.active
      order by w.code`,
    [options.includeInactive === true],
  )
  return rows
}

export async function getWarehouse(trx: Knex.Transaction, code: string): Promise<Warehouse> {
  const found = (await listWarehouses(trx, { includeInactive: true })).find((w) => w.code === code)
  if (!found) throw warehouseNotFound(code)
  return found
}

export const warehouseNotFound = (code: string) =>
  notFound(`No warehouse "${code}"`, { actions: ['List warehouses with: erp warehouses list'], data: { warehouse: code } })

export interface UpdateWarehouseInput {
  name?: string
  active?: boolean
  /** Code of a location in this warehouse to become the default. */
  defaultLocation?: string
}

export async function updateWarehouse(trx: Knex.Transaction, code: string, input: UpdateWarehouseInput): Promise<Warehouse> {
  const current = await trx('warehouses').where({ code }).forUpdate().first('id')
  if (!current) throw warehouseNotFound(code)
  if (input.name !== undefined && input.name.trim() === '') throw invalidData('The warehouse name must not be empty')
  const changes: Record<string, unknown> = { updated_at: trx.fn.now() }
  if (input.name !== undefined) changes.name = input.name
  if (input.active !== undefined) changes.active = input.active
  if (input.defaultLocation !== undefined) {
    const location = await trx('locations').where({ warehouse_id: current.id, code: input.defaultLocation }).first('id', 'active')
    if (!location) {
      throw notFound(`No location "${input.defaultLocation}" in warehouse ${code}`, {
        actions: [`Create it first: erp locations create ${code}/${input.defaultLocation}`],
      })
    }
    if (!location.active) throw conflict(`Location ${code}/${input.defaultLocation} is inactive and cannot be the default`)
    await makeDefaultLocation(trx, current.id, location.id)
  }
  await trx('warehouses').where({ id: current.id }).update(changes)
  return getWarehouse(trx, code)
}

/** Only a warehouse whose locations never saw a move can be deleted; others are deactivated. */
export async function deleteWarehouse(trx: Knex.Transaction, code: string): Promise<Warehouse> {
  const warehouse = await getWarehouse(trx, code)
  const { id } = await trx('warehouses').where({ code }).forUpdate().first('id')
  const rows = await queryRows<any>(
      trx,
    `select exists (select 1 from stock_moves where from_location_id in (select id from locations where warehouse_id = ?))
         or exists (select 1 from stock_moves where to_location_id in (select id from locations where warehouse_id = ?)) as used`,
    [id, id],
  )
  if (rows[0].used) {
    throw conflict(`Warehouse ${code} has stock history and cannot be deleted`, {
      actions: [`Deactivate it instead: erp warehouses update ${code} --no-active`],
    })
  }
  // No moves means no levels worth keeping: only empty cache rows can be left to clear.
  await trx.raw('delete from stock_levels where location_id in (select id from locations where warehouse_id = ?)', [id])
  await trx('locations').where({ warehouse_id: id }).delete()
  await trx('warehouses').where({ id }).delete()
  return warehouse
}

/** One default per warehouse (a unique partial index): the old flag goes first. */
export async function makeDefaultLocation(trx: Knex.Transaction, warehouseId: string, locationId: string): Promise<void> {
  await trx('locations').where({ warehouse_id: warehouseId, is_default: true }).whereNot({ id: locationId }).update({ is_default: false, updated_at: trx.fn.now() })
  await trx('locations').where({ id: locationId }).update({ is_default: true, updated_at: trx.fn.now() })
}
