import type { Knex } from 'knex'

import { invalidData } from '../errors.js'
import { convertAttributeValue, type Attribute } from '../catalog/attributes.js'
import { formatCategoryPath, parseCategoryPath } from '../catalog/categories.js'
import { checkBarcode, checkSku, checkTaxClass, checkTracking } from '../catalog/products.js'
import { quoteLiteral } from '../db/identifiers.js'
import { checkDecimal, checkText, optionalText, type Problems } from '../validation.js'
import { assignments, changedSql, type ColumnSpec } from './assignments.js'
import { insertInBulk, type BulkLoadOption } from './bulk-load.js'
import { checkKeysUnique, checkNaturalKey, type NaturalKey } from './natural-key.js'
import { productsDirectLoad } from './products-direct.js'
import { rejectRepeatedKeys } from './repeats.js'
import { checkBoolean, guardFormulaSql, rememberValid, type EntitySpec, type FieldSpec, type MergeCounts, type StagedImport } from './spec.js'

export interface ProductImportOptions extends BulkLoadOption {
  /** Create missing categories (default); false makes an unknown category path an error. */
  createCategories?: boolean
}

const blankIsNull = (check: (p: Problems, v: string) => string | null | undefined) =>
  (p: Problems, v: string) => (v.trim() === '' ? null : check(p, v))

/** Product columns: the field, its SQL column and type, and (for NOT NULL columns) the default. */
const COLUMNS: ColumnSpec[] = [
  {
    field: { key: 'name', aliases: ['product name', 'title'], required: (m) => m !== 'update', text: true, doc: 'The product name (at most 300 characters).', example: 'Hex bolt M8', check: (p, v) => checkText(p, 'name', v, 300) },
    column: 'name',
  },
  { field: { key: 'description', text: true, doc: 'Free text (at most 10,000 characters).', example: 'Zinc-plated, pack of 50', check: (p, v) => optionalText(p, 'description', v, 10_000) ?? null }, column: 'description' },
  { field: { key: 'uom', aliases: ['unit'], text: true, doc: 'Unit of measure (unit when empty).', example: 'unit', check: blankIsNull((p, v) => checkText(p, 'uom', v, 20)) }, column: 'uom', notNullDefault: 'unit' },
  { field: { key: 'barcode', aliases: ['ean', 'gtin'], text: true, doc: 'EAN/GTIN barcode, unique among products.', example: '4006381333931', check: (p, v) => checkBarcode(p, 'barcode', v) }, column: 'barcode' },
  {
    field: { key: 'weight', type: 'decimal', doc: 'Weight (3 decimals at most).', example: '0.012', check: blankIsNull((p, v) => checkDecimal(p, 'weight', v, { precision: 12, scale: 3, nonNegative: true })) },
    column: 'weight',
    cast: 'numeric',
  },
  { field: { key: 'tax_class', doc: 'Tax class: lowercase letters, digits and _ (standard when empty).', example: 'standard', check: blankIsNull((p, v) => checkTaxClass(p, 'taxClass', v.trim())) }, column: 'tax_class', notNullDefault: 'standard' },
  { field: { key: 'active', type: 'boolean', doc: 'Whether the product is sold (true when empty). A discontinued column maps with --map "Discontinued=!active".', example: 'true', check: (p, v) => checkBoolean(p, 'active', v) }, column: 'active', cast: 'boolean', notNullDefault: 'true' },
  { field: { key: 'tracking', doc: 'Stock tracking: none, lot or serial (none when empty).', example: 'none', check: blankIsNull((p, v) => checkTracking(p, 'tracking', v.trim())) }, column: 'tracking', notNullDefault: 'none' },
  {
    field: { key: 'cost', type: 'decimal', doc: 'Unit cost, for stock valuation (4 decimals at most).', example: '0.08', check: blankIsNull((p, v) => checkDecimal(p, 'cost', v, { precision: 14, scale: 4, nonNegative: true })) },
    column: 'cost',
    cast: 'numeric',
  },
]

