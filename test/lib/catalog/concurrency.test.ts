import { expect } from 'chai'
import type { Knex } from 'knex'

import type { Db } from '../../../src/lib/db/connect.js'
import { withTenant } from '../../../src/lib/tenants/tenant-work.js'
import { createTenant } from '../../../src/lib/tenants/provision.js'
import { createCategory, listCategories, moveCategory } from '../../../src/lib/catalog/categories.js'
import { createProduct } from '../../../src/lib/catalog/products.js'
import { createCustomer, setDefaultCustomerAddress } from '../../../src/lib/customers/customers.js'
import { createUser, setUserDisabled } from '../../../src/lib/users/users.js'
import { openTestDb, uniqueSlug } from '../../helpers/database.js'

/** Settle all, then sort outcomes into fulfilled values and error kinds. */
async function race<T>(work: Promise<T>[]): Promise<{ ok: T[]; errors: string[] }> {
  const results = await Promise.allSettled(work)
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { kind?: string }).kind ?? String(r.reason)] : [])),
  }
}

describe('catalog services under concurrent callers (real parallel connections)', () => {
  let db: Db
  let slug: string
  const inTenant = <T>(work: (trx: Knex.Transaction) => Promise<T>) => withTenant(db, slug, work)

  before(async () => {
    db = await openTestDb()
    slug = uniqueSlug('conc')
    await createTenant(db, { slug })
  })
  after(() => db.close())

  it('creates a SKU exactly once when eight sessions try at the same time', async () => {
    const { ok, errors } = await race(
      Array.from({ length: 8 }, (_, i) => inTenant((trx) => createProduct(trx, { sku: 'RACE-1', name: `Racer ${i}` }))),
    )
    expect(ok).to.have.length(1)
    expect(errors).to.deep.equal(Array(7).fill('CONFLICT'))
    const count = await inTenant((trx) => trx('products').where('sku', 'RACE-1').count({ n: '*' }).first())
    expect(Number(count!.n)).to.equal(1)
  })

  it('keeps every path equal to parent path + name while moves and creates interleave', async () => {
    await inTenant((trx) => createCategory(trx, { path: 'A/B', parents: true }))
    await inTenant((trx) => createCategory(trx, { path: 'Z' }))
    const creates = Array.from({ length: 6 }, (_, i) =>
      inTenant((trx) => createCategory(trx, { path: `C${i}`, parent: i % 2 ? 'A/B' : 'Z/B' })),
    )
    const move = inTenant((trx) => moveCategory(trx, { path: 'A/B', to: 'Z' }))
    await race<unknown>([...creates, move])
    const categories = await inTenant((trx) => listCategories(trx))
    const byId = new Map(categories.map((c) => [c.id, c]))
    for (const c of categories) {
      const expected = c.parentId ? `${byId.get(c.parentId)!.path}/${c.name}` : c.name
      expect(c.path, `category ${c.id}`).to.equal(expected)
    }
    expect(categories.map((c) => c.path)).to.include('Z/B')
  })

  it('never disables the last two admins at once', async () => {
    await inTenant((trx) => createUser(trx, { email: 'a1@acme.example', name: 'A1', role: 'admin' }))
    await inTenant((trx) => createUser(trx, { email: 'a2@acme.example', name: 'A2', role: 'admin' }))
    const { ok, errors } = await race([
      inTenant((trx) => setUserDisabled(trx, 'a1@acme.example', true)),
      inTenant((trx) => setUserDisabled(trx, 'a2@acme.example', true)),
    ])
    expect(ok).to.have.length(1)
    expect(errors).to.deep.equal(['NOT_ALLOWED'])
  })

  it('leaves exactly one default address per kind when defaults change concurrently', async () => {
    const customer = await inTenant((trx) =>
      createCustomer(trx, {
        code: 'C-RACE', name: 'Racer',
        addresses: Array.from({ length: 5 }, (_, i) => ({ kind: 'shipping', line1: `Dock ${i}`, city: 'Leeds', country: 'GB' })),
      }),
    )
    await race(customer.addresses.map((a) => inTenant((trx) => setDefaultCustomerAddress(trx, 'C-RACE', a.id))))
    const defaults = await inTenant((trx) => trx('customer_addresses').where({ customer_id: customer.id, is_default: true }).select('id'))
    expect(defaults).to.have.length(1)
  })
})
