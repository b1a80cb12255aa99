import { expect } from 'chai'

import { generatePassword, hashPassword, passwordProblem, verifyPassword } from '../../../src/lib/users/password.js'

describe('password hashing', () => {
  it('stores a self-describing scrypt hash with a random salt', async () => {
    const a = await hashPassword('correct horse battery')
    const b = await hashPassword('correct horse battery')
    expect(a).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/)
    expect(a).to.not.equal(b)
    expect(await verifyPassword('correct horse battery', a)).to.equal(true)
    expect(await verifyPassword('correct horse battery', b)).to.equal(true)
    expect(await verifyPassword('correct horse batterY', a)).to.equal(false)
  })

  it('verifies with the cost written in the hash, and rejects malformed hashes', async () => {
    const cheap = 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0$' // salt 'saltsaltsalt'
    const { scryptSync } = await import('node:crypto')
    const key = scryptSync('pw-0123456789', Buffer.from('saltsaltsalt'), 32, { N: 1024, r: 8, p: 1 }).toString('base64')
    expect(await verifyPassword('pw-0123456789', cheap + key)).to.equal(true)
    for (const bad of ['', 'bcrypt$x', 'scrypt$0$8$1$c2FsdA==$aGFzaA==', 'scrypt$1024$8$1$$aGFzaA==', `scrypt$${2 ** 24}$8$1$c2FsdA==$aGFzaA==`]) {
      expect(await verifyPassword('pw-0123456789', bad), bad).to.equal(false)
    }
  })

  it('generates distinct 20-character passwords that pass the policy', () => {
    const a = generatePassword()
    expect(a).to.match(/^[A-Za-z0-9_-]{20}$/)
    expect(generatePassword()).to.not.equal(a)
    expect(passwordProblem(a)).to.equal(undefined)
    expect(passwordProblem('short')).to.match(/at least 10/)
    expect(passwordProblem(' padded password ')).to.match(/whitespace/)
  })
})
