import { expect } from 'chai'
import type { Knex } from 'knex'

import { convertAttributeValue, type Attribute } from '../../src/lib/catalog/attributes.js'
import { timestampFrom } from '../../src/lib/cli/flags.js'
import { isErpError } from '../../src/lib/errors.js'
import { priceItemsSpec } from '../../src/lib/importer/price-items.js'
import type { FieldSpec } from '../../src/lib/importer/spec.js'
import { stockSpec } from '../../src/lib/importer/stock.js'
import { checkDay } from '../../src/lib/invoices/invoice.js'
import { listOrders } from '../../src/lib/orders/orders.js'
import { checkDate as pricingCheckDate } from '../../src/lib/pricing/checks.js'
import { parseQuoteInput } from '../../src/lib/pricing/resolve.js'
import { dayProblem, isWholeQuantity, quantityProblem, signedQuantityProblem } from '../../src/lib/stock/input.js'
import { checkDate, checkDecimal, parseTimestamp, Problems } from '../../src/lib/validation.js'

/**
 * One date check and one decimal check behind every input path: flags and files handed to the
 * services, CSV cells through the importers' field checks, stock quantities and days. Each hostile
 * value gets the same verdict on every path. No database: a service that gets past its checks
 * reaches for the transaction, which here refuses to be used.
 */

const NO_DB = new Proxy({}, { get: () => { throw new Error('past the input checks') } }) as Knex.Transaction

/** Refused by the service's input checks (INVALID_DATA) or let through to the database. */
/** A quote's input checks' verdict (the quote goes on to look up the customer and SKUs, to report all at once). */
function quoteVerdict(input: Parameters<typeof parseQuoteInput>[1]): boolean {
  const problems = new Problems()
  parseQuoteInput(problems, input)
  return problems.list.length === 0
}

/** A flag check's verdict: true when it takes the value, false when it refuses it as a usage error with the one message. */
function flagVerdict(check: () => unknown): boolean {
  try {
    check()
    return true
  } catch (err) {
    if (isErpError(err) && err.kind === 'USAGE' && / is not a date \(write it as YYYY-MM-DD\)$/.test(err.message)) return false
    throw err
  }
}

async function serviceVerdict(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call()
  } catch (err) {
    if (isErpError(err) && err.kind === 'INVALID_DATA') return false
    if (err instanceof Error && err.message === 'past the input checks') return true
    throw err
  }
  throw new Error('the service neither refused nor reached the database')
}

function cellVerdict(fields: FieldSpec[], key: string, raw: string): boolean {
  const field = fields.find((f) => f.key === key)!
  const problems = new Problems()
  return field.check(problems, raw) !== undefined && problems.empty
}

const DATE_ATTRIBUTE: Attribute = { id: '1', code: 'launched', name: null, type: 'date', enumValues: null, createdAt: new Date(0) }

const DATES: Array<[string, boolean]> = [
  ['2026-01-31', true], ['2024-02-29', true], ['0001-01-01', true], ['9999-12-31', true], [' 2026-01-31 ', true],
  ['2026-02-30', false], ['2026-02-29', false], ['2026-13-01', false], ['2026-00-10', false], ['2026-01-00', false], ['2026-04-31', false],
  ['0000-01-01', false], ['2026-1-5', false], ['20260131', false], ['2026/01/31', false], ['31.01.2026', false],
  ['2026-01-31T00:00:00Z', false], ['+2026-01-31', false], ['２０２６-01-31', false], ['', false], ['NaN', false], ['1e3', false],
  [`2026-01-31${'0'.repeat(10_000)}`, false],
]

/** numeric(18,4), zero or more: what prices, quantities, counts and minimum quantities take. */
const DECIMALS: Array<[string, string | undefined]> = [
  ['12.5', '12.5'], ['007.50', '7.5'], [' 1', '1'], ['1 ', '1'], ['+1', '1'], ['-0', '0'], ['0', '0'],
  ['99999999999999.9999', '99999999999999.9999'], [`${'0'.repeat(40)}1`, '1'], [`1.${'0'.repeat(40)}`, '1'],
  ['1e3', undefined], ['1E3', undefined], ['1,5', undefined], ['1.000,5', undefined], ['0x10', undefined], ['0b1', undefined],
  ['NaN', undefined], ['Infinity', undefined], ['-Infinity', undefined], ['-1', undefined], ['1.', undefined], ['.5', undefined],
  ['1.23456', undefined], ['１', undefined], ['', undefined], [' ', undefined], ['1 000', undefined], ['--1', undefined],
  ['1'.repeat(15), undefined], [`0.${'0'.repeat(40)}1`, undefined], ['9'.repeat(100_000), undefined],
]
const QTY = { precision: 18, scale: 4, nonNegative: true }

