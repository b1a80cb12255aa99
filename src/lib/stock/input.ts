/**
 * Checks on plain input values. Quantities stay decimal strings: they are validated here and all
 * arithmetic on them happens in SQL (numeric), never in JavaScript floats.
 */
import { Decimal } from '../pricing/money.js'
import { decimalProblem, isCalendarDate, notADate } from '../validation.js'

/** Quantities are numeric(18,4): up to 14 integer digits and 4 decimals. */
const QUANTITY_RULE = { precision: 18, scale: 4 }

/** A reason the value is not a positive quantity, or undefined when it is one (the one decimal check). */
export function quantityProblem(qty: string, what = 'quantity'): string | undefined {
  const { value, problem } = decimalProblem(qty, QUANTITY_RULE)
  if (problem) return `${what}: ${problem}`
  // One rule for -4 and 0 alike, with one message.
  if (new Decimal(value!).lte(0)) return `${what} must be greater than zero`
  return undefined
}

/** A signed quantity (adjustments): '-3', '+2.5'. */
export function signedQuantityProblem(qty: string, what = 'quantity'): string | undefined {
  const { value, problem } = decimalProblem(qty, QUANTITY_RULE)
  if (problem) return `${what}: ${problem}`
  if (new Decimal(value!).isZero()) return `${what} must not be zero`
  return undefined
}

/** A valid quantity without a fraction (2, 2.0000, +2): serial-tracked products move whole units. */
export function isWholeQuantity(qty: string): boolean {
  const { value } = decimalProblem(qty, QUANTITY_RULE)
  return value !== undefined && !value.includes('.')
}

/** The quantity without a sign, and whether it was negative. */
export function splitSign(qty: string): { negative: boolean; magnitude: string } {
  const text = qty.trim()
  return { negative: text.startsWith('-'), magnitude: text.replace(/^[+-]/, '') }
}

/** A calendar day YYYY-MM-DD that exists (2026-02-30 does not): the one date check. */
export function dayProblem(day: string, what = 'date'): string | undefined {
  return isCalendarDate(day) ? undefined : `${what}: ${notADate(day)}`
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
