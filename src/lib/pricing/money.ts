import { Decimal as DecimalJs } from 'decimal.js'

/**
 * Exact decimal arithmetic for money. Amounts travel as decimal strings (as pg returns `numeric`);
 * arithmetic goes through this Decimal, never through JavaScript numbers.
 */
export const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 })
export type Decimal = DecimalJs

export const ROUNDING_MODES = ['half_even', 'half_up'] as const
export type RoundingMode = (typeof ROUNDING_MODES)[number]

/** Digits a unit price keeps (numeric(18,4) in the tables). */
export const PRICE_SCALE = 4

/** A plain decimal: optional sign, digits, optional fraction. No exponents, no spaces, no commas. */
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text)
}

export function dec(value: string | Decimal): Decimal {
  return typeof value === 'string' ? new Decimal(value) : value
}

/**
 * Round to `scale` digits. half_up rounds a tie away from zero (commercial rounding, 2.675 → 2.68);
 * half_even rounds a tie to the even neighbour (banker's rounding, 2.665 → 2.66, 2.675 → 2.68).
 */
export function round(value: Decimal, scale: number, mode: RoundingMode): Decimal {
  return value.toDecimalPlaces(scale, mode === 'half_up' ? Decimal.ROUND_HALF_UP : Decimal.ROUND_HALF_EVEN)
}

/** A decimal string with exactly `scale` digits after the point ("-0" is written "0"). */
export function fixed(value: Decimal, scale: number): string {
  const text = value.toFixed(scale)
  return /^-0(?:\.0*)?$/.test(text) ? text.slice(1) : text
}

/** A decimal string without trailing zeros (quantities, rates). */
export function plain(value: string | Decimal): string {
  const d = dec(value)
  return d.isZero() ? '0' : d.toFixed()
}

/**
 * ISO 4217 minor units for the currencies whose exponent is not 2. Money amounts of a quote are
 * rounded to the currency's minor unit.
 */
const MINOR_UNITS: Record<string, number> = {
  BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0, KMF: 0, KRW: 0,
  KWD: 3, LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0,
  XOF: 0, XPF: 0,
}

export function currencyScale(currency: string): number {
  return MINOR_UNITS[currency] ?? 2
}

/**
 * Split `total` over `weights` in proportion, each share rounded to `scale`, the shares summing to
 * `total` exactly (largest remainder; ties go to the earlier weight).
 */
export function allocate(total: Decimal, weights: Decimal[], scale: number): Decimal[] {
  const sum = weights.reduce((a, w) => a.plus(w), new Decimal(0))
  if (sum.isZero()) return weights.map(() => new Decimal(0))
  const unit = new Decimal(1).dividedBy(new Decimal(10).pow(scale))
  const exact = weights.map((w) => total.times(w).dividedBy(sum))
  const floors = exact.map((e) => e.toDecimalPlaces(scale, Decimal.ROUND_DOWN))
  let left = total.minus(floors.reduce((a, f) => a.plus(f), new Decimal(0)))
  const order = exact
    .map((e, i) => ({ i, remainder: e.minus(floors[i]) }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.i - b.i)
  for (const { i } of order) {
    if (left.lessThan(unit)) break
    floors[i] = floors[i].plus(unit)
    left = left.minus(unit)
  }
  return floors
}