describe('input checks: one date check and one decimal check on every path', () => {
  let stockFields: FieldSpec[]
  let priceFields: FieldSpec[]
  before(async () => {
    stockFields = await stockSpec.fields(NO_DB, {} as never)
    priceFields = await priceItemsSpec.fields(NO_DB, {} as never)
  })

  it('gives every date the same verdict, with one message', async () => {
    for (const [value, ok] of DATES) {
      const label = JSON.stringify(value.slice(0, 30))
      const problems = new Problems()
      expect(checkDate(problems, 'date', value) !== undefined, `checkDate ${label}`).to.equal(ok)
      if (!ok) expect(problems.list[0].message, label).to.equal(`"${value}" is not a date (write it as YYYY-MM-DD)`)
      expect(pricingCheckDate(new Problems(), 'date', value) !== undefined, `pricing ${label}`).to.equal(ok)
      expect(dayProblem(value, 'expiry') === undefined, `stock day ${label}`).to.equal(ok)
      if (!ok) expect(dayProblem(value, 'expiry')).to.equal(`expiry: "${value}" is not a date (write it as YYYY-MM-DD)`)
      const attribute = new Problems()
      expect(convertAttributeValue(attribute, 'attributes', DATE_ATTRIBUTE, value) !== undefined, `attribute ${label}`).to.equal(ok)
      if (!ok) expect(attribute.list[0].message).to.equal(`launched: "${value}" is not a date (write it as YYYY-MM-DD)`)
      if (value.trim() !== '') {
        // A blank cell is a missing value in a CSV, not a bad date.
        expect(cellVerdict(stockFields, 'expiry', value), `stock import expiry ${label}`).to.equal(ok)
        expect(cellVerdict(priceFields, 'valid_from', value), `price import valid_from ${label}`).to.equal(ok)
      }
      expect(await serviceVerdict(() => listOrders(NO_DB, { from: value })), `orders list --from ${label}`).to.equal(ok)
      expect(quoteVerdict({ date: value, lines: [{ sku: 'A', qty: '1' }] }), `quote --date ${label}`).to.equal(ok)
      expect(flagVerdict(() => checkDay('date', value)), `invoices --date ${label}`).to.equal(ok)
    }
  })

  it('gives every point in time (--since, --until) one verdict, calendar-checked, with one message', () => {
    const TIMES: Array<[string, string | null]> = [
      ['2026-11-01', '2026-11-01T00:00:00.000Z'],
      [' 2026-11-01 ', '2026-11-01T00:00:00.000Z'],
      ['2026-11-01T08:30:00Z', '2026-11-01T08:30:00.000Z'],
      ['2026-11-01T08:30:15.250+02:00', '2026-11-01T06:30:15.250Z'],
      ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
      ['2026-02-30', null],
      ['2026-02-30T08:00:00Z', null],
      ['2026-11-01T24:00:00Z', null],
      ['2026-11-01T08:60Z', null],
      ['2026', null],
      ['March 1, 2026', null],
      ['2026-11-01 08:00', null],
      ['1e3', null],
      ['', null],
      ['2026-11-01T08:00:00Z; drop table x', null],
    ]
    for (const [value, expected] of TIMES) {
      const label = JSON.stringify(value)
      expect(parseTimestamp(value)?.toISOString() ?? null, label).to.equal(expected)
      if (expected) expect(timestampFrom('--since', value)?.toISOString(), label).to.equal(expected)
      else expect(() => timestampFrom('--since', value), label).to.throw(`--since: "${value}" is not a date or time (write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`)
    }
    expect(timestampFrom('--until', undefined)).to.equal(undefined)
  })

  it('gives every decimal the same verdict, normalised the same way, with one message', async () => {
    for (const [value, normal] of DECIMALS) {
      const label = JSON.stringify(value.slice(0, 30))
      const ok = normal !== undefined
      const positive = ok && normal !== '0'
      const problems = new Problems()
      expect(checkDecimal(problems, 'qty', value, QTY), `checkDecimal ${label}`).to.equal(normal)
      if (!ok && !/^[+-]?\d+(\.\d+)?$/.test(value.trim())) expect(problems.list[0].message, label).to.equal(`"${value}" is not a decimal number (write it like 12.5)`)
      // Stock quantities are the same check plus "more than zero".
      expect(quantityProblem(value) === undefined, `stock quantity ${label}`).to.equal(positive)
      if (ok && !positive) expect(quantityProblem(value)).to.equal('quantity must be greater than zero')
      if (value.trim() !== '') {
        expect(cellVerdict(stockFields, 'counted', value), `stock import counted ${label}`).to.equal(ok)
        expect(cellVerdict(priceFields, 'price', value), `price import price ${label}`).to.equal(ok)
        expect(cellVerdict(priceFields, 'min_qty', value), `price import min_qty ${label}`).to.equal(ok)
      }
      expect(quoteVerdict({ lines: [{ sku: 'A', qty: value }] }), `quote qty ${label}`).to.equal(positive)
      expect(quoteVerdict({ lines: [{ sku: 'A', qty: '1', unitPriceOverride: value }] }), `quote price ${label}`).to.equal(ok)
    }
  })

  it('signed stock quantities and whole units follow the same decimal check', () => {
    for (const [value, verdict] of [['-3', true], ['+2.5', true], [' -1 ', true], ['-0', false], ['-1e3', false], ['-0x10', false], ['-1,5', false], ['-NaN', false]] as const) {
      expect(signedQuantityProblem(value) === undefined, value).to.equal(verdict)
    }
    for (const [value, whole] of [['2', true], ['2.0000', true], ['+2', true], [' 2', true], ['2.5', false], ['2e0', false], ['0x2', false]] as const) {
      expect(isWholeQuantity(value), value).to.equal(whole)
    }
  })
})
