import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import { SqlState, sqlStateOf } from '../db/sqlstate.js'
import { checkDecimal, checkText, escapeLike, optionalText, Problems } from '../validation.js'
import { checkAttributeValues, type AttributeValue } from './attributes.js'
import { categorySubtreeIds, findCategory, formatCategoryPath, getCategory, parseCategoryPath } from './categories.js'

export const TRACKING_MODES = ['none', 'lot', 'serial'] as const
export type TrackingMode = (typeof TRACKING_MODES)[number]

export interface Product {
  id: string
  sku: string
  name: string
  description: string | null
  /** The category's path, e.g. 'Hardware/Fasteners'. */
  category: string | null
  uom: string
  barcode: string | null
  /** numeric(12,3) as a decimal string. */
  weight: string | null
  taxClass: string
  active: boolean
  tracking: TrackingMode
  /** Unit cost, numeric(14,4) as a decimal string. */
  cost: string | null
  attributes: Record<string, AttributeValue>
  createdAt: Date
  updatedAt: Date
  archivedAt: Date | null
}

/** Fields of a product as plain text input (CLI flags, CSV cells, seeds); null clears a field. */
export interface ProductFields {
  name?: string
  description?: string | null
  /** Category path; null leaves the product without a category. */
  category?: string | null
  uom?: string
  barcode?: string | null
  weight?: string | null
  taxClass?: string
  active?: boolean
  tracking?: string
  cost?: string | null
  /** Attribute code → value as text; null removes the attribute (update). */
  attributes?: Record<string, string | null>
}

export interface CreateProductInput extends ProductFields {
  sku: string
  name: string
}

export interface UpdateProductInput extends ProductFields {
  sku: string
  /** Rename the SKU. */
  newSku?: string
}

const COLUMNS = {
  id: 'p.id', sku: 'p.sku', name: 'p.name', description: 'p.description', category: 'c.path', uom: 'p.uom',
  barcode: 'p.barcode', weight: 'p.weight', taxClass: 'p.tax_class', active: 'p.active', tracking: 'p.tracking',
  cost: 'p.cost', attributes: 'p.attributes', createdAt: 'p.created_at', updatedAt: 'p.updated_at', archivedAt: 'p.archived_at',
}

function productQuery(trx: Knex.Transaction): Knex.QueryBuilder {
  return trx('products as p').leftJoin('categories as c', 'c.id', 'p.category_id').select(COLUMNS)
}

export async function findProduct(trx: Knex.Transaction, sku: string): Promise<Product | undefined> {
  return productQuery(trx).where('p.sku', sku).first()
}

export async function getProduct(trx: Knex.Transaction, sku: string): Promise<Product> {
  const product = await findProduct(trx, sku)
  if (!product) throw unknownProduct(sku)
  return product
}

function unknownProduct(sku: string) {
  return notFound(`No product with SKU "${sku}"`, {
    actions: ['Search for it with: erp products list --search <start of SKU or name>'],
    data: { sku },
  })
}

const SKU = /^[^\s\u0000-\u001F\u007F](?:[^\u0000-\u001F\u007F]{0,62}[^\s\u0000-\u001F\u007F])?$/
const BARCODE = /^[\u0021-\u007E]{1,64}$/
const TAX_CLASS = /^[a-z][a-z0-9_]{0,39}$/

export function checkSku(problems: Problems, field: string, sku: string): void {
  if (!SKU.test(sku)) {
    problems.add(field, `"${sku}" is not a SKU: 1–64 characters, no control characters, no leading or trailing spaces`)
  }
}

/** A barcode, or null for a blank one; undefined after recording a problem. */
export function checkBarcode(problems: Problems, field: string, value: string | null): string | null | undefined {
  if (value === null || value.trim() === '') return null
  if (BARCODE.test(value.trim())) return value.trim()
  problems.add(field, `"${value}" is not a barcode: 1–64 printable ASCII characters without spaces`)
  return undefined
}

export function checkTaxClass(problems: Problems, field: string, value: string): string | undefined {
  if (TAX_CLASS.test(value)) return value
  problems.add(field, `"${value}" is not a tax class: lowercase letters, digits and _ (e.g. standard, reduced, zero)`)
  return undefined
}

export function checkTracking(problems: Problems, field: string, value: string): TrackingMode | undefined {
  if ((TRACKING_MODES as readonly string[]).includes(value)) return value as TrackingMode
  problems.add(field, `"${value}" is not a tracking mode; use one of ${TRACKING_MODES.join(', ')}`)
  return undefined
}

