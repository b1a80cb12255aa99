import { expect } from 'chai'

import { connect } from '../../src/lib/auth/connection-target.js'
import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { adminQuery, namesFor, openTestDb, uniqueSlug } from './database.js'
import { copyTemplate, currentRun, dropCopy } from './template-database.js'

/** The harness itself: a copy of the template must be the registry the migrations would have made. */
describe('test databases copied from the run template', function () {
  this.timeout(120_000)

  /** The database's ACL as (grantee, privilege) pairs, PUBLIC as '-'; owner-independent, name-independent. */
  const aclOf = async (database: string): Promise<string[]> => {
    const { rows } = await adminQuery(
      `select a.grantee::regrole::text || ':' || a.privilege_type as entry
         from pg_database d, aclexplode(d.datacl) a where d.datname = $1 order by 1`,
      [database],
    )
    return rows.map((r) => r.entry)
  }

  it('carry the registry CONNECT grants of the template (CREATE DATABASE does not copy them) and commit asynchronously', async () => {
    const { rows } = await adminQuery(
      `select current_database() as name, current_setting('synchronous_commit') as sync,
              has_database_privilege('public', current_database(), 'CONNECT') as public_connect,
              has_database_privilege(current_user, current_database(), 'CONNECT') as admin_connect,
              current_user as admin`,
    )
    expect(rows[0]).to.deep.include({ sync: 'off', public_connect: false, admin_connect: true })
    const template = await aclOf(currentRun().template)
    expect(template).to.include(`${rows[0].admin}:CONNECT`).and.not.include('-:CONNECT')
    expect(await aclOf(rows[0].name)).to.deep.equal(template)
  })

  it("drop their own tenants' roles and leave those of the other copies alone", async () => {
    const db = await openTestDb()
    const mine = uniqueSlug('mine')
    const theirs = uniqueSlug('theirs')
    const outer = process.env.DATABASE_URL
    const other = await copyTemplate('other')
    let otherDb: Db | undefined
    try {
      await createTenant(db, { slug: mine })
      process.env.DATABASE_URL = other
      otherDb = await connect({})
      await createTenant(otherDb, { slug: theirs })
    } finally {
      process.env.DATABASE_URL = outer
      await otherDb?.close()
    }
    // Both copies have the template's role prefix, so the other's roles look like ours by name.
    const [myRole, theirRole] = [(await namesFor(mine)).ownerRole, (await namesFor(theirs)).ownerRole]
    expect(theirRole.startsWith(currentRun().rolePrefix)).to.equal(true)
    await dropCopy(other)

    const { rows } = await adminQuery(
      `select (select count(*)::int from pg_database where datname = $1) as database,
              (select array_agg(rolname::text order by rolname) from pg_roles where rolname = any($2)) as roles`,
      [new URL(other).pathname.slice(1), [myRole, theirRole]],
    )
    expect(rows[0]).to.deep.equal({ database: 0, roles: [myRole] })
    await db.close()
  })
})
