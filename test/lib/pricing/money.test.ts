import { expect } from 'chai'

import { Decimal, allocate, currencyScale, fixed, round } from '../../../src/lib/pricing/money.js'

const r = (value: string, mode: 'half_up' | 'half_even', scale = 2) => fixed(round(new Decimal(value), scale, mode), scale)

describe('pricing/money', () => {
  it('adds 0.1 and 0.2 exactly', () => {
    expect(0.1 + 0.2).to.not.equal(0.3) // what floats would have given
    expect(fixed(new Decimal('0.1').plus('0.2'), 2)).to.equal('0.30')
    expect(new Decimal('0.1').plus('0.2').equals('0.3')).to.equal(true)
  })

  it('rounds 1.005 and 2.675 as written, not as their binary approximations', () => {
    expect((1.005).toFixed(2)).to.equal('1.00') // float: 1.00499999...
    expect(r('1.005', 'half_up')).to.equal('1.01')
    expect(r('1.005', 'half_even')).to.equal('1.00')
    expect((2.675).toFixed(2)).to.equal('2.67') // float: 2.67499999...
    expect(r('2.675', 'half_up')).to.equal('2.68')
    expect(r('2.675', 'half_even')).to.equal('2.68')
  })

  it('half_even sends ties to the even digit, half_up away from zero', () => {
    for (const [value, even, up] of [
      ['0.125', '0.12', '0.13'], ['0.135', '0.14', '0.14'], ['2.665', '2.66', '2.67'],
      ['-2.665', '-2.66', '-2.67'], ['0.5', '0', '1'], ['1.5', '2', '2'], ['2.5', '2', '3'],
    ]) {
      const scale = value.includes('.') && value.split('.')[1].length === 1 ? 0 : 2
      expect(r(value, 'half_even', scale), `${value} half_even`).to.equal(even)
      expect(r(value, 'half_up', scale), `${value} half_up`).to.equal(up)
    }
  })

  it('does not round a value just off a tie the wrong way', () => {
    expect(r('2.66499999', 'half_up')).to.equal('2.66')
    expect(r('2.66500001', 'half_even')).to.equal('2.67')
  })

  it('splits an amount in proportion, shares summing exactly', () => {
    const shares = allocate(new Decimal('10'), ['1', '1', '1'].map((w) => new Decimal(w)), 2)
    expect(shares.map((s) => fixed(s, 2))).to.deep.equal(['3.34', '3.33', '3.33'])
    const uneven = allocate(new Decimal('5'), ['36', '19.98', '100'].map((w) => new Decimal(w)), 2)
    expect(fixed(uneven.reduce((a, s) => a.plus(s), new Decimal(0)), 2)).to.equal('5.00')
    expect(allocate(new Decimal('1'), [new Decimal(0)], 2).map(String)).to.deep.equal(['0'])
  })

  it('knows currencies without two minor digits', () => {
    expect(currencyScale('EUR')).to.equal(2)
    expect(currencyScale('JPY')).to.equal(0)
    expect(currencyScale('KWD')).to.equal(3)
  })
})