/** Check and convert every field given; the returned row holds only the columns to write. */
async function checkFields(
  trx: Knex.Transaction,
  problems: Problems,
  input: ProductFields,
  mode: 'create' | 'update',
): Promise<{ row: Record<string, unknown>; attributes: Record<string, AttributeValue | null> }> {
  const row: Record<string, unknown> = {}
  if (input.name !== undefined) row.name = checkText(problems, 'name', input.name, 300)
  if (input.description !== undefined) row.description = optionalText(problems, 'description', input.description, 10_000)
  if (input.uom !== undefined) row.uom = checkText(problems, 'uom', input.uom, 20)
  if (input.barcode !== undefined) row.barcode = checkBarcode(problems, 'barcode', input.barcode)
  if (input.weight !== undefined) {
    row.weight = input.weight === null ? null : checkDecimal(problems, 'weight', input.weight, { precision: 12, scale: 3, nonNegative: true })
  }
  if (input.cost !== undefined) {
    row.cost = input.cost === null ? null : checkDecimal(problems, 'cost', input.cost, { precision: 14, scale: 4, nonNegative: true })
  }
  if (input.taxClass !== undefined) row.tax_class = checkTaxClass(problems, 'taxClass', input.taxClass)
  if (input.tracking !== undefined) row.tracking = checkTracking(problems, 'tracking', input.tracking)
  if (input.active !== undefined) row.active = input.active
  if (input.category !== undefined) {
    if (input.category === null) row.category_id = null
    else {
      const segments = parseCategoryPath(problems, 'category', input.category)
      if (segments) {
        const category = await findCategory(trx, formatCategoryPath(segments))
        if (category) row.category_id = category.id
        else problems.add('category', `unknown category "${formatCategoryPath(segments)}"`, { action: 'List categories with: erp categories list' })
      }
    }
  }
  const rawAttributes = input.attributes ?? {}
  if (mode === 'create') {
    for (const [code, value] of Object.entries(rawAttributes)) {
      if (value === null) problems.add('attributes', `${code}: a value is required (e.g. ${code}=…)`)
    }
  }
  const attributes = await checkAttributeValues(trx, problems, rawAttributes)
  return { row, attributes }
}

/** Records a conflict for a SKU or barcode another product (not `exceptId`) already has. */
async function checkUnique(trx: Knex.Transaction, problems: Problems, sku: string | undefined, barcode: unknown, exceptId?: string): Promise<void> {
  if (sku === undefined && (barcode === undefined || barcode === null)) return
  const query = trx('products').select('sku', 'barcode').where((q) => {
    if (sku !== undefined) q.orWhere('sku', sku)
    if (typeof barcode === 'string') q.orWhere('barcode', barcode)
  })
  if (exceptId) query.whereNot('id', exceptId)
  for (const other of await query) {
    if (sku !== undefined && other.sku === sku) {
      problems.add('sku', `a product with SKU "${sku}" already exists`, { conflict: true, action: `See it with: erp products show ${sku}` })
    }
    if (typeof barcode === 'string' && other.barcode === barcode) {
      problems.add('barcode', `barcode "${barcode}" already belongs to product "${other.sku}"`, { conflict: true })
    }
  }
}

export async function createProduct(trx: Knex.Transaction, input: CreateProductInput): Promise<Product> {
  const problems = new Problems()
  checkSku(problems, 'sku', input.sku)
  const { row, attributes } = await checkFields(trx, problems, input, 'create')
  if (problems.empty) await checkUnique(trx, problems, input.sku, row.barcode)
  problems.throwIfAny(`Product "${input.sku}" was not created`)
  try {
    await trx('products').insert({ ...row, sku: input.sku, attributes: JSON.stringify(attributes) })
  } catch (err) {
    throw explainUniqueViolation(err, input.sku)
  }
  return getProduct(trx, input.sku)
}

export async function updateProduct(trx: Knex.Transaction, input: UpdateProductInput): Promise<Product> {
  const current = await trx('products').select('id', 'archived_at').where('sku', input.sku).forUpdate().first()
  if (!current) throw unknownProduct(input.sku)
  if (current.archived_at) {
    throw conflict(`Product "${input.sku}" is archived`, { actions: [`Restore it first: erp products restore ${input.sku}`], data: { sku: input.sku } })
  }
  const problems = new Problems()
  if (input.newSku !== undefined) checkSku(problems, 'newSku', input.newSku)
  const { row, attributes } = await checkFields(trx, problems, input, 'update')
  if (problems.empty) {
    await checkUnique(trx, problems, input.newSku === input.sku ? undefined : input.newSku, row.barcode, current.id)
  }
  problems.throwIfAny(`Product "${input.sku}" was not updated`)

  const removed = Object.entries(attributes).filter(([, v]) => v === null).map(([k]) => k)
  const added = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null))
  const changes: Record<string, unknown> = { ...row, updated_at: trx.fn.now() }
  if (input.newSku !== undefined) changes.sku = input.newSku
  if (Object.keys(attributes).length > 0) {
    changes.attributes = trx.raw('(attributes || ?::jsonb) - ?::text[]', [JSON.stringify(added), removed])
  }
  try {
    await trx('products').where('id', current.id).update(changes)
  } catch (err) {
    throw explainUniqueViolation(err, input.newSku ?? input.sku)
  }
  return getProduct(trx, input.newSku ?? input.sku)
}

