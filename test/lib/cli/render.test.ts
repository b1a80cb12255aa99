import { expect } from 'chai'

import { ErpError } from '../../../src/lib/errors.js'
import { type Column, renderList, renderRecord } from '../../../src/lib/cli/render.js'

interface Invoice {
  id: number
  customer: string
  amount: string | null
  paid: boolean
  issued: Date
}

const COLUMNS: Column<Invoice>[] = [
  { key: 'id', align: 'right' },
  { key: 'customer' },
  { key: 'amount', align: 'right' },
  { key: 'paid' },
  { key: 'issued' },
]

const ROWS: Invoice[] = [
  { id: 1, customer: 'Acme Corp', amount: '10.25', paid: true, issued: new Date('2024-03-01T10:00:00.123Z') },
  { id: 2, customer: 'Globex', amount: '9.5', paid: false, issued: new Date('2024-01-15T08:30:00Z') },
  { id: 3, customer: 'acme labs', amount: null, paid: false, issued: new Date('2024-02-10T00:00:00Z') },
  { id: 4, customer: 'Initech', amount: '-3', paid: true, issued: new Date('2023-12-31T23:59:59Z') },
]

const json = (opts: Parameters<typeof renderList>[2]) =>
  JSON.parse(renderList(ROWS, COLUMNS, { ...opts, output: 'json' })) as Record<string, unknown>[]
const ids = (opts: Parameters<typeof renderList>[2]) => json(opts).map((r) => r.id)

function usageErrorOf(fn: () => unknown): ErpError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(ErpError)
    expect((error as ErpError).kind).to.equal('USAGE')
    return error as ErpError
  }
  throw new Error('expected a usage error')
}

