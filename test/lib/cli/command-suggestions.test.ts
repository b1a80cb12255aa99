import { expect } from 'chai'

import { closestCommands, commandNotFound, editDistance } from '../../../src/lib/cli/command-suggestions.js'

const commands = ['tenants:list', 'tenants:show', 'tenants:create', 'stock:levels', 'stock:reorder:set', 'doctor', 'auth:list']
const topics = ['tenants', 'stock', 'stock:reorder', 'auth']

describe('suggestions for a command line erp has no command for', () => {
  it('counts a swap of two letters as one edit', () => {
    expect(editDistance('lits', 'list')).to.equal(1)
    expect(editDistance('tenant', 'tenants')).to.equal(1)
    expect(editDistance('', 'abc')).to.equal(3)
  })

  it('corrects each word, and keeps the arguments that follow', () => {
    expect(closestCommands(['tenant', 'list'], commands, topics)).to.deep.equal(['tenants list'])
    expect(closestCommands(['tenants', 'shw', 'acme'], commands, topics)).to.deep.equal(['tenants show acme'])
    expect(closestCommands(['stok', 'reordr', 'set'], commands, topics)).to.deep.equal(['stock reorder set'])
    expect(closestCommands(['docter'], commands, topics)).to.deep.equal(['doctor'])
  })

  it('offers a topic only for a line of that many words, and nothing far off', () => {
    expect(closestCommands(['tenant'], commands, topics)).to.deep.equal(['tenants'])
    // "tenants lst" would repeat the mistake: the topic alone is no answer to two words.
    expect(closestCommands(['tenant', 'lst'], commands, topics)).to.deep.equal(['tenants list'])
    expect(closestCommands(['frobnicate'], commands, topics)).to.deep.equal([])
    expect(closestCommands(['tenants', 'xyzzy'], commands, topics)).to.deep.equal([])
  })

  it('is a usage error naming the line with spaces, the guesses and the help to read', () => {
    const err = commandNotFound('erp', ['tenant', 'list'], { commands, topics })
    expect(err.kind).to.equal('USAGE')
    expect(err.message).to.equal('Unknown command "erp tenant list".')
    expect(err.message).not.to.contain(':')
    expect(err.actions).to.deep.equal(['Did you mean: erp tenants list', 'See the commands: erp help'])
    const inTopic = commandNotFound('erp', ['tenants', 'shw'], { commands, topics }, 'help ')
    expect(inTopic.actions).to.deep.equal(['Did you mean: erp help tenants show', 'See the commands: erp help tenants'])
  })
})
