import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import type { Knex } from 'knex'

import type { Attribute } from '../catalog/attributes.js'
import { formatCategoryPath, splitCategoryPath } from '../catalog/categories.js'
import { reportsUniqueViolations } from '../db/citus.js'
import { copyText } from '../db/copy-text.js'
import type { ColumnSpec } from './assignments.js'
import { BULK_LOAD_MIN_ROWS, bulkLoadAllowed, withIndexesDropped } from './bulk-load.js'
import { KeyHashes } from './key-hashes.js'
import type { ProductImportOptions } from './products.js'
import type { RowEncoder } from './row-stream.js'
import { NeedsStaging, type DirectLoad, type DirectLoader, type FieldSpec, type MergeCounts, type RowsRead } from './spec.js'

/** What the products import tells its direct load about the tables (products.ts owns them). */
export interface ProductTables {
  /** The products columns filled from one field each (name, uom, barcode…). */
  columns: ColumnSpec[]
  attributePrefix: string
  attributeDefinitions: (trx: Knex.Transaction) => Promise<Attribute[]>
  defaultPriceList: (trx: Knex.Transaction) => Promise<string | null>
}

/**
 * The direct load of products (direct.ts): an initial load, into a tenant with no product yet
 * (so no price either), in bulk (bulk-load.ts). What the staged checks would find, the stream
 * finds or suspects: a SKU that may repeat in some case (its ASCII case folded, hashed:
 * KeyHashes), a category to create under --no-create-categories, a price with no default price
 * list; each makes the import staged instead, as a barcode twice does when the unique index's
 * rebuild refuses it. A SKU beyond ASCII is case-folded by the database's lower(), not
 * JavaScript's: the loaded rows are asked once.
 *
 * The rows go in with their ids: nothing else can insert a product (the bulk load's lock) or a
 * category (locked against writes here) until commit, so ids are taken on from the sequences,
 * which are set past them at the end. That lets the prices, written to a scratch file beside
 * the stream as `list, product id, price`, follow with a COPY of their own, with no join on SKU.
 */
export function productsDirectLoad(tables: ProductTables): DirectLoad<ProductImportOptions> {
  return {
    async open(trx, fields, options, { trace }) {
      if (options.bulkLoad === false || !(await reportsUniqueViolations(trx))) return undefined
      // Taken before products is read: two initial imports into one tenant then queue here (the
      // second finds products and is staged) instead of deadlocking on each other's tables. Held
      // until commit, or released with the savepoint when the load steps aside.
      await trx.raw('lock table categories in share row exclusive mode')
      if ((await hasProducts(trx)) || !(await bulkLoadAllowed(trx, 'products'))) return undefined
      return new ProductsLoader(trx, fields, options, tables, trace)
    },
  }
}

async function hasProducts(trx: Knex.Transaction): Promise<boolean> {
  const { rows } = await trx.raw('select exists (select from products) as any')
  return rows[0].any
}

class ProductsLoader implements DirectLoader {
  private readonly work = mkdtempSync(path.join(tmpdir(), 'erp-import-'))
  private prices?: PriceLines

  constructor(
    private readonly trx: Knex.Transaction,
    private readonly fields: FieldSpec[],
    private readonly options: ProductImportOptions,
    private readonly tables: ProductTables,
    private readonly trace: (what: string) => void,
  ) {}

  async load(streamRows: (copy: string, encode: RowEncoder) => Promise<RowsRead>): Promise<MergeCounts> {
    const { trx, tables } = this
    await trx.raw('lock table products in access exclusive mode')
    const { rows: known } = await trx.raw('select id, path from categories')
    const categories = new NewCategories(new Map(known.map((c: { id: string; path: string }) => [c.path, c.id])), await IdSequence.of(trx, 'categories'), this.options.createCategories !== false)
    const products = await IdSequence.of(trx, 'products')
    const prices = (this.prices = new PriceLines(path.join(this.work, 'prices.copy'), await tables.defaultPriceList(trx)))
    const rows = new ProductLines(this.fields, tables, await tables.attributeDefinitions(trx), products, categories, prices)

    const read = await withIndexesDropped(trx, 'products', async () => {
      const read = await streamRows(`copy products (${rows.columns.join(', ')}) from stdin`, rows.encode)
      prices.end()
      this.trace('products copied')
      if (rows.foldInDatabase) {
        const { rows: folded } = await trx.raw('select exists (select from products group by lower(sku) having count(*) > 1) as any')
        if (folded[0].any) throw new NeedsStaging('SKUs differing only in case')
      }
      await categories.insert(trx)
      return read
    }, this.trace)
    if (prices.count > 0) await this.loadPrices(prices)
    await products.save(trx)
    await categories.ids.save(trx)
    const extra: Record<string, number> = {}
    if (read.present.has('category')) extra.categoriesCreated = categories.created.length
    if (read.present.has('price')) extra.pricesSet = prices.count
    return { inserted: read.count, updated: 0, extra }
  }

