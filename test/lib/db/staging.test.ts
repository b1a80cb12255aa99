import { expect } from 'chai'

import { ErpError, ErrorKind } from '../../../src/lib/errors.js'
import type { Db } from '../../../src/lib/db/connect.js'
import { withStaging } from '../../../src/lib/db/staging.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { adminQuery, openTestDb, uniqueSlug } from '../../helpers/database.js'

/** Staging tables live in the tenant schema (Citus-safe), seen by no one else, and leave nothing. */
describe('staging tables', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = uniqueSlug('stg')
    await createTenant(db, { slug })
  })
  after(() => db.knex.destroy())

  const leftovers = async () =>
    (await adminQuery(`select count(*)::int as n from pg_class where relnamespace = $1::regnamespace and relname like 'erp\\_stage\\_%'`, [`tenant_${slug}`])).rows[0].n

  it('are UNLOGGED tables of the tenant schema, invisible to other sessions, dropped when the work returns', async () => {
    let seenElsewhere = -1
    const total = await withTenant(db, slug, (trx) =>
      withStaging(trx, async (staging) => {
        const a = await staging.create('rows', '(line integer not null, sku text)')
        const b = await staging.create('rows', 'as select 1 as line')
        expect(a).not.to.equal(b)
        expect(staging.table('rows')).to.equal(b)
        const { rows } = await trx.raw(
          `select c.relpersistence, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ?::regclass`,
          [a],
        )
        expect(rows[0]).to.deep.equal({ relpersistence: 'u', nspname: `tenant_${slug}` })
        await trx.raw(`insert into ${a} (line, sku) values (1, 'A'), (2, 'B')`)
        // Another session (a backup, tenants usage) does not see an uncommitted table.
        seenElsewhere = await leftovers()
        const { rows: n } = await trx.raw(`select count(*)::int as n from ${a} join ${b} using (line)`)
        return n[0].n as number
      }),
    )
    expect(total).to.equal(1)
    expect(seenElsewhere).to.equal(0)
    expect(await leftovers()).to.equal(0)
  })

  it('leave nothing when the work fails, in TypeScript or in the database', async () => {
    // An error raised in TypeScript: the tables are dropped, and a caller that goes on commits none.
    await withTenant(db, slug, async (trx) => {
      const err = await withStaging(trx, async (staging) => {
        await staging.create('rows', '(line integer)')
        throw new ErpError(ErrorKind.INVALID_DATA, 'a bad row')
      }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(ErpError)
    })
    expect(await leftovers()).to.equal(0)
    // A statement the database refuses: the transaction is lost, its rollback takes them.
    const refused = await withTenant(db, slug, (trx) =>
      withStaging(trx, async (staging) => {
        const t = await staging.create('rows', '(line integer not null)')
        await trx.raw(`insert into ${t} (line) values (null)`)
      }),
    ).catch((e: unknown) => e)
    expect(refused).to.be.instanceOf(Error)
    expect(await leftovers()).to.equal(0)
  })
})