const SKU_FIELD: FieldSpec = {
  key: 'sku',
  aliases: ['item code', 'article'],
  text: true,
  doc: 'The product\'s code (the key): letters, digits and . _ - /.',
  example: 'A-100',
  check: (p, v) => {
    const sku = v.trim()
    checkSku(p, 'sku', sku)
    return sku
  },
}

const CATEGORY_FIELD: FieldSpec = {
  key: 'category',
  aliases: ['category path'],
  text: true,
  doc: 'Category path, levels separated by / (created when missing, unless --no-create-categories). Ids of the client\'s own system: --lookup category=categories.csv.',
  example: 'Hardware/Fasteners',
  // A catalog repeats a few hundred paths over its rows: each is parsed once.
  check: rememberValid((p, v) => {
    if (v.trim() === '') return null
    const names = parseCategoryPath(p, 'category', v)
    return names && formatCategoryPath(names)
  }),
}

const PRICE_FIELD: FieldSpec = {
  key: 'price',
  type: 'decimal',
  doc: 'Base price in the default price list (4 decimals at most).',
  example: '0.25',
  check: blankIsNull((p, v) => checkDecimal(p, 'price', v, { precision: 18, scale: 4, nonNegative: true })),
}

const SKU_KEY: NaturalKey = { field: 'sku', table: 'products', label: 'SKU', noun: 'product with this SKU', thing: 'product' }

export const ATTRIBUTE_PREFIX = 'attr:'

async function attributeDefinitions(trx: Knex.Transaction): Promise<Attribute[]> {
  return trx('attributes').select({ id: 'id', code: 'code', name: 'name', type: 'type', enumValues: 'enum_values' }).orderBy('code')
}

function attributeField(def: Attribute): FieldSpec {
  return {
    key: `${ATTRIBUTE_PREFIX}${def.code}`,
    aliases: [`attr.${def.code}`, `attribute:${def.code}`],
    text: def.type === 'text',
    type: def.type === 'number' ? 'decimal' : def.type === 'boolean' ? 'boolean' : 'text',
    doc: `Attribute ${def.name ?? def.code} (${def.type}${def.enumValues?.length ? `: ${def.enumValues.join(', ')}` : ''}).`,
    example: def.enumValues?.[0] ?? (def.type === 'number' ? '1' : def.type === 'boolean' ? 'false' : 'text'),
    check: (p, v) => {
      if (v.trim() === '') return null
      const value = convertAttributeValue(p, 'attributes', def, v)
      return value === undefined ? undefined : String(value)
    },
  }
}

/** The JSON value of an attribute cell, typed as its definition says. */
function attributeJson(def: Attribute, column: string): string {
  if (def.type === 'number') return `to_jsonb(${column}::numeric)`
  if (def.type === 'boolean') return `to_jsonb(${column}::boolean)`
  return `to_jsonb(${column})`
}

/** The default price list's id, or null. */
async function defaultPriceList(trx: Knex.Transaction): Promise<string | null> {
  const { rows } = await trx.raw('select id from price_lists where is_default')
  return rows[0]?.id ?? null
}


