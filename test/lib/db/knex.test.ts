import { expect } from 'chai'

import { createKnex } from '../../../src/lib/db/knex.js'
import { adminQuery, uniqueSlug } from '../../helpers/database.js'

/** The server's sessions of one application_name (each test gives its pools a name of their own). */
async function sessionsNamed(name: string): Promise<number> {
  const { rows } = await adminQuery('select count(*)::int as n from pg_stat_activity where application_name = $1', [name])
  return rows[0].n
}

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

  describe('connectEarly', () => {
    it('opens the first connection before any query, and the first query uses it: one session, not two', async () => {
      const name = uniqueSlug('early')
      const knex = await createKnex({ connection: process.env.DATABASE_URL!, applicationName: name, connectEarly: true })
      try {
        let waited = 0
        while ((await sessionsNamed(name)) === 0 && waited++ < 100) await new Promise((resolve) => setTimeout(resolve, 20))
        expect(await sessionsNamed(name), 'connected before the first query').to.equal(1)
        const { rows } = await knex.raw('select current_setting(?) as name', ['application_name'])
        expect(rows[0].name).to.equal(name)
        await knex.transaction((trx) => trx.raw('select 1'))
        expect(await sessionsNamed(name)).to.equal(1)
      } finally {
        await knex.destroy()
      }
      expect(await sessionsNamed(name), 'closed with the pool').to.equal(0)
    })

    it('a pool destroyed before any query closes the early connection (nothing keeps the process alive)', async () => {
      const name = uniqueSlug('unused')
      const knex = await createKnex({ connection: process.env.DATABASE_URL!, applicationName: name, connectEarly: true })
      await knex.destroy()
      let waited = 0
      while ((await sessionsNamed(name)) > 0 && waited++ < 100) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await sessionsNamed(name)).to.equal(0)
    })

    it('a server that is not there fails the first query as knex itself would, with no unhandled rejection', async () => {
      const rejections: unknown[] = []
      const onRejection = (reason: unknown) => rejections.push(reason)
      process.on('unhandledRejection', onRejection)
      try {
        const knex = await createKnex({ connection: 'postgres://nobody@127.0.0.1:1/none', connectEarly: true })
        try {
          const failure = await knex.raw('select 1').then(() => undefined, (err: Error & { code?: string }) => err)
          expect((failure as { code?: string })?.code).to.equal('ECONNREFUSED')
          // The pool's next connection is knex's own: it fails the same way.
          const again = await knex.raw('select 1').then(() => undefined, (err: Error & { code?: string }) => err)
          expect((again as { code?: string })?.code).to.equal('ECONNREFUSED')
        } finally {
          await knex.destroy()
        }
        const unused = await createKnex({ connection: 'postgres://nobody@127.0.0.1:1/none', connectEarly: true })
        await unused.destroy()
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(rejections).to.deep.equal([])
      } finally {
        process.off('unhandledRejection', onRejection)
      }
    })
  })
})
