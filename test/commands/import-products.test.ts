import { expect } from 'chai'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'

import { runCli, spawnCli } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

const dir = mkdtempSync(path.join(tmpdir(), 'erp-import-'))
let n = 0
function file(content: string | Buffer, name = `f${n++}.csv`): string {
  const p = path.join(dir, name)
  writeFileSync(p, content)
  return p
}

async function query(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    return await client.query(sql, params)
  } finally {
    await client.end()
  }
}

async function tenant(): Promise<string> {
  const slug = uniqueSlug('imp')
  const r = await runCli(['tenants', 'create', slug, '--json'])
  expect(r.code, r.stderr + r.stdout).to.equal(0)
  return slug
}

const products = (slug: string) =>
  query(`select p.sku, p.name, p.description, c.path as category, p.barcode, p.weight::text, p.active, p.attributes
         from tenant_${slug}.products p left join tenant_${slug}.categories c on c.id = p.category_id order by p.sku`).then((r) => r.rows)

const imp = (slug: string, ...args: string[]) => runCli(['import', 'products', ...args, '--tenant', slug, '--json'])

const GOOD = 'sku,name,description,category,barcode,weight\n' +
  'A-1,"Bolt, hex M8","multi\nline",Hardware/Fasteners,400001,0.012\n' +
  'A-2,Nut M8,,Hardware/Fasteners,,\n' +
  'B-1,=SUM(A1:A2),"say ""hi""",Tools,400003,1.5\n'

describe('erp import products', () => {
  it('inserts rows, creates category paths, keeps formula-looking text as data', async () => {
    const slug = await tenant()
    const r = await imp(slug, file(GOOD))
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    expect(r.json.result).to.include({ rows: 3, inserted: 3, updated: 0, unchanged: 0, rejected: 0, mode: 'insert' })
    expect(r.json.result.extra).to.include({ categoriesCreated: 3 })
    expect(r.json.result.sha256).to.match(/^[0-9a-f]{64}$/)
    const rows = await products(slug)
    expect(rows.map((p) => [p.sku, p.name, p.category])).to.deep.equal([
      ['A-1', 'Bolt, hex M8', 'Hardware/Fasteners'],
      ['A-2', 'Nut M8', 'Hardware/Fasteners'],
      ['B-1', '=SUM(A1:A2)', 'Tools'],
    ])
    expect(rows[0].description).to.equal('multi\nline')
    expect(rows[2].description).to.equal('say "hi"')
    const audit = await query(`select args from erp.audit_log where tenant = $1 and command like 'import%products'`, [slug])
    expect(audit.rows[0].args.sha256).to.equal(r.json.result.sha256)
  })
})
