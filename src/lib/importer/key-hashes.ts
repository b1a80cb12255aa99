/**
 * Keys seen so far in a stream, kept as 64-bit hashes in an open-addressing table: a million SKUs
 * in 16 MB, where a Set of the strings takes some 80 MB and its own hashing. Hand-written because
 * what npm has is either a Set of strings or a Bloom filter, whose false "seen" rate at a million
 * keys (one in a hundred or a thousand) would be hit on every large file.
 *
 * Two different keys can share a hash, so `add` may answer "seen" for a new key (about n²/2⁶⁴ over
 * n keys: one chance in ten million at a million keys); it never answers "new" for a key seen.
 * Use it only where a false "seen" costs time, not correctness.
 */
export class KeyHashes {
  private high: Uint32Array
  private low: Uint32Array
  private mask: number
  private size = 0

  constructor(initialCapacity = 1 << 16) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity)))
    this.high = new Uint32Array(capacity)
    this.low = new Uint32Array(capacity)
    this.mask = capacity - 1
  }

  get count(): number {
    return this.size
  }

  /** Record the key; false when it (or a key of the same hash) was recorded before. */
  add(key: string): boolean {
    // FNV-1a and a multiply-xorshift hash over the UTF-16 code units, independent enough for
    // their 64 bits to behave as one hash. (0, 0) marks an empty slot, so low is never 0.
    let h = 0x811c9dc5
    let l = 0x9747b28c
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i)
      h = Math.imul(h ^ c, 0x01000193)
      l = Math.imul(l ^ c, 0x5bd1e995)
      l ^= l >>> 15
    }
    h >>>= 0
    l = (Math.imul(l ^ (l >>> 13), 0xc2b2ae35) ^ key.length) >>> 0 || 1
    if (this.insert(h, l)) {
      if (++this.size * 2 > this.mask) this.grow()
      return true
    }
    return false
  }

  private insert(h: number, l: number): boolean {
    let slot = (h ^ (l >>> 7)) & this.mask
    for (;;) {
      const stored = this.low[slot]
      if (stored === 0) {
        this.high[slot] = h
        this.low[slot] = l
        return true
      }
      if (stored === l && this.high[slot] === h) return false
      slot = (slot + 1) & this.mask
    }
  }

  private grow(): void {
    const { high, low } = this
    this.high = new Uint32Array(high.length * 2)
    this.low = new Uint32Array(low.length * 2)
    this.mask = this.high.length - 1
    for (let i = 0; i < low.length; i++) if (low[i] !== 0) this.insert(high[i], low[i])
  }
}
