import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import type { Db } from '../../src/lib/db/connect.js'
import { failedWith, okResult, runCli } from '../helpers/cli.js'
import { openTestDb } from '../helpers/database.js'
import { rows, stockTenant } from '../lib/stock/fixtures.js'

/** erp import reorder-points / erp export reorder-points: modes, bad rows, the round trip. */
describe('erp import reorder-points / erp export reorder-points', function () {
  this.timeout(120_000)
  let db: Db
  let dir: string
  let n = 0
  const file = (content: string) => {
    const p = path.join(dir, `r${n++}.csv`)
    writeFileSync(p, content)
    return p
  }
  const erp = (slug: string, ...args: string[]) => runCli([...args, '--tenant', slug, '--json'])
  const points = (slug: string) => rows(db, slug, `select p.sku, w.code, trim_scale(min_qty)::text as min, trim_scale(max_qty)::text as max
    from reorder_points rp join products p on p.id = rp.product_id join warehouses w on w.id = rp.warehouse_id order by 1, 2`)

  before(async () => {
    db = await openTestDb()
    dir = mkdtempSync(path.join(tmpdir(), 'erp-import-reorder-'))
  })
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.close()
  })

  it('inserts, refuses bad rows with nothing written, upserts, and round-trips through export', async () => {
    const slug = await stockTenant(db, 'irp')
    const good = file('sku,warehouse,min,max\nBOLT,WH1,20,100\n"BOLT, M8",WH2,5,\nMILK,WH1,0,12.5\n')
    okResult(await erp(slug, 'import', 'reorder-points', good))
    expect(await points(slug)).to.deep.equal([
      { sku: 'BOLT', code: 'WH1', min: '20', max: '100' },
      { sku: 'BOLT, M8', code: 'WH2', min: '5', max: null },
      { sku: 'MILK', code: 'WH1', min: '0', max: '12.5' },
    ])
    const errors = path.join(dir, 'rejected.csv')
    const bad = await erp(slug, 'import', 'reorder-points', file([
      'sku,warehouse,min,max', 'NUT,WH1,10,5', 'NOSUCH,WH1,1,', 'NUT,WH9,1,', 'NUT,WH2,-1,', 'NUT,WH2,1,', 'NUT,WH2,2,', 'BOLT,WH1,1,2',
    ].join('\n')), '--errors', errors)
    failedWith(bad, 65, 'INVALID_DATA')
    const text = readFileSync(errors, 'utf8')
    expect(text).to.contain('the maximum 5 is below the minimum 10')
    expect(text).to.contain('no product with this SKU')
    expect(text).to.contain('no warehouse with this code')
    expect(text).to.contain('must be zero or more (got -1)')
    expect(text).to.contain('the same SKU and warehouse as line 6')
    expect(text).to.contain('this reorder point already exists (import with --mode upsert to change it)')
    expect(await points(slug)).to.have.length(3)

    const changed = okResult(await erp(slug, 'import', 'reorder-points', file('sku,warehouse,min\nBOLT,WH1,30\nNUT,WH1,1\n'), '--mode', 'upsert'))
    expect(changed).to.include({ inserted: 1, updated: 1 })
    failedWith(await erp(slug, 'import', 'reorder-points', file('sku,warehouse,max\nNUT,WH2,3\n'), '--mode', 'update'), 65, 'INVALID_DATA')

    const exported = path.join(dir, 'points.csv')
    okResult(await erp(slug, 'export', 'reorder-points', '--output', exported))
    const csv = readFileSync(exported, 'utf8')
    expect(csv).to.equal('sku,warehouse,min,max\nBOLT,WH1,30,100\n"BOLT, M8",WH2,5,\nMILK,WH1,0,12.5\nNUT,WH1,1,\n')
    const again = okResult(await erp(slug, 'import', 'reorder-points', exported, '--mode', 'upsert'))
    expect(again).to.include({ inserted: 0, updated: 0, unchanged: 4 })
  })
})
