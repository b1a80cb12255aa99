import { expect } from 'chai'

import { createKnex } from '../../../src/lib/db/knex.js'
import { ensureRegistry } from '../../../src/lib/db/registry.js'
import { adminQuery } from '../../helpers/database.js'

describe('the registry', () => {
  it('is created once when many first uses race (20 concurrent connections on a fresh database)', async function () {
    this.timeout(180_000)
    const name = `erp_registry_race_${process.pid}`
    await adminQuery(`create database ${name}`)
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${name}`
    const pools = await Promise.all(Array.from({ length: 20 }, () => createKnex({ connection: url.toString(), poolMax: 1 })))
    try {
      const outcomes = await Promise.all(pools.map((knex) => ensureRegistry(knex)))
      expect(outcomes.filter((o) => o.migrated && o.migrated.applied.length > 0)).to.have.length(1)
      const { rows } = await pools[0].raw('select count(*)::int as n, count(distinct name)::int as d from erp.knex_migrations')
      expect(rows[0].n).to.equal(rows[0].d)
    } finally {
      await Promise.all(pools.map((knex) => knex.destroy()))
      await adminQuery(`drop database ${name} with (force)`)
    }
  })
})
