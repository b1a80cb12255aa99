import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWithMessage as failed, okResult as ok, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { moveCount, onHand, rows, stockTenant } from '../lib/stock/fixtures.js'

/** Every stock command through bin/run.js, with --json, on its own tenant per block. */

const erp = (slug: string, ...args: string[]) => runCli([...args, '--tenant', slug, '--json'])

describe('erp warehouses and locations (CLI)', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
  })
  after(() => db.close())

  it('creates, lists, updates and deletes warehouses and locations', async () => {
    const created = ok(await erp(slug, 'warehouses', 'create', 'LYON', '--name', 'Lyon', '--default-location', 'RECEIVING'))
    expect(created).to.include({ code: 'LYON', name: 'Lyon', defaultLocation: 'LYON/RECEIVING', active: true })

    const location = ok(await erp(slug, 'locations', 'create', 'LYON/B-02', '--name', 'Aisle B'))
    expect(location).to.include({ fullCode: 'LYON/B-02', warehouse: 'LYON', kind: 'internal', isDefault: false })

    const madeDefault = ok(await erp(slug, 'locations', 'update', 'LYON/B-02', '--default'))
    expect(madeDefault.isDefault).to.equal(true)

    const listed = ok(await erp(slug, 'warehouses', 'list')).items
    expect(listed.map((w: { code: string }) => w.code)).to.deep.equal(['LYON', 'WH1', 'WH2'])
    expect(listed[0].defaultLocation).to.equal('LYON/B-02')

    const locations = ok(await erp(slug, 'locations', 'list', '--warehouse', 'LYON')).items
    expect(locations.map((l: { fullCode: string }) => l.fullCode)).to.deep.equal(['LYON/B-02', 'LYON/RECEIVING'])
    const virtual = ok(await erp(slug, 'locations', 'list', '--virtual', '--warehouse', 'NONE')).items
    expect(virtual).to.deep.equal([])
    const kinds = ok(await erp(slug, 'locations', 'list', '--kind', 'scrap')).items
    expect(kinds.map((l: { fullCode: string }) => l.fullCode)).to.deep.equal(['scrap'])

    const renamed = ok(await erp(slug, 'warehouses', 'update', 'LYON', '--name', 'Lyon DC', '--no-active'))
    expect(renamed).to.include({ name: 'Lyon DC', active: false })
    expect(ok(await erp(slug, 'warehouses', 'list')).items.map((w: { code: string }) => w.code)).to.not.include('LYON')

    ok(await erp(slug, 'locations', 'delete', 'LYON/RECEIVING', '--yes'))
    ok(await erp(slug, 'warehouses', 'delete', 'LYON', '--yes'))
    const [left] = await rows<{ n: number }>(db, slug, `select count(*)::int as n from locations where full_code like 'LYON/%'`)
    expect(left.n).to.equal(0)
  })

  it('refuses bad codes, duplicates, and deleting what has stock history', async () => {
    ok(await erp(slug, 'stock', 'receive', '--sku', 'BOLT', '--qty', '1', '--location', 'WH1/A-01'))
    const [badCode, reserved, duplicate, dupLocation, used, usedLocation, defaultLocation, noWarehouse, withStock] = await Promise.all([
      erp(slug, 'warehouses', 'create', 'bad code'),
      erp(slug, 'warehouses', 'create', 'scrap'),
      erp(slug, 'warehouses', 'create', 'WH1'),
      erp(slug, 'locations', 'create', 'WH1/A-01'),
      erp(slug, 'warehouses', 'delete', 'WH1', '--yes'),
      erp(slug, 'locations', 'delete', 'WH1/A-01', '--yes'),
      erp(slug, 'locations', 'update', 'WH1/STOCK', '--no-active'),
      erp(slug, 'locations', 'create', 'NOPE/X'),
      erp(slug, 'locations', 'update', 'WH1/A-01', '--no-active'),
    ])
    failed(badCode, 65, /Invalid warehouse code/)
    failed(reserved, 65, /virtual location/)
    failed(duplicate, 1, /already exists/)
    failed(dupLocation, 1, /already exists/)
    failed(used, 1, /stock history/)
    failed(usedLocation, 1, /stock history/)
    failed(defaultLocation, 1, /default location/)
    failed(noWarehouse, 1, /No warehouse "NOPE"/)
    failed(withStock, 1, /still holds stock/)
    failed(await erp(slug, 'warehouses', 'delete', 'WH2'), 2, /--yes/)
  })
})