describe('renderList', () => {
  describe('--filter', () => {
    it('matches a case-insensitive substring with col=value', () => {
      expect(ids({ filter: ['customer=ACME'] })).to.deep.equal([1, 3])
    })

    it('matches exactly with col==value', () => {
      expect(ids({ filter: ['customer==Acme'] })).to.deep.equal([])
      expect(ids({ filter: ['customer==Acme Corp'] })).to.deep.equal([1])
    })

    it('combines several filters with AND and accepts any case in the column name', () => {
      expect(ids({ filter: ['Customer=acme', 'paid==no'] })).to.deep.equal([3])
    })

    it('matches booleans as yes/no and as true/false', () => {
      expect(ids({ filter: ['paid==true'] })).to.deep.equal([1, 4])
      expect(ids({ filter: ['paid==yes'] })).to.deep.equal([1, 4])
    })

    it('keeps "=" inside the value', () => {
      const rows = [{ expr: 'a=b' }, { expr: 'a' }]
      const out = JSON.parse(renderList(rows, [{ key: 'expr' }], { filter: ['expr==a=b'], output: 'json' }))
      expect(out).to.deep.equal([{ expr: 'a=b' }])
    })

    it('rejects an unknown column, naming the valid ones', () => {
      const error = usageErrorOf(() => renderList(ROWS, COLUMNS, { filter: ['nope=1'] }))
      expect(error.message).to.include('"nope"').and.include('--filter')
      expect(error.message).to.include('id, customer, amount, paid, issued')
    })

    it('rejects an expression without =', () => {
      expect(usageErrorOf(() => renderList(ROWS, COLUMNS, { filter: ['customer'] })).message).to.include('col=value')
    })
  })

  describe('--sort', () => {
    it('sorts decimal strings as numbers, nulls last', () => {
      expect(ids({ sort: ['amount'] })).to.deep.equal([4, 2, 1, 3])
    })

    it('sorts descending with -col and still puts nulls last', () => {
      expect(ids({ sort: ['-amount'] })).to.deep.equal([1, 2, 4, 3])
    })

    it('compares decimals wider than a double exactly', () => {
      const rows = [{ n: '12345678901234567890.02' }, { n: '12345678901234567890.1' }, { n: '-0.00' }, { n: '-0.5' }]
      const out = JSON.parse(renderList(rows, [{ key: 'n' }], { sort: ['n'], output: 'json' }))
      expect(out.map((r: { n: string }) => r.n)).to.deep.equal([
        '-0.5',
        '-0.00',
        '12345678901234567890.02',
        '12345678901234567890.1',
      ])
    })

    it('sorts dates as dates, ISO strings included', () => {
      expect(ids({ sort: ['issued'] })).to.deep.equal([4, 2, 3, 1])
      const rows = [{ d: '2024-10-01T00:00:00+02:00' }, { d: '2024-09-30T23:00:00Z' }]
      const out = JSON.parse(renderList(rows, [{ key: 'd' }], { sort: ['d'], output: 'json' }))
      expect(out[0].d).to.equal('2024-10-01T00:00:00+02:00')
    })

    it('takes several keys, comma-separated or repeated', () => {
      expect(ids({ sort: ['paid,-id'] })).to.deep.equal([3, 2, 4, 1])
      expect(ids({ sort: ['paid', '-id'] })).to.deep.equal([3, 2, 4, 1])
    })

    it('rejects an unknown column', () => {
      expect(usageErrorOf(() => renderList(ROWS, COLUMNS, { sort: ['-total'] })).message).to.include('"total"')
    })
  })

  describe('--columns', () => {
    it('selects and orders columns by key, case-insensitively', () => {
      expect(json({ columns: ['PAID', 'id'] })[0]).to.deep.equal({ paid: true, id: 1 })
    })

    it('can filter and sort on columns it does not show', () => {
      expect(json({ columns: ['customer'], filter: ['paid==no'], sort: ['-id'] })).to.deep.equal([
        { customer: 'acme labs' },
        { customer: 'Globex' },
      ])
    })

    it('rejects an unknown column, listing the valid ones', () => {
      const error = usageErrorOf(() => renderList(ROWS, COLUMNS, { columns: ['id', 'total'] }))
      expect(error.message).to.include('--columns').and.include('id, customer, amount, paid, issued')
    })
  })

  describe('table', () => {
    const plain = { output: 'table' as const, color: false, width: 200 }

    it('draws an underlined header and two-space gaps, without a frame', () => {
      const lines = renderList(ROWS, COLUMNS, { ...plain, columns: ['id', 'customer', 'paid'] }).split('\n')
      // The heading is the column's key, as CSV, JSON and --columns spell it; booleans as JSON writes them.
      expect(lines[0]).to.equal('id  customer   paid')
      expect(lines[1]).to.equal('──  ─────────  ─────')
      expect(lines[2]).to.equal(' 1  Acme Corp  true')
      expect(lines).to.have.length(2 + ROWS.length)
    })

    it('formats dates as ISO without milliseconds and null as empty', () => {
      const out = renderList(ROWS, COLUMNS, { ...plain, columns: ['amount', 'issued'], filter: ['id==3'] })
      expect(out.split('\n')[2]).to.equal('        2024-02-10T00:00:00Z')
      expect(renderList(ROWS, COLUMNS, { ...plain, columns: ['issued'] })).to.include('2024-03-01T10:00:00Z')
    })

    it('leaves out the header with header=false', () => {
      const out = renderList(ROWS, COLUMNS, { ...plain, columns: ['customer'], header: false })
      expect(out.split('\n')).to.deep.equal(['Acme Corp', 'Globex', 'acme labs', 'Initech'])
    })

    it('returns an empty string for no rows', () => {
      expect(renderList([], COLUMNS, plain)).to.equal('')
    })

    it('bolds the header only with colour', () => {
      expect(renderList(ROWS, COLUMNS, plain)).not.to.include('\u001B[')
      expect(renderList(ROWS, COLUMNS, { ...plain, color: true }).split('\n')[0]).to.include('\u001B[1mid')
    })

    it('truncates the widest column to fit the width, unless truncate=false', () => {
      const rows = [{ id: 1, note: 'x'.repeat(100) }]
      const columns = [{ key: 'id' }, { key: 'note' }]
      const lines = renderList(rows, columns, { width: 40 }).split('\n')
      expect(Math.max(...lines.map((l) => l.length))).to.be.at.most(40)
      expect(lines[2]).to.match(/^1 {3}x+…$/)
      expect(renderList(rows, columns, { width: 40, truncate: false })).to.include('x'.repeat(100))
    })

    it('neutralises control characters in cells', () => {
      const out = renderList([{ name: 'evil\u001B[2Jname\nnext' }], [{ key: 'name' }], plain)
      expect(out).not.to.include('\u001B').and.not.to.include('next\n')
      expect(out.split('\n')).to.have.length(3)
    })
  })

  describe('csv', () => {
    const csv = (rows: object[], columns: Column<object>[], header = true) =>
      renderList(rows, columns, { output: 'csv', header })

    it('writes a key header and RFC 4180 records, LF-terminated like psql output', () => {
      expect(renderList(ROWS, COLUMNS, { output: 'csv', columns: ['id', 'paid', 'amount'], sort: ['id'] })).to.equal(
        'id,paid,amount\n1,true,10.25\n2,false,9.5\n3,false,\n4,true,-3',
      )
    })

    it('quotes commas, quotes and newlines', () => {
      const out = csv([{ v: 'a,b' }, { v: 'say "hi"' }, { v: 'line1\nline2' }], [{ key: 'v' }], false)
      expect(out).to.equal('"a,b"\n"say ""hi"""\n"line1\nline2"')
    })

    it('prefixes spreadsheet formulas with a quote but leaves plain numbers alone', () => {
      const values = ['=SUM(A1)', '+cmd', '-2+3', '@SUM(1)', '\tx', '\rx', '-5', '-1.25', '+7', 'a=b']
      const out = csv(values.map((v) => ({ v })), [{ key: 'v' }], false).split('\n')
      expect(out).to.deep.equal([
        "'=SUM(A1)",
        "'+cmd",
        "'-2+3",
        "'@SUM(1)",
        "'\tx",
        `"'\rx"`,
        '-5',
        '-1.25',
        '+7',
        'a=b',
      ])
    })

    it('writes only the header for no rows', () => {
      expect(csv([], [{ key: 'a' }, { key: 'b' }])).to.equal('a,b')
    })
  })

  describe('json', () => {
    it('prints an array of objects with the selected columns and native values', () => {
      const out = json({ columns: ['id', 'amount', 'paid', 'issued'], filter: ['id==3'] })
      expect(out).to.deep.equal([{ id: 3, amount: null, paid: false, issued: '2024-02-10T00:00:00.000Z' }])
    })

    it('uses get() and survives bigint', () => {
      const rows = [{ n: 10n, nested: { a: 1 } }]
      const out = renderList(rows, [{ key: 'n' }, { key: 'a', get: (r) => r.nested.a }], { output: 'json' })
      expect(JSON.parse(out)).to.deep.equal([{ n: '10', a: 1 }])
    })

    it('prints [] for no rows', () => {
      expect(renderList([], COLUMNS, { output: 'json' })).to.equal('[]')
    })
  })
})

describe('renderRecord', () => {
  it('pads keys and formats values', () => {
    const out = renderRecord({
      slug: 'acme',
      created: new Date('2024-01-02T03:04:05.678Z'),
      suspended: false,
      note: null,
      settings: { locale: 'fr', vat: true },
    })
    expect(out.split('\n')).to.deep.equal([
      'slug:      acme',
      'created:   2024-01-02T03:04:05Z',
      'suspended: false',
      'note:',
      'settings:  {"locale":"fr","vat":true}',
    ])
  })

  it('indents continuation lines and bolds keys only with colour', () => {
    expect(renderRecord({ a: 'one\ntwo' })).to.equal('a: one\n   two')
    expect(renderRecord({ a: 1 }, { color: true })).to.equal('\u001B[1ma: \u001B[22m1')
  })
})
