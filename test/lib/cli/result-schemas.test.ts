import fs from 'node:fs'

import { expect } from 'chai'

import { commandResultTypes, generateSchemas, schemaFile, staleSchemas } from '../../helpers/result-schemas.js'

/**
 * The --json contract: schemas/<command>.json is generated from each command's exported result
 * type (npm run schemas). A result type that changes without its committed schema fails here, so a
 * change to what scripts read is made on purpose, and reviewed as a diff of schemas/.
 */
describe('--json result schemas (schemas/*.json)', function () {
  this.timeout(600_000)
  let generated: Map<string, string>

  before(() => {
    generated = generateSchemas()
  })

  it('match the result types of every command: run npm run schemas and commit the diff when they do not', () => {
    expect(generated.size).to.equal(commandResultTypes().length)
    expect(staleSchemas(generated)).to.deep.equal([])
  })

  it('notice a changed, a missing and a left-over schema', () => {
    const changed = new Map(generated)
    const [first] = changed.keys()
    changed.set(first, changed.get(first)!.replace('"type": "object"', '"type": "array"'))
    expect(staleSchemas(changed)).to.deep.equal([`schemas/${schemaFile(first).split('/').at(-1)} differs from ${first}'s result type`])
    const extra = new Map(generated)
    extra.set('no such command', '{}\n')
    extra.delete(first)
    expect(staleSchemas(extra)).to.deep.equal([
      'schemas/no-such-command.json is missing (erp no such command)',
      `schemas/${schemaFile(first).split('/').at(-1)} belongs to no command`,
    ])
  })

  it('give every list the one shape {items, nextCursor}', () => {
    const lists = [...generated].filter(([id]) => / list$|^stock (levels|moves|lots|serials|reservations)$|^tenants (usage|placement)$|^doctor$/.test(id))
    expect(lists.length).to.be.greaterThan(25)
    for (const [id, text] of lists) {
      const schema = JSON.parse(text)
      const root = schema.definitions[schema.$ref.replace('#/definitions/', '')]
      const shape = root.$ref ? schema.definitions[decodeURIComponent(root.$ref.replace('#/definitions/', ''))] : root
      expect(shape, id).to.have.property('type', 'object')
      expect(shape.required, id).to.include.members(['items', 'nextCursor'])
      expect(shape.properties.items.type, id).to.equal('array')
      expect(shape.properties.nextCursor.type, id).to.deep.equal(['string', 'null'])
    }
    expect(fs.existsSync(schemaFile('stock levels'))).to.equal(true)
  })
})
