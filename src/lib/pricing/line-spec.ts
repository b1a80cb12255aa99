import { usageError } from '../errors.js'
import type { QuoteLineInput } from './resolve.js'

/**
 * Quote lines as written on the command line: SKU:QTY, or SKU:QTY@PRICE to override the unit price.
 * The SKU is everything before the last ':' (SKUs may contain ':'). Every malformed spec is reported.
 */
export function parseLineSpecs(specs: string[]): QuoteLineInput[] {
  const bad: string[] = []
  const lines = specs.map((spec) => {
    const colon = spec.lastIndexOf(':')
    if (colon <= 0 || colon === spec.length - 1) {
      bad.push(spec)
      return { sku: spec, qty: '' }
    }
    const rest = spec.slice(colon + 1)
    const at = rest.indexOf('@')
    return at === -1
      ? { sku: spec.slice(0, colon), qty: rest }
      : { sku: spec.slice(0, colon), qty: rest.slice(0, at), unitPriceOverride: rest.slice(at + 1) }
  })
  if (bad.length > 0) {
    throw usageError(`Invalid --line ${bad.map((b) => JSON.stringify(b)).join(', ')}: expected SKU:QTY or SKU:QTY@PRICE`, {
      actions: ['Example: --line CHAIR-01:4 --line DESK-02:1@199.00'],
      data: { lines: bad },
    })
  }
  return lines
}
