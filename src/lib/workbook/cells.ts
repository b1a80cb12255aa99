/**
 * Cell values of a workbook as the importer's text: what a CSV export of the same sheet would
 * say, without the locale. Numbers in their shortest round-trip form (Excel stores doubles), never
 * with an exponent; dates as ISO 8601, from the serial number and the cell's number format.
 */

/** The format's limits (Excel and LibreOffice alike): column XFD, row 1,048,576. */
export const MAX_COLUMNS = 16_384
export const MAX_ROWS = 1_048_576

/**
 * Already the shortest round-trip text: at most 15 digits in 16 characters (a double keeps 15
 * exactly), no exponent, no leading zero, no trailing zero after the point. What most cells hold: kept as is,
 * without the cost of a Number and back (a third of a large sheet's reading time otherwise).
 */
const CANONICAL = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{0,14}[1-9])?$/

/** A number as plain decimal text: 12, 12.5, 0.1, -0.000001 (not 1e-6), 1e21 written out. */
export function numberText(value: string): string | undefined {
  if (value.length <= 16 && CANONICAL.test(value) && value !== '-0') return value
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) return undefined
  if (Object.is(n, -0)) return '0'
  const text = String(n)
  return text.includes('e') ? expandExponent(text) : text
}

function expandExponent(text: string): string {
  const [mantissa, exp] = text.split('e')
  const negative = mantissa.startsWith('-')
  const [whole, fraction = ''] = (negative ? mantissa.slice(1) : mantissa).split('.')
  const digits = whole + fraction
  const point = whole.length + Number(exp)
  const plain = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (negative ? '-' : '') + plain
}

export type DateKind = 'date' | 'datetime' | 'time'

/** Excel's built-in number formats that show a date or time (ECMA-376 18.8.30). */
const BUILT_IN_DATES: Record<number, DateKind> = {
  14: 'date', 15: 'date', 16: 'date', 17: 'date', 18: 'time', 19: 'time', 20: 'time', 21: 'time', 22: 'datetime',
  45: 'time', 46: 'time', 47: 'time',
}

export function builtInDateKind(id: number): DateKind | undefined {
  return BUILT_IN_DATES[id]
}

/**
 * Whether a custom format code shows a date or time: d, m, y, h or s outside quoted text,
 * backslash escapes and [brackets] (colours, locales, [h] durations); only the first section
 * (positive numbers) counts. "m" is minutes beside h, s or a colon ([h]:mm), else a month.
 */
export function customDateKind(code: string): DateKind | undefined {
  const first = code.split(';')[0]
  const bare = first.replaceAll(/"[^"]*"/g, '').replaceAll(/\\./g, '').replaceAll(/\[[^\]]*\]/g, '').replaceAll(/[_*]./g, '').toLowerCase()
  const time = /[hs]/.test(bare) || /:m|m:/.test(bare)
  const date = /[dy]/.test(bare) || (/m/.test(bare) && !time)
  if (date && time) return 'datetime'
  if (date) return 'date'
  if (time) return 'time'
  return undefined
}

const DAY_MS = 86_400_000
/** Serial 0 of each date system as a UTC time (1900: 1899-12-30, which absorbs Lotus' 29 Feb 1900). */
const EPOCH_1900 = Date.UTC(1899, 11, 30)
const EPOCH_1904 = Date.UTC(1904, 0, 1)
/** 9999-12-31, Excel's last day. */
const MAX_SERIAL = 2_958_465

/** A date serial number as ISO text (yyyy-mm-dd, yyyy-mm-ddThh:mm:ss or hh:mm:ss), to the second. */
export function serialDateText(value: string, kind: DateKind, date1904: boolean): string | undefined {
  const serial = Number(value)
  if (value.trim() === '' || !Number.isFinite(serial) || serial < 0 || serial > MAX_SERIAL + 1) return undefined
  // Serials 1–59 (January and February 1900) count from 1899-12-31: the fictitious 29 Feb 1900 is serial 60.
  const shift = !date1904 && serial < 60 ? 1 : 0
  const ms = Math.round(serial * 86_400) * 1000 + (date1904 ? EPOCH_1904 : EPOCH_1900) + shift * DAY_MS
  const iso = new Date(ms).toISOString()
  if (kind === 'time') return iso.slice(11, 19)
  if (kind === 'date') return iso.slice(0, 10)
  return iso.slice(0, 19)
}

/** ODF's office:time-value (PT12H30M05S, also P1DT2H) as hh:mm:ss. */
export function durationText(value: string): string | undefined {
  const m = /^-?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value)
  if (!m) return undefined
  const hours = Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(hours)}:${two(Number(m[3] ?? 0))}:${two(Math.round(Number(m[4] ?? 0)))}`
}

/** "AB12" → 27 (1-based column), 0 when the reference is malformed or beyond XFD. */
export function columnOf(reference: string): number {
  let column = 0
  let i = 0
  for (; i < reference.length; i++) {
    const c = reference.charCodeAt(i) | 0x20
    if (c < 0x61 || c > 0x7a) break
    column = column * 26 + (c - 0x60)
    if (column > MAX_COLUMNS) return 0
  }
  return i === 0 ? 0 : column
}

/** The column letters of a 1-based index: 1 → A, 27 → AA. */
export function columnName(column: number): string {
  let name = ''
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

/** OOXML writes characters XML cannot hold as _xHHHH_ (a CR as _x000D_); _x005F_ escapes the underscore. */
export function decodeOoxmlEscapes(text: string): string {
  if (!text.includes('_x')) return text
  return text.replaceAll(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}
