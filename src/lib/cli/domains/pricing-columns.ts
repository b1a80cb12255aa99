import type { Column } from '../render.js'
import type { Discount } from '../../pricing/discounts.js'
import type { PriceList } from '../../pricing/price-lists.js'
import type { PriceItem } from '../../pricing/prices.js'
import type { QuoteLine } from '../../pricing/resolve.js'
import type { TaxRate } from '../../pricing/taxes.js'

export const TAX_RATE_COLUMNS: Column<TaxRate>[] = [
  { key: 'taxClass' },
  { key: 'rate', align: 'right' },
  { key: 'updatedAt' },
]

export const PRICE_LIST_COLUMNS: Column<PriceList>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'currency' },
  { key: 'taxInclusive' },
  { key: 'isDefault' },
  { key: 'items', align: 'right' },
  { key: 'groups', align: 'right' },
]

export const PRICE_ITEM_COLUMNS: Column<PriceItem>[] = [
  { key: 'priceList' },
  { key: 'sku' },
  { key: 'productName' },
  { key: 'minQty', align: 'right' },
  { key: 'price', align: 'right' },
  { key: 'currency' },
  { key: 'taxInclusive' },
  { key: 'validFrom' },
  { key: 'validTo' },
]

export const DISCOUNT_COLUMNS: Column<Discount>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'kind' },
  { key: 'value', align: 'right' },
  { key: 'currency' },
  { key: 'scope' },
  { key: 'target', get: (d) => d.sku ?? d.category ?? '' },
  { key: 'group' },
  { key: 'validFrom' },
  { key: 'validTo' },
  { key: 'minQty', align: 'right' },
  { key: 'minAmount', align: 'right' },
  { key: 'stacking' },
  { key: 'priority', align: 'right' },
  { key: 'archivedAt' },
]

export const QUOTE_LINE_COLUMNS: Column<QuoteLine>[] = [
  { key: 'line', align: 'right' },
  { key: 'sku' },
  { key: 'qty', align: 'right' },
  { key: 'priceList' },
  { key: 'break', get: (l) => (l.break ? `≥${l.break.minQty}` : l.priceSource) },
  { key: 'unitPrice', align: 'right' },
  { key: 'amountBeforeDiscounts', align: 'right' },
  { key: 'discountTotal', align: 'right' },
  { key: 'discounts', get: (l) => l.discounts.map((d) => d.code).join(' ') },
  { key: 'taxRate', align: 'right' },
  { key: 'net', align: 'right' },
  { key: 'tax', align: 'right' },
  { key: 'gross', align: 'right' },
]