describe('erp stock receive / adjust / transfer / scrap (CLI)', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
  })
  after(() => db.close())

  it('posts each kind of move, keeps levels in step and lists them', async () => {
    const received = ok(await erp(slug, 'stock', 'receive', '--sku', 'BOLT', '--qty', '100', '--location', 'WH1', '--reference', 'PO-1'))
    expect(received.moves).to.have.length(1)
    expect(received.moves[0]).to.include({ sku: 'BOLT', from: 'supplier', to: 'WH1/STOCK', qty: '100', reason: 'receipt', reference: 'PO-1' })
    expect(received.levels).to.deep.equal([
      { sku: 'BOLT', name: 'Bolt M6', warehouse: 'WH1', location: 'WH1/STOCK', lot: null, expiresOn: null, onHand: '100', reserved: '0', available: '100' },
    ])

    const moved = ok(await erp(slug, 'stock', 'transfer', '--sku', 'BOLT', '--qty', '30.5', '--from', 'WH1', '--to', 'WH2'))
    expect(moved.levels.map((l: any) => [l.location, l.onHand])).to.deep.equal([['WH1/STOCK', '69.5'], ['WH2/STOCK', '30.5']])

    const adjusted = ok(await erp(slug, 'stock', 'adjust', '--sku', 'BOLT', '--qty=-2', '--location', 'WH1', '--note', 'dropped'))
    expect(adjusted.moves[0]).to.include({ from: 'WH1/STOCK', to: 'adjustment', qty: '2', reason: 'adjustment', note: 'dropped' })
    const found = ok(await erp(slug, 'stock', 'adjust', '--sku', 'BOLT', '--qty', '+1', '--location', 'WH1/A-01'))
    expect(found.moves[0]).to.include({ from: 'adjustment', to: 'WH1/A-01', qty: '1' })

    const scrapped = ok(await erp(slug, 'stock', 'scrap', '--sku', 'BOLT', '--qty', '0.5', '--location', 'WH2'))
    expect(scrapped.moves[0]).to.include({ from: 'WH2/STOCK', to: 'scrap', qty: '0.5', reason: 'scrap' })

    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('67.5')
    expect(await onHand(db, slug, 'BOLT', 'WH2/STOCK')).to.equal('30')
    expect(await onHand(db, slug, 'BOLT', 'WH1/A-01')).to.equal('1')

    const levels = ok(await erp(slug, 'stock', 'levels', '--sku', 'BOLT', '--by', 'warehouse')).items
    expect(levels.map((l: any) => [l.warehouse, l.onHand])).to.deep.equal([['WH1', '68.5'], ['WH2', '30']])
    const byProduct = ok(await erp(slug, 'stock', 'levels', '--by', 'product')).items
    expect(byProduct).to.have.length(1)
    expect(byProduct[0]).to.include({ sku: 'BOLT', onHand: '98.5' })
    const inCategory = ok(await erp(slug, 'stock', 'levels', '--category', 'hardware', '--location', 'WH1/A-01')).items
    expect(inCategory.map((l: any) => l.location)).to.deep.equal(['WH1/A-01'])
    expect(ok(await erp(slug, 'stock', 'levels', '--category', 'food')).items).to.deep.equal([])

    const moves = ok(await erp(slug, 'stock', 'moves', '--sku', 'BOLT')).items
    expect(moves.map((m: any) => m.reason)).to.deep.equal(['scrap', 'adjustment', 'adjustment', 'transfer', 'receipt'])
    const page = ok(await erp(slug, 'stock', 'moves', '--limit', '2')).items
    const next = ok(await erp(slug, 'stock', 'moves', '--limit', '2', '--before-id', page[1].id)).items
    expect(next.map((m: any) => m.reason)).to.deep.equal(['adjustment', 'transfer'])
    expect(ok(await erp(slug, 'stock', 'moves', '--reference', 'PO-1')).items).to.have.length(1)
    expect(ok(await erp(slug, 'stock', 'moves', '--location', 'scrap')).items).to.have.length(1)
    const table = await runCli(['stock', 'levels', '--tenant', slug, '--sku', 'BOLT'])
    expect(table.stdout).to.match(/^BOLT\s+Bolt M6\s+WH1\s+WH1\/A-01\s+1\s+0\s+1$/m)
  })

  it('refuses negative stock, zero and negative quantities and unknown names, changing nothing', async () => {
    ok(await erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty', '5', '--location', 'WH1'))
    const before = await moveCount(db, slug)
    const [tooMuch, scrapTooMuch, zero, negative, notNumber, unknownSku, unknownLocation, virtualTransfer, same, adjustZero] = await Promise.all([
      erp(slug, 'stock', 'transfer', '--sku', 'NUT', '--qty', '6', '--from', 'WH1', '--to', 'WH2'),
      erp(slug, 'stock', 'scrap', '--sku', 'NUT', '--qty', '5.0001', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty', '0', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty=-4', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty', '1.23456', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'NOPE', '--qty', '1', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty', '1', '--location', 'WH1/NOWHERE'),
      erp(slug, 'stock', 'transfer', '--sku', 'NUT', '--qty', '1', '--from', 'WH1', '--to', 'customer'),
      erp(slug, 'stock', 'transfer', '--sku', 'NUT', '--qty', '1', '--from', 'WH1', '--to', 'WH1/STOCK'),
      erp(slug, 'stock', 'adjust', '--sku', 'NUT', '--qty', '0', '--location', 'WH1'),
    ])
    const shortage = failed(tooMuch, 1, /Not enough stock: NUT at WH1\/STOCK: 6 requested, 5 available/)
    expect(shortage.data.shortages[0]).to.include({ sku: 'NUT', location: 'WH1/STOCK', requested: '6', available: '5' })
    failed(scrapTooMuch, 1, /Not enough stock/)
    failed(zero, 65, /greater than zero/)
    failed(negative, 65, /quantity must be greater than zero/)
    failed(notNumber, 65, /at most 4 digit\(s\) after the decimal point/)
    failed(unknownSku, 65, /unknown product NOPE/)
    failed(unknownLocation, 65, /unknown location "WH1\/NOWHERE"/)
    failed(virtualTransfer, 65, /between warehouse locations/)
    failed(same, 65, /same location/)
    failed(adjustZero, 65, /must not be zero/)
    expect(await moveCount(db, slug)).to.equal(before)
    expect(await onHand(db, slug, 'NUT', 'WH1/STOCK')).to.equal('5')
  })

  it('allows negative stock only when the tenant setting says so', async () => {
    ok(await erp(slug, 'stock', 'receive', '--sku', 'BOLT, M8', '--qty', '1', '--location', 'WH2'))
    failed(await erp(slug, 'stock', 'adjust', '--sku', 'BOLT, M8', '--qty=-3', '--location', 'WH2'), 1, /Not enough stock/)
    expect(ok(await erp(slug, 'stock', 'settings', '--allow-negative'))).to.deep.equal({ allowNegative: true })
    ok(await erp(slug, 'stock', 'adjust', '--sku', 'BOLT, M8', '--qty=-3', '--location', 'WH2'))
    expect(await onHand(db, slug, 'BOLT, M8', 'WH2/STOCK')).to.equal('-2')
    expect(ok(await erp(slug, 'stock', 'settings', '--no-allow-negative'))).to.deep.equal({ allowNegative: false })
    expect(ok(await erp(slug, 'stock', 'settings'))).to.deep.equal({ allowNegative: false })
    failed(await erp(slug, 'stock', 'scrap', '--sku', 'BOLT, M8', '--qty', '1', '--location', 'WH2'), 1, /Not enough stock/)
  })
})

