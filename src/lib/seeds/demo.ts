import type { Knex } from 'knex'

import { Decimal, fixed } from '../pricing/money.js'
import { prng, type Random } from './prng.js'

/**
 * The demo seed: a believable small office-supplies wholesaler. ~200 products in a category tree
 * with attributes, 3 price lists (retail EUR gross, wholesale EUR net, export USD net) with quantity
 * breaks and a December promotion, tax rates, 4 customer groups, 50 customers with a billing address,
 * one user per role (no password: set one with erp users reset-password), a few discounts.
 *
 * Deterministic: everything is drawn from a PRNG seeded with `randomSeed`, in a fixed order.
 * Idempotent: every table is upserted on its natural key (path, code, SKU, email...) in one
 * statement, updating only rows that differ; a second run inserts and updates nothing.
 */

export interface SeedCount {
  table: string
  inserted: number
  updated: number
}

interface Upserted {
  inserted: number
  updated: number
}

const CATALOG: Array<{ path: string; nouns: string[]; tax?: string; attrs: string[]; tracking?: string }> = [
  { path: 'Office', nouns: [], attrs: [] },
  { path: 'Office/Paper', nouns: ['Copy paper', 'Notebook', 'Sticky notes', 'Envelope pack', 'Index cards'], attrs: ['color', 'recycled'] },
  { path: 'Office/Writing', nouns: ['Ballpoint pen', 'Gel pen', 'Pencil set', 'Marker', 'Highlighter'], attrs: ['color'] },
  { path: 'Office/Filing', nouns: ['Lever arch file', 'Ring binder', 'Document box', 'Divider set'], attrs: ['color', 'material'] },
  { path: 'Furniture', nouns: [], attrs: [] },
  { path: 'Furniture/Chairs', nouns: ['Task chair', 'Meeting chair', 'Stool', 'Ergonomic chair'], attrs: ['color', 'material', 'warranty_years'] },
  { path: 'Furniture/Desks', nouns: ['Desk', 'Standing desk', 'Corner desk', 'Desk return'], attrs: ['material', 'warranty_years'] },
  { path: 'Furniture/Storage', nouns: ['Pedestal', 'Bookcase', 'Locker', 'Cupboard'], attrs: ['color', 'material'] },
  { path: 'Electronics', nouns: [], attrs: [] },
  { path: 'Electronics/Cables', nouns: ['HDMI cable', 'USB-C cable', 'Network cable', 'Extension lead'], attrs: ['color'] },
  { path: 'Electronics/Peripherals', nouns: ['Keyboard', 'Mouse', 'Headset', 'Webcam', 'Docking station'], attrs: ['color', 'warranty_years'], tracking: 'serial' },
  { path: 'Kitchen', nouns: [], attrs: [] },
  { path: 'Kitchen/Coffee', nouns: ['Coffee beans', 'Ground coffee', 'Tea selection', 'Hot chocolate'], attrs: ['recycled'], tracking: 'lot' },
  { path: 'Kitchen/Supplies', nouns: ['Paper cups', 'Mug', 'Dish soap', 'Kitchen roll'], attrs: ['color', 'recycled'] },
  { path: 'Books', nouns: ['Handbook', 'Field guide', 'Planner', 'Atlas'], tax: 'reduced', attrs: [] },
  { path: 'Gift cards', nouns: ['Gift card'], tax: 'zero', attrs: [] },
]

const ADJECTIVES = ['Classic', 'Pro', 'Eco', 'Compact', 'Premium', 'Basic', 'Deluxe', 'Studio', 'Nordic', 'Urban', 'Smart', 'Heavy-duty']
const COLORS = ['black', 'white', 'grey', 'blue', 'red', 'green']
const MATERIALS = ['wood', 'steel', 'plastic', 'paper', 'fabric']
const COMPANY_A = ['Atelier', 'Bistro', 'Studio', 'Cabinet', 'Maison', 'Garage', 'Bureau', 'Agence', 'Librairie', 'Clinique']
const COMPANY_B = ['Lune', 'Nord', 'Soleil', 'Rivage', 'Azur', 'Verde', 'Orion', 'Cèdre', 'Horizon', 'Tilleul', 'Ardoise', 'Brume']
const CITIES: Array<[string, string, string]> = [
  ['Lille', '59000', 'FR'], ['Lyon', '69001', 'FR'], ['Gent', '9000', 'BE'], ['Antwerpen', '2000', 'BE'],
  ['Utrecht', '3511', 'NL'], ['Köln', '50667', 'DE'], ['Porto', '4000-001', 'PT'], ['Boston', '02108', 'US'],
]
const STREETS = ['Rue Haute', 'Grand-Place', 'Kerkstraat', 'Hauptstraße', 'Rua Nova', 'Main Street', 'Avenue des Tilleuls']

