import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb, uniqueSlug } from '../helpers/database.js'

/** Off a Citus coordinator, placement and move say so and change nothing (the cluster runs are in citus-cluster.test.ts). */
describe('erp tenants placement / move off a Citus coordinator', function () {
  this.timeout(120_000)
  let db: Db
  let slug: string

  before(async () => {
    db = await openTestDb()
    slug = uniqueSlug('pl')
    await createTenant(db, { slug })
  })
  after(() => db.close())

  it('placement exits 78, naming the database, with what to run instead', async () => {
    const error = failedWith(await runCli(['tenants', 'placement', '--json']), 78, 'CONFIG')
    const database = new URL(process.env.DATABASE_URL!).pathname.slice(1)
    expect(error.message).to.contain(`needs a Citus coordinator: database "${database}" has no citus extension`)
    expect(error.actions.join(' ')).to.match(/erp tenants usage/)
    expect(error.data).to.deep.equal({ citus: 'none' })
  })

  it('move exits 78 and the tenant is untouched', async () => {
    failedWith(await runCli(['tenants', 'move', slug, '--node', 'worker-2:5432', '--json']), 78, 'CONFIG')
    failedWith(await runCli(['tenants', 'move', slug, '--node', 'worker-2:5432', '--dry-run', '--json']), 78, 'CONFIG')
    expect(okResult(await runCli(['tenants', 'show', slug, '--json']))).to.include({ slug, status: 'active' })
  })

  it('move refuses a --node that is not host:port, and hostile ones, before connecting anywhere', async () => {
    for (const node of ['worker-2', 'worker-2:0', 'worker-2:70000', "w'; select pg_sleep(1)--:5432", 'a b:5432', ':5432']) {
      const error = failedWith(await runCli(['tenants', 'move', slug, '--node', node, '--json']), 2, 'USAGE')
      expect(error.message, node).to.match(/--node takes host:port/)
    }
  })

  it('move and placement refuse an unknown tenant and an unknown transfer mode', async () => {
    failedWith(await runCli(['tenants', 'move', 'no_such_tenant', '--node', 'w:5432', '--json']), 1, 'NOT_FOUND')
    failedWith(await runCli(['tenants', 'move', slug, '--node', 'w:5432', '--transfer-mode', 'fast', '--json']), 2, 'USAGE')
    // Placement asks the server first: off a coordinator there is no answer for any tenant.
    failedWith(await runCli(['tenants', 'placement', '--tenant', 'no_such_tenant', '--json']), 78, 'CONFIG')
  })
})