describe('erp stock lots and expiry (CLI)', () => {
  let db: Db
  let slug: string
  const today = new Date()
  const day = (offset: number) => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10)
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
  })
  after(() => db.close())

  it('creates lots on receipt, lists them by expiry and enforces the lot rules', async () => {
    const received = ok(await erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '10', '--location', 'WH1', '--lot', 'L-LATE', '--expiry', day(60)))
    expect(received.moves[0]).to.include({ lot: 'L-LATE', expiresOn: day(60) })
    ok(await erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '4', '--location', 'WH1', '--lot', 'L-SOON', '--expiry', day(5)))
    // A second receipt of a known lot needs no expiry.
    ok(await erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '1', '--location', 'WH1/A-01', '--lot', 'L-SOON'))

    const lots = ok(await erp(slug, 'stock', 'lots', '--sku', 'MILK')).items
    expect(lots.map((l: any) => [l.lot, l.status, l.onHand, l.locations])).to.deep.equal([
      ['L-SOON', 'expiring', '5', 2],
      ['L-LATE', 'ok', '10', 1],
    ])
    expect(ok(await erp(slug, 'stock', 'lots', '--expiring-within', '3')).items).to.deep.equal([])
    expect(ok(await erp(slug, 'stock', 'levels', '--lot', 'L-LATE')).items.map((l: any) => l.onHand)).to.deep.equal(['10'])

    const before = await moveCount(db, slug)
    const [noLot, lotOnUntracked, expiryMismatch, expiredReceipt, unknownLotOut, badDate] = await Promise.all([
      erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '1', '--location', 'WH1'),
      erp(slug, 'stock', 'receive', '--sku', 'BOLT', '--qty', '1', '--location', 'WH1', '--lot', 'X1'),
      erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '1', '--location', 'WH1', '--lot', 'L-LATE', '--expiry', day(90)),
      erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '1', '--location', 'WH1', '--lot', 'L-OLD', '--expiry', day(-1)),
      erp(slug, 'stock', 'transfer', '--sku', 'MILK', '--qty', '1', '--from', 'WH1', '--to', 'WH2', '--lot', 'NOPE'),
      erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '1', '--location', 'WH1', '--lot', 'L9', '--expiry', '2026-02-30'),
    ])
    failed(noLot, 65, /lot-tracked: give a lot/)
    failed(lotOnUntracked, 65, /not lot-tracked/)
    failed(expiryMismatch, 65, /already exists with expiry/)
    failed(expiredReceipt, 65, /expired goods are not received/)
    failed(unknownLotOut, 65, /unknown lot NOPE/)
    failed(badDate, 65, /"2026-02-30" is not a date/)
    expect(await moveCount(db, slug)).to.equal(before)
  })

  it('pages levels with --after: every row once, in order, for each grouping; a forged cursor is refused', async () => {
    ok(await erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '2', '--location', 'WH1/A-01', '--lot', 'L-NOEXP'))
    for (const by of ['location', 'warehouse', 'product']) {
      const whole = ok(await erp(slug, 'stock', 'levels', '--by', by))
      expect(whole.nextCursor).to.equal(null)
      const pages: unknown[] = []
      let after: string | null | undefined
      do {
        const page = ok(await erp(slug, 'stock', 'levels', '--by', by, '--limit', '1', ...(after ? ['--after', after] : [])))
        pages.push(...page.items)
        after = page.nextCursor
      } while (after && pages.length <= whole.items.length)
      expect(pages, by).to.deep.equal(whole.items)
    }
    const first = await runCli(['stock', 'levels', '--tenant', slug, '--limit', '1'])
    expect(first.stderr).to.match(/More rows: --after \S+/)
    const forged = Buffer.from(JSON.stringify(["x'); drop table stock_levels; --", 'WH1', 'not a date', ''])).toString('base64url')
    for (const cursor of [forged, 'not-a-cursor', Buffer.from('["MILK"]').toString('base64url')]) {
      failed(await erp(slug, 'stock', 'levels', '--after', cursor), 2, /is not a cursor of this listing/)
    }
  })

  it('skips expired lots when reserving, and lets them be scrapped', async () => {
    ok(await erp(slug, 'stock', 'receive', '--sku', 'MILK', '--qty', '3', '--location', 'WH2', '--lot', 'L-PAST', '--expiry', day(2)))
    // Let the lot expire: the expiry date is data, not the clock.
    await rows(db, slug, `update lots set expires_on = current_date - 1 where code = 'L-PAST'`)
    failed(
      await erp(slug, 'stock', 'reserve', '--reference', 'SO-X', '--line', 'MILK:2', '--warehouse', 'WH2'),
      1,
      /Not enough stock to reserve for SO-X: line 1 MILK: 2 requested, 0 available/,
    )
    failed(await erp(slug, 'stock', 'reserve', '--reference', 'SO-X', '--line', 'MILK:1', '--lot', 'L-PAST'), 65, /expired on/)
    const expired = ok(await erp(slug, 'stock', 'lots', '--expired')).items
    expect(expired.map((l: any) => [l.lot, l.status, l.onHand])).to.deep.equal([['L-PAST', 'expired', '3']])
    ok(await erp(slug, 'stock', 'scrap', '--sku', 'MILK', '--qty', '3', '--location', 'WH2', '--lot', 'L-PAST', '--note', 'expired'))
    expect(ok(await erp(slug, 'stock', 'lots', '--expired')).items).to.deep.equal([])
  }).timeout(30_000)
})

