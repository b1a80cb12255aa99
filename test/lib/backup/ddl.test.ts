import { expect } from 'chai'

import { splitSearchPath } from '../../../src/lib/backup/ddl.js'
import { quoteLiteral } from '../../../src/lib/db/identifiers.js'

describe('backup DDL helpers', () => {
  it('splits a stored search_path into names, unquoting as PostgreSQL prints them', () => {
    expect(splitSearchPath('tenant_acme, pg_temp')).to.deep.equal(['tenant_acme', 'pg_temp'])
    expect(splitSearchPath('"$user", public')).to.deep.equal(['$user', 'public'])
    expect(splitSearchPath('"Odd ""name"", yes",x')).to.deep.equal(['Odd "name", yes', 'x'])
    expect(splitSearchPath('')).to.deep.equal([])
  })

  it('quotes literals for standard_conforming_strings', () => {
    expect(quoteLiteral("it's")).to.equal("'it''s'")
    expect(quoteLiteral('back\\slash')).to.equal("'back\\slash'")
  })
})
