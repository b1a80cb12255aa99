import { expect } from 'chai'
import { randomBytes } from 'node:crypto'

import { KeyHashes } from '../../../src/lib/importer/key-hashes.js'

/**
 * KeyHashes may answer "seen" for a new key (a hash collision: then the direct load only stages),
 * but never "new" for a key seen, across every growth of its table.
 */
describe('KeyHashes', () => {
  it('answers new once and seen after, for every key, through growth from a tiny table', () => {
    const hashes = new KeyHashes(16)
    const keys = Array.from({ length: 300_000 }, (_, i) => `SKU-${i}`)
    expect(keys.filter((k) => !hashes.add(k))).to.deep.equal([])
    expect(hashes.count).to.equal(keys.length)
    expect(keys.filter((k) => hashes.add(k)), 'seen, but called new').to.deep.equal([])
    expect(hashes.count).to.equal(keys.length)
  })

  it('tells apart keys that differ by one character, by order, by length, and the empty key', () => {
    const hashes = new KeyHashes()
    const keys = ['', 'a', 'b', 'ab', 'ba', 'aa', 'a\u0000', 'A', 'é', 'e\u0301', '😀', '\uD83D', 'x'.repeat(1000), 'x'.repeat(1001)]
    for (const k of keys) expect(hashes.add(k), JSON.stringify(k)).to.equal(true)
    for (const k of keys) expect(hashes.add(k), JSON.stringify(k)).to.equal(false)
  })

  it('has no false "seen" over a million random keys and a million near-identical ones', () => {
    const hashes = new KeyHashes()
    let collisions = 0
    for (let i = 0; i < 1_000_000; i++) if (!hashes.add(`P${String(i).padStart(9, '0')}`)) collisions++
    const random = randomBytes(16 * 1_000_000).toString('base64url')
    for (let i = 0; i < 1_000_000; i++) if (!hashes.add(random.slice(i * 21, i * 21 + 21))) collisions++
    // 2M keys over 63 bits: a collision has a probability near 2e-7. Random 21-character slices may repeat, a near impossibility too.
    expect(collisions).to.equal(0)
  })
})