  /** The prices the stream set aside, in bulk when there are enough. */
  private async loadPrices(prices: PriceLines): Promise<void> {
    const { trx } = this
    const { from: copyFrom } = (await import('pg-copy-streams')).default
    const connection = await trx.client.acquireConnection()
    try {
      const copy = () => pipeline(createReadStream(prices.file), connection.query(copyFrom('copy price_list_items (price_list_id, product_id, price) from stdin')) as Writable)
      const bulk = this.options.bulkLoad !== false && prices.count >= BULK_LOAD_MIN_ROWS && (await bulkLoadAllowed(trx, 'price_list_items'))
      await (bulk ? withIndexesDropped(trx, 'price_list_items', copy, this.trace) : copy())
    } finally {
      await trx.client.releaseConnection(connection)
    }
  }

  async close(): Promise<void> {
    this.prices?.close()
    rmSync(this.work, { recursive: true, force: true })
  }
}

/** A row's fields → its products COPY line: what the staged INSERT … SELECT would write. */
class ProductLines {
  readonly columns: string[]
  /** A SKU beyond ASCII was read: only the database's lower() says whether two are one in case. */
  foldInDatabase = false
  private readonly skus = new KeyHashes()
  private readonly sku: number
  private readonly category: number
  private readonly price: number
  private readonly plain: { index: number; empty: string }[]
  private readonly attributes: { index: number; key: string; json: boolean }[]

  constructor(
    fields: FieldSpec[], tables: ProductTables, definitions: Attribute[],
    private readonly ids: IdSequence, private readonly categories: NewCategories, private readonly prices: PriceLines,
  ) {
    const index = (key: string) => fields.findIndex((f) => f.key === key)
    this.sku = index('sku')
    this.category = index('category')
    this.price = index('price')
    this.plain = tables.columns.map((c) => ({ index: index(c.field.key), empty: c.notNullDefault === undefined ? '\\N' : copyText(c.notNullDefault) }))
    // A number or boolean attribute's staged text is its JSON (String(Number(…)), 'true'); the others are strings.
    this.attributes = definitions.map((d) => ({ index: index(`${tables.attributePrefix}${d.code}`), key: JSON.stringify(d.code), json: d.type === 'number' || d.type === 'boolean' }))
      .filter((a) => a.index >= 0)
    // With no attribute defined, the column keeps its default ({}) rather than parse one per row.
    this.columns = ['id', 'sku', ...tables.columns.map((c) => c.column), 'category_id', ...(definitions.length > 0 ? ['attributes'] : [])]
  }

  readonly encode: RowEncoder = (values) => {
    const sku = values[this.sku]!
    const ascii = ASCII.test(sku)
    if (!ascii) this.foldInDatabase = true
    if (!this.skus.add(ascii ? sku.toLowerCase() : sku)) throw new NeedsStaging('a SKU that may repeat')
    const id = this.ids.next()
    let line = `${id}\t${copyText(sku)}`
    for (const { index, empty } of this.plain) {
      const value = index < 0 ? null : values[index]
      line += `\t${value === null ? empty : copyText(value)}`
    }
    const category = this.category < 0 ? null : values[this.category]
    line += `\t${category === null ? '\\N' : this.categories.idOf(category)}`
    line += this.attributes.length > 0 ? `\t${copyText(this.attributesJson(values))}\n` : '\n'
    const price = this.price < 0 ? null : values[this.price]
    if (price !== null) this.prices.add(id, price)
    return line
  }

