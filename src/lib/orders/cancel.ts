import type { Knex } from 'knex'

import { release } from '../stock/reservations.js'
import { getOrder, lockOrder, orderReference, refuseState, type OrderDetail } from './orders.js'

export interface CancelResult {
  order: OrderDetail
  released: Array<{ sku: string; location: string; lot: string | null; qty: string }>
}

/** Cancel a draft or a confirmed order that shipped nothing; its reservations are released. */
export async function cancelOrder(trx: Knex.Transaction, input: { order: string | number }): Promise<CancelResult> {
  const order = await lockOrder(trx, input.order)
  refuseState(order, 'cancel', ['draft', 'confirmed'])
  const released = await release(trx, { reference: orderReference(order.id) })
  await trx.raw(`update orders set state = 'cancelled', cancelled_at = now(), updated_at = now() where id = ?`, [order.id])
  return {
    order: await getOrder(trx, order.id),
    released: released.map((r) => ({ sku: r.sku, location: r.location, lot: r.lot, qty: r.qty })),
  }
}
