import { conflict, invalidData } from './errors.js'

/**
 * Validation that reports every bad input at once. Services collect problems while checking their
 * input, then call `throwIfAny` before writing anything.
 */
export interface Problem {
  /** The input field (service field name, which the CLI exposes as --<field-in-kebab-case>). */
  field: string
  message: string
  /** A value already in use (duplicate SKU, email...) rather than a malformed one. */
  conflict?: boolean
}

export class Problems {
  readonly list: Problem[] = []
  private readonly hints = new Set<string>()

  add(field: string, message: string, options: { conflict?: boolean; action?: string } = {}): void {
    this.list.push({ field, message, ...(options.conflict ? { conflict: true } : {}) })
    if (options.action) this.hints.add(options.action)
  }

  get empty(): boolean {
    return this.list.length === 0
  }

  /**
   * Throws when anything was wrong: CONFLICT (exit 1) when every problem is a value already in use,
   * INVALID_DATA (exit 65) otherwise. `what` opens the message: 'Product "X" was not created'.
   */
  throwIfAny(what: string): void {
    if (this.empty) return
    const detail = this.list.map((p) => `${label(p.field)}: ${p.message}`).join('; ')
    const message = `${what}: ${detail}`
    const options = { actions: [...this.hints], data: { problems: this.list } }
    throw this.list.every((p) => p.conflict) ? conflict(message, options) : invalidData(message, options)
  }
}

/** 'creditLimit' → 'credit limit': messages read as prose; `field` keeps the key for --json. */
function label(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * THE date check for input (flags, CSV cells, order and count files): a calendar day written
 * YYYY-MM-DD that exists (2026-02-30 and 2026-13-01 do not). Blanks around it are ignored, as they
 * are for decimals. Date.parse is not a check: it rolls 2026-02-30 over to March.
 */
export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value.trim())
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999. There is no year 0.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** The one message for a value that is not a date. */
export function notADate(value: string): string {
  return `"${value}" is not a date (write it as YYYY-MM-DD)`
}

/** A date as isCalendarDate takes it; returns it trimmed, or undefined after recording a problem. */
export function checkDate(problems: Problems, field: string, value: string): string | undefined {
  if (isCalendarDate(value)) return value.trim()
  problems.add(field, notADate(value))
  return undefined
}

const ISO_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/

/**
 * The one check for a point in time from outside (a --since flag): a calendar date (midnight UTC)
 * or an ISO 8601 date-time, with its date checked as isCalendarDate does and its clock in range;
 * without an offset the time is local, as JavaScript reads it. `Date` alone rolls 2026-02-30 over
 * to March 2 and takes "2026" or "March 1" too.
 */
