import { usageError } from '../../errors.js'
import { commaInDecimalPointFile, DECIMAL_COMMA, fromDecimalComma, isCalendarDate, type Problems } from '../../validation.js'
import { checkBoolean } from '../spec.js'

/**
 * The steps a cell may go through between the client's file and the field's own check, each built
 * once per column. A step returns the new text, or undefined after recording a problem.
 */
export type Step = (problems: Problems, value: string) => string | undefined

/** A value map: cells listed are replaced (compared without surrounding blanks); others kept. */
export function valueMapStep(values: Map<string, string>): Step {
  return (_p, value) => {
    const to = values.get(value.trim())
    return to === undefined ? value : to
  }
}

/** A lookup: an empty cell stays empty; a key not in the table is kept, or a problem. */
export function lookupStep(field: string, values: Map<string, string>, table: string, keep: boolean): Step {
  return (p, value) => {
    const key = value.trim()
    if (key === '') return value
    const to = values.get(key)
    if (to !== undefined) return to
    if (keep) return value
    p.add(field, `"${key}" is not in the lookup table ${table}`)
    return undefined
  }
}

/** A boolean of the opposite meaning: yes → false, no → true, empty stays empty. */
export function invertStep(field: string): Step {
  return (p, value) => {
    const read = checkBoolean(p, field, value)
    if (read === undefined) return undefined
    return read === null ? '' : read === 'true' ? 'false' : 'true'
  }
}

/** Decimals written with a comma (see fromDecimalComma): 12,5 → 12.5; a point is refused. */
export function decimalCommaStep(field: string): Step {
  return (p, value) => {
    const read = fromDecimalComma(value)
    if (read.problem !== undefined) {
      p.add(field, read.problem)
      return undefined
    }
    return read.value
  }
}

/** The better message for a decimal comma in a decimal-point file, given when the field's check failed. */
export function decimalPointHint(value: string): string | undefined {
  return DECIMAL_COMMA.test(value) ? commaInDecimalPointFile(value) : undefined
}

const TOKENS: Record<string, { pattern: string; part?: 'year' | 'month' | 'day' }> = {
  YYYY: { pattern: '(\\d{4})', part: 'year' },
  MM: { pattern: '(\\d{2})', part: 'month' },
  M: { pattern: '(\\d{1,2})', part: 'month' },
  DD: { pattern: '(\\d{2})', part: 'day' },
  D: { pattern: '(\\d{1,2})', part: 'day' },
  HH: { pattern: '\\d{2}' },
  H: { pattern: '\\d{1,2}' },
  mm: { pattern: '\\d{2}' },
  ss: { pattern: '\\d{2}' },
  SSS: { pattern: '\\d{1,6}' },
}
const TOKEN = /YYYY|MM|M|DD|D|HH|H|mm|ss|SSS/g
const LITERAL = /^[ ./\-:T,]*$/

/**
 * A date format, like DD.MM.YYYY, M/D/YYYY or YYYY-MM-DD HH:mm:ss: a day, a month and a four-digit
 * year (two-digit years are not read: 01.02.03 is three different days depending on who wrote
 * it), separated by . / - space or T; a time after the date (HH, H, mm, ss, SSS) is read and left
 * out, since the fields hold days. The step turns the cell into YYYY-MM-DD; the field's check
 * then refuses days that do not exist (31.02.2026).
 */
export function dateFormatStep(field: string, format: string, origin: string): Step {
  const order: ('year' | 'month' | 'day')[] = []
  let pattern = '^'
  let at = 0
  for (const match of format.matchAll(TOKEN)) {
    const literal = format.slice(at, match.index)
    if (!LITERAL.test(literal)) throw badFormat(format, origin)
    pattern += escape(literal)
    const token = TOKENS[match[0]]
    pattern += token.pattern
    if (token.part) {
      if (order.includes(token.part)) throw badFormat(format, origin)
      order.push(token.part)
    }
    at = match.index + match[0].length
  }
  const rest = format.slice(at)
  if (!LITERAL.test(rest)) throw badFormat(format, origin)
  pattern += `${escape(rest)}$`
  if (order.length !== 3) throw badFormat(format, origin)
  const regex = new RegExp(pattern)
  const year = order.indexOf('year') + 1
  const month = order.indexOf('month') + 1
  const day = order.indexOf('day') + 1
  return (p, value) => {
    const text = value.trim()
    if (text === '') return value
    const m = regex.exec(text)
    if (!m) {
      p.add(field, `"${value}" is not a date written ${format}`)
      return undefined
    }
    const date = `${m[year]}-${m[month].padStart(2, '0')}-${m[day].padStart(2, '0')}`
    if (isCalendarDate(date)) return date
    p.add(field, `"${value}" is not a date: there is no such day (read as ${format})`)
    return undefined
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function badFormat(format: string, origin: string) {
  return usageError(`${origin}: "${format}" is not a date format: write the day, month and year as DD (or D), MM (or M) and YYYY, ` +
    'separated by . / - or a space, like DD.MM.YYYY or M/D/YYYY (a time may follow: HH:mm:ss)')
}

/** Steps one after the other; undefined stops. */
export function chain(steps: Step[]): Step | undefined {
  if (steps.length === 0) return undefined
  if (steps.length === 1) return steps[0]
  return (p, value) => {
    let v: string | undefined = value
    for (const step of steps) {
      v = step(p, v)
      if (v === undefined) return undefined
    }
    return v
  }
}