  /** As jsonb_strip_nulls(jsonb_build_object(code, to_jsonb(value)…)): the attributes given. */
  private attributesJson(values: (string | null)[]): string {
    let json = ''
    for (const { index, key, json: raw } of this.attributes) {
      const value = values[index]
      if (value === null) continue
      json += `${json === '' ? '' : ','}${key}:${raw ? value : JSON.stringify(wellFormed(value))}`
    }
    return `{${json}}`
  }
}

const ASCII = /^[\x20-\x7e]*$/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** As the text reaches the database (UTF-8 writes a lone surrogate as U+FFFD), where JSON.stringify would escape it for jsonb to refuse. */
const wellFormed = (text: string) => text.replace(LONE_SURROGATE, '\uFFFD')

/** Categories named by the rows and missing, ancestors first, with the ids they will be inserted under. */
class NewCategories {
  readonly created: { id: number; name: string; parent: number | string | null; path: string }[] = []

  constructor(private readonly known: Map<string, number | string>, readonly ids: IdSequence, private readonly create: boolean) {}

  idOf(path: string): number | string {
    const known = this.known.get(path)
    if (known !== undefined) return known
    if (!this.create) throw new NeedsStaging('a category to create under --no-create-categories')
    const names = splitCategoryPath(path)
    let parent: number | string | null = null
    for (let depth = 1; depth <= names.length; depth++) {
      const prefix = formatCategoryPath(names.slice(0, depth))
      let id = this.known.get(prefix)
      if (id === undefined) {
        id = this.ids.next()
        this.known.set(prefix, id)
        this.created.push({ id, name: names[depth - 1], parent, path: prefix })
      }
      parent = id
    }
    return parent!
  }

  /** One INSERT of them all, parents before children (the rows' foreign key is checked at the statement's end). */
  async insert(trx: Knex.Transaction): Promise<void> {
    if (this.created.length === 0) return
    const column = <K extends keyof NewCategories['created'][number]>(key: K) => this.created.map((c) => c[key])
    await trx.raw(`insert into categories (id, name, parent_id, path) overriding system value
      select * from unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[])`, [column('id'), column('name'), column('parent'), column('path')] as never)
  }
}

/**
 * Ids handed out from a table's identity sequence while the table is locked against inserts, and
 * the sequence set past the last one afterwards. (setval is not rolled back with the transaction,
 * so it comes last: a failed load before it leaves the sequence as it was.)
 */
class IdSequence {
  private last: number | null = null

  private constructor(private readonly table: string, private following: number, private readonly step: number) {}

  static async of(trx: Knex.Transaction, table: 'products' | 'categories'): Promise<IdSequence> {
    const { rows } = await trx.raw(`select s.seqstart::text as start, s.seqincrement::text as step, pg_sequence_last_value(s.seqrelid)::text as last
      from pg_sequence s where s.seqrelid = pg_get_serial_sequence(?, 'id')::regclass`, [table])
    const step = Number(rows[0].step)
    return new IdSequence(table, rows[0].last === null ? Number(rows[0].start) : Number(rows[0].last) + step, step)
  }

  next(): number {
    this.last = this.following
    this.following += this.step
    return this.last
  }

  async save(trx: Knex.Transaction): Promise<void> {
    if (this.last !== null) await trx.raw(`select setval(pg_get_serial_sequence(?, 'id'), ?)`, [this.table, this.last])
  }
}

/**
 * The default price list's items for the new products, as COPY lines in a scratch file. Written
 * synchronously, 64 kB at a time, from inside the stream: memory stays flat whatever the disk does.
 */
class PriceLines {
  count = 0
  private readonly fd: number
  private pending = ''
  private closed = false

  constructor(readonly file: string, private readonly list: string | null) {
    this.fd = openSync(file, 'w', 0o600)
  }

  add(productId: number, price: string): void {
    if (this.list === null) throw new NeedsStaging('prices without a default price list')
    this.count++
    this.pending += `${this.list}\t${productId}\t${price}\n`
    if (this.pending.length >= 1 << 16) this.flush()
  }

  /** All lines written, the file closed. */
  end(): void {
    this.flush()
    this.close()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }

  private flush(): void {
    const bytes = Buffer.from(this.pending)
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at)
    this.pending = ''
  }
}