export function parseTimestamp(value: string): Date | undefined {
  const text = value.trim()
  const match = ISO_TIMESTAMP.exec(text)
  if (!match || !isCalendarDate(match[1])) return undefined
  const [hour, minute, second] = [match[2], match[3], match[4]].map((part) => Number(part ?? 0))
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** The one message for a value that is not a point in time. */
export function notATimestamp(value: string): string {
  return `"${value}" is not a date or time (write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/

export interface DecimalRule {
  /** Total significant digits and digits after the point, as in numeric(precision, scale). */
  precision: number
  scale: number
  /** Refuse negative values. */
  nonNegative?: boolean
  /** Largest allowed whole value (integers only), e.g. 100 for a percentage. */
  max?: number
}

/**
 * THE decimal check for input (money, quantities, rates, from flags, CSV cells and files): a
 * decimal string checked against numeric(p, s) without going through a float; returns it
 * normalised ("007.50" → "7.50") or undefined after recording a problem. Extra fraction digits are
 * refused, not rounded away; so are exponents (1e3), hex (0x10), commas (1,5), NaN and Infinity.
 * Blanks around the value are ignored.
 */
export function checkDecimal(problems: Problems, field: string, value: string, rule: DecimalRule): string | undefined {
  const plain = plainDecimal(value, rule)
  if (plain !== undefined) return plain
  const match = DECIMAL.exec(value.trim())
  if (!match) {
    problems.add(field, notADecimal(value))
    return undefined
  }
  const integer = match[2].replace(/^0+(?=\d)/, '')
  const fraction = (match[3] ?? '').replace(/0+$/, '')
  const negative = match[1] === '-' && !(/^0+$/.test(integer) && fraction === '')
  const before = problems.list.length
  if (rule.nonNegative && negative) problems.add(field, `must be zero or more (got ${value})`)
  if (fraction.length > rule.scale) {
    problems.add(field, `at most ${rule.scale} digit(s) after the decimal point (got ${value})`)
  }
  const maxInteger = rule.precision - rule.scale
  if (integer !== '0' && integer.length > maxInteger) {
    problems.add(field, `too large: at most ${maxInteger} digit(s) before the decimal point (got ${value})`)
  } else if (rule.max !== undefined && (Number(integer) > rule.max || (Number(integer) === rule.max && fraction !== ''))) {
    problems.add(field, `must be at most ${rule.max} (got ${value})`)
  }
  if (problems.list.length > before) return undefined
  return `${negative ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`
}

/** The one message for a value that is not a decimal number. */
export function notADecimal(value: string): string {
  return `"${value}" is not a decimal number (write it like 12.5)`
}

/**
 * THE decimal-comma rule, for every file erp reads (imports and stock reconcile). A file writes its
 * decimals with a point or with a comma, never both:
 * - with a comma (a ';'-delimited file, unless --no-decimal-comma; or --decimal-comma): "12,5" is
 *   12.5 and "1,234" is 1.234. A point is refused: in such a file "1.234" is as likely a thousands
 *   separator (one thousand two hundred and thirty-four) as a decimal point, and is never guessed.
 * - with a point (every other file): "12.5" as checkDecimal reads it; a comma is refused, and a
 *   value that reads as a decimal comma ("12,5", "1,234") says how to read it that way.
 * Returns the value with a decimal point, for checkDecimal; or a problem message.
 */
export function fromDecimalComma(value: string): { value: string; problem?: undefined } | { value?: undefined; problem: string } {
  if (value.includes('.')) return { problem: pointInDecimalCommaFile(value) }
  const comma = value.indexOf(',')
  if (comma < 0) return { value }
  if (value.indexOf(',', comma + 1) >= 0) return { problem: `"${value}" is not a decimal number (a decimal comma once, like 12,5)` }
  return { value: `${value.slice(0, comma)}.${value.slice(comma + 1)}` }
}

/** The one message for a point in a file that writes decimals with a comma. */
export function pointInDecimalCommaFile(value: string): string {
  return `"${value}" has a point, but this file writes decimals with a comma: 1.234 could mean 1234 or 1,234, so it is not guessed ` +
    '(write it without thousands separators, like 1234 or 1,234; or pass --no-decimal-comma if the file writes decimals with a point)'
}

/** A value that reads as a number written with a decimal comma. */
export const DECIMAL_COMMA = /^\s*[+-]?\d+,\d+\s*$/

/** The one message for a decimal comma in a file that writes decimals with a point. */
export function commaInDecimalPointFile(value: string): string {
  return `"${value}" has a comma, but this file writes decimals with a point (1,234 could mean 1234 or 1.234); ` +
    'if the file writes decimals with a comma, pass --decimal-comma (a ;-delimited file does by default)'
}

/** checkDecimal for callers that report one problem as text: the first problem, or undefined. */
export function decimalProblem(value: string, rule: DecimalRule): { value?: string; problem?: string } {
  const problems = new Problems()
  const checked = checkDecimal(problems, 'value', value, rule)
  return checked === undefined ? { problem: problems.list[0].message } : { value: checked }
}

/** Unsigned, no leading zeros, no blanks: how most cells of a large import look. */
const PLAIN_DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/

/**
 * checkDecimal's answer for a plain, valid value (trailing fraction zeros dropped), found without
 * its regexes and replaces; undefined sends the value down the general path.
 */
function plainDecimal(value: string, rule: DecimalRule): string | undefined {
  if (rule.max !== undefined || !PLAIN_DECIMAL.test(value)) return undefined
  const dot = value.indexOf('.')
  if (dot < 0) return value.length <= rule.precision - rule.scale || value === '0' ? value : undefined
  let end = value.length
  while (value.charCodeAt(end - 1) === 48) end--
  if (end === dot + 1) end = dot
  const integerOk = value.charCodeAt(0) === 48 || dot <= rule.precision - rule.scale
  return integerOk && Math.max(0, end - dot - 1) <= rule.scale ? value.slice(0, end) : undefined
}

/** A whole number in [min, max], from a string or a number. */
export function checkInteger(problems: Problems, field: string, value: string | number, min: number, max: number): number | undefined {
  const text = String(value).trim()
  if (!/^[+-]?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    problems.add(field, `must be a whole number from ${min} to ${max} (got ${value})`)
    return undefined
  }
  return Number(text)
}

// Practical address syntax: a dot-atom local part and a domain of DNS labels with a dot in it.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

export function checkEmail(problems: Problems, field: string, value: string): string | undefined {
  const email = value.trim()
  const local = email.slice(0, email.lastIndexOf('@'))
  if (email.length > 254 || !EMAIL.test(email) || local.length > 64 || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    problems.add(field, `"${value}" is not a valid email address (expected name@example.com)`)
    return undefined
  }
  return email
}

/** Text that must be present (not blank) and not too long; returns it trimmed. */
export function checkText(problems: Problems, field: string, value: string, maxLength: number): string | undefined {
  const text = value.trim()
  if (text === '') {
    problems.add(field, 'must not be empty')
    return undefined
  }
  if (text.length > maxLength) {
    problems.add(field, `at most ${maxLength} characters (got ${text.length})`)
    return undefined
  }
  return text
}

/** Text that may be cleared: '' or only blanks mean null. */
export function optionalText(problems: Problems, field: string, value: string | null | undefined, maxLength: number): string | null | undefined {
  if (value === undefined) return undefined
  if (value === null || value.trim() === '') return null
  return checkText(problems, field, value, maxLength) ?? undefined
}

/** For LIKE patterns built from operator input: % and _ match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}