export const productsSpec: EntitySpec<ProductImportOptions> & { attributes?: Attribute[] } = {
  entity: 'products',
  key: 'sku',

  async fields(trx) {
    const definitions = await attributeDefinitions(trx)
    return [SKU_FIELD, ...COLUMNS.slice(0, 1).map((c) => c.field), COLUMNS[1].field, CATEGORY_FIELD, ...COLUMNS.slice(2).map((c) => c.field), PRICE_FIELD, ...definitions.map(attributeField)]
  },

  async validate(staged, options) {
    const { trx, columns, rows, errors } = staged
    const q = (sql: string, bindings: unknown[] = []) => trx.raw(sql, bindings as never)
    await checkNaturalKey(staged, SKU_KEY)
    const category = columns.get('category')
    if (category && options.createCategories === false) {
      await q(`insert into ${errors} (line, field, value, message)
        select s.line, 'category', s.${category}, 'unknown category (create it with erp categories create, or import without --no-create-categories)'
        from ${rows} s where s.${category} is not null and not exists (select 1 from categories c where c.path = s.${category})`)
    }
    const price = columns.get('price')
    if (price) {
      const { rows: priced } = await q(`select exists (select 1 from ${rows} where ${price} is not null) as any`)
      if (priced[0].any && (await defaultPriceList(trx)) === null) {
        throw invalidData('The file has prices but the tenant has no default price list to put them in', {
          actions: ['Create one: erp price-lists create --code <code> --currency EUR --default', 'Or leave the price column out'],
        })
      }
    }
  },

  async validateUnique(staged) {
    const { trx, columns, rows, errors } = staged
    await checkKeysUnique(staged, SKU_KEY)
    const barcode = columns.get('barcode')
    if (!barcode) return
    const sku = columns.get('sku')!
    await rejectRepeatedKeys(trx, errors, {
      from: rows,
      key: `s.${barcode}`,
      where: `s.${barcode} is not null`,
      field: 'barcode',
      value: `s.${barcode}`,
      message: (first) => `'duplicate barcode in the file (first on line ' || ${first} || ')'`,
    })
    await trx.raw(`insert into ${errors} (line, field, value, message)
      select s.line, 'barcode', s.${barcode}, 'barcode already belongs to product ' || p.sku
      from ${rows} s join products p on p.barcode = s.${barcode} where p.sku <> s.${sku}`)
  },

  async merge(staged, options) {
    const { trx, mode, dryRun, columns, rows } = staged
    const sku = columns.get('sku')!
    const extra: Record<string, number> = {}
    const category = columns.get('category')
    if (category) {
      extra.categoriesCreated = await createCategories(staged, category, dryRun || options.createCategories === false)
    }

    staged.trace('categories')
    const definitions = await attributeDefinitions(trx)
    const attrs = definitions.filter((d) => columns.has(`${ATTRIBUTE_PREFIX}${d.code}`)).map((d) => ({ def: d, col: `s.${columns.get(`${ATTRIBUTE_PREFIX}${d.code}`)}` }))
    const newAttributes = attrs.length === 0 ? null
      : `jsonb_strip_nulls(jsonb_build_object(${attrs.map((a) => `${quoteLiteral(a.def.code)}, ${attributeJson(a.def, a.col)}`).join(', ')}))`

    const set = assignments(COLUMNS, columns, 'p')
    if (category) set.push({ column: 'category_id', insert: 'c.id', update: 'c.id' })
    if (newAttributes) {
      const removed = `array_remove(array[${attrs.map((a) => `case when ${a.col} is null then ${quoteLiteral(a.def.code)} end`).join(', ')}]::text[], null)`
      set.push({ column: 'attributes', insert: newAttributes, update: `(p.attributes - ${removed}) || ${newAttributes}` })
    }
    const from = `${rows} s${category ? ` left join categories c on c.path = s.${category}` : ''}`
    const changed = changedSql(set, 'p')

    let inserted = 0
    let updated = 0
    if (dryRun) {
      const { rows: counts } = await trx.raw(`select
          count(*) filter (where p.id is null)::int as inserted,
          count(*) filter (where p.id is not null and ${changed})::int as updated
        from ${from} left join products p on p.sku = s.${sku}`)
      inserted = mode === 'update' ? 0 : counts[0].inserted
      updated = mode === 'insert' ? 0 : counts[0].updated
    } else if (mode === 'insert') {
      const result = await insertInBulk(trx, { table: 'products', source: `select from ${rows}`, enabled: options.bulkLoad, trace: staged.trace }, () =>
        trx.raw(`insert into products (sku, ${set.map((x) => x.column).join(', ')}) select s.${sku}, ${set.map((x) => x.insert).join(', ')} from ${from}`))
      inserted = result.rowCount ?? 0
    } else {
      // One pass finds the new rows and the changed ones (none, on a re-import); the writes read only those.
      const found = await staged.staging.create('import_targets', `as
        select s.line, p.id from ${from} left join products p on p.sku = s.${sku} where p.id is null or ${changed}`)
      await trx.raw(`analyze ${found}`)
      const targets = `${rows} s join ${found} t on t.line = s.line${category ? ` left join categories c on c.path = s.${category}` : ''}`
      if (set.length > 0) {
        const result = await trx.raw(`update products p set ${set.map((x) => `${x.column} = ${x.update}`).join(', ')}, updated_at = now()
          from ${targets} where p.id = t.id`)
        updated = result.rowCount ?? 0
      }
      if (mode === 'upsert') {
        const bulk = { table: 'products', source: `select from ${found} where id is null`, enabled: options.bulkLoad, trace: staged.trace }
        const added = await insertInBulk(trx, bulk, () => trx.raw(`insert into products (sku, ${set.map((x) => x.column).join(', ')})
          select s.${sku}, ${set.map((x) => x.insert).join(', ')} from ${targets} where t.id is null`))
        inserted = added.rowCount ?? 0
      }
    }
    staged.trace('products written')
    const price = columns.get('price')
    if (price) extra.pricesSet = await setPrices(staged, sku, price, mode === 'insert', options)
    return { inserted, updated, extra } satisfies MergeCounts
  },

  direct: productsDirectLoad({ columns: COLUMNS, attributePrefix: ATTRIBUTE_PREFIX, attributeDefinitions, defaultPriceList }),
}