function explainUniqueViolation(err: unknown, sku: string): unknown {
  if (sqlStateOf(err) !== SqlState.UNIQUE_VIOLATION) return err
  const constraint = (err as { constraint?: string }).constraint
  if (constraint === 'products_barcode_key') {
    return conflict(`Product "${sku}": its barcode already belongs to another product`, { cause: err })
  }
  return conflict(`A product with SKU "${sku}" already exists`, { actions: [`See it with: erp products show ${sku}`], cause: err })
}

export interface ArchiveOutcome {
  product: Product
  /** False when the product was already in the requested state. */
  changed: boolean
}

/** Archive (hide from lists, refuse updates) or restore a product. Idempotent. */
export async function setProductArchived(trx: Knex.Transaction, sku: string, archived: boolean): Promise<ArchiveOutcome> {
  const updated = await trx('products')
    .where('sku', sku)
    .modify((q) => (archived ? q.whereNull('archived_at') : q.whereNotNull('archived_at')))
    .update({ archived_at: archived ? trx.fn.now() : null, updated_at: trx.fn.now() })
  return { product: await getProduct(trx, sku), changed: updated > 0 }
}

export interface ListProductsInput {
  /** A category path: products in it and in every category under it. */
  category?: string
  /** Attribute code → value (as text); all must match. */
  attributes?: Record<string, string>
  active?: boolean
  /** Case-insensitive prefix of the SKU or of the name. */
  search?: string
  /** Archived products only (they are left out otherwise). */
  archived?: boolean
  limit?: number
  /** Cursor: the id printed as the next cursor, or a SKU; the page starts after that product. */
  after?: string
}

export interface ProductPage {
  items: Product[]
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null
}

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 1000

/**
 * One page of products in id order (keyset paging: `id > cursor`, never OFFSET), so the cost of a
 * page does not grow with its position. Every filter has an index: category subtree via the path
 * prefix and products(category_id), attributes via the jsonb_path_ops GIN index, search via
 * lower(sku)/lower(name) text_pattern_ops, active via (active, id).
 */
export async function listProducts(trx: Knex.Transaction, input: ListProductsInput = {}): Promise<ProductPage> {
  const limit = input.limit ?? DEFAULT_PAGE
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw usageError(`--limit must be from 1 to ${MAX_PAGE}`)
  const problems = new Problems()
  const filter = await checkAttributeValues(trx, problems, input.attributes ?? {}, 'attr')
  problems.throwIfAny('Cannot filter products')

  const query = productQuery(trx).orderBy('p.id').limit(limit + 1)
  if (input.archived) query.whereNotNull('p.archived_at')
  else query.whereNull('p.archived_at')
  if (input.category !== undefined) {
    // The subtree's ids first, then one `= any(array)`: the planner combines a single
    // category-index bitmap with the attribute GIN bitmap instead of probing the GIN index once
    // per category of the subtree (measured 250 ms → 85 ms on 1,000,000 products).
    const category = await getCategory(trx, input.category)
    const ids = (await categorySubtreeIds(trx, category.path)).map((c: { id: string }) => c.id)
    query.whereRaw('p.category_id = any(?::bigint[])', [ids])
  }
  if (Object.keys(filter).length > 0) query.whereRaw('p.attributes @> ?::jsonb', [JSON.stringify(filter)])
  if (input.active !== undefined) query.where('p.active', input.active)
  if (input.search !== undefined && input.search.trim() !== '') {
    const prefix = `${escapeLike(input.search.trim().toLowerCase())}%`
    query.where((q) => q.whereRaw(`lower(p.sku) like ? escape '\\'`, [prefix]).orWhereRaw(`lower(p.name) like ? escape '\\'`, [prefix]))
  }
  if (input.after !== undefined) query.where('p.id', '>', await cursorId(trx, input.after))

  const rows: Product[] = await query
  const more = rows.length > limit
  const items = more ? rows.slice(0, limit) : rows
  return { items, nextCursor: more ? items.at(-1)!.id : null }
}

/** A cursor is a product id (digits), or a SKU, which stands for that product's id. */
async function cursorId(trx: Knex.Transaction, after: string): Promise<string> {
  const text = after.trim()
  if (/^\d{1,18}$/.test(text)) return text
  const row = await trx('products').select('id').where('sku', text).first()
  if (!row) {
    throw usageError(`--after "${after}" is neither a product id nor a known SKU`, {
      actions: ['Pass the cursor printed after the previous page'],
    })
  }
  return row.id
}
