import { expect } from 'chai'

import { createKnex } from '../../../src/lib/db/knex.js'

describe('createKnex', () => {
  it("gives PostgreSQL's own message: no statement, no bound value", async () => {
    const knex = await createKnex({ connection: process.env.DATABASE_URL! })
    try {
      const failure = await knex.raw('select ?::int / 0 as secret_column', ['41']).then(() => undefined, (err: Error) => err)
      expect(failure?.message).to.equal('division by zero')
      const bound = await knex.raw('select ?::int', ['s3cret-not-a-number']).then(() => undefined, (err: Error) => err)
      expect(bound?.message).to.equal('invalid input syntax for type integer: "s3cret-not-a-number"')
      const built = await knex.transaction((trx) => trx('no_such_table').where('token', 's3cret').first()).then(() => undefined, (err: Error) => err)
      expect(built?.message).to.equal('relation "no_such_table" does not exist')
      expect((built as { code?: string }).code).to.equal('42P01')
    } finally {
      await knex.destroy()
    }
  })
})