/**
 * Categories named by the rows and missing from the tree, ancestors included: created level by
 * level (one INSERT … SELECT per depth), or only counted.
 */
async function createCategories({ trx, rows, staging }: StagedImport, column: string, countOnly: boolean): Promise<number> {
  const paths = await staging.create('import_paths', `as ${categoryLevelsSql(`select distinct ${column} as path from ${rows} where ${column} is not null`)}`)
  const { rows: missing } = await trx.raw(`select count(*)::int as n, coalesce(max(depth), 0) as depth from ${paths} i
    where not exists (select 1 from categories c where c.path = i.path)`)
  if (countOnly || missing[0].n === 0) return missing[0].n
  let created = 0
  for (let depth = 1; depth <= missing[0].depth; depth++) {
    const result = await trx.raw(`insert into categories (name, parent_id, path)
      select i.name, parent.id, i.path from ${paths} i left join categories parent on parent.path = i.parent
      where i.depth = ? and not exists (select 1 from categories c where c.path = i.path)
      on conflict (path) do nothing`, [depth])
    created += result.rowCount ?? 0
  }
  return created
}

/**
 * Every level of the (escaped, canonical) paths a query returns as `path`: (path, depth, name,
 * parent path). A path is split on each "/" that is no escape: escaped backslashes and slashes are
 * first set aside as chr(1) and chr(2) (no category name holds a control character), then put back
 * escaped in paths and unescaped in names.
 */
export function categoryLevelsSql(pathsQuery: string): string {
  const back = (text: string) => `replace(replace(${text}, chr(1), '\\\\'), chr(2), '\\/')`
  const name = (text: string) => `replace(replace(${text}, chr(2), '/'), chr(1), '\\')`
  return `select distinct ${back(`array_to_string(parts[1:d], '/')`)} as path, d as depth, ${name('parts[d]')} as name,
      ${back(`array_to_string(parts[1:d - 1], '/')`)} as parent
    from (select string_to_array(replace(replace(path, '\\\\', chr(1)), '\\/', chr(2)), '/') as parts from (${pathsQuery}) p) x,
         generate_series(1, cardinality(parts)) d`
}