describe('erp stock serial numbers (CLI)', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
  })
  after(() => db.close())

  it('moves each serial number from exactly one place to exactly one place', async () => {
    const received = ok(await erp(slug, 'stock', 'receive', '--sku', 'PHONE', '--qty', '3', '--location', 'WH1', '--serial', 'SN1,SN2', '--serial', 'SN3'))
    expect(received.moves[0].serials).to.deep.equal(['SN1', 'SN2', 'SN3'])
    ok(await erp(slug, 'stock', 'transfer', '--sku', 'PHONE', '--qty', '1', '--from', 'WH1', '--to', 'WH2', '--serial', 'SN2'))
    ok(await erp(slug, 'stock', 'scrap', '--sku', 'PHONE', '--qty', '1', '--location', 'WH1', '--serial', 'SN3'))

    const serials = ok(await erp(slug, 'stock', 'serials', '--sku', 'PHONE')).items
    expect(serials.map((s: any) => [s.serial, s.status, s.location, s.lastMovedTo])).to.deep.equal([
      ['SN1', 'in-stock', 'WH1/STOCK', 'WH1/STOCK'],
      ['SN2', 'in-stock', 'WH2/STOCK', 'WH2/STOCK'],
      ['SN3', 'gone', null, 'scrap'],
    ])
    expect(ok(await erp(slug, 'stock', 'serials', '--status', 'gone')).items.map((s: any) => s.serial)).to.deep.equal(['SN3'])
    expect(ok(await erp(slug, 'stock', 'moves', '--serial', 'SN2')).items.map((m: any) => m.reason)).to.deep.equal(['transfer', 'receipt'])
    expect(await onHand(db, slug, 'PHONE', 'WH1/STOCK')).to.equal('1')

    const before = await moveCount(db, slug)
    const [duplicateInStock, duplicateInInput, tooFew, fractional, notThere, unknown, gone, serialOnUntracked] = await Promise.all([
      erp(slug, 'stock', 'receive', '--sku', 'PHONE', '--qty', '1', '--location', 'WH1', '--serial', 'SN1'),
      erp(slug, 'stock', 'receive', '--sku', 'PHONE', '--qty', '2', '--location', 'WH1', '--serial', 'SN8,SN8'),
      erp(slug, 'stock', 'receive', '--sku', 'PHONE', '--qty', '2', '--location', 'WH1', '--serial', 'SN9'),
      erp(slug, 'stock', 'receive', '--sku', 'PHONE', '--qty', '1.5', '--location', 'WH1', '--serial', 'SN9'),
      erp(slug, 'stock', 'transfer', '--sku', 'PHONE', '--qty', '1', '--from', 'WH1', '--to', 'WH2', '--serial', 'SN2'),
      erp(slug, 'stock', 'scrap', '--sku', 'PHONE', '--qty', '1', '--location', 'WH1', '--serial', 'SN404'),
      erp(slug, 'stock', 'transfer', '--sku', 'PHONE', '--qty', '1', '--from', 'WH1', '--to', 'WH2', '--serial', 'SN3'),
      erp(slug, 'stock', 'receive', '--sku', 'BOLT', '--qty', '1', '--location', 'WH1', '--serial', 'B1'),
    ])
    failed(duplicateInStock, 65, /serial SN1 of PHONE is already in stock at WH1\/STOCK/)
    failed(duplicateInInput, 65, /duplicate serial numbers: SN8/)
    failed(tooFew, 65, /2 units need 2 serial numbers, 1 given/)
    failed(fractional, 65, /whole units/)
    failed(notThere, 65, /serial SN2 of PHONE is at WH2\/STOCK, not WH1\/STOCK/)
    failed(unknown, 65, /unknown serial SN404/)
    failed(gone, 65, /serial SN3 of PHONE is not in stock/)
    failed(serialOnUntracked, 65, /not serial-tracked/)
    expect(await moveCount(db, slug)).to.equal(before)

    // A unit that left stock may come back (a return), under the same number.
    ok(await erp(slug, 'stock', 'adjust', '--sku', 'PHONE', '--qty', '1', '--location', 'WH2', '--serial', 'SN3'))
    const back = ok(await erp(slug, 'stock', 'serials', '--serial', 'SN3')).items
    expect(back[0]).to.include({ status: 'in-stock', location: 'WH2/STOCK' })
  })
})

