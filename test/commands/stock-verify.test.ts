import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { postMoves } from '../../src/lib/stock/moves.js'
import { reserve } from '../../src/lib/stock/reservations.js'
import { runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { inTenant, onHand, rows, stockTenant } from '../lib/stock/fixtures.js'

describe('erp stock verify (CLI)', () => {
  let db: Db
  let slug: string
  const verify = (...args: string[]) => runCli(['stock', 'verify', '--tenant', slug, '--json', ...args])

  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
    await inTenant(db, slug, async (trx) => {
      await postMoves(trx, [
        { sku: 'BOLT', qty: '40', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'NUT', qty: '10', from: 'supplier', to: 'WH2', reason: 'receipt' },
        { sku: 'MILK', qty: '6', from: 'supplier', to: 'WH1', lot: 'L1', reason: 'receipt' },
        { sku: 'PHONE', qty: '2', from: 'supplier', to: 'WH1', serials: ['SN1', 'SN2'], reason: 'receipt' },
      ])
      await postMoves(trx, [
        { sku: 'BOLT', qty: '15', from: 'WH1', to: 'WH1/A-01', reason: 'transfer' },
        { sku: 'PHONE', qty: '1', from: 'WH1', to: 'customer', serials: ['SN2'], reason: 'shipment' },
      ])
      await reserve(trx, { reference: 'SO-1', lines: [{ sku: 'BOLT', qty: '5' }] })
    })
  })
  after(() => db.close())

  it('finds no drift in a cache kept by the services', async () => {
    const result = await verify()
    expect(result.code, result.stdout).to.equal(0)
    expect(result.json.result).to.include({ drifted: 0, serialsDrifted: 0, repaired: false, moves: 6 })
  })

  it('reports a cache corrupted with SQL (exit 1, nothing changed), and --repair restores it', async () => {
    await rows(db, slug, `
      update stock_levels set on_hand = on_hand + 5
       where product_id = (select id from products where sku = 'BOLT')
         and location_id = (select id from locations where full_code = 'WH1/STOCK')`)
    await rows(db, slug, `delete from stock_levels where product_id = (select id from products where sku = 'NUT')`)
    await rows(db, slug, `update stock_levels set reserved = 0 where reserved > 0`)
    await rows(db, slug, `
      insert into stock_levels (product_id, location_id, on_hand)
      select p.id, l.id, 3 from products p, locations l where p.sku = 'NOCOST' and l.full_code = 'WH2/STOCK'`)
    await rows(db, slug, `update serials set location_id = (select id from locations where full_code = 'WH2/STOCK') where serial = 'SN1'`)

    const found = await verify()
    expect(found.code).to.equal(1)
    expect(found.json.status).to.equal(1)
    expect(found.json.result).to.include({ drifted: 3, serialsDrifted: 1, repaired: false })
    expect(found.json.result.drift).to.deep.equal([
      { sku: 'BOLT', location: 'WH1/STOCK', lot: null, cachedOnHand: '30', cachedReserved: '0', ledgerOnHand: '25', ledgerReserved: '5' },
      { sku: 'NOCOST', location: 'WH2/STOCK', lot: null, cachedOnHand: '3', cachedReserved: '0', ledgerOnHand: '0', ledgerReserved: '0' },
      { sku: 'NUT', location: 'WH2/STOCK', lot: null, cachedOnHand: '0', cachedReserved: '0', ledgerOnHand: '10', ledgerReserved: '0' },
    ])
    expect(found.json.result.serialDrift).to.deep.equal([{ sku: 'PHONE', serial: 'SN1', cachedLocation: 'WH2/STOCK', ledgerLocation: 'WH1/STOCK' }])
    expect(found.json.warnings[0]).to.match(/3 levels and 1 serial numbers drifted/)
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('30')

    const table = await runCli(['stock', 'verify', '--tenant', slug])
    expect(table.code).to.equal(1)
    expect(table.stdout).to.match(/^BOLT\s+WH1\/STOCK\s+30\s+25\s+0\s+5$/m)

    const repaired = await verify('--repair')
    expect(repaired.code, repaired.stdout).to.equal(0)
    expect(repaired.json.result).to.include({ drifted: 3, serialsDrifted: 1, repaired: true })
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('25')
    expect(await onHand(db, slug, 'NUT', 'WH2/STOCK')).to.equal('10')
    expect(await onHand(db, slug, 'NOCOST', 'WH2/STOCK')).to.equal('0')
    const [{ reserved }] = await rows<{ reserved: string }>(db, slug, `select trim_scale(sum(reserved))::text as reserved from stock_levels`)
    expect(reserved).to.equal('5')

    const clean = await verify()
    expect(clean.code).to.equal(0)
    expect(clean.json.result).to.include({ drifted: 0, serialsDrifted: 0 })
  })

  it('keeps the ledger append-only', async () => {
    let error: unknown
    try {
      await rows(db, slug, 'update stock_moves set qty = qty + 1')
    } catch (err) {
      error = err
    }
    expect(String(error)).to.match(/append-only ledger: UPDATE is not allowed/)
    error = undefined
    try {
      await rows(db, slug, 'delete from stock_moves')
    } catch (err) {
      error = err
    }
    expect(String(error)).to.match(/append-only ledger: DELETE is not allowed/)
  })
})