/**
 * Prices of the rows into the default price list (quantity 0, no validity dates): new or changed
 * ones. An insert of new products only adds items; otherwise one pass over the rows finds those
 * whose price is new or changed (few, on a re-import) and one statement each writes them: no
 * speculative insertion per row as ON CONFLICT would do, and no second join for the inserts.
 */
async function setPrices(staged: StagedImport, sku: string, price: string, allNew: boolean, options: BulkLoadOption): Promise<number> {
  const { trx, rows, dryRun } = staged
  const list = await defaultPriceList(trx)
  if (list === null) return 0
  const listId = Number(list)
  const bulk = { table: 'price_list_items', enabled: options.bulkLoad, trace: staged.trace }
  if (allNew && !dryRun) {
    const added = await insertInBulk(trx, { ...bulk, source: `select from ${rows} s where s.${price} is not null` }, () =>
      trx.raw(`insert into price_list_items (price_list_id, product_id, price)
        select ${listId}, p.id, s.${price}::numeric from ${rows} s join products p on p.sku = s.${sku} where s.${price} is not null`))
    return added.rowCount ?? 0
  }
  // A dry run has not inserted the new products: their rows count as new prices (product_id null).
  const prices = await staged.staging.create('import_prices', `as
    select p.id as product_id, s.${price}::numeric as price, i.id as item_id
      from ${rows} s left join products p on p.sku = s.${sku}
      left join price_list_items i on i.price_list_id = ${listId} and i.product_id = p.id and i.min_qty = 0 and i.valid_from is null
     where s.${price} is not null and i.price is distinct from s.${price}::numeric`)
  await trx.raw(`analyze ${prices}`)
  if (dryRun) {
    const { rows: n } = await trx.raw(`select count(*)::int as n from ${prices}`)
    return n[0].n
  }
  const changed = await trx.raw(`update price_list_items i set price = x.price, updated_at = now()
    from ${prices} x where i.id = x.item_id`)
  const added = await insertInBulk(trx, { ...bulk, source: `select from ${prices} where item_id is null` }, () =>
    trx.raw(`insert into price_list_items (price_list_id, product_id, price)
      select ${listId}, product_id, price from ${prices} where item_id is null`))
  return (changed.rowCount ?? 0) + (added.rowCount ?? 0)
}

/**
 * Products (not archived) as CSV in the import's own format: the same header names, category
 * paths, the default list's base price, one attr:<code> column per attribute. Free-text cells
 * that a spreadsheet would run as a formula get a leading quote, which import removes again.
 * One COPY … TO STDOUT: the server writes the CSV, memory stays flat.
 */
export async function exportProductsSql(trx: Knex.Transaction): Promise<string> {
  const definitions = await attributeDefinitions(trx)
  const list = await defaultPriceList(trx)
  const text = (expression: string, alias: string) => `${guardFormulaSql(expression)} as "${alias}"`
  const columns = [
    text('p.sku', 'sku'), text('p.name', 'name'), text('p.description', 'description'), text('c.path', 'category'),
    text('p.uom', 'uom'), text('p.barcode', 'barcode'), 'p.weight as weight', 'p.tax_class as tax_class',
    'p.active::text as active', 'p.tracking as tracking', 'p.cost as cost',
    ...(list === null ? [] : ['i.price as price']),
    ...definitions.map((d) => d.type === 'text'
      ? text(`(p.attributes ->> ${quoteLiteral(d.code)})`, `${ATTRIBUTE_PREFIX}${d.code}`)
      : `p.attributes ->> ${quoteLiteral(d.code)} as "${ATTRIBUTE_PREFIX}${d.code}"`),
  ]
  const price = list === null ? ''
    : `left join price_list_items i on i.price_list_id = ${Number(list)} and i.product_id = p.id and i.min_qty = 0 and i.valid_from is null`
  return `copy (select ${columns.join(', ')} from products p left join categories c on c.id = p.category_id ${price}
    where p.archived_at is null order by p.sku) to stdout with (format csv, header true)`
}