describe('erp stock reserve / release / reorder points (CLI)', () => {
  let db: Db
  let slug: string
  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
    ok(await erp(slug, 'stock', 'receive', '--sku', 'BOLT', '--qty', '10', '--location', 'WH1'))
    ok(await erp(slug, 'stock', 'receive', '--sku', 'NUT', '--qty', '4', '--location', 'WH2'))
  })
  after(() => db.close())

  it('reserves all lines or none, holds the stock from transfers, and releases it', async () => {
    const reserved = ok(await erp(slug, 'stock', 'reserve', '--reference', 'SO-1', '--line', 'BOLT:6', '--line', 'NUT:4')).items
    expect(reserved.map((r: any) => [r.line, r.sku, r.location, r.qty])).to.deep.equal([
      [1, 'BOLT', 'WH1/STOCK', '6'],
      [2, 'NUT', 'WH2/STOCK', '4'],
    ])
    const levels = ok(await erp(slug, 'stock', 'levels', '--sku', 'BOLT')).items
    expect(levels[0]).to.include({ onHand: '10', reserved: '6', available: '4' })

    const short = failed(await erp(slug, 'stock', 'reserve', '--reference', 'SO-2', '--line', 'BOLT:3', '--line', 'NUT:1', '--line', 'BOLT:2'), 1, /Not enough stock to reserve for SO-2/)
    expect(short.data.shortages.map((s: any) => [s.line, s.sku, s.available])).to.deep.equal([[2, 'NUT', '0'], [3, 'BOLT', '1']])
    expect(ok(await erp(slug, 'stock', 'reservations', '--reference', 'SO-2')).items).to.deep.equal([])

    failed(await erp(slug, 'stock', 'transfer', '--sku', 'BOLT', '--qty', '5', '--from', 'WH1', '--to', 'WH2'), 1, /4 available/)
    failed(await erp(slug, 'stock', 'reserve', '--reference', 'SO-3', '--line', 'BOLT'), 2, /SKU:QTY/)
    failed(await erp(slug, 'stock', 'reserve', '--reference', 'SO-3', '--line', 'BOLT:1', '--warehouse', 'NOPE'), 65, /unknown warehouse/)

    // An adjustment may take reserved stock: the goods are physically not there.
    ok(await erp(slug, 'stock', 'adjust', '--sku', 'BOLT', '--qty=-5', '--location', 'WH1'))
    expect(ok(await erp(slug, 'stock', 'levels', '--sku', 'BOLT')).items[0]).to.include({ onHand: '5', reserved: '6', available: '-1' })

    const released = ok(await erp(slug, 'stock', 'release', '--reference', 'SO-1', '--sku', 'BOLT')).items
    expect(released.map((r: any) => r.sku)).to.deep.equal(['BOLT'])
    expect(ok(await erp(slug, 'stock', 'reservations')).items.map((r: any) => [r.reference, r.sku])).to.deep.equal([['SO-1', 'NUT']])
    ok(await erp(slug, 'stock', 'release', '--reference', 'SO-1'))
    const nothing = await erp(slug, 'stock', 'release', '--reference', 'SO-1')
    expect(ok(nothing).items).to.deep.equal([])
    expect(nothing.json.warnings[0]).to.match(/Nothing is reserved for SO-1/)
    const [{ reserved: left }] = await rows<{ reserved: string }>(db, slug, 'select coalesce(sum(reserved), 0)::text as reserved from stock_levels')
    expect(Number(left)).to.equal(0)
  })

  it('lists products under their reorder point with the quantity to order', async () => {
    ok(await erp(slug, 'stock', 'reorder', 'set', '--sku', 'NUT', '--warehouse', 'WH2', '--min', '10', '--max', '50'))
    ok(await erp(slug, 'stock', 'reorder', 'set', '--sku', 'MILK', '--warehouse', 'WH1', '--min', '5'))
    ok(await erp(slug, 'stock', 'reorder', 'set', '--sku', 'BOLT', '--warehouse', 'WH1', '--min', '1'))
    failed(await erp(slug, 'stock', 'reorder', 'set', '--sku', 'NUT', '--warehouse', 'WH2', '--min', '10', '--max', '5'), 65, /below the minimum/)
    const below = ok(await erp(slug, 'stock', 'levels', '--below-reorder')).items
    expect(below.map((l: any) => [l.sku, l.warehouse, l.available, l.reorderMin, l.suggested])).to.deep.equal([
      ['MILK', 'WH1', '0', '5', '5'],
      ['NUT', 'WH2', '4', '10', '46'],
    ])
    expect(ok(await erp(slug, 'stock', 'reorder', 'list')).items.map((p: any) => p.sku)).to.deep.equal(['BOLT', 'MILK', 'NUT'])
    ok(await erp(slug, 'stock', 'reorder', 'remove', '--sku', 'MILK', '--warehouse', 'WH1'))
    failed(await erp(slug, 'stock', 'reorder', 'remove', '--sku', 'MILK', '--warehouse', 'WH1'), 1, /No reorder point/)
    expect(ok(await erp(slug, 'stock', 'levels', '--below-reorder', '--warehouse', 'WH2')).items.map((l: any) => l.sku)).to.deep.equal(['NUT'])
  })
})
