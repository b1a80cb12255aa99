import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { moveCount, onHand, rows, stockTenant } from '../lib/stock/fixtures.js'

/** erp import stock / erp export stock through bin/run.js: opening stock, counts, modes, bad lines, round trip. */

describe('erp import stock / erp export stock', () => {
  let db: Db
  let dir: string
  let n = 0
  const file = (content: string) => {
    const p = path.join(dir, `s${n++}.csv`)
    writeFileSync(p, content)
    return p
  }
  const imp = (slug: string, ...args: string[]) => runCli(['import', 'stock', ...args, '--tenant', slug, '--json'])
  const levels = (slug: string) =>
    rows(db, slug, `select p.sku, l.full_code as location, lo.code as lot, lo.expires_on::text as expiry, trim_scale(s.on_hand)::text as on_hand
      from stock_levels s join products p on p.id = s.product_id join locations l on l.id = s.location_id left join lots lo on lo.id = s.lot_id
      where s.on_hand <> 0 order by 1, 2, 3`)
  const serials = (slug: string) =>
    rows(db, slug, `select se.serial, l.full_code as location from serials se left join locations l on l.id = se.location_id order by 1`)

  before(async () => {
    db = await openTestDb()
    dir = mkdtempSync(path.join(tmpdir(), 'erp-import-stock-'))
  })
  after(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('loads opening stock (plain, lots with expiry, serials), refuses it twice, and round-trips through export', async () => {
    const slug = await stockTenant(db, 'imps')
    const opening = file([
      'SKU,Location,Lot,Qty,Expiry',
      'BOLT,WH1,,100,',
      'BOLT,WH1/A-01,,20.5,',
      '"BOLT, M8",WH2,,7,',
      'MILK,WH1,L-2027,12,2027-03-01',
      'PHONE,WH1,SN-1,1,',
      'PHONE,WH1,SN-2,1,',
    ].join('\n'))
    const dry = await imp(slug, opening, '--dry-run')
    expect(dry.code, dry.stdout).to.equal(0)
    expect(dry.json.result).to.include({ inserted: 6, updated: 0, dryRun: true })
    expect(await moveCount(db, slug)).to.equal(0)

    const loaded = await imp(slug, opening)
    expect(loaded.code, loaded.stdout).to.equal(0)
    expect(loaded.json.result).to.include({ rows: 6, inserted: 6, updated: 0, unchanged: 0, rejected: 0 })
    expect(loaded.json.result.extra).to.deep.equal({ moves: 6 })
    expect(await levels(slug)).to.deep.equal([
      { sku: 'BOLT', location: 'WH1/A-01', lot: null, expiry: null, on_hand: '20.5' },
      { sku: 'BOLT', location: 'WH1/STOCK', lot: null, expiry: null, on_hand: '100' },
      { sku: 'BOLT, M8', location: 'WH2/STOCK', lot: null, expiry: null, on_hand: '7' },
      { sku: 'MILK', location: 'WH1/STOCK', lot: 'L-2027', expiry: '2027-03-01', on_hand: '12' },
      { sku: 'PHONE', location: 'WH1/STOCK', lot: null, expiry: null, on_hand: '2' },
    ])
    expect(await serials(slug)).to.deep.equal([{ serial: 'SN-1', location: 'WH1/STOCK' }, { serial: 'SN-2', location: 'WH1/STOCK' }])
    const [ledger] = await rows<{ reasons: string[] }>(db, slug, `select array_agg(distinct reason) as reasons from stock_moves`)
    expect(ledger.reasons).to.deep.equal(['count'])

    // Opening stock is for empty places: loading it again is refused line by line, nothing written.
    const twice = await imp(slug, opening)
    expect(twice.code).to.equal(65)
    expect(twice.json.error.message).to.match(/s\d+\.csv:2: BOLT already has 100 on hand at WH1 \(import with --mode upsert to count it\)/)
    expect(await moveCount(db, slug)).to.equal(6)

    const exported = path.join(dir, 'stock.csv')
    const out = await runCli(['export', 'stock', '--tenant', slug, '--output', exported])
    expect(out.code, out.stderr).to.equal(0)
    expect(readFileSync(exported, 'utf8').trim().split('\n')).to.deep.equal([
      'sku,location,lot,counted,expiry',
      'BOLT,WH1/A-01,,20.5,',
      'BOLT,WH1/STOCK,,100,',
      '"BOLT, M8",WH2/STOCK,,7,',
      'MILK,WH1/STOCK,L-2027,12,2027-03-01',
      'PHONE,WH1/STOCK,SN-1,1,',
      'PHONE,WH1/STOCK,SN-2,1,',
    ])
    const back = await imp(slug, exported, '--mode', 'upsert')
    expect(back.code, back.stdout).to.equal(0)
    expect(back.json.result).to.include({ inserted: 0, updated: 0, unchanged: 6 })
    expect(await moveCount(db, slug)).to.equal(6)
  })

  it('applies a count in upsert mode (one move per difference), update mode only where stock is, and is idempotent', async () => {
    const slug = await stockTenant(db, 'impc')
    expect((await imp(slug, file('sku,location,lot,counted\nBOLT,WH1,,10\nMILK,WH1,L1,5\nPHONE,WH1,SN-1,1\n'))).code).to.equal(0)
    const count = file('sku,location,lot,counted\nBOLT,WH1,,7\nNUT,WH1/A-01,,3\nMILK,WH1,L1,5\nPHONE,WH1,SN-1,0\n')

    const update = await imp(slug, count, '--mode', 'update')
    expect(update.code).to.equal(65)
    expect(update.json.error.message).to.include(':3: no stock of NUT is recorded at WH1/A-01 (import with --mode upsert to add it)')

    const upsert = await imp(slug, count, '--mode', 'upsert', '--batch-ref', 'COUNT-NOV')
    expect(upsert.code, upsert.stdout).to.equal(0)
    expect(upsert.json.result).to.include({ inserted: 1, updated: 2, unchanged: 1, batchRef: 'COUNT-NOV' })
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('7')
    expect(await onHand(db, slug, 'NUT', 'WH1/A-01')).to.equal('3')
    expect(await serials(slug)).to.deep.equal([{ serial: 'SN-1', location: null }])
    const [moves] = await rows<{ n: number }>(db, slug, `select count(*)::int as n from stock_moves where reference = 'COUNT-NOV'`)
    expect(moves.n).to.equal(3)

    const again = await imp(slug, count, '--mode', 'upsert')
    expect(again.json.result).to.include({ inserted: 0, updated: 0, unchanged: 4 })
    expect(await moveCount(db, slug)).to.equal(6)
  })

  it('names every bad line (file:line) and writes nothing; --skip-invalid loads the good ones', async () => {
    const slug = await stockTenant(db, 'impb')
    const bad = file([
      'sku,location,lot,counted,expiry',
      'BOLT,WH1,,5,',
      'NOPE,WH1,,1,',
      'BOLT,NOWHERE/X,,1,',
      'MILK,WH1,,4,',
      'NUT,WH1,,-2,',
      'NUT,WH1,,2,2027-01-01',
      'BOLT,WH1,,6,',
      'NUT,WH2,,abc,',
    ].join('\n'))
    const errors = path.join(dir, 'rejected.csv')
    const result = await imp(slug, bad, '--errors', errors)
    expect(result.code).to.equal(65)
    const messages = result.json.error.data.errors.map((e: { line: number; message: string }) => `${e.line}: ${e.message}`)
    expect(messages).to.deep.equal([
      '3: unknown SKU "NOPE"',
      '4: unknown location "NOWHERE/X"',
      '5: MILK is lot-tracked: give the lot',
      '6: must be zero or more (got -2)',
      '7: NUT is not lot-tracked: leave the expiry empty',
      '8: counted twice: repeats line 2',
      '9: "abc" is not a decimal number (write it like 12.5)',
    ])
    expect(await moveCount(db, slug)).to.equal(0)
    expect(readFileSync(errors, 'utf8').split('\n')[0]).to.equal('sku,location,lot,counted,expiry,error')

    const skipped = await imp(slug, bad, '--skip-invalid')
    expect(skipped.code).to.equal(1)
    expect(skipped.json.result).to.include({ inserted: 1, rejected: 7 })
    expect(await levels(slug)).to.deep.equal([{ sku: 'BOLT', location: 'WH1/STOCK', lot: null, expiry: null, on_hand: '5' }])
  })
})
