import { expect } from 'chai'

import { cutLongLines, cutMiddle, cutStrings, escapeJsonForTerminal, forTerminal, sanitizeForTerminal } from '../../../src/lib/cli/sanitize.js'

describe('terminal sanitising', () => {
  it('shows control characters, C1 controls and bidi overrides instead of passing them on', () => {
    expect(sanitizeForTerminal('a\u001B[31mb\u0007c\u009B2J\u202Ed\u0000')).to.equal('a\\x1b[31mb\\x07c\\x9b2J\\u202ed\\x00')
    expect(sanitizeForTerminal('one\r\ntwo\tthree')).to.equal('one two three')
    expect(sanitizeForTerminal('one\r\ntwo\tthree', true)).to.equal('one\ntwo\\tthree')
  })

  it('cuts the middle of a long line, keeping its start and end and saying how much went', () => {
    const line = `start ${'x'.repeat(10_000)} the end`
    const cut = cutMiddle(line, 200)
    expect(cut).to.have.length.at.most(200)
    expect(cut.startsWith('start xxx')).to.equal(true)
    expect(cut.endsWith('xxx the end')).to.equal(true)
    expect(cut).to.match(/…\[9,\d{3} characters left out\]…/)
    expect(cutMiddle('short', 200)).to.equal('short')
    // Code points, not UTF-16 halves: no broken surrogate pair.
    expect(cutMiddle('😀'.repeat(1_000), 100)).not.to.match(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
    expect(cutLongLines(`ok\n${'y'.repeat(1_000)}\nok`, 100).split('\n').map((l) => l.length)).to.satisfy((n: number[]) => n[0] === 2 && n[1] <= 100 && n[2] === 2)
  })

  it('cuts every string of an error envelope and keeps JSON valid with C1 controls escaped', () => {
    const envelope = cutStrings({ error: { message: 'm'.repeat(5_000), data: { errors: [{ value: 'v'.repeat(5_000), line: 3 }] } } })
    expect(envelope.error.message).to.have.length.at.most(400)
    expect(envelope.error.data.errors[0]).to.include({ line: 3 })
    expect(envelope.error.data.errors[0].value).to.have.length.at.most(400)
    const text = escapeJsonForTerminal(JSON.stringify({ v: 'a\u009Bb\u202Ec\u001B' }))
    expect(text).not.to.match(/[\u001B\u009B\u202E]/)
    expect(JSON.parse(text)).to.deep.equal({ v: 'a\u009Bb\u202Ec\u001B' })
    expect(forTerminal('x\u001B[2J')).to.equal('x\\x1b[2J')
  })
})
