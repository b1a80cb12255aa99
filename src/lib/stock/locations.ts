import type { Knex } from 'knex'

import { conflict, invalidData, notAllowed, notFound, usageError } from '../errors.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import type { LocationKind } from './refs.js'
import { locationCodeProblem, makeDefaultLocation, warehouseNotFound } from './warehouses.js'
import { queryRows } from '../db/query-rows.js'

export interface Location {
  fullCode: string
  warehouse: string | null
  code: string
  name: string | null
  kind: LocationKind
  active: boolean
  isDefault: boolean
  products: number
  onHand: string
}

export interface LocationQuery {
  warehouse?: string
  kind?: LocationKind
  includeInactive?: boolean
  /** Virtual locations (supplier, customer, adjustment, scrap) are left out unless asked for. */
  includeVirtual?: boolean
}

/** Split "WH1/A-01" into warehouse and code. */
export function splitFullCode(fullCode: string): { warehouse: string; code: string } {
  const at = fullCode.indexOf('/')
  if (at <= 0 || at === fullCode.length - 1) {
    throw usageError(`"${fullCode}" is not a location name: write WAREHOUSE/LOCATION, e.g. WH1/A-01`)
  }
  return { warehouse: fullCode.slice(0, at), code: fullCode.slice(at + 1) }
}

export async function listLocations(trx: Knex.Transaction, query: LocationQuery = {}): Promise<Location[]> {
  const rows = await queryRows<Location>(
      trx,
    `select l.full_code as "fullCode", w.code as warehouse, l.code, l.name, l.kind, l.active,
            l.is_default as "isDefault",
            coalesce(s.products, 0)::int as products, trim_scale(coalesce(s.on_hand, 0))::text as "onHand"
       from locations l
       left join warehouses w on w.id = l.warehouse_id
       left join lateral (
         select count(*) filter (where on_hand <> 0) as products, sum(on_hand) as on_hand
           from stock_levels where location_id = l.id
       ) s on true
      where (?::text is null or w.code = ?)
        and (?::text is null or l.kind = ?)
        and (? or l.active)
        and (? or l.kind = 'internal')
      order by l.kind <> 'internal', l.full_code`,
    [
      query.warehouse ?? null, query.warehouse ?? null,
      query.kind ?? null, query.kind ?? null,
      query.includeInactive === true,
      query.includeVirtual === true || query.kind !== undefined,
    ],
  )
  return rows
}

export async function getLocation(trx: Knex.Transaction, fullCode: string): Promise<Location> {
  const rows = await queryRows<Location>(
      trx,
    `select l.full_code as "fullCode", w.code as warehouse, l.code, l.name, l.kind, l.active,
            l.is_default as "isDefault",
            (select count(*) filter (where on_hand <> 0) from stock_levels where location_id = l.id)::int as products,
            trim_scale(coalesce((select sum(on_hand) from stock_levels where location_id = l.id), 0))::text as "onHand"
       from locations l left join warehouses w on w.id = l.warehouse_id
      where l.full_code = ?`,
    [fullCode],
  )
  if (!rows[0]) throw locationNotFound(fullCode)
  return rows[0]
}

const locationNotFound = (fullCode: string) =>
  notFound(`No location "${fullCode}"`, { actions: ['List locations with: erp locations list'], data: { location: fullCode } })

export interface CreateLocationInput {
  /** WAREHOUSE/CODE */
  fullCode: string
  name?: string
  makeDefault?: boolean
}

export async function createLocation(trx: Knex.Transaction, input: CreateLocationInput): Promise<Location> {
  const { warehouse, code } = splitFullCode(input.fullCode)
  const problem = locationCodeProblem(code)
  if (problem) throw invalidData(problem)
  const found = await trx('warehouses').where({ code: warehouse }).forUpdate().first('id')
  if (!found) throw warehouseNotFound(warehouse)
  try {
    const [row] = await trx('locations')
      .insert({ warehouse_id: found.id, code, full_code: `${warehouse}/${code}`, name: input.name ?? null, kind: 'internal' })
      .returning('id')
    if (input.makeDefault) await makeDefaultLocation(trx, found.id, row.id)
  } catch (err) {
    if (sqlStateOf(err) === SqlState.UNIQUE_VIOLATION) {
      throw conflict(`Location ${warehouse}/${code} already exists`, { actions: [`See it with: erp locations list --warehouse ${warehouse}`], cause: err })
    }
    throw err
  }
  return getLocation(trx, `${warehouse}/${code}`)
}