const GROUPS = [
  { code: 'RETAIL', name: 'Retail customers', list: null, discount: '0' },
  { code: 'TRADE', name: 'Trade accounts', list: 'WHOLESALE', discount: '0' },
  { code: 'VIP', name: 'Key accounts', list: 'WHOLESALE', discount: '5' },
  { code: 'EXPORT', name: 'Export (USD)', list: 'EXPORT', discount: '0' },
]
const USERS = [
  { email: 'admin@demo.example', name: 'Ada Admin', role: 'admin' },
  { email: 'manager@demo.example', name: 'Max Manager', role: 'manager' },
  { email: 'clerk@demo.example', name: 'Cleo Clerk', role: 'clerk' },
  { email: 'clerk2@demo.example', name: 'Carl Clerk', role: 'clerk' },
  { email: 'viewer@demo.example', name: 'Vera Viewer', role: 'viewer' },
]

export const DEMO_PRODUCTS = 200
export const DEMO_CUSTOMERS = 50

export async function seedDemo(trx: Knex.Transaction, options: { randomSeed?: number } = {}): Promise<SeedCount[]> {
  const random = prng(options.randomSeed ?? 1)
  const counts: SeedCount[] = []
  const record = (table: string, result: Upserted) => counts.push({ table, ...result })

  record('tax_rates', await upsert(trx, `
    insert into tax_rates (tax_class, rate) select tax_class, rate from jsonb_to_recordset(?::jsonb) as r(tax_class text, rate numeric)
    on conflict (tax_class) do update set rate = excluded.rate, updated_at = excluded.updated_at where tax_rates.rate is distinct from excluded.rate`,
  [{ tax_class: 'standard', rate: '20' }, { tax_class: 'reduced', rate: '5' }, { tax_class: 'zero', rate: '0' }]))

  record('attributes', await upsert(trx, `
    insert into attributes (code, name, type, enum_values)
    select code, name, type, enum_values from jsonb_to_recordset(?::jsonb) as r(code text, name text, type text, enum_values text[])
    on conflict (code) do update set name = excluded.name, type = excluded.type, enum_values = excluded.enum_values
    where (attributes.name, attributes.type, attributes.enum_values) is distinct from (excluded.name, excluded.type, excluded.enum_values)`,
  [
    { code: 'color', name: 'Colour', type: 'enum', enum_values: COLORS },
    { code: 'material', name: 'Material', type: 'enum', enum_values: MATERIALS },
    { code: 'warranty_years', name: 'Warranty (years)', type: 'number', enum_values: null },
    { code: 'recycled', name: 'Recycled', type: 'boolean', enum_values: null },
  ]))

  // Parents before children: one statement per depth.
  let categories: Upserted = { inserted: 0, updated: 0 }
  for (const depth of [1, 2]) {
    const rows = CATALOG.filter((c) => c.path.split('/').length === depth).map((c) => ({
      path: c.path, name: c.path.split('/').at(-1), parent: depth === 1 ? null : c.path.split('/').slice(0, -1).join('/'),
    }))
    const result = await upsert(trx, `
      insert into categories (name, parent_id, path)
      select r.name, p.id, r.path from jsonb_to_recordset(?::jsonb) as r(name text, path text, parent text)
      left join categories p on p.path = r.parent
      on conflict (path) do nothing`, rows)
    categories = { inserted: categories.inserted + result.inserted, updated: categories.updated + result.updated }
  }
  record('categories', categories)

  const products = makeProducts(random)
  record('products', await upsert(trx, `
    insert into products (sku, name, description, category_id, uom, barcode, weight, tax_class, tracking, cost, attributes)
    select r.sku, r.name, r.description, c.id, r.uom, r.barcode, r.weight, r.tax_class, r.tracking, r.cost, r.attributes
      from jsonb_to_recordset(?::jsonb) as r(sku text, name text, description text, category text, uom text, barcode text,
                                             weight numeric, tax_class text, tracking text, cost numeric, attributes jsonb)
      join categories c on c.path = r.category
    on conflict (sku) do update set
      name = excluded.name, description = excluded.description, category_id = excluded.category_id, uom = excluded.uom,
      barcode = excluded.barcode, weight = excluded.weight, tax_class = excluded.tax_class, tracking = excluded.tracking,
      cost = excluded.cost, attributes = excluded.attributes, updated_at = excluded.updated_at
    where (products.name, products.description, products.category_id, products.uom, products.barcode, products.weight,
           products.tax_class, products.tracking, products.cost, products.attributes)
      is distinct from (excluded.name, excluded.description, excluded.category_id, excluded.uom, excluded.barcode,
           excluded.weight, excluded.tax_class, excluded.tracking, excluded.cost, excluded.attributes)`,
  products.map(({ retail: _retail, ...p }) => p)))

  record('price_lists', await upsert(trx, `
    insert into price_lists (code, name, currency, tax_inclusive, is_default)
    select r.code, r.name, r.currency, r.tax_inclusive, r.is_default and not exists (select 1 from price_lists where is_default)
      from jsonb_to_recordset(?::jsonb) as r(code text, name text, currency text, tax_inclusive boolean, is_default boolean)
    on conflict (code) do update set name = excluded.name, tax_inclusive = excluded.tax_inclusive, updated_at = excluded.updated_at
    where (price_lists.name, price_lists.tax_inclusive) is distinct from (excluded.name, excluded.tax_inclusive)`,
  [
    { code: 'RETAIL', name: 'Retail (EUR, incl. tax)', currency: 'EUR', tax_inclusive: true, is_default: true },
    { code: 'WHOLESALE', name: 'Wholesale (EUR, net)', currency: 'EUR', tax_inclusive: false, is_default: false },
    { code: 'EXPORT', name: 'Export (USD, net)', currency: 'USD', tax_inclusive: false, is_default: false },
  ]))

  record('price_list_items', await upsert(trx, `
    insert into price_list_items (price_list_id, product_id, min_qty, valid_from, valid_to, price)
    select l.id, p.id, r.min_qty, r.valid_from, r.valid_to, r.price
      from jsonb_to_recordset(?::jsonb) as r(list text, sku text, min_qty numeric, valid_from date, valid_to date, price numeric)
      join price_lists l on l.code = r.list
      join products p on p.sku = r.sku
    on conflict (price_list_id, product_id, min_qty, coalesce(valid_from, '-infinity'::date))
    do update set price = excluded.price, valid_to = excluded.valid_to, updated_at = excluded.updated_at
    where (price_list_items.price, price_list_items.valid_to) is distinct from (excluded.price, excluded.valid_to)`,
  makePrices(products, random)))

  record('customer_groups', await upsert(trx, `
    insert into customer_groups (code, name, price_list_id, discount_percent)
    select r.code, r.name, l.id, r.discount from jsonb_to_recordset(?::jsonb) as r(code text, name text, list text, discount numeric)
      left join price_lists l on l.code = r.list
    on conflict (code) do update set name = excluded.name, price_list_id = excluded.price_list_id, discount_percent = excluded.discount_percent
    where (customer_groups.name, customer_groups.price_list_id, customer_groups.discount_percent)
      is distinct from (excluded.name, excluded.price_list_id, excluded.discount_percent)`,
  GROUPS))

  const customers = makeCustomers(random)
  record('customers', await upsert(trx, `
    insert into customers (code, name, email, phone, tax_id, group_id, credit_limit, payment_terms_days)
    select r.code, r.name, r.email, r.phone, r.tax_id, g.id, r.credit_limit, r.terms
      from jsonb_to_recordset(?::jsonb) as r(code text, name text, email text, phone text, tax_id text, "group" text,
                                             credit_limit numeric, terms integer)
      join customer_groups g on g.code = r."group"
    on conflict (code) do update set name = excluded.name, email = excluded.email, phone = excluded.phone, tax_id = excluded.tax_id,
      group_id = excluded.group_id, credit_limit = excluded.credit_limit, payment_terms_days = excluded.payment_terms_days, updated_at = excluded.updated_at
    where (customers.name, customers.email, customers.phone, customers.tax_id, customers.group_id, customers.credit_limit, customers.payment_terms_days)
      is distinct from (excluded.name, excluded.email, excluded.phone, excluded.tax_id, excluded.group_id, excluded.credit_limit, excluded.payment_terms_days)`,
  customers.map(({ address: _address, ...c }) => c)))

  // Addresses have no natural key: a customer's default billing address is added only when it has none.
  record('customer_addresses', await upsert(trx, `
    insert into customer_addresses (customer_id, kind, is_default, line1, city, postal_code, country)
    select c.id, 'billing', true, r.line1, r.city, r.postal_code, r.country
      from jsonb_to_recordset(?::jsonb) as r(code text, line1 text, city text, postal_code text, country text)
      join customers c on c.code = r.code
     where not exists (select 1 from customer_addresses a where a.customer_id = c.id and a.kind = 'billing' and a.is_default)`,
  customers.map((c) => ({ code: c.code, ...c.address }))))

  record('users', await upsert(trx, `
    insert into users (email, name, role) select email, name, role from jsonb_to_recordset(?::jsonb) as r(email text, name text, role text)
    on conflict ((lower(email))) do update set name = excluded.name, role = excluded.role, updated_at = excluded.updated_at
    where (users.name, users.role) is distinct from (excluded.name, excluded.role)`,
  USERS))

  record('discounts', await upsert(trx, `
    insert into discounts (code, name, kind, value, currency, scope, product_id, category_id, valid_from, valid_to,
                           min_qty, min_amount, stacking, priority)
    select r.code, r.name, r.kind, r.value, r.currency, r.scope, p.id, c.id, r.valid_from, r.valid_to, r.min_qty, r.min_amount,
           r.stacking, r.priority
      from jsonb_to_recordset(?::jsonb) as r(code text, name text, kind text, value numeric, currency text, scope text, sku text,
                                             category text, valid_from date, valid_to date, min_qty numeric, min_amount numeric,
                                             stacking text, priority integer)
      left join products p on p.sku = r.sku
      left join categories c on c.path = r.category
    on conflict (code) do update set name = excluded.name, kind = excluded.kind, value = excluded.value, currency = excluded.currency,
      scope = excluded.scope, product_id = excluded.product_id, category_id = excluded.category_id, valid_from = excluded.valid_from,
      valid_to = excluded.valid_to, min_qty = excluded.min_qty, min_amount = excluded.min_amount, stacking = excluded.stacking,
      priority = excluded.priority, updated_at = excluded.updated_at
    where (discounts.name, discounts.kind, discounts.value, discounts.currency, discounts.scope, discounts.product_id, discounts.category_id,
           discounts.valid_from, discounts.valid_to, discounts.min_qty, discounts.min_amount, discounts.stacking, discounts.priority)
      is distinct from (excluded.name, excluded.kind, excluded.value, excluded.currency, excluded.scope, excluded.product_id,
           excluded.category_id, excluded.valid_from, excluded.valid_to, excluded.min_qty, excluded.min_amount, excluded.stacking, excluded.priority)`,
  [
    { code: 'WINTER-FURN', name: 'Winter furniture sale', kind: 'percent', value: '10', scope: 'category', category: 'Furniture',
      valid_from: '2026-12-01', valid_to: '2027-02-28', stacking: 'exclusive', priority: 100 },
    { code: 'BULK-ORDER', name: '3% off orders from 500 EUR', kind: 'percent', value: '3', currency: 'EUR', scope: 'order',
      min_amount: '500', stacking: 'stackable', priority: 50 },
    { code: 'CABLES-10', name: '0.50 off each cable from 10', kind: 'amount', value: '0.5', currency: 'EUR', scope: 'category',
      category: 'Electronics/Cables', min_qty: '10', stacking: 'stackable', priority: 100 },
    { code: 'COFFEE-15', name: 'Coffee week', kind: 'percent', value: '15', scope: 'category', category: 'Kitchen/Coffee',
      valid_from: '2026-10-01', valid_to: '2026-10-07', stacking: 'exclusive', priority: 100 },
  ]))

  return counts
}

