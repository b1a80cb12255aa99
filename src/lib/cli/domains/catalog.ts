import { Flags } from '@oclif/core'

import type { Column } from '../render.js'
import type { Attribute } from '../../catalog/attributes.js'
import type { Category } from '../../catalog/categories.js'
import { TRACKING_MODES, type Product, type ProductFields } from '../../catalog/products.js'

/**
 * What the catalog commands share: their flags, how flags become service input, and the columns
 * of their lists. Command-layer code (it imports oclif); services never import it.
 */

export const productFieldFlags = {
  name: Flags.string({ char: 'n', description: 'Product name' }),
  description: Flags.string({ description: 'Longer description' }),
  category: Flags.string({ char: 'c', description: 'Category path, e.g. Hardware/Fasteners', helpValue: '<path>' }),
  uom: Flags.string({ description: 'Unit of measure (unit, kg, m, box…)' }),
  barcode: Flags.string({ description: 'Barcode (EAN, UPC, Code 128…); unique among products' }),
  weight: Flags.string({ description: 'Weight, a decimal ≥ 0 with up to 3 decimals', helpValue: '<decimal>' }),
  'tax-class': Flags.string({ description: 'Tax class (standard, reduced, zero…)', helpValue: '<class>' }),
  tracking: Flags.string({ description: 'Stock tracking mode', options: [...TRACKING_MODES] }),
  cost: Flags.string({ description: 'Unit cost, a decimal ≥ 0 with up to 4 decimals', helpValue: '<decimal>' }),
  attr: Flags.string({
    description: 'Attribute value, code=value; repeat for several (on update, code= removes it)',
    multiple: true,
    helpValue: '<code=value>',
  }),
}

/** Flags as given on the command line → the service's ProductFields (absent flags stay undefined). */
export function productFieldsFrom(flags: {
  name?: string; description?: string; category?: string; uom?: string; barcode?: string; weight?: string
  'tax-class'?: string; tracking?: string; cost?: string
}, attributes: Record<string, string | null> | undefined): ProductFields {
  return {
    name: flags.name,
    description: flags.description,
    category: flags.category,
    uom: flags.uom,
    barcode: flags.barcode,
    weight: flags.weight,
    taxClass: flags['tax-class'],
    tracking: flags.tracking,
    cost: flags.cost,
    attributes,
  }
}

export const PRODUCT_COLUMNS: Column<Product>[] = [
  { key: 'id', align: 'right' },
  { key: 'sku' },
  { key: 'name' },
  { key: 'category' },
  { key: 'uom' },
  { key: 'active' },
  { key: 'tracking' },
  { key: 'weight', align: 'right' },
  { key: 'cost', align: 'right' },
  { key: 'taxClass' },
  { key: 'barcode' },
  { key: 'attributes', get: (p) => formatAttributes(p.attributes) },
]

export function formatAttributes(attributes: Record<string, unknown>): string {
  return Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join(' ')
}

/** A product as a key/value record for `show`. */
export function productRecord(p: Product): Record<string, unknown> {
  return {
    sku: p.sku, id: p.id, name: p.name, description: p.description, category: p.category, uom: p.uom,
    barcode: p.barcode, weight: p.weight, 'tax class': p.taxClass, active: p.active, tracking: p.tracking,
    cost: p.cost, attributes: formatAttributes(p.attributes), created: p.createdAt, updated: p.updatedAt,
    archived: p.archivedAt,
  }
}

export const CATEGORY_COLUMNS: Column<Category>[] = [
  { key: 'path' },
  { key: 'name' },
  { key: 'products', align: 'right' },
  { key: 'id', align: 'right' },
  { key: 'description' },
]

export const ATTRIBUTE_COLUMNS: Column<Attribute>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'type' },
  { key: 'values', get: (a) => a.enumValues?.join(', ') ?? '' },
]
