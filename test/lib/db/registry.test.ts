import { expect } from 'chai'
import pg from 'pg'

import { connect } from '../../../src/lib/db/connect.js'
import { ensureRegistry } from '../../../src/lib/db/registry.js'
import { adminQuery } from '../../helpers/database.js'

describe('the registry', () => {
  it('is created once when many first uses race (20 concurrent connections on a fresh database)', async () => {
    const name = `erp_registry_race_${process.pid}`
    await adminQuery(`create database ${name}`)
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${name}`
    const saved = process.env.DATABASE_URL
    process.env.DATABASE_URL = url.toString()
    try {
      const dbs = await Promise.all(Array.from({ length: 20 }, () => connect({})))
      const outcomes = await Promise.all(dbs.map((db) => ensureRegistry(db.knex)))
      await Promise.all(dbs.map((db) => db.close()))
      expect(outcomes.filter((o) => o && o.applied.length > 0)).to.have.length(1)
      const client = new pg.Client({ connectionString: url.toString() })
      await client.connect()
      const { rows } = await client.query('select count(*)::int as n, count(distinct name)::int as d from erp.knex_migrations')
      await client.end()
      expect(rows[0].n).to.equal(rows[0].d)
    } finally {
      process.env.DATABASE_URL = saved
      await adminQuery(`drop database ${name} with (force)`)
    }
  })
})