/**
 * Run one upsert whose rows come as a JSON array; counts inserted vs updated rows (xmax = 0 on insert).
 * An update stamps `updated_at = excluded.updated_at`, the column's default now() for the proposed
 * row: Citus refuses a call to now() in DO UPDATE SET, not a column.
 */
async function upsert(trx: Knex.Transaction, sql: string, rows: unknown[]): Promise<Upserted> {
  const { rows: result } = await trx.raw(`with done as (${sql} returning xmax = 0 as inserted)
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated from done`,
  [JSON.stringify(rows)])
  return result[0]
}

interface DemoProduct {
  sku: string
  name: string
  description: string
  category: string
  uom: string
  barcode: string
  weight: string
  tax_class: string
  tracking: string
  cost: string
  attributes: Record<string, unknown>
  /** Gross retail price, EUR. */
  retail: string
}

function makeProducts(random: Random): DemoProduct[] {
  const leaves = CATALOG.filter((c) => c.nouns.length > 0)
  return Array.from({ length: DEMO_PRODUCTS }, (_, i) => {
    const leaf = leaves[i % leaves.length]
    const noun = random.pick(leaf.nouns)
    const adjective = random.pick(ADJECTIVES)
    const prefix = leaf.path.split('/').map((s) => s.slice(0, 3).toUpperCase()).join('-')
    const sku = `${prefix}-${String(i + 1).padStart(4, '0')}`
    const cents = leaf.path.startsWith('Furniture') ? random.int(8_000, 90_000) : random.int(150, 9_000)
    const retail = leaf.path === 'Gift cards' ? random.pick(['25', '50', '100']) : fixed(new Decimal(cents).dividedBy(100), 2)
    const attributes: Record<string, unknown> = {}
    for (const attr of leaf.attrs) {
      if (attr === 'color') attributes.color = random.pick(COLORS)
      if (attr === 'material') attributes.material = random.pick(MATERIALS)
      if (attr === 'warranty_years') attributes.warranty_years = random.int(1, 5)
      if (attr === 'recycled') attributes.recycled = random.int(0, 1) === 1
    }
    return {
      sku,
      name: `${adjective} ${noun.toLowerCase()}`.replace(/^./, (c) => c.toUpperCase()),
      description: `${adjective} ${noun.toLowerCase()} from the ${leaf.path.replace('/', ' › ')} range.`,
      category: leaf.path,
      uom: leaf.path === 'Kitchen/Coffee' ? 'kg' : 'unit',
      barcode: ean13(`400${String(100_000_000 + i * 7919).slice(0, 9)}`),
      weight: fixed(new Decimal(random.int(20, 25_000)).dividedBy(1000), 3),
      tax_class: leaf.tax ?? 'standard',
      tracking: leaf.tracking ?? 'none',
      cost: fixed(new Decimal(retail).times(random.int(35, 65)).dividedBy(120), 4),
      attributes,
      retail,
    }
  })
}

