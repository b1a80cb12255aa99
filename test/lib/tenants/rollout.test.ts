import { expect } from 'chai'

import { parseDuration, formatDuration } from '../../../src/lib/cli/duration.js'
import { isLockTimeout, planWaves } from '../../../src/lib/tenants/rollout.js'
import { ErpError, ErrorKind } from '../../../src/lib/errors.js'

describe('rollout planning', () => {
  const slugs = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`)

  it('puts the canary first, then waves of the given size', () => {
    expect(planWaves(slugs, 2, 4).map((w) => w.length)).to.deep.equal([2, 4, 4, 2])
    expect(planWaves(slugs, 2, 4)[0]).to.deep.equal(['t00', 't01'])
    expect(planWaves(slugs, 0, 5).map((w) => w.length)).to.deep.equal([5, 5, 2])
    expect(planWaves(slugs, 0, 0)).to.deep.equal([slugs])
    expect(planWaves(slugs, 20, 5)).to.deep.equal([slugs])
    expect(planWaves([], 3, 5)).to.deep.equal([[]])
  })

  it('finds a lock timeout anywhere in the cause chain', () => {
    const driver = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' })
    expect(isLockTimeout(driver)).to.equal(true)
    expect(isLockTimeout(new ErpError(ErrorKind.FAILED, 'Migration x failed', { cause: new ErpError(ErrorKind.TEMPORARY, 'retry', { cause: driver }) }))).to.equal(true)
    expect(isLockTimeout(Object.assign(new Error('statement timeout'), { code: '57014' }))).to.equal(false)
  })
})

describe('durations', () => {
  it('parses and formats the units operators write', () => {
    expect(parseDuration('500ms')).to.equal(500)
    expect(parseDuration('5s')).to.equal(5000)
    expect(parseDuration('5')).to.equal(5000)
    expect(parseDuration('15m')).to.equal(900_000)
    expect(parseDuration('1.5h')).to.equal(5_400_000)
    expect(parseDuration('7d')).to.equal(604_800_000)
    expect(() => parseDuration('soon')).to.throw(/soon/)
    expect(() => parseDuration('-5s')).to.throw()
    expect(formatDuration(604_800_000)).to.equal('7d')
    expect(formatDuration(90_000)).to.equal('90s')
    expect(formatDuration(250)).to.equal('250ms')
  })
})
