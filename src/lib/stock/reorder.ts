import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { transactionNow } from '../db/clock.js'
import { quantityProblem } from './input.js'
import { resolveProducts, resolveWarehouses } from './refs.js'
import { queryRows } from '../db/query-rows.js'

/** Reorder points: the minimum available stock of a product in a warehouse, and what to refill to. */
export interface ReorderPoint {
  sku: string
  name: string
  warehouse: string
  min: string
  max: string | null
  updatedAt: Date
}

export interface SetReorderPointInput {
  sku: string
  warehouse: string
  min: string
  max?: string
}

export async function setReorderPoint(trx: Knex.Transaction, input: SetReorderPointInput): Promise<ReorderPoint> {
  const problems: string[] = []
  const product = (await resolveProducts(trx, [{ sku: input.sku }])).get(input.sku)
  const warehouse = (await resolveWarehouses(trx, [input.warehouse])).get(input.warehouse)
  if (!product) problems.push(`unknown product ${input.sku}`)
  if (!warehouse) problems.push(`unknown warehouse "${input.warehouse}"`)
  const minProblem = input.min.trim() === '0' ? undefined : quantityProblem(input.min, 'minimum')
  if (minProblem) problems.push(minProblem)
  const maxProblem = input.max === undefined ? undefined : quantityProblem(input.max, 'maximum')
  if (maxProblem) problems.push(maxProblem)
  if (problems.length) throw invalidData(`Refused: ${problems.join('; ')}`, { data: { problems } })
  const rows = await queryRows<any>(
      trx,
    `select ?::numeric(18,4) > ?::numeric(18,4) as inverted`,
    [input.min, input.max ?? input.min],
  )
  if (rows[0].inverted) throw invalidData(`Refused: the maximum ${input.max} is below the minimum ${input.min}`)
  await trx.raw(
    `insert into reorder_points (product_id, warehouse_id, min_qty, max_qty) values (?, ?, ?, ?)
     on conflict (product_id, warehouse_id) do update
       set min_qty = excluded.min_qty, max_qty = excluded.max_qty, updated_at = ?::timestamptz`,
    [product!.id, warehouse!.id, input.min, input.max ?? null, await transactionNow(trx)],
  )
  const [point] = await listReorderPoints(trx, { sku: input.sku, warehouse: input.warehouse })
  return point
}

export async function removeReorderPoint(trx: Knex.Transaction, input: { sku: string; warehouse: string }): Promise<ReorderPoint | undefined> {
  const [point] = await listReorderPoints(trx, input)
  if (point) {
    await trx.raw(
      `delete from reorder_points rp using products p, warehouses w
        where p.id = rp.product_id and w.id = rp.warehouse_id and p.sku = ? and w.code = ?`,
      [input.sku, input.warehouse],
    )
  }
  return point
}

export async function listReorderPoints(
  trx: Knex.Transaction,
  query: { sku?: string; warehouse?: string; limit?: number } = {},
): Promise<ReorderPoint[]> {
  const rows = await queryRows<ReorderPoint>(
      trx,
    `select p.sku, p.name, w.code as warehouse, trim_scale(rp.min_qty)::text as min, trim_scale(rp.max_qty)::text as max,
            rp.updated_at as "updatedAt"
       from reorder_points rp join products p on p.id = rp.product_id join warehouses w on w.id = rp.warehouse_id
      where (?::text is null or p.sku = ?) and (?::text is null or w.code = ?)
      order by p.sku, w.code
      limit ?::bigint`,
    [query.sku ?? null, query.sku ?? null, query.warehouse ?? null, query.warehouse ?? null, query.limit ?? null],
  )
  return rows
}
