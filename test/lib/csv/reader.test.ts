import { expect } from 'chai'
import { parse } from 'csv-parse/sync'

import { CsvReader } from '../../../src/lib/csv/reader.js'

/** Feed `bytes` in chunks of the given sizes (cycled); resolve with every record and its line. */
async function cut(bytes: Buffer, sizes: number[] = [1 << 20], options: { delimiter?: string; encoding?: 'utf8' | 'latin1'; max?: number } = {}) {
  const chunks: Buffer[] = []
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]
    chunks.push(bytes.subarray(at, at + size))
    at += size
  }
  const records: string[][] = []
  const lines: number[] = []
  const reader = new CsvReader(options.delimiter ?? ',', options.encoding ?? 'utf8', 'f.csv', options.max ?? 1 << 20)
  const onRecord = (fields: string[], line: number) => {
    records.push(fields)
    lines.push(line)
  }
  for (const chunk of chunks) reader.feed(chunk, onRecord)
  reader.end(onRecord)
  return { records, lines }
}

const failure = (bytes: string, options: { max?: number } = {}) => cut(Buffer.from(bytes), [3], options).then(() => '', (err: Error) => err.message)

/** A deterministic pseudo-random generator, so a failing case can be replayed. */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
}

describe('CSV reader', () => {
  it('cuts quoted fields with delimiters, doubled quotes and newlines; CRLF; BOM; empty lines; no final newline', async () => {
    const text = '\ufeffsku,name\r\nA-1,"Bolt, ""hex""\r\nM8"\r\n\r\nA-2,\r\n"A-3",x'
    const { records, lines } = await cut(Buffer.from(text))
    expect(records).to.deep.equal([['sku', 'name'], ['A-1', 'Bolt, "hex"\r\nM8'], [''], ['A-2', ''], ['A-3', 'x']])
    expect(lines).to.deep.equal([1, 2, 4, 5, 6])
  })

  it('gives the same records as csv-parse, whatever the chunk sizes', async () => {
    const next = random(42)
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]
    for (let round = 0; round < 40; round++) {
      const delimiter = pick([',', ';', '\t'])
      const eol = pick(['\n', '\r\n'])
      const rows: string[] = []
      for (let r = 0; r < 30; r++) {
        const cells = Array.from({ length: 4 }, () => {
          const value = Array.from({ length: Math.floor(next() * 8) }, () => pick(['a', 'é', '€', '𝄞', ' ', '"', delimiter, '\n', '\r\n', 'x'])).join('')
          return /["\n\r,;\t]/.test(value) || next() < 0.2 ? `"${value.replaceAll('"', '""')}"` : value
        })
        rows.push(cells.join(delimiter))
      }
      const text = rows.join(eol) + (next() < 0.5 ? eol : '')
      const expected = parse(text, { delimiter, relax_column_count: true }) as string[][]
      const sizes = [pick([1, 2, 3, 7, 64, 1 << 20]), pick([1, 5, 13, 4096])]
      const { records } = await cut(Buffer.from(text), sizes, { delimiter })
      expect(records, `round ${round}, chunks ${sizes}`).to.deep.equal(expected)
    }
  })

  it('reads Latin-1', async () => {
    const { records } = await cut(Buffer.from('name\n"Café, crème"\n', 'latin1'), [2], { encoding: 'latin1' })
    expect(records).to.deep.equal([['name'], ['Café, crème']])
    // A UTF-8 byte order mark read as Latin-1 is still a mark, not three letters of the header.
    const marked = await cut(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name\nCafé\n', 'latin1')]), [1], { encoding: 'latin1' })
    expect(marked.records).to.deep.equal([['name'], ['Café']])
  })

  it('refuses stray quotes, text after a closing quote, an unclosed quote and an oversized row, naming the line', async () => {
    expect(await failure('a,b\n1,ab"c\n')).to.equal('f.csv:2: column 2: a quote inside a field that does not start with one')
    expect(await failure('a,b\n1,"x\ny"z\n')).to.equal('f.csv:3: column 2: text after the closing quote of a quoted field')
    expect(await failure('a,b\n1,2\n3,"open\n4,5\n')).to.equal('f.csv:3: a quoted field opened on this line (or a later one) is never closed')
    expect(await failure(`a\n"${'y'.repeat(100)}"\n`, { max: 64 })).to.match(/^f\.csv:2: a row is longer than 64 characters \(a huge field, or a quote that is never closed\)$/)
    expect(await failure(`a\n1\n${'y'.repeat(100)}\n`, { max: 64 })).to.match(/^f\.csv:3: a row is longer than 64 characters/)
    expect(await failure(`a\n"${'y'.repeat(100)}"\n2\n`, { max: 1024 })).to.equal('')
  })
})
