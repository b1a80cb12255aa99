import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { isErpError } from '../../../src/lib/errors.js'
import { compileMapping } from '../../../src/lib/importer/mapping/compile.js'
import { dateFormatStep, decimalCommaStep, invertStep, lookupStep } from '../../../src/lib/importer/mapping/convert.js'
import { loadMappingFile, mappingFromObject } from '../../../src/lib/importer/mapping/file.js'
import { readLookupTable } from '../../../src/lib/importer/mapping/lookup.js'
import { emptyRules, mergeRules, rulesFromFlags, type MappingRules } from '../../../src/lib/importer/mapping/rules.js'
import { checkBoolean, normaliseHeader, type FieldSpec } from '../../../src/lib/importer/spec.js'
import { checkDecimal, fromDecimalComma, Problems } from '../../../src/lib/validation.js'

const dir = mkdtempSync(path.join(tmpdir(), 'erp-mapping-'))
const write = (name: string, text: string) => {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}

function thrown(work: () => unknown): Error & { kind?: string; data?: any } {
  try {
    work()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

async function rejected(work: () => Promise<unknown>): Promise<Error & { kind?: string; data?: any }> {
  try {
    await work()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

const FIELDS: FieldSpec[] = [
  { key: 'sku', text: true, check: (_p, v) => v.trim() },
  { key: 'name', text: true, check: (_p, v) => v.trim() || null },
  { key: 'active', type: 'boolean', check: (p, v) => checkBoolean(p, 'active', v) },
  { key: 'price', type: 'decimal', check: (p, v) => (v.trim() === '' ? null : checkDecimal(p, 'price', v, { precision: 18, scale: 4 })) },
  { key: 'valid_from', type: 'date', check: (_p, v) => v.trim() || null },
  { key: 'billing_city', check: (_p, v) => v.trim() || null },
  { key: 'shipping_city', check: (_p, v) => v.trim() || null },
]

const compile = (header: string[], rules: MappingRules, delimiter = ',') =>
  compileMapping({ file: 'f.csv', line: 1, header, fields: FIELDS, spec: { entity: 'products', key: 'sku' }, mode: 'insert', rules, tables: new Map(), delimiter })

describe('import mapping: pure pieces', () => {
  it('one decimal-comma rule: 12,5 and 1,234 read with a comma; a point in such a file is never guessed', () => {
    expect(fromDecimalComma('12,5')).to.deep.equal({ value: '12.5' })
    expect(fromDecimalComma('1,234')).to.deep.equal({ value: '1.234' })
    expect(fromDecimalComma('7')).to.deep.equal({ value: '7' })
    expect(fromDecimalComma('1.234').problem).to.match(/1\.234 could mean 1234 or 1,234/)
    expect(fromDecimalComma('1.234,5').problem).to.match(/has a point/)
    expect(fromDecimalComma('1,2,3').problem).to.match(/a decimal comma once/)
    const p = new Problems()
    expect(decimalCommaStep('price')(p, '0,25')).to.equal('0.25')
    expect(decimalCommaStep('price')(p, '2.500')).to.equal(undefined)
    expect(p.list[0].message).to.match(/not guessed/)
  })

  it('a decimal field reads a comma in a ;-delimited file, a point elsewhere, unless told', () => {
    expect(compile(['sku', 'price'], emptyRules(), ';').decimalComma).to.equal(true)
    expect(compile(['sku', 'price'], emptyRules(), ',').decimalComma).to.equal(false)
    expect(compile(['sku', 'price'], { ...emptyRules(), decimalComma: false }, ';').decimalComma).to.equal(false)
    expect(compile(['sku', 'price'], { ...emptyRules(), decimalComma: true }, ',').reads.find((r) => r.header === 'price')!.convert).to.be.a('function')
    expect(compile(['sku', 'price'], emptyRules(), ',').reads.find((r) => r.header === 'price')).to.include({ convert: undefined, pointHint: true })
  })

  it('date formats: the day, month and four-digit year in any order; a time is read and left out', () => {
    const p = new Problems()
    expect(dateFormatStep('d', 'DD.MM.YYYY', 'x')(p, '04.07.1996')).to.equal('1996-07-04')
    expect(dateFormatStep('d', 'M/D/YYYY', 'x')(p, '7/4/1996')).to.equal('1996-07-04')
    expect(dateFormatStep('d', 'YYYY-MM-DD HH:mm:ss.SSS', 'x')(p, '1996-07-04 00:00:00.000')).to.equal('1996-07-04')
    expect(dateFormatStep('d', 'DD.MM.YYYY', 'x')(p, '')).to.equal('')
    expect(p.empty).to.equal(true)
    expect(dateFormatStep('d', 'DD.MM.YYYY', 'x')(p, '1996-07-04')).to.equal(undefined)
    expect(p.list[0].message).to.equal('"1996-07-04" is not a date written DD.MM.YYYY')
    expect(dateFormatStep('d', 'DD.MM.YYYY', 'x')(p, '31.02.2026')).to.equal(undefined)
    expect(p.list[1].message).to.equal('"31.02.2026" is not a date: there is no such day (read as DD.MM.YYYY)')
    for (const bad of ['DD.MM.YY', 'DD.MM', 'DD DD YYYY', 'YYYY-MM-DD; drop table', 'MMM D, YYYY']) {
      expect(thrown(() => dateFormatStep('d', bad, '--date-format')).message, bad).to.match(/is not a date format/)
    }
  })

  it('inversion and lookups', () => {
    const p = new Problems()
    const invert = invertStep('active')
    expect(['1', '0', 'yes', 'N', ''].map((v) => invert(p, v))).to.deep.equal(['false', 'true', 'false', 'true', ''])
    expect(invert(p, 'maybe')).to.equal(undefined)
    const table = new Map([['1', 'Beverages']])
    const strict = lookupStep('category', table, 'categories', false)
    expect(strict(p, ' 1 ')).to.equal('Beverages')
    expect(strict(p, '')).to.equal('')
    expect(strict(p, '9')).to.equal(undefined)
    expect(p.list.at(-1)!.message).to.equal('"9" is not in the lookup table categories')
    expect(lookupStep('category', table, 'categories', true)(p, '9')).to.equal('9')
  })

  it('--map: "-" leaves a column out, "a,b" feeds two fields, ! inverts and + keeps; the older form still works', () => {
    const rules = rulesFromFlags({ map: ['Fax=-', 'City=billing_city, shipping_city', 'Discontinued=!active', 'Sale=+active'], set: ['name=Thing'] }, { Ref: 'sku' })
    expect(rules.ignore).to.deep.equal([{ column: 'Fax', origin: '--map "Fax=-"' }])
    expect(rules.bindings.map((b) => [b.field, b.from, b.value, b.invert])).to.deep.equal([
      ['sku', 'Ref', undefined, undefined],
      ['billing_city', 'City', undefined, undefined],
      ['shipping_city', 'City', undefined, undefined],
      ['active', 'Discontinued', undefined, true],
      ['active', 'Sale', undefined, false],
      ['name', undefined, 'Thing', undefined],
    ])
    expect(thrown(() => rulesFromFlags({ map: ['=sku'] })).message).to.match(/write it as "CSV column=field"/)
    expect(thrown(() => rulesFromFlags({ map: ['A=!'] })).message).to.match(/a field is missing/)
    expect(thrown(() => rulesFromFlags({ valueMap: ['uom=Stk'] })).message).to.match(/"Stk" is not FROM:TO/)
  })

  it('compiles against the header: ignores, constants, two fields from one column, and names what it left out', () => {
    const rules = rulesFromFlags({ map: ['ID=sku', 'Fax=-', 'City=billing_city,shipping_city'], set: ['name=Same name'], ignoreUnknown: true })
    const compiled = compile(['ID', 'Fax', 'City', 'SupplierID', ''], rules)
    expect(compiled.ignored).to.deep.equal(['Fax', 'SupplierID', '(column 5)'])
    expect([...compiled.present].sort()).to.deep.equal(['billing_city', 'name', 'shipping_city', 'sku'])
    expect(compiled.reads.map((r) => [r.header, FIELDS[r.field].key])).to.deep.equal([['ID', 'sku'], ['City', 'billing_city'], ['City', 'shipping_city']])
    expect(compiled.constants).to.deep.equal([{ field: 1, value: 'Same name' }])
  })

  it('refuses what does not fit, all at once: unknown fields and columns, a field given twice, inverting a non-boolean', () => {
    const usage = thrown(() => compile(['ID', 'X'], rulesFromFlags({ map: ['ID=sku', 'ID=nope', 'X=!name'], set: ['sku=A'] })))
    expect(usage.kind).to.equal('USAGE')
    expect(usage.message).to.match(/"nope" is not a field of products/)
    expect(usage.message).to.match(/--set "sku=A": sku is already given by --map "ID=sku"/)
    expect(usage.message).to.match(/name is not true\/false: it cannot be inverted/)
    const header = thrown(() => compile(['sku', 'SupplierID'], rulesFromFlags({ map: ['Missing=name'] })))
    expect(header.kind).to.equal('INVALID_DATA')
    expect(header.message).to.match(/f\.csv:1: the header does not fit products: no column "Missing" \(named by --map "Missing=name"\); unknown column "SupplierID"/)
    expect((header as any).actions.join(' ')).to.match(/--ignore-unknown/)
  })

  it('a column whose name reads as the opposite of a true/false field is refused unless the mapping says which way', () => {
    for (const column of ['Discontinued', 'Inactive', 'is_deleted', 'Blocked', 'not_active']) {
      const err = thrown(() => compile(['sku', column], rulesFromFlags({ map: [`${column}=active`] })))
      expect(err.message, column).to.match(/read as opposites/)
      expect(err.message).to.include(`--map "${column}=!active"`)
    }
    expect(compile(['sku', 'Discontinued'], rulesFromFlags({ map: ['Discontinued=!active'] })).reads[1].convert).to.be.a('function')
    expect(compile(['sku', 'Discontinued'], rulesFromFlags({ map: ['Discontinued=+active'] })).reads[1].convert).to.equal(undefined)
    expect(compile(['sku', 'Enabled'], rulesFromFlags({ map: ['Enabled=active'] })).reads[1].convert).to.equal(undefined)
    expect(compile(['sku', 'Unit price'], rulesFromFlags({ map: ['Unit price=price'] })).reads).to.have.length(2)
  })

  it('a mapping file is checked strictly and reports every problem with its key', () => {
    const err = thrown(() => mappingFromObject('m.yaml', {
      entity: 'products',
      colums: {},
      ignoreUnknown: 'yes',
      fields: { sku: 12, active: { from: 'Discontinued', invert: 'true' }, name: { from: 'A', value: 'B' }, uom: { from: 'U', values: { Stk: { x: 1 } } }, price: { form: 'P' } },
      lookups: { categories: { file: '/etc/passwd' }, 'bad name': {} },
    }))
    expect(err.kind).to.equal('INVALID_DATA')
    for (const part of [
      'colums: unknown key', 'ignoreUnknown: must be true or false', 'fields.sku: must be a column name or', 'fields.active.invert: must be true or false',
      'fields.name: has both from (a column) and value', 'fields.uom.values.Stk: must be text', 'fields.price.form: unknown key',
      'lookups.categories.file: unknown key (the keys are key, value)', 'lookups.bad name: a table name',
    ]) expect(err.message).to.include(part)
  })

  it('no key of a mapping reaches a prototype', async () => {
    const file = write('proto.json', '{"fields": {"__proto__": "X", "sku": {"from": "A", "values": {"__proto__": "polluted", "constructor": "c"}}}, "__proto__": {"polluted": true}}')
    const err = await rejected(() => loadMappingFile(file))
    expect(err.message).to.match(/__proto__: unknown key/)
    const ok = await loadMappingFile(write('proto-ok.json', '{"fields": {"sku": {"from": "A", "values": {"__proto__": "polluted", "toString": "t"}}}}'))
    expect(ok.bindings[0].values).to.be.instanceOf(Map)
    expect(ok.bindings[0].values!.get('__proto__')).to.equal('polluted')
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
    const yaml = await rejected(() => loadMappingFile(write('proto.yaml', '__proto__: {polluted: true}\nfields: {sku: A}\n')))
    expect(yaml.message).to.match(/__proto__: unknown key/)
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
  })

  it('YAML: syntax errors name the line, duplicate keys and tags are refused, aliases are bounded, the file is bounded', async () => {
    expect((await rejected(() => loadMappingFile(write('bad.yaml', 'fields:\n  sku: [A\n')))).message).to.match(/^bad\.yaml:\d+:\d+: not a valid mapping file/)
    expect((await rejected(() => loadMappingFile(write('dup.yaml', 'fields:\n  sku: A\n  sku: B\n')))).message).to.match(/dup\.yaml:3:\d+: .*unique/i)
    expect((await rejected(() => loadMappingFile(write('tag.yaml', 'fields:\n  sku: !!js/function "x"\n')))).message).to.match(/tag\.yaml:2:\d+: not a valid mapping file/)
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n'
    expect((await rejected(() => loadMappingFile(write('bomb.yaml', bomb)))).message).to.match(/not a valid mapping file: Excessive alias count/)
    expect((await rejected(() => loadMappingFile(write('big.yaml', `# ${'x'.repeat(300 * 1024)}\n`)))).message).to.match(/at most 256 KiB/)
    const missing = await rejected(() => loadMappingFile(path.join(dir, 'none.yaml')))
    expect(missing.kind).to.equal('FILE_NOT_FOUND')
    expect((await rejected(() => loadMappingFile(write('list.yaml', '- a\n- b\n')))).message).to.match(/a mapping file is a set of keys/)
  })

  it('the command line adds to a mapping file: its bindings win per field, its value maps join the file\'s', async () => {
    const file = await loadMappingFile(write('m.yaml', 'fields:\n  sku: ProductID\n  name: ProductName\n  uom: {from: Unit, values: {Stk: unit}}\nignore: [Fax]\n'))
    const merged = mergeRules(file, rulesFromFlags({ map: ['Title=name'], valueMap: ['uom=pcs:unit'] }), normaliseHeader)
    expect(merged.bindings.map((b) => [b.field, b.from])).to.deep.equal([['sku', 'ProductID'], ['uom', 'Unit'], ['name', 'Title']])
    expect([...merged.bindings[1].values!]).to.deep.equal([['Stk', 'unit'], ['pcs', 'unit']])
    expect(merged.ignore.map((i) => i.column)).to.deep.equal(['Fax'])
  })

  it('a lookup table: read once into a Map, bounded, its duplicates and missing columns refused', async function () {
    this.timeout(30_000)
    const table = await readLookupTable('categories', write('c.csv', '\uFEFFCategoryID;CategoryName;Description\n1;Beverages;"Soft drinks; teas"\n2;Condiments;x\n'), { key: 'categoryid', value: 'CategoryName', origin: 'm' }, 'utf8')
    expect([...table.values]).to.deep.equal([['1', 'Beverages'], ['2', 'Condiments']])
    const byPosition = await readLookupTable('t', write('d.csv', 'a,b,c\nx,y,z\n'), { origin: 'm' }, 'utf8')
    expect([...byPosition.values]).to.deep.equal([['x', 'y']])
    expect((await rejected(() => readLookupTable('t', write('e.csv', 'a,b\n1,x\n1,y\n'), { origin: 'm' }, 'utf8'))).message).to.match(/e\.csv:3: key "1" is on line 2 too, with another value/)
    expect((await rejected(() => readLookupTable('t', write('f.csv', 'a,b\n'), { key: 'id', origin: 'm' }, 'utf8'))).message).to.match(/no column "id"/)
    const many = `k,v\n${Array.from({ length: 100_001 }, (_, i) => `${i},x`).join('\n')}\n`
    expect((await rejected(() => readLookupTable('t', write('g.csv', many), { origin: 'm' }, 'utf8'))).message).to.match(/at most 100,000 rows/)
    expect(isErpError(await rejected(() => readLookupTable('t', path.join(dir, 'nope.csv'), { origin: 'm' }, 'utf8')))).to.equal(true)
  })
})
