import { Decimal, fixed, round, type RoundingMode } from '../pricing/money.js'

/**
 * The money of part of an order line. An order line was priced once, by the resolver; invoices
 * and credit notes take parts of it. A part is the line's amount in its price basis (net for a
 * net list, gross for a tax-inclusive one) × part / qty, rounded; tax is computed on it as the
 * resolver does (net basis: tax = round(net × r / 100); gross basis: tax = round(gross × r / (100 + r))).
 * The part that completes the line takes exactly what is left of each amount, so the documents
 * of a fully invoiced line add up to the order line to the cent, whatever the rounding on the way.
 */

export interface LineAmounts {
  net: string
  tax: string
  gross: string
  discount: string
}

export interface OrderLineMoney {
  qty: string
  net: string
  tax: string
  gross: string
  discount: string
  taxRate: string
}

export function partOfLine(
  line: OrderLineMoney,
  part: string,
  options: {
    taxInclusive: boolean
    scale: number
    mode: RoundingMode
    /** Amounts of this line already taken by earlier documents (when completing the line). */
    remainder?: { net: string; tax: string; gross: string; discount: string }
  },
): LineAmounts {
  const { scale, mode } = options
  if (options.remainder) {
    const r = options.remainder
    return {
      net: fixed(new Decimal(r.net), scale),
      tax: fixed(new Decimal(r.tax), scale),
      gross: fixed(new Decimal(r.gross), scale),
      discount: fixed(new Decimal(r.discount), scale),
    }
  }
  const share = new Decimal(part).dividedBy(line.qty)
  const rate = new Decimal(line.taxRate)
  const discount = round(new Decimal(line.discount).times(share), scale, mode)
  if (options.taxInclusive) {
    const gross = round(new Decimal(line.gross).times(share), scale, mode)
    const tax = round(gross.times(rate).dividedBy(rate.plus(100)), scale, mode)
    return { net: fixed(gross.minus(tax), scale), tax: fixed(tax, scale), gross: fixed(gross, scale), discount: fixed(discount, scale) }
  }
  const net = round(new Decimal(line.net).times(share), scale, mode)
  const tax = round(net.times(rate).dividedBy(100), scale, mode)
  return { net: fixed(net, scale), tax: fixed(tax, scale), gross: fixed(net.plus(tax), scale), discount: fixed(discount, scale) }
}

/** The format's number: {YYYY}/{YY} the year, {N…} the sequence zero-padded to the run's width. */
export function formatNumber(format: string, year: number, seq: number | bigint | string): string {
  return format
    .replace(/\{YYYY\}/g, String(year).padStart(4, '0'))
    .replace(/\{YY\}/g, String(year % 100).padStart(2, '0'))
    .replace(/\{(N+)\}/, (_m, ns: string) => String(seq).padStart(ns.length, '0'))
}

/** Whether numbering restarts every year under this format. */
export const formatHasYear = (format: string): boolean => /\{YYYY\}|\{YY\}/.test(format)
