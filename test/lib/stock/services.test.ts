import { expect } from 'chai'

import { ErpError } from '../../../src/lib/errors.js'
import type { Db } from '../../../src/lib/db/connect.js'
import { fulfilReservations } from '../../../src/lib/stock/fulfil.js'
import { quantityProblem, signedQuantityProblem } from '../../../src/lib/stock/input.js'
import { postMoves } from '../../../src/lib/stock/moves.js'
import { listReservations, release, reserve } from '../../../src/lib/stock/reservations.js'
import { verifyLevels } from '../../../src/lib/stock/verify.js'
import { openTestDb } from '../../helpers/database.js'
import { inTenant, moveCount, onHand, rows, stockTenant } from './fixtures.js'

async function refusal(work: Promise<unknown>): Promise<ErpError> {
  try {
    await work
  } catch (err) {
    if (err instanceof ErpError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('stock input checks', () => {
  it('accepts positive decimals with up to 4 places, and nothing else', () => {
    expect(quantityProblem('12')).to.equal(undefined)
    expect(quantityProblem('0.0001')).to.equal(undefined)
    expect(quantityProblem('99999999999999.9999')).to.equal(undefined)
    for (const bad of ['0', '0.000', '-1', '1e3', '1.23456', '', ' ', 'abc', '1,5', '123456789012345']) {
      expect(quantityProblem(bad), bad).to.be.a('string')
    }
    expect(signedQuantityProblem('-3')).to.equal(undefined)
    expect(signedQuantityProblem('+2.5')).to.equal(undefined)
    expect(signedQuantityProblem('-0')).to.match(/not be zero/)
  })
})

describe('stock services', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db, 'svc')
    await inTenant(db, slug, (trx) =>
      postMoves(trx, [
        { sku: 'BOLT', qty: '10', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'NUT', qty: '3', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'MILK', qty: '5', from: 'supplier', to: 'WH1', lot: 'LATE', expiresOn: '2099-12-31', reason: 'receipt' },
        { sku: 'MILK', qty: '4', from: 'supplier', to: 'WH1/A-01', lot: 'SOON', expiresOn: '2098-01-31', reason: 'receipt' },
        { sku: 'MILK', qty: '2', from: 'supplier', to: 'WH2', lot: 'NONE', reason: 'receipt' },
        { sku: 'PHONE', qty: '3', from: 'supplier', to: 'WH1', serials: ['P1', 'P2', 'P3'], reason: 'receipt' },
      ]),
    )
  })
  after(() => db.close())

  it('postMoves is all or nothing, and names every line short of stock', async () => {
    const before = await moveCount(db, slug)
    const err = await refusal(
      inTenant(db, slug, (trx) =>
        postMoves(trx, [
          { sku: 'BOLT', qty: '4', from: 'WH1', to: 'customer', reason: 'shipment', reference: 'SO-9' },
          { sku: 'NUT', qty: '2', from: 'WH1', to: 'customer', reason: 'shipment', reference: 'SO-9' },
          { sku: 'NUT', qty: '2', from: 'WH1', to: 'customer', reason: 'shipment', reference: 'SO-9' },
          { sku: 'BOLT', qty: '7', from: 'WH1', to: 'customer', reason: 'shipment', reference: 'SO-9' },
        ]),
      ),
    )
    expect(err.kind).to.equal('CONFLICT')
    const shortages = (err.data as { shortages: Array<{ sku: string; requested: string; available: string; lines: number[] }> }).shortages
    expect(shortages.map((s) => [s.sku, s.requested, s.available, s.lines])).to.deep.equal([
      ['BOLT', '11', '10', [1, 4]],
      ['NUT', '4', '3', [2, 3]],
    ])
    expect(await moveCount(db, slug)).to.equal(before)
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('10')
  })

  it('postMoves reports every invalid line at once', async () => {
    const err = await refusal(
      inTenant(db, slug, (trx) =>
        postMoves(trx, [
          { sku: 'BOLT', qty: '1', from: 'WH1', to: 'nowhere', reason: 'transfer' },
          { sku: 'GHOST', qty: '1', from: 'WH1', to: 'customer', reason: 'shipment' },
          { sku: 'BOLT', qty: '1', from: 'supplier', to: 'customer', reason: 'receipt' },
          { sku: 'PHONE', qty: '1', from: 'WH1', to: 'customer', serials: ['P1'], reason: 'shipment' },
          { sku: 'PHONE', qty: '1', from: 'WH1', to: 'WH2', serials: ['P1'], reason: 'transfer' },
          { sku: 'BOLT', qty: '1', from: 'WH1', to: 'customer', reason: 'lost' as never },
        ]),
      ),
    )
    expect(err.kind).to.equal('INVALID_DATA')
    const problems = (err.data as { problems: Array<{ line: number; message: string }> }).problems
    expect(problems.map((p) => [p.line, p.message])).to.deep.equal([
      [1, 'unknown location "nowhere"'],
      [2, 'unknown product GHOST'],
      [3, 'a move needs a warehouse location on one side (supplier → customer)'],
      [5, 'serial P1 is also on line 4'],
      [6, 'unknown reason "lost"'],
    ])
  })

  it('refuses to ship an expired lot', async () => {
    await rows(db, slug, `insert into lots (product_id, code, expires_on) select id, 'OLD', current_date - 1 from products where sku = 'MILK'`)
    await inTenant(db, slug, (trx) =>
      postMoves(trx, [{ sku: 'MILK', qty: '1', from: 'adjustment', to: 'WH2', lot: 'OLD', reason: 'adjustment' }], { guard: 'on_hand' }),
    )
    const err = await refusal(
      inTenant(db, slug, (trx) => postMoves(trx, [{ sku: 'MILK', qty: '1', from: 'WH2', to: 'customer', lot: 'OLD', reason: 'shipment' }])),
    )
    expect(err.message).to.match(/lot OLD of MILK expired on .*: expired stock is not shipped/)
  })

  it('reserves first-expiry-first-out, and fulfils from the reservations it made', async () => {
    const reserved = await inTenant(db, slug, (trx) => reserve(trx, { reference: 'SO-FEFO', lines: [{ sku: 'MILK', qty: '6', warehouse: 'WH1' }] }))
    expect(reserved.map((r) => [r.location, r.lot, r.qty])).to.deep.equal([
      ['WH1/A-01', 'SOON', '4'],
      ['WH1/STOCK', 'LATE', '2'],
    ])
    // Without a warehouse the lot without expiry comes last; the expired lot is never taken.
    const anywhere = await inTenant(db, slug, (trx) => reserve(trx, { reference: 'SO-ANY', lines: [{ sku: 'MILK', qty: '4' }] }))
    expect(anywhere.map((r) => [r.location, r.lot, r.qty])).to.deep.equal([
      ['WH1/STOCK', 'LATE', '3'],
      ['WH2/STOCK', 'NONE', '1'],
    ])

    const shipped = await inTenant(db, slug, (trx) => fulfilReservations(trx, { reference: 'SO-FEFO', lines: [{ sku: 'MILK', qty: '5' }] }))
    expect(shipped.map((m) => [m.from, m.to, m.lot, m.qty, m.reason, m.reference])).to.deep.equal([
      ['WH1/A-01', 'customer', 'SOON', '4', 'shipment', 'SO-FEFO'],
      ['WH1/STOCK', 'customer', 'LATE', '1', 'shipment', 'SO-FEFO'],
    ])
    const left = await inTenant(db, slug, (trx) => listReservations(trx, { reference: 'SO-FEFO' }))
    expect(left.map((r) => [r.lot, r.qty])).to.deep.equal([['LATE', '1']])
    const tooMuch = await refusal(inTenant(db, slug, (trx) => fulfilReservations(trx, { reference: 'SO-FEFO', lines: [{ sku: 'MILK', qty: '2' }] })))
    expect(tooMuch.message).to.match(/only part of 2 is reserved for SO-FEFO/)

    // Everything left, with no lines.
    await inTenant(db, slug, (trx) => fulfilReservations(trx, { reference: 'SO-FEFO' }))
    expect(await inTenant(db, slug, (trx) => listReservations(trx, { reference: 'SO-FEFO' }))).to.deep.equal([])
    await inTenant(db, slug, (trx) => release(trx, { reference: 'SO-ANY' }))
    expect(await inTenant(db, slug, (trx) => verifyLevels(trx))).to.include({ drifted: 0, serialsDrifted: 0 })
  })

  // Orders hand their lines over by product id: a message must still name the product by SKU.
  it('names a product given by id by its SKU in every refusal', async () => {
    const [milk] = await rows<{ id: string }>(db, slug, `select id::text from products where sku = 'MILK'`)
    await inTenant(db, slug, (trx) => reserve(trx, { reference: 'SO-BYID', lines: [{ sku: 'MILK', qty: '1' }] }))
    const fulfil = await refusal(inTenant(db, slug, (trx) => fulfilReservations(trx, { reference: 'SO-BYID', lines: [{ productId: milk.id, qty: '-1' }] })))
    expect(fulfil.message).to.contain('line 1 (MILK): quantity must be greater than zero').and.not.contain('product #')
    const move = await refusal(inTenant(db, slug, (trx) => postMoves(trx, [{ productId: milk.id, qty: '0', from: 'WH1', to: 'customer', reason: 'shipment' }])))
    expect(JSON.stringify(move.data)).to.contain('"sku":"MILK"').and.not.contain('product #')
    const reservation = await refusal(inTenant(db, slug, (trx) => reserve(trx, { reference: 'SO-BYID2', lines: [{ productId: milk.id, qty: '0' }] })))
    expect(JSON.stringify(reservation.data)).to.contain('"sku":"MILK"').and.not.contain('product #')
    await inTenant(db, slug, (trx) => release(trx, { reference: 'SO-BYID' }))
  })

  it('fulfils serial-tracked reservations with the units named', async () => {
    await inTenant(db, slug, (trx) => reserve(trx, { reference: 'SO-SN', lines: [{ sku: 'PHONE', qty: '2' }] }))
    const refused = await refusal(inTenant(db, slug, (trx) => fulfilReservations(trx, { reference: 'SO-SN' })))
    expect(refused.message).to.match(/serial-tracked products \(PHONE\): name the serial numbers/)
    const shipped = await inTenant(db, slug, (trx) =>
      fulfilReservations(trx, { reference: 'SO-SN', lines: [{ sku: 'PHONE', serials: ['P1', 'P3'] }] }),
    )
    expect(shipped.map((m) => [m.from, m.qty, m.serials])).to.deep.equal([['WH1/STOCK', '2', ['P1', 'P3']]])
    const [phones] = await rows<{ in_stock: string[] }>(
      db, slug, `select array_agg(serial order by serial) as in_stock from serials where location_id is not null`,
    )
    expect(phones.in_stock).to.deep.equal(['P2'])
    expect(await inTenant(db, slug, (trx) => verifyLevels(trx))).to.include({ drifted: 0, serialsDrifted: 0 })
  })
})
