/**
 * The order's state changes, one file each. Each locks the order row first, so two operators acting
 * on one order queue; stock work goes through the stock services in the same transaction.
 */
export * from './cancel.js'
export * from './confirm.js'
export * from './fulfil.js'
export type { LinePick } from './line-pick.js'
export * from './return.js'
