import { expect } from 'chai'

import { isErpError } from '../../src/lib/errors.js'
import { checkDecimal, checkEmail, escapeLike, Problems } from '../../src/lib/validation.js'

describe('validation', () => {
  describe('checkDecimal', () => {
    const rule = { precision: 12, scale: 3, nonNegative: true }
    const check = (value: string, r = rule) => {
      const problems = new Problems()
      return { value: checkDecimal(problems, 'weight', value, r), problems: problems.list.map((p) => p.message) }
    }

    it('normalises without going through a float', () => {
      expect(check('007.500').value).to.equal('7.5')
      expect(check('0.1').value).to.equal('0.1')
      expect(check('123456789.123').value).to.equal('123456789.123')
      expect(check('-0.000', { precision: 5, scale: 3, nonNegative: true }).value).to.equal('0')
      expect(check('9007199254740993', { precision: 20, scale: 0, nonNegative: false }).value).to.equal('9007199254740993')
    })

    it('refuses negatives, extra decimals, too many digits and non-numbers, each with a reason', () => {
      expect(check('-1').problems).to.deep.equal(['must be zero or more (got -1)'])
      expect(check('1.2345').problems[0]).to.match(/at most 3 digit\(s\) after the decimal point/)
      expect(check('1234567890').problems[0]).to.match(/too large: at most 9 digit/)
      for (const bad of ['', '1e3', '1,5', '0x10', '.5', 'NaN', '1.']) expect(check(bad).problems, bad).to.have.length(1)
    })

    it('gives plain cells (the fast path) the same answer as the general rules', () => {
      let seed = 7
      const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
      const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(next() * 10))).join('')
      for (let i = 0; i < 2000; i++) {
        const integer = next() < 0.2 ? '0' : String(1 + Math.floor(next() * 9)) + digits(Math.floor(next() * 11))
        const value = next() < 0.3 ? integer : `${integer}.${digits(1 + Math.floor(next() * 5))}${next() < 0.3 ? '000' : ''}`
        const [whole, fraction = ''] = value.split('.')
        const trimmed = fraction.replace(/0+$/, '')
        const valid = trimmed.length <= rule.scale && (whole === '0' || whole.length <= rule.precision - rule.scale)
        // The general rules, through a value the fast path does not take (a leading blank).
        const general = check(` ${value}`)
        expect(check(value), value).to.deep.equal({ value: general.value, problems: general.problems.map((p) => p.replace(` ${value}`, value)) })
        expect(check(value).value, value).to.equal(valid ? `${whole}${trimmed ? `.${trimmed}` : ''}` : undefined)
      }
    })

    it('applies a maximum exactly', () => {
      const pct = { precision: 5, scale: 2, nonNegative: true, max: 100 }
      expect(check('100', pct).value).to.equal('100')
      expect(check('100.00', pct).value).to.equal('100')
      expect(check('100.01', pct).problems[0]).to.match(/at most 100/)
      expect(check('99.99', pct).value).to.equal('99.99')
    })
  })

  it('checkEmail accepts ordinary addresses and refuses malformed ones', () => {
    for (const good of ['a@b.example', 'first.last+tag@sub.example.co.uk', "o'brien@example.org"]) {
      expect(checkEmail(new Problems(), 'email', good), good).to.equal(good)
    }
    for (const bad of ['a@b', 'a@b.', '@b.example', 'a b@c.example', 'a..b@c.example', '.a@c.example', 'a@-c.example', `${'x'.repeat(65)}@c.example`]) {
      const problems = new Problems()
      expect(checkEmail(problems, 'email', bad), bad).to.equal(undefined)
      expect(problems.list).to.have.length(1)
    }
  })

  it('Problems throws INVALID_DATA listing every problem, or CONFLICT when all are conflicts', () => {
    const problems = new Problems()
    problems.throwIfAny('nothing wrong')
    problems.add('creditLimit', 'must be zero or more')
    problems.add('sku', 'already exists', { conflict: true, action: 'See it' })
    try {
      problems.throwIfAny('Not created')
      expect.fail('should have thrown')
    } catch (err) {
      if (!isErpError(err)) throw err
      expect(err.kind).to.equal('INVALID_DATA')
      expect(err.message).to.equal('Not created: credit limit: must be zero or more; sku: already exists')
      expect(err.actions).to.deep.equal(['See it'])
    }
    const conflicts = new Problems()
    conflicts.add('sku', 'already exists', { conflict: true })
    expect(() => conflicts.throwIfAny('x')).to.throw().with.property('kind', 'CONFLICT')
  })

  it('escapeLike makes % and _ match themselves', () => {
    expect(escapeLike('50%_off\\')).to.equal('50\\%\\_off\\\\')
  })
})
