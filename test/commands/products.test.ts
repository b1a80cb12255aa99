import { expect } from 'chai'

import { failedWithMessage as failed, okResult as ok, runCli, type CliResult } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

/** Runs erp against one tenant with --json and returns the parsed envelope's result. */
async function erp(tenant: string, args: string[], input?: string): Promise<CliResult> {
  return runCli([...args, '--tenant', tenant, '--json'], { input })
}

describe('erp products, categories and attributes (through bin/run.js)', function () {
  let tenant: string

  before(async () => {
    tenant = uniqueSlug('cat')
    ok(await runCli(['tenants', 'create', tenant, '--json']))
    ok(await erp(tenant, ['attributes', 'create', 'color', '--type', 'enum', '--values', 'red,blue,black']))
    ok(await erp(tenant, ['attributes', 'create', 'length_mm', '--type', 'number', '--name', 'Length (mm)']))
    ok(await erp(tenant, ['attributes', 'create', 'fragile', '--type', 'boolean']))
    ok(await erp(tenant, ['categories', 'create', 'Hardware/Fasteners/Bolts', '--parents']))
    ok(await erp(tenant, ['categories', 'create', 'Screws', '--parent', 'Hardware/Fasteners']))
    ok(await erp(tenant, ['categories', 'create', 'Garden']))
  })

  it('defines attributes and lists them; refuses bad definitions', async () => {
    const list = ok(await erp(tenant, ['attributes', 'list'])).items
    expect(list.map((a: any) => a.code)).to.deep.equal(['color', 'fragile', 'length_mm'])
    expect(list[0]).to.include({ type: 'enum' }).and.to.have.deep.property('enumValues', ['red', 'blue', 'black'])

    const [again, noValues, badCode, badType] = await Promise.all([
      erp(tenant, ['attributes', 'create', 'color', '--type', 'text']),
      erp(tenant, ['attributes', 'create', 'size', '--type', 'enum']),
      erp(tenant, ['attributes', 'create', 'Bad Code', '--type', 'text']),
      erp(tenant, ['attributes', 'create', 'size', '--type', 'colour']),
    ])
    failed(again, 1, /already exists/)
    failed(noValues, 65, /needs its allowed values/)
    failed(badCode, 65, /not an attribute code/)
    failed(badType, 2, /Expected --type=colour to be one of/)
  })

  it('creates categories as a tree, refuses a missing parent and duplicates', async () => {
    const created = ok(await erp(tenant, ['categories', 'create', 'Tools/Power/Drills', '--parents']))
    expect(created.created.map((c: any) => c.path)).to.deep.equal(['Tools', 'Tools/Power', 'Tools/Power/Drills'])
    failed(await erp(tenant, ['categories', 'create', 'Kitchen/Knives']), 1, /Parent category "Kitchen" does not exist/)
    failed(await erp(tenant, ['categories', 'create', 'Hardware/Fasteners']), 1, /already exists/)
    failed(await erp(tenant, ['categories', 'create', 'A//B']), 65, /not a category path/)
    const under = ok(await erp(tenant, ['categories', 'list', '--under', 'Tools'])).items
    expect(under.map((c: any) => c.path)).to.deep.equal(['Tools', 'Tools/Power', 'Tools/Power/Drills'])
  })

  it('creates, shows and updates a product with typed attributes', async () => {
    const product = ok(await erp(tenant, [
      'products', 'create', 'BOLT-M8', '--name', 'Hex bolt M8', '--category', 'Hardware/Fasteners/Bolts',
      '--weight', '0.0120', '--cost', '0.0425', '--barcode', '4006381333931', '--tracking', 'lot',
      '--attr', 'color=black', '--attr', 'length_mm=40', '--attr', 'fragile=no',
    ]))
    expect(product).to.include({
      sku: 'BOLT-M8', name: 'Hex bolt M8', category: 'Hardware/Fasteners/Bolts', weight: '0.012', cost: '0.0425',
      barcode: '4006381333931', tracking: 'lot', active: true, uom: 'unit', taxClass: 'standard',
    })
    expect(product.attributes).to.deep.equal({ color: 'black', length_mm: 40, fragile: false })

    const updated = ok(await erp(tenant, [
      'products', 'update', 'BOLT-M8', '--attr', 'color=red', '--attr', 'fragile=', '--inactive', '--unset', 'barcode',
      '--tax-class', 'reduced',
    ]))
    expect(updated).to.include({ active: false, barcode: null, taxClass: 'reduced' })
    expect(updated.attributes).to.deep.equal({ color: 'red', length_mm: 40 })

    const shown = ok(await erp(tenant, ['products', 'show', 'BOLT-M8']))
    expect(shown).to.deep.include({ sku: 'BOLT-M8', attributes: { color: 'red', length_mm: 40 } })

    const human = await runCli(['products', 'show', 'BOLT-M8', '--tenant', tenant])
    expect(human.stdout).to.match(/^category:\s+Hardware\/Fasteners\/Bolts$/m)
  })

  it('refuses bad input, reports every problem at once and writes nothing', async () => {
    const error = failed(await erp(tenant, [
      'products', 'create', 'BAD-1', '--name', 'Bad', '--category', 'No/Such', '--weight', '-1', '--cost', '1.23456',
      '--attr', 'color=purple', '--attr', 'length_mm=long', '--attr', 'size=XL',
    ]), 65, /was not created/)
    const messages = error.data.problems.map((p: any) => `${p.field}: ${p.message}`)
    expect(messages).to.have.length(6)
    expect(messages.join('\n')).to.match(/unknown category "No\/Such"/)
      .and.to.match(/weight: must be zero or more/)
      .and.to.match(/cost: at most 4 digit/)
      .and.to.match(/color: "purple" is not one of red, blue, black/)
      .and.to.match(/length_mm: "long" is not a number/)
      .and.to.match(/unknown attribute "size"/)
    const [show, duplicate, malformed, unknown, contradiction] = await Promise.all([
      erp(tenant, ['products', 'show', 'BAD-1']),
      erp(tenant, ['products', 'create', 'BOLT-M8', '--name', 'Again']),
      erp(tenant, ['products', 'create', 'X-1', '--name', 'X', '--attr', 'color']),
      erp(tenant, ['products', 'update', 'NOPE', '--name', 'X']),
      erp(tenant, ['products', 'update', 'BOLT-M8', '--weight', '1', '--unset', 'weight']),
    ])
    failed(show, 1, /No product with SKU "BAD-1"/)
    failed(duplicate, 1, /SKU "BOLT-M8" already exists/)
    failed(malformed, 2, /not code=value/)
    failed(unknown, 1, /No product with SKU "NOPE"/)
    failed(contradiction, 2, /contradict/)
  })

  it('refuses a duplicate barcode', async () => {
    ok(await erp(tenant, ['products', 'create', 'NUT-M8', '--name', 'Nut M8', '--barcode', '5012345678900']))
    failed(await erp(tenant, ['products', 'create', 'NUT-M10', '--name', 'Nut M10', '--barcode', '5012345678900']), 1,
      /barcode "5012345678900" already belongs to product "NUT-M8"/)
    failed(await erp(tenant, ['products', 'update', 'BOLT-M8', '--barcode', '5012345678900']), 1, /already belongs/)
    failed(await erp(tenant, ['products', 'update', 'NUT-M8', '--new-sku', 'BOLT-M8']), 1, /SKU "BOLT-M8" already exists/)
    expect(ok(await erp(tenant, ['products', 'update', 'NUT-M8', '--new-sku', 'NUT-M8-ZN'])).sku).to.equal('NUT-M8-ZN')
    ok(await erp(tenant, ['products', 'update', 'NUT-M8-ZN', '--new-sku', 'NUT-M8']))
  })

  it('lists with category (sub-categories included), attribute, active and search filters, page by page', async () => {
    for (const [sku, category, color] of [
      ['SCR-1', 'Hardware/Fasteners/Screws', 'red'], ['SCR-2', 'Hardware/Fasteners/Screws', 'blue'],
      ['SCR-3', 'Hardware/Fasteners/Screws', 'red'], ['HOSE-1', 'Garden', 'red'], ['BOLT-M10', 'Hardware/Fasteners/Bolts', 'red'],
    ]) {
      ok(await erp(tenant, ['products', 'create', sku, '--name', `Item ${sku}`, '--category', category, '--attr', `color=${color}`]))
    }
    const skus = (page: any) => page.items.map((p: any) => p.sku)
    // Read-only queries, run side by side.
    const [hardwareRed, activeRed, inactive, bolt, itemScr, percent] = await Promise.all([
      erp(tenant, ['products', 'list', '--category', 'Hardware', '--attr', 'color=red']),
      erp(tenant, ['products', 'list', '--category', 'Hardware', '--attr', 'color=red', '--active']),
      erp(tenant, ['products', 'list', '--inactive']),
      erp(tenant, ['products', 'list', '--search', 'bolt']),
      erp(tenant, ['products', 'list', '--search', 'item scr']),
      erp(tenant, ['products', 'list', '--search', '%']),
    ])
    expect(skus(ok(hardwareRed))).to.deep.equal(['BOLT-M8', 'SCR-1', 'SCR-3', 'BOLT-M10'])
    expect(ok(hardwareRed).nextCursor).to.equal(null)
    expect(skus(ok(activeRed))).to.deep.equal(['SCR-1', 'SCR-3', 'BOLT-M10'])
    expect(skus(ok(inactive))).to.deep.equal(['BOLT-M8'])
    expect(skus(ok(bolt))).to.deep.equal(['BOLT-M8', 'BOLT-M10'])
    expect(skus(ok(itemScr))).to.deep.equal(['SCR-1', 'SCR-2', 'SCR-3'])
    expect(skus(ok(percent))).to.deep.equal([])

    const first = ok(await erp(tenant, ['products', 'list', '--limit', '3']))
    expect(skus(first)).to.deep.equal(['BOLT-M8', 'NUT-M8', 'SCR-1'])
    expect(first.nextCursor).to.equal(first.items[2].id)
    const second = ok(await erp(tenant, ['products', 'list', '--limit', '3', '--after', first.nextCursor]))
    expect(skus(second)).to.deep.equal(['SCR-2', 'SCR-3', 'HOSE-1'])
    const third = ok(await erp(tenant, ['products', 'list', '--limit', '3', '--after', 'HOSE-1']))
    expect(skus(third)).to.deep.equal(['BOLT-M10'])
    expect(third.nextCursor).to.equal(null)

    const human = await runCli(['products', 'list', '--limit', '3', '--tenant', tenant, '--columns', 'sku,category'])
    expect(human.stdout).to.match(/^SCR-1\s+Hardware\/Fasteners\/Screws$/m)
    expect(human.stderr).to.include(`More products: --after ${first.nextCursor}`)

    const [nowhere, purple, shade, after] = await Promise.all([
      erp(tenant, ['products', 'list', '--category', 'Nowhere']),
      erp(tenant, ['products', 'list', '--attr', 'color=purple']),
      erp(tenant, ['products', 'list', '--attr', 'shade=red']),
      erp(tenant, ['products', 'list', '--after', 'NO-SUCH-SKU']),
    ])
    failed(nowhere, 1, /No category "Nowhere"/)
    failed(purple, 65, /"purple" is not one of/)
    failed(shade, 65, /unknown attribute "shade"/)
    failed(after, 2, /neither a product id nor a known SKU/)
  })

  it('archives and restores a product', async () => {
    const archived = ok(await erp(tenant, ['products', 'archive', 'HOSE-1']))
    expect(archived.changed).to.equal(true)
    expect(archived.product.archivedAt).to.be.a('string')
    expect(ok(await erp(tenant, ['products', 'archive', 'HOSE-1'])).changed).to.equal(false)
    expect(ok(await erp(tenant, ['products', 'list', '--category', 'Garden'])).items).to.have.length(0)
    expect(ok(await erp(tenant, ['products', 'list', '--archived'])).items.map((p: any) => p.sku)).to.deep.equal(['HOSE-1'])
    failed(await erp(tenant, ['products', 'update', 'HOSE-1', '--name', 'x']), 1, /is archived/)
    expect(ok(await erp(tenant, ['products', 'restore', 'HOSE-1'])).product.archivedAt).to.equal(null)
    expect(ok(await erp(tenant, ['products', 'list', '--category', 'Garden'])).items).to.have.length(1)
    failed(await erp(tenant, ['products', 'archive', 'NOPE']), 1, /No product with SKU "NOPE"/)
  })

  it('moves and renames a category subtree; products follow', async () => {
    const moved = ok(await erp(tenant, ['categories', 'move', 'Hardware/Fasteners', '--to', 'Tools']))
    expect(moved).to.include({ from: 'Hardware/Fasteners', moved: 3 })
    expect(moved.category.path).to.equal('Tools/Fasteners')
    ok(await erp(tenant, ['categories', 'move', 'Tools/Fasteners', '--name', 'Fixings']))
    expect(ok(await erp(tenant, ['products', 'show', 'SCR-1'])).category).to.equal('Tools/Fixings/Screws')
    const paths = ok(await erp(tenant, ['categories', 'list'])).items.map((c: any) => c.path)
    expect(paths).to.include.members(['Tools/Fixings', 'Tools/Fixings/Bolts', 'Tools/Fixings/Screws'])
    expect(paths.filter((p: string) => p.startsWith('Hardware/'))).to.deep.equal([])

    failed(await erp(tenant, ['categories', 'move', 'Tools', '--to', 'Tools/Fixings']), 2, /under itself/)
    failed(await erp(tenant, ['categories', 'move', 'Garden', '--to', 'Tools', '--name', 'Power']), 1, /"Tools\/Power" already exists/)
    failed(await erp(tenant, ['categories', 'move', 'Garden']), 2, /Nothing to do/)
    failed(await erp(tenant, ['categories', 'move', 'Nowhere', '--to', '/']), 1, /No category "Nowhere"/)
  })
})
