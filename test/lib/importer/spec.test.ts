import { expect } from 'chai'

import { detectDelimiter } from '../../../src/lib/csv/dialect.js'
import { parseDelimiter } from '../../../src/lib/importer/source.js'
import { guardFormula, normaliseHeader, unguardFormula } from '../../../src/lib/importer/spec.js'

describe('importer: pure pieces', () => {
  it('the formula guard is undone exactly by import, also for text that starts with quotes', () => {
    for (const text of ['=SUM(A1)', '+1 call', '-x', '@home', '\tTab', "'=already", "''=two", 'plain', "it's", "'quoted", '', '=']) {
      expect(unguardFormula(guardFormula(text)), text).to.equal(text)
    }
    expect(guardFormula('=1+1')).to.equal("'=1+1")
    expect(guardFormula('plain')).to.equal('plain')
    expect(unguardFormula("'plain")).to.equal("'plain")
  })

  it('detects the delimiter on the header line, outside quotes', () => {
    expect(detectDelimiter(Buffer.from('sku;name;"a,b,c"\n1,2,3,4'))).to.equal(';')
    expect(detectDelimiter(Buffer.from('\uFEFFsku\tname\n'))).to.equal('\t')
    expect(detectDelimiter(Buffer.from('sku,name\n'))).to.equal(',')
    expect(detectDelimiter(Buffer.from('sku\n'))).to.equal(',')
    expect(parseDelimiter('tab')).to.equal('\t')
    expect(() => parseDelimiter('|')).to.throw(/--delimiter must be/)
  })

  it('compares header names without case, spaces, _ and -', () => {
    expect(normaliseHeader(' Tax Class ')).to.equal(normaliseHeader('tax_class'))
    expect(normaliseHeader('Item-Code')).to.equal('itemcode')
  })
})