/** EAN-13 from 12 digits: the check digit weighs digits 1, 3, 1, 3... */
function ean13(twelve: string): string {
  const sum = [...twelve].reduce((a, d, i) => a + Number(d) * (i % 2 === 0 ? 1 : 3), 0)
  return `${twelve}${(10 - (sum % 10)) % 10}`
}

function makePrices(products: DemoProduct[], random: Random): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = []
  const add = (list: string, sku: string, price: Decimal, extra: Record<string, unknown> = {}) =>
    rows.push({ list, sku, min_qty: '0', valid_from: null, valid_to: null, price: fixed(price, 2), ...extra })
  for (const p of products) {
    const retail = new Decimal(p.retail)
    const rate = p.tax_class === 'standard' ? 20 : p.tax_class === 'reduced' ? 5 : 0
    const net = retail.times(100).dividedBy(100 + rate)
    const wholesale = net.times(random.int(70, 85)).dividedBy(100)
    add('RETAIL', p.sku, retail)
    add('WHOLESALE', p.sku, wholesale)
    add('EXPORT', p.sku, wholesale.times('1.08'))
    if (p.category !== 'Gift cards' && random.int(0, 2) === 0) {
      add('WHOLESALE', p.sku, wholesale.times('0.95'), { min_qty: '10' })
      add('WHOLESALE', p.sku, wholesale.times('0.90'), { min_qty: '50' })
      add('RETAIL', p.sku, retail.times('0.95'), { min_qty: '10' })
    }
    if (p.category === 'Office/Writing' && random.int(0, 3) === 0) {
      add('RETAIL', p.sku, retail.times('0.80'), { valid_from: '2026-12-01', valid_to: '2026-12-31' })
    }
  }
  return rows
}

