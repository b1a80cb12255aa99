import Table from 'cli-table3'
import { stringify } from 'csv-stringify/sync'

import { usageError } from '../errors.js'
import { currentIo } from '../io.js'
import { sanitizeForTerminal } from './sanitize.js'

export interface Column<T> {
  /**
   * The column's one name: the table heading, the CSV header, the JSON key, and what --columns,
   * --sort and --filter take. No other spelling, so what a table shows is what a flag or a script uses.
   */
  key: string
  /** Reads the value; defaults to `row[key]`. */
  get?: (row: T) => unknown
  align?: 'left' | 'right'
}

export interface ListOptions {
  columns?: string[]
  sort?: string[]
  filter?: string[]
  output?: 'table' | 'csv' | 'json'
  header?: boolean
  truncate?: boolean
  color?: boolean
  width?: number
  /** stdout is a terminal: CSV cells get their control characters made visible too (a table's always do). */
  terminal?: boolean
}

const COLUMN_GAP = '  '
const MIN_TRUNCATED_WIDTH = 4
const BOLD = (text: string) => `\u001B[1m${text}\u001B[22m`

/**
 * Renders rows as a table, CSV or JSON after applying --filter, --sort and --columns.
 * The result has no trailing newline (callers print it with `this.log`); an empty table is ''.
 */
export function renderList<T extends object>(rows: T[], columns: Column<T>[], opts: ListOptions): string {
  const filtered = applyFilters(rows, columns, opts.filter ?? [])
  const sorted = applySort(filtered, columns, opts.sort ?? [])
  const selected = selectColumns(columns, opts.columns)

  switch (opts.output ?? 'table') {
    case 'json':
      return renderJson(sorted, selected)
    case 'csv':
      return renderCsv(sorted, selected, opts.header ?? true, opts.terminal ?? false)
    default:
      return renderTable(sorted, selected, opts)
  }
}

/** Key/value view for `show` commands. */
export function renderRecord(record: Record<string, unknown>, opts: { color?: boolean } = {}): string {
  const entries = Object.entries(record)
  const labelWidth = Math.max(0, ...entries.map(([key]) => key.length)) + 2
  return entries
    .map(([key, value]) => {
      const label = `${key}:`.padEnd(labelWidth)
      // Continuation lines of multi-line values line up under the value column.
      const text = sanitizeForTerminal(formatCell(value), true).replaceAll('\n', `\n${' '.repeat(labelWidth)}`)
      return `${opts.color ? BOLD(label) : label}${text}`.trimEnd()
    })
    .join('\n')
}

// ---- cell formatting -------------------------------------------------------

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return formatDate(value)
  // true/false in every output, as JSON writes them (a filter still takes yes/no).
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer)
  return String(value)
}

function formatDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

// JSON.stringify throws on bigint, which pg hands out for int8 when so configured.
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

// ---- column lookup ---------------------------------------------------------

function findColumn<T>(columns: Column<T>[], name: string, flag: string): Column<T> {
  const wanted = name.trim().toLowerCase()
  const column = columns.find((c) => c.key.toLowerCase() === wanted)
  if (column) return column
  const valid = columns.map((c) => c.key).join(', ')
  throw usageError(`Unknown column "${name.trim()}" in ${flag}. Valid columns: ${valid}`, {
    actions: [`Use one of: ${valid}`],
    data: { flag, column: name.trim(), validColumns: columns.map((c) => c.key) },
  })
}

function valueOf<T extends object>(row: T, column: Column<T>): unknown {
  return column.get ? column.get(row) : (row as Record<string, unknown>)[column.key]
}

function selectColumns<T>(columns: Column<T>[], names: string[] | undefined): Column<T>[] {
  const wanted = splitList(names ?? [])
  return wanted.length === 0 ? columns : wanted.map((name) => findColumn(columns, name, '--columns'))
}

/** Flags arrive split by oclif, but library callers may still pass "a,b". */
function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

// ---- filter ----------------------------------------------------------------

interface Filter<T> {
  column: Column<T>
  value: string
  exact: boolean
}

function parseFilter<T>(columns: Column<T>[], expression: string): Filter<T> {
  const at = expression.indexOf('=')
  if (at <= 0) {
    throw usageError(`Invalid --filter "${expression}": expected col=value or col==value`, {
      actions: ['Write --filter status=act for a substring match, --filter status==active for an exact one'],
    })
  }
  const exact = expression[at + 1] === '='
  return {
    column: findColumn(columns, expression.slice(0, at), '--filter'),
    value: expression.slice(at + (exact ? 2 : 1)),
    exact,
  }
}

/** A boolean matches as every output writes it (true/false) and as people say it (yes/no). */
function filterTexts(value: unknown): string[] {
  return typeof value === 'boolean' ? [formatCell(value), value ? 'yes' : 'no'] : [formatCell(value)]
}

function matches<T>(value: unknown, { value: wanted, exact }: Filter<T>): boolean {
  return filterTexts(value).some((text) =>
    exact ? text === wanted : text.toLowerCase().includes(wanted.toLowerCase()),
  )
}

function applyFilters<T extends object>(rows: T[], columns: Column<T>[], expressions: string[]): T[] {
  const filters = expressions.map((e) => parseFilter(columns, e))
  return rows.filter((row) => filters.every((f) => matches(valueOf(row, f.column), f)))
}

// ---- sort ------------------------------------------------------------------

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

