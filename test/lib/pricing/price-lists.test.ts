import { expect } from 'chai'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createPriceList, listPriceLists } from '../../../src/lib/pricing/price-lists.js'
import { openTestDb } from '../../helpers/database.js'
import { pricingTenant } from './fixtures.js'

describe('pricing/price-lists', () => {
  let db: Db
  before(async () => {
    db = await openTestDb()
  })
  after(async () => db.close())

  it('keeps exactly one default list when several are created as default at once', async () => {
    const slug = await pricingTenant(db, 'pl')
    const codes = ['A', 'B', 'C', 'D', 'E', 'F']
    const outcomes = await Promise.allSettled(
      codes.map((code) => withTenant(db, slug, (trx) => createPriceList(trx, { code, currency: 'EUR', isDefault: true }))),
    )
    expect(outcomes.map((o) => o.status)).to.deep.equal(codes.map(() => 'fulfilled'))
    const lists = await withTenant(db, slug, (trx) => listPriceLists(trx), { access: 'read' })
    expect(lists.map((l) => l.code)).to.deep.equal(codes)
    expect(lists.filter((l) => l.isDefault)).to.have.length(1)
  })
})
