/**
 * Checks on plain input values. Quantities stay decimal strings: they are validated here and all
 * arithmetic on them happens in SQL (numeric), never in JavaScript floats.
 */

/** numeric(18,4): up to 14 integer digits and 4 decimals. */
const QUANTITY = /^(?:\d{1,14})(?:\.\d{1,4})?$/
const SIGNED_QUANTITY = /^[+-]?(?:\d{1,14})(?:\.\d{1,4})?$/
const WHOLE = /^\d{1,14}(?:\.0{1,4})?$/
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

/** A reason the value is not a positive quantity, or undefined when it is one. */
export function quantityProblem(qty: string, what = 'quantity'): string | undefined {
  const text = qty.trim()
  if (!QUANTITY.test(text)) return `${what} "${qty}" is not a number with at most 4 decimals (e.g. 12 or 2.5)`
  if (/^0+(?:\.0+)?$/.test(text)) return `${what} must be greater than zero`
  return undefined
}

/** A signed quantity (adjustments): '-3', '+2.5'. */
export function signedQuantityProblem(qty: string, what = 'quantity'): string | undefined {
  const text = qty.trim()
  if (!SIGNED_QUANTITY.test(text)) return `${what} "${qty}" is not a number with at most 4 decimals (e.g. -3 or 2.5)`
  if (/^[+-]?0+(?:\.0+)?$/.test(text)) return `${what} must not be zero`
  return undefined
}

export function isWholeQuantity(qty: string): boolean {
  return WHOLE.test(qty.trim())
}

/** The quantity without a sign, and whether it was negative. */
export function splitSign(qty: string): { negative: boolean; magnitude: string } {
  const text = qty.trim()
  return { negative: text.startsWith('-'), magnitude: text.replace(/^[+-]/, '') }
}

/** A calendar day YYYY-MM-DD that exists (2026-02-30 does not). */
export function dayProblem(day: string, what = 'date'): string | undefined {
  if (!ISO_DAY.test(day)) return `${what} "${day}" is not a date in the form YYYY-MM-DD`
  const parsed = new Date(`${day}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) return `${what} "${day}" is not a valid date`
  return undefined
}

/** Order-preserving de-duplication, returning the repeated values too. */
export function duplicatesOf(values: string[]): string[] {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const value of values) {
    if (seen.has(value)) repeated.add(value)
    seen.add(value)
  }
  return [...repeated]
}
