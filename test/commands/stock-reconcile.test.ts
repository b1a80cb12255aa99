import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { inTenant, moveCount, onHand, rows, stockTenant } from '../lib/stock/fixtures.js'
import { postMoves } from '../../src/lib/stock/moves.js'

/** erp stock reconcile through bin/run.js: dry run, apply, re-apply, invalid rows, CSV dialects. */

describe('erp stock reconcile (CLI)', () => {
  let db: Db
  let slug: string
  let dir: string
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, content)
    return file
  }
  const reconcile = (...args: string[]) => runCli(['stock', 'reconcile', '--tenant', slug, ...args])

  before(async () => {
    db = await openTestDb()
    slug = await stockTenant(db)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-count-'))
    await inTenant(db, slug, (trx) =>
      postMoves(trx, [
        { sku: 'BOLT', qty: '100', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'BOLT', qty: '20', from: 'supplier', to: 'WH1/A-01', reason: 'receipt' },
        { sku: 'NUT', qty: '50', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'BOLT, M8', qty: '7', from: 'supplier', to: 'WH1', reason: 'receipt' },
        { sku: 'MILK', qty: '12', from: 'supplier', to: 'WH1', lot: 'L1', expiresOn: '2099-01-01', reason: 'receipt' },
        { sku: 'PHONE', qty: '2', from: 'supplier', to: 'WH1', serials: ['SN1', 'SN2'], reason: 'receipt' },
        { sku: 'NOCOST', qty: '3', from: 'supplier', to: 'WH2', reason: 'receipt' },
        { sku: 'NUT', qty: '9', from: 'supplier', to: 'WH2', reason: 'receipt' },
      ]),
    )
  })
  after(async () => {
    await db.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('reports a dry run per line with totals and value at cost, and changes nothing', async () => {
    const file = write('dry.csv', [
      'sku,location,lot,counted',
      'BOLT,STOCK,,97',
      'BOLT,A-01,,20',
      'NUT,STOCK,,52.5',
      'MILK,STOCK,L1,12',
      'MILK,STOCK,L2,4',
      'PHONE,STOCK,SN1,1',
      'PHONE,STOCK,SN2,0',
      'PHONE,STOCK,SN3,1',
    ].join('\n'))
    const before = await moveCount(db, slug)
    const result = await reconcile('--counts', file, '--warehouse', 'WH1', '--json')
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const report = result.json.result
    expect(report).to.include({ applied: false, moves: 0, warehouse: 'WH1', delimiter: ',' })
    expect(report.lines.map((l: any) => [l.line, l.sku, l.system, l.counted, l.difference, l.value, l.status])).to.deep.equal([
      [2, 'BOLT', '100', '97', '-3', '-0.75', 'short'],
      [3, 'BOLT', '20', '20', '0', '0.00', 'match'],
      [4, 'NUT', '50', '52.5', '2.5', '0.25', 'over'],
      [5, 'MILK', '12', '12', '0', '0.00', 'match'],
      [6, 'MILK', '0', '4', '4', '3.20', 'over'],
      [7, 'PHONE', '1', '1', '0', '0.00', 'match'],
      [8, 'PHONE', '1', '0', '-1', '-300.00', 'short'],
      [9, 'PHONE', '0', '1', '1', '300.00', 'over'],
    ])
    expect(report.totals).to.deep.equal({
      lines: 8, valid: 8, invalid: 0, differences: 5, qtyOver: '7.5', qtyShort: '4',
      valueOver: '303.45', valueShort: '300.75', valueNet: '2.70', withoutCost: 0,
    })
    expect(await moveCount(db, slug)).to.equal(before)

    const csv = await reconcile('--counts', file, '--warehouse', 'WH1', '--differences-only', '--output', 'csv', '--columns', 'line,sku,difference,value')
    expect(csv.code).to.equal(0)
    expect(csv.stdout.trim().split(/\r?\n/)).to.deep.equal(['line,sku,difference,value', '2,BOLT,-3,-0.75', '4,NUT,2.5,0.25', '6,MILK,4,3.20', '8,PHONE,-1,-300.00', '9,PHONE,1,300.00'])
    expect(csv.stderr).to.match(/8 lines: 8 valid, 0 invalid, 5 with a difference/)
    expect(csv.stderr).to.match(/Dry run: nothing changed/)
  })

  it('applies one count move per difference in one transaction, and refuses the same file twice', async () => {
    const file = write('apply.csv', 'sku,location,lot,counted\nBOLT,WH1,,98\nNUT,WH1/STOCK,,50\nMILK,WH1,L9,5\nPHONE,WH1,SN2,0\nPHONE,WH1,SN7,1\nNUT,WH2,,0\n')
    const before = await moveCount(db, slug)
    const applied = await reconcile('--counts', file, '--apply', '--reference', 'INV-2026-11', '--json')
    expect(applied.code, applied.stdout + applied.stderr).to.equal(0)
    expect(applied.json.result).to.include({ applied: true, moves: 5, reference: 'INV-2026-11' })
    expect(await moveCount(db, slug)).to.equal(before + 5)
    const moves = await rows<any>(
      db,
      slug,
      `select p.sku, f.full_code as "from", t.full_code as "to", trim_scale(m.qty)::text as qty, m.reason, m.reference, m.note
         from stock_moves m join products p on p.id = m.product_id
         join locations f on f.id = m.from_location_id join locations t on t.id = m.to_location_id
        where m.reference = 'INV-2026-11' order by m.id`,
    )
    expect(moves.map((m) => [m.sku, m.from, m.to, m.qty, m.reason, m.note])).to.deep.equal([
      ['BOLT', 'WH1/STOCK', 'adjustment', '2', 'count', 'apply.csv line 2'],
      ['MILK', 'adjustment', 'WH1/STOCK', '5', 'count', 'apply.csv line 4'],
      ['PHONE', 'WH1/STOCK', 'adjustment', '1', 'count', 'apply.csv line 5'],
      ['PHONE', 'adjustment', 'WH1/STOCK', '1', 'count', 'apply.csv line 6'],
      ['NUT', 'WH2/STOCK', 'adjustment', '9', 'count', 'apply.csv line 7'],
    ])
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('98')
    expect(await onHand(db, slug, 'MILK', 'WH1/STOCK', 'L9')).to.equal('5')
    expect(await onHand(db, slug, 'NUT', 'WH2/STOCK')).to.equal('0')
    const serials = await rows<{ serial: string; location: string | null }>(
      db, slug,
      'select s.serial, l.full_code as location from serials s left join locations l on l.id = s.location_id order by s.serial',
    )
    expect(serials).to.deep.equal([
      { serial: 'SN1', location: 'WH1/STOCK' },
      { serial: 'SN2', location: null },
      { serial: 'SN7', location: 'WH1/STOCK' },
    ])

    const again = await reconcile('--counts', file, '--apply', '--json')
    expect(again.code).to.equal(1)
    expect(again.json.error.message).to.match(/already applied on .* as INV-2026-11/)
    expect(await moveCount(db, slug)).to.equal(before + 5)
    // A dry run of an applied file still reports, with a warning.
    const dry = await reconcile('--counts', file, '--json')
    expect(dry.code).to.equal(0)
    expect(dry.json.result.appliedBefore.reference).to.equal('INV-2026-11')
    expect(dry.json.warnings.join(' ')).to.match(/already applied/)
    const verify = await runCli(['stock', 'verify', '--tenant', slug, '--json'])
    expect(verify.json.result).to.include({ drifted: 0, serialsDrifted: 0 })
  })

  it('reports every invalid line with its line number, exits 65 and applies nothing unless --skip-invalid', async () => {
    const file = write('invalid.csv', [
      'sku,location,lot,counted',
      'BOLT,WH1,,99',
      'GHOST,WH1,,1',
      'BOLT,WH9/X,,1',
      'NUT,WH1,,-2',
      'NUT,WH1,,abc',
      'MILK,WH1,,3',
      'BOLT,WH1,X,1',
      'PHONE,WH1,SN1,2',
      'BOLT,WH1,,98',
      'NUT,customer,,1',
      'NUT,WH2,,1',
      'NUT,WH1',
    ].join('\n'))
    const before = await moveCount(db, slug)
    const dry = await reconcile('--counts', file, '--json', '--warehouse', 'WH1')
    expect(dry.code).to.equal(65)
    expect(dry.json.status).to.equal(65)
    const invalid = dry.json.result.lines.filter((l: any) => l.status === 'invalid').map((l: any) => [l.line, l.problem])
    expect(invalid).to.deep.equal([
      [3, 'unknown SKU "GHOST"'],
      [4, 'unknown location "WH9/X"'],
      [5, 'counted quantity "-2" is not a number ≥ 0 with at most 4 decimals'],
      [6, 'counted quantity "abc" is not a number ≥ 0 with at most 4 decimals'],
      [7, 'MILK is lot-tracked: give the lot'],
      [8, 'BOLT has no lots or serial numbers: leave the lot empty'],
      [9, 'serial SN1 is counted 0 or 1'],
      [10, 'counted twice: repeats line 2'],
      [11, 'customer is not a warehouse location'],
      [12, 'WH2/STOCK is not in warehouse WH1'],
      [13, 'expected 4 fields, found 2'],
    ])

    const refused = await reconcile('--counts', file, '--apply', '--warehouse', 'WH1', '--json')
    expect(refused.code).to.equal(65)
    expect(refused.json.error.message).to.match(/^11 invalid lines in the count, nothing applied: invalid.csv:3: unknown SKU "GHOST"/)
    expect(refused.json.error.data.invalid).to.have.length(11)
    expect(await moveCount(db, slug)).to.equal(before)
    const human = await reconcile('--counts', file, '--apply', '--warehouse', 'WH1')
    expect(human.code).to.equal(65)
    expect(human.stderr).to.match(/invalid.csv:3: unknown SKU "GHOST"/)
    expect(human.stderr).to.match(/--skip-invalid/)

    const skipped = await reconcile('--counts', file, '--apply', '--warehouse', 'WH1', '--skip-invalid', '--json')
    expect(skipped.code, skipped.stdout).to.equal(0)
    expect(skipped.json.result).to.include({ applied: true, moves: 1 })
    expect(skipped.json.warnings.join(' ')).to.match(/11 invalid lines skipped/)
    expect(await onHand(db, slug, 'BOLT', 'WH1/STOCK')).to.equal('99')
  })

  it('reads a BOM, ; delimiters with decimal commas, quoted fields and CRLF', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const semicolon = write('semicolon.csv', Buffer.concat([bom, Buffer.from('SKU;Location;Lot;Counted\r\n"BOLT, M8";"WH1";;"6,5"\r\nNOCOST;WH2;;5\r\n')]))
    const result = await reconcile('--counts', semicolon, '--json')
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    expect(result.json.result.delimiter).to.equal(';')
    expect(result.json.result.lines.map((l: any) => [l.line, l.sku, l.system, l.counted, l.difference, l.value])).to.deep.equal([
      [2, 'BOLT, M8', '7', '6.5', '-0.5', '-0.20'],
      [3, 'NOCOST', '3', '5', '2', null],
    ])
    expect(result.json.result.totals.withoutCost).to.equal(1)

    const quoted = write('quoted.csv', 'sku,"loc ation",counted\n"BOLT, M8","WH1",7\n"BOLT, M8",WH1/A-01,"1"\n')
    const q = await reconcile('--counts', quoted, '--json')
    expect(q.code, q.stdout).to.equal(0)
    expect(q.json.result.lines.map((l: any) => [l.sku, l.location, l.difference])).to.deep.equal([
      ['BOLT, M8', 'WH1', '0'],
      ['BOLT, M8', 'WH1/A-01', '1'],
    ])

    const tabbed = write('tabbed.tsv', 'sku\tlocation\tcounted\nNUT\tWH1\t50\n')
    const t = await reconcile('--counts', tabbed, '--json')
    expect(t.json.result.delimiter).to.equal('\t')
    expect(t.json.result.lines[0]).to.include({ sku: 'NUT', difference: '0' })
  })

  it('names a missing file (66), a header without the needed columns and broken quoting (65)', async () => {
    const missing = await reconcile('--counts', path.join(dir, 'nope.csv'), '--json')
    expect(missing.code).to.equal(66)
    const header = await reconcile('--counts', write('header.csv', 'product,where,qty\nBOLT,WH1,1\n'), '--json')
    expect(header.code).to.equal(65)
    expect(header.json.error.message).to.match(/header\.csv:1: the header has no location column/)
    const broken = await reconcile('--counts', write('broken.csv', 'sku,location,counted\nBOLT,WH1,1\n"NUT,WH1,2\n'), '--json')
    expect(broken.code).to.equal(65)
    expect(broken.json.error.message).to.match(/^broken\.csv:\d+: /)
    const empty = await reconcile('--counts', write('empty.csv', ''), '--json')
    expect(empty.code).to.equal(65)
  })
})
