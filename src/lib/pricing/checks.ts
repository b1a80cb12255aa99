import type { Problems } from '../validation.js'

// The one date check, where the pricing and import code has always found it.
export { checkDate } from '../validation.js'

/** valid_from ≤ valid_to when both are given (ISO dates compare as text). */
export function checkPeriod(problems: Problems, from: string | undefined, to: string | undefined): void {
  if (from && to && to < from) problems.add('to', `ends (${to}) before it starts (${from})`)
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/

/** Codes of price lists and discounts: 1–40 letters, digits, _ . -, starting with a letter or digit. */
export function checkCode(problems: Problems, field: string, value: string): string | undefined {
  const code = value.trim()
  if (!CODE.test(code)) {
    problems.add(field, `"${value}" is not a valid code (1–40 letters, digits, _ . -, starting with a letter or digit)`)
    return undefined
  }
  return code
}

export function checkCurrency(problems: Problems, field: string, value: string): string | undefined {
  const currency = value.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) {
    problems.add(field, `"${value}" is not an ISO 4217 currency code (three letters, e.g. EUR)`)
    return undefined
  }
  return currency
}

/** A period as people read it: "always", "from 2026-01-01", "2026-01-01..2026-01-31", "until 2026-12-31". */
export function describePeriod(from: string | null, to: string | null): string {
  if (from && to) return `${from}..${to}`
  if (from) return `from ${from}`
  if (to) return `until ${to}`
  return 'always'
}

/** Whether an ISO date falls in an inclusive period (open ends allowed). */
export function inPeriod(date: string, from: string | null, to: string | null): boolean {
  return (from === null || from <= date) && (to === null || date <= to)
}
