import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'

import { runCli } from '../helpers/cli.js'
import { scratchFiles } from '../helpers/scratch-files.js'
import { uniqueSlug } from '../helpers/database.js'

const { dir, file } = scratchFiles('erp-import-prices-')

async function items(slug: string) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    const { rows } = await client.query(`select l.code, p.sku, i.min_qty::text, i.valid_from::text, i.valid_to::text, i.price::text
      from tenant_${slug}.price_list_items i join tenant_${slug}.price_lists l on l.id = i.price_list_id
      join tenant_${slug}.products p on p.id = i.product_id order by 1, 2, 3, 4`)
    return rows
  } finally {
    await client.end()
  }
}

const imp = (slug: string, ...args: string[]) => runCli(['import', 'price-list-items', ...args, '--tenant', slug, '--json'])

describe('erp import price-list-items / erp export price-list-items', () => {
  it('imports breaks and periods, rejects unknown references, upserts and round-trips', async () => {
    const slug = uniqueSlug('impp')
    expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    for (const args of [
      ['price-lists', 'create', '--code', 'RETAIL', '--currency', 'EUR'],
      ['products', 'create', 'P-1', '--name', 'One'],
      ['products', 'create', 'P-2', '--name', 'Two'],
    ]) expect((await runCli([...args, '--tenant', slug])).code).to.equal(0)

    const bad = await imp(slug, file('price_list,sku,min_qty,valid_from,valid_to,price\nRETAIL,P-1,0,,,10\nNOPE,P-1,0,,,9\nRETAIL,P-9,0,,,9\n' +
      'RETAIL,P-2,0,2026-02-01,2026-01-01,5\nRETAIL,P-1,0,,,11\nRETAIL,P-2,x,,,1\n'))
    expect(bad.code).to.equal(65)
    const byLine = Object.fromEntries(bad.json.error.data.errors.map((e: { line: number; column?: string }) => [e.line, e.column ?? null]))
    expect(byLine).to.deep.equal({ 3: 'price_list', 4: 'sku', 5: 'valid_to', 6: 'sku', 7: 'min_qty' })
    expect(await items(slug)).to.deep.equal([])

    const csv = 'price_list,sku,min_qty,valid_from,valid_to,price\nRETAIL,P-1,0,,,10\nRETAIL,P-1,10,,,9.5\nRETAIL,P-2,0,2026-01-01,2026-06-30,4.25\n'
    const ok = await imp(slug, file(csv))
    expect(ok.code, ok.stdout).to.equal(0)
    expect(ok.json.result).to.include({ inserted: 3 })
    // Insert mode takes a price already there as given (unchanged) and refuses one that would change it.
    const again = await imp(slug, file(csv))
    expect(again.json.result).to.include({ inserted: 0, updated: 0, unchanged: 3 })
    const changed = await imp(slug, file('price_list,sku,min_qty,valid_from,valid_to,price\nRETAIL,P-1,0,,,10\nRETAIL,P-1,10,,,9.4\n'))
    expect(changed.code).to.equal(65)
    expect(changed.json.error.data.errors.map((e: { line: number; message: string }) => [e.line, e.message]))
      .to.deep.equal([[3, 'this price already exists with another price or end date (import with --mode upsert to change it)']])
    const upsert = await imp(slug, file('price_list,sku,min_qty,price\nRETAIL,P-1,10,9\nRETAIL,P-2,5,3\n'), '--mode', 'upsert')
    expect(upsert.json.result).to.include({ inserted: 1, updated: 1, unchanged: 0 })
    const before = await items(slug)

    const out = path.join(dir, 'prices.csv')
    expect((await runCli(['export', 'price-list-items', '--tenant', slug, '--output', out])).code).to.equal(0)
    expect(readFileSync(out, 'utf8').split('\n')[0]).to.equal('price_list,sku,min_qty,valid_from,valid_to,price')
    const back = await imp(slug, out, '--mode', 'upsert')
    expect(back.json.result).to.include({ inserted: 0, updated: 0, unchanged: 4 })
    expect(await items(slug)).to.deep.equal(before)
  })

  it('takes back its own export in insert mode where import products already set the default list\'s prices', async () => {
    const slug = uniqueSlug('impr')
    expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    expect((await runCli(['price-lists', 'create', '--code', 'PROMO', '--currency', 'EUR', '--tenant', slug])).code).to.equal(0)
    const products = await runCli(['import', 'products', file('sku,name,price\nP-1,One,10\nP-2,Two,4.5\n'), '--tenant', slug, '--json'])
    expect(products.code, products.stdout).to.equal(0)
    expect((await imp(slug, file('price_list,sku,price\nPROMO,P-1,8\n'))).code).to.equal(0)
    const out = path.join(dir, 'both-lists.csv')
    expect((await runCli(['export', 'price-list-items', '--tenant', slug, '--output', out])).code).to.equal(0)
    const before = await items(slug)

    // A second tenant loaded from the same files: products (with the default list's prices), then the exported items.
    const copy = uniqueSlug('impr')
    expect((await runCli(['tenants', 'create', copy])).code).to.equal(0)
    expect((await runCli(['price-lists', 'create', '--code', 'PROMO', '--currency', 'EUR', '--tenant', copy])).code).to.equal(0)
    expect((await runCli(['import', 'products', file('sku,name,price\nP-1,One,10\nP-2,Two,4.5\n'), '--tenant', copy])).code).to.equal(0)
    const back = await imp(copy, out)
    expect(back.code, back.stdout).to.equal(0)
    expect(back.json.result).to.include({ inserted: 1, updated: 0, unchanged: 2 })
    expect(await items(copy)).to.deep.equal(before)
  })
})