export interface UpdateLocationInput {
  name?: string
  active?: boolean
  makeDefault?: boolean
}

export async function updateLocation(trx: Knex.Transaction, fullCode: string, input: UpdateLocationInput): Promise<Location> {
  const location = await lockInternalLocation(trx, fullCode)
  if (input.active === false) {
    if (location.is_default) {
      throw conflict(`${fullCode} is its warehouse's default location and cannot be deactivated`, {
        actions: [`Make another location the default first: erp locations update ${location.warehouse}/<code> --default`],
      })
    }
    const held = await trx('stock_levels').where({ location_id: location.id }).andWhere((q) => q.whereNot('on_hand', 0).orWhereNot('reserved', 0)).first('id')
    if (held) {
      throw conflict(`${fullCode} still holds stock and cannot be deactivated`, {
        actions: [`Move the stock out first (erp stock levels --location ${fullCode}; erp stock transfer …)`],
      })
    }
  }
  if (input.makeDefault && input.active === false) throw usageError('A location cannot be made the default and deactivated at once')
  if (input.makeDefault && !location.active && input.active !== true) {
    throw conflict(`${fullCode} is inactive and cannot be the default`, { actions: ['Pass --active as well'] })
  }
  const changes: Record<string, unknown> = { updated_at: trx.fn.now() }
  if (input.name !== undefined) changes.name = input.name === '' ? null : input.name
  if (input.active !== undefined) changes.active = input.active
  await trx('locations').where({ id: location.id }).update(changes)
  if (input.makeDefault) {
    await makeDefaultLocation(trx, location.warehouse_id, location.id)
  }
  return getLocation(trx, fullCode)
}

/** Only a location that never saw a move can be deleted; others are deactivated. */
export async function deleteLocation(trx: Knex.Transaction, fullCode: string): Promise<Location> {
  const location = await lockInternalLocation(trx, fullCode)
  const before = await getLocation(trx, fullCode)
  if (location.is_default) {
    throw conflict(`${fullCode} is its warehouse's default location and cannot be deleted`, {
      actions: [`Make another location the default first: erp locations update ${location.warehouse}/<code> --default`],
    })
  }
  const rows = await queryRows<any>(
      trx,
    `select exists (select 1 from stock_moves where from_location_id = ?)
         or exists (select 1 from stock_moves where to_location_id = ?) as used`,
    [location.id, location.id],
  )
  if (rows[0].used) {
    throw conflict(`${fullCode} has stock history and cannot be deleted`, {
      actions: [`Deactivate it instead: erp locations update ${fullCode} --no-active`],
    })
  }
  await trx('stock_levels').where({ location_id: location.id }).delete()
  await trx('locations').where({ id: location.id }).delete()
  return before
}

interface LockedLocation {
  id: string
  warehouse_id: string
  warehouse: string
  active: boolean
  is_default: boolean
}

async function lockInternalLocation(trx: Knex.Transaction, fullCode: string): Promise<LockedLocation> {
  const rows = await queryRows<LockedLocation & { kind: string }>(
      trx,
    `select l.id, l.warehouse_id, w.code as warehouse, l.active, l.kind, l.is_default
       from locations l left join warehouses w on w.id = l.warehouse_id
      where l.full_code = ?
      for update of l`,
    [fullCode],
  )
  const row = rows[0]
  if (!row) throw locationNotFound(fullCode)
  if (row.kind !== 'internal') throw notAllowed(`${fullCode} is a virtual location and cannot be changed`)
  return row
}
