import { usageError } from '../errors.js'
import type { QuoteLineInput } from './resolve.js'

/**
 * Quote lines as written on the command line: SKU:QTY, SKU:QTY@PRICE to override the unit price,
 * and either with %P for the line's own discount in percent (SKU:QTY%10, SKU:QTY@9.50%10). The SKU
 * is everything before the last ':' (SKUs may contain ':'). Every malformed spec is reported.
 */
export function parseLineSpecs(specs: string[]): QuoteLineInput[] {
  const bad: string[] = []
  const lines = specs.map((spec) => {
    const colon = spec.lastIndexOf(':')
    if (colon <= 0 || colon === spec.length - 1) {
      bad.push(spec)
      return { sku: spec, qty: '' }
    }
    const [rest, percent, ...extra] = spec.slice(colon + 1).split('%')
    if (extra.length > 0 || percent === '') bad.push(spec)
    const at = rest.indexOf('@')
    const discount = percent === undefined ? {} : { discountPercent: percent }
    return at === -1
      ? { sku: spec.slice(0, colon), qty: rest, ...discount }
      : { sku: spec.slice(0, colon), qty: rest.slice(0, at), unitPriceOverride: rest.slice(at + 1), ...discount }
  })
  if (bad.length > 0) {
    throw usageError(`Invalid --line ${bad.map((b) => JSON.stringify(b)).join(', ')}: expected SKU:QTY, SKU:QTY@PRICE, with %DISCOUNT after either`, {
      actions: ['Example: --line CHAIR-01:4 --line DESK-02:1@199.00 --line LAMP-03:2%10'],
      data: { lines: bad },
    })
  }
  return lines
}
