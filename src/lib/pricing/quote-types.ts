import type { DiscountKind, DiscountScope, StackingRule } from './discounts.js'
import type { Decimal, RoundingMode } from './money.js'

/** What a quote takes and gives, and the shapes the resolver's queries and rules pass between them. */

export interface QuoteLineInput {
  sku: string
  /** Decimal string, more than zero, up to 4 decimals. */
  qty: string
  /** Replaces the list price (in the quote list's tax basis); disables automatic discounts on the line. */
  unitPriceOverride?: string
  /** A discount agreed for this line, in percent (0 to 100): replaces the automatic discounts on it, kept as such. */
  discountPercent?: string
}

export interface QuoteInput {
  /** Customer code. Without one, the default list applies and no group discount. */
  customer?: string
  lines: QuoteLineInput[]
  /** YYYY-MM-DD; the database's current date by default. */
  date?: string
}

export interface AppliedDiscount {
  /** Discount code, or `group:<code>` for the customer group's discount. */
  code: string
  name: string
  kind: DiscountKind
  value: string
  /** `line` for a line's own --line …%P discount. */
  scope: DiscountScope | 'group' | 'line'
  stacking: StackingRule
  amount: string
}

export interface QuoteLine {
  /** 1-based position in the input. */
  line: number
  sku: string
  productId: string
  name: string
  qty: string
  /** The list the price came from (the quote's list for an override). */
  priceList: string
  priceSource: 'list' | 'fallback' | 'override'
  /** The price item used; null for an override. */
  break: { minQty: string; validFrom: string | null; validTo: string | null } | null
  /** As listed (or overridden), in the line's basis, 4 decimals. */
  unitPrice: string
  taxInclusive: boolean
  unitPriceNet: string
  unitPriceGross: string
  /** B: round(unit price × qty), in the line's basis. */
  amountBeforeDiscounts: string
  discounts: AppliedDiscount[]
  discountTotal: string
  /** The line's own discount in percent, when it has one (it replaces the automatic discounts). */
  discountPercent: string | null
  taxClass: string
  /** Percent. */
  taxRate: string
  net: string
  tax: string
  gross: string
  /** Why this price, break and these discounts, and why not the others. */
  explanation: string[]
}

export interface TaxSummary {
  rate: string
  net: string
  tax: string
  gross: string
}

export interface Quote {
  date: string
  currency: string
  customer: { code: string; name: string; group: string | null } | null
  priceList: { code: string; currency: string; taxInclusive: boolean; source: 'customer group' | 'default' }
  rounding: { mode: RoundingMode; scale: number; per: 'line' }
  lines: QuoteLine[]
  totals: { beforeDiscounts: string; discount: string; net: string; tax: string; gross: string }
  taxes: TaxSummary[]
}

// ---- rows read from the database -------------------------------------------------------------

export interface ListRow {
  id: string
  code: string
  currency: string
  tax_inclusive: boolean
}

export interface ContextRow {
  today: string
  rounding: unknown
  default_list: ListRow | null
  customer: {
    code: string
    name: string
    archived: boolean
    group_id: string | null
    group_code: string | null
    discount_percent: string | null
    list: ListRow | null
  } | null
}

export interface ItemRow {
  id: string
  listId: string
  minQty: string
  validFrom: string | null
  validTo: string | null
  price: string
}

export interface LineRow {
  n: number
  product_id: string | null
  name: string | null
  active: boolean | null
  archived: boolean | null
  tax_class: string | null
  tax_rate: string | null
  category_path: string | null
  items: ItemRow[]
}

export interface DiscountRow {
  code: string
  name: string
  kind: DiscountKind
  value: string
  currency: string | null
  scope: DiscountScope
  product_id: string | null
  category_path: string | null
  group_id: string | null
  group_code: string | null
  valid_from: string | null
  valid_to: string | null
  min_qty: string | null
  min_amount: string | null
  stacking: StackingRule
  priority: number
}

// ---- a line on its way through the rules -------------------------------------------------------

export interface ParsedLine {
  sku: string
  qty: Decimal
  override?: Decimal
  discountPercent?: Decimal
}

export interface PriceChoice {
  item: ItemRow | null
  /** The list searched last: the primary list, or the fallback when the primary had no price. */
  fellBack: boolean
}

export interface PricedLine {
  index: number
  input: ParsedLine
  row: LineRow
  found: PriceChoice
  list: ListRow
  /** In the quote list's tax basis (a fallback list's price in the other basis is converted). */
  unit: Decimal
  /** The fallback list's own price, when it was in the other basis and converted to `unit`. */
  convertedFrom?: Decimal
  base: Decimal
  taxRate: Decimal
}