interface DemoCustomer {
  code: string
  name: string
  email: string
  phone: string
  tax_id: string
  group: string
  credit_limit: string | null
  terms: number
  address: { line1: string; city: string; postal_code: string; country: string }
}

function makeCustomers(random: Random): DemoCustomer[] {
  return Array.from({ length: DEMO_CUSTOMERS }, (_, i) => {
    const [city, postal, country] = random.pick(CITIES)
    const name = `${random.pick(COMPANY_A)} ${random.pick(COMPANY_B)}`
    const group = country === 'US' ? 'EXPORT' : random.pick(['RETAIL', 'RETAIL', 'TRADE', 'TRADE', 'VIP'])
    const code = `C${String(i + 1).padStart(4, '0')}`
    return {
      code,
      name: `${name} ${city}`,
      email: `orders.${code.toLowerCase()}@demo-customer.example`,
      phone: `+${random.int(30, 49)} ${random.int(100, 999)} ${random.int(100_000, 999_999)}`,
      tax_id: `${country}${random.int(100_000_000, 999_999_999)}`,
      group,
      credit_limit: group === 'RETAIL' ? null : String(random.pick([2_000, 5_000, 10_000, 25_000])),
      terms: group === 'RETAIL' ? 0 : random.pick([14, 30, 45, 60]),
      address: { line1: `${random.int(1, 240)} ${random.pick(STREETS)}`, city, postal_code: postal, country },
    }
  })
}