function applySort<T extends object>(rows: T[], columns: Column<T>[], keys: string[]): T[] {
  const order = splitList(keys).map((key) => {
    const descending = key.startsWith('-')
    return { column: findColumn(columns, descending ? key.slice(1) : key, '--sort'), direction: descending ? -1 : 1 }
  })
  if (order.length === 0) return rows
  return [...rows].sort((a, b) => {
    for (const { column, direction } of order) {
      const result = compareValues(valueOf(a, column), valueOf(b, column), direction)
      if (result !== 0) return result
    }
    return 0
  })
}

/** Null sorts last in both directions, so the rows that matter stay at the top. */
function compareValues(a: unknown, b: unknown, direction: number): number {
  const aMissing = a === null || a === undefined || a === ''
  const bMissing = b === null || b === undefined || b === ''
  if (aMissing || bMissing) return Number(aMissing) - Number(bMissing)
  return direction * comparePresent(a, b)
}

function comparePresent(a: unknown, b: unknown): number {
  const [decimalA, decimalB] = [asDecimal(a), asDecimal(b)]
  if (decimalA && decimalB) return compareDecimals(decimalA, decimalB)
  const [timeA, timeB] = [asTime(a), asTime(b)]
  if (timeA !== undefined && timeB !== undefined) return timeA - timeB
  return collator.compare(formatCell(a), formatCell(b))
}

interface Decimal {
  negative: boolean
  integer: string
  fraction: string
}

/** Exact parse: numeric(20,4) amounts from pg arrive as strings wider than a double. */
function asDecimal(value: unknown): Decimal | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'bigint' ? String(value) : ''
  const match = DECIMAL.exec(text)
  if (!match) return undefined
  const integer = match[2].replace(/^0+/, '')
  const fraction = (match[3] ?? '').replace(/0+$/, '')
  const zero = integer === '' && fraction === ''
  return { negative: match[1] === '-' && !zero, integer, fraction }
}

function compareDecimals(a: Decimal, b: Decimal): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1
  const magnitude =
    a.integer.length !== b.integer.length
      ? a.integer.length - b.integer.length
      : compareDigits(a.integer, b.integer) || compareDigits(a.fraction, b.fraction)
  return a.negative ? -magnitude : magnitude
}

/** Plain code-unit order is numeric order for same-length integers and for fraction digits. */
function compareDigits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function asTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    const time = Date.parse(value.replace(' ', 'T'))
    return Number.isNaN(time) ? undefined : time
  }
  return undefined
}

// ---- outputs ---------------------------------------------------------------

function renderJson<T extends object>(rows: T[], columns: Column<T>[]): string {
  const records = rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c.key, valueOf(row, c) ?? null])),
  )
  return JSON.stringify(records, jsonReplacer, 2)
}

// A plain number such as -5 is safe in a spreadsheet; anything else starting like this is a formula.
const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/

function guardFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text
}

function renderCsv<T extends object>(rows: T[], columns: Column<T>[], header: boolean, terminal: boolean): string {
  const shown = terminal ? (text: string) => sanitizeForTerminal(text, true) : (text: string) => text
  const records = rows.map((row) => columns.map((c) => shown(guardFormula(formatCell(valueOf(row, c))))))
  if (header) records.unshift(columns.map((c) => shown(c.key)))
  // LF, like psql and the shell tools a CSV is piped into; the last one is dropped: callers add it.
  // quote_record_delimiter: with an explicit delimiter csv-stringify would stop quoting a lone \n or \r.
  return stringify(records, { record_delimiter: 'unix', quote_record_delimiter: true }).replace(/\n$/, '')
}

function renderTable<T extends object>(rows: T[], columns: Column<T>[], opts: ListOptions): string {
  if (rows.length === 0) return ''
  const showHeader = opts.header ?? true
  const headers = columns.map((c) => sanitizeForTerminal(c.key))
  const cells = rows.map((row) => columns.map((c) => sanitizeForTerminal(formatCell(valueOf(row, c)))))

  // reduce, not Math.max(...spread): a long list would overflow the argument stack.
  const natural = columns.map((_, i) =>
    cells.reduce((max, line) => Math.max(max, displayWidth(line[i])), showHeader ? displayWidth(headers[i]) : 0),
  )
  const width = opts.width ?? currentIo().stdout.columns ?? 120
  const colWidths = opts.truncate === false ? undefined : fitWidths(natural, width - COLUMN_GAP.length * (columns.length - 1))

  const table = new Table({
    head: showHeader ? headers.map((h) => (opts.color ? BOLD(h) : h)) : [],
    colAligns: columns.map((c) => c.align ?? 'left'),
    ...(colWidths ? { colWidths } : {}),
    chars: HEROKU_STYLE,
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
  })
  table.push(...cells)
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}

/** No frame: an underline below the header and two spaces between columns, as in the Heroku CLI. */
const HEROKU_STYLE = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', right: '', 'right-mid': '',
  mid: '─', 'mid-mid': COLUMN_GAP, middle: COLUMN_GAP,
}

/**
 * Caps the widest columns until the row fits, so short columns (ids, status) stay whole.
 * If even the minimum widths do not fit, the terminal wraps: better than unreadable stubs.
 */
function fitWidths(natural: number[], available: number): number[] | undefined {
  const total = (cap: number) => natural.reduce((sum, w) => sum + Math.min(w, cap), 0)
  let cap = Math.max(0, ...natural)
  if (total(cap) <= available) return undefined
  while (cap > MIN_TRUNCATED_WIDTH && total(cap) > available) cap--
  return natural.map((w) => Math.min(w, cap))
}

/** Code points, not UTF-16 units; cli-table3 measures wide glyphs itself when it truncates. */
function displayWidth(text: string): number {
  return [...text].length
}
