import type { Column } from '../render.js'
import type { Discount } from '../../pricing/discounts.js'
import type { PriceList } from '../../pricing/price-lists.js'
import type { PriceItem } from '../../pricing/prices.js'
import type { QuoteLine } from '../../pricing/resolve.js'
import type { TaxRate } from '../../pricing/taxes.js'

export const TAX_RATE_COLUMNS: Column<TaxRate>[] = [
  { key: 'taxClass', header: 'tax class' },
  { key: 'rate', header: 'rate %', align: 'right' },
  { key: 'updatedAt', header: 'updated' },
]

export const PRICE_LIST_COLUMNS: Column<PriceList>[] = [
  { key: 'code' },
  { key: 'name' },
  { key: 'currency' },
  { key: 'taxInclusive', header: 'tax incl.' },
  { key: 'isDefault', header: 'default' },
  { key: 'items', align: 'right' },
  { key: 'groups', align: 'right' },
]

export const PRICE_ITEM_COLUMNS: Column<PriceItem>[] = [
  { key: 'priceList', header: 'list' },
  { key: 'sku' },
  { key: 'productName', header: 'product' },
  { key: 'minQty', header: 'min qty', align: 'right' },
  { key: 'price', align: 'right' },
  { key: 'currency' },
  { key: 'taxInclusive', header: 'tax incl.' },
  { key: 'validFrom', header: 'from' },
  { key: 'validTo', header: 'to' },
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
  { key: 'validFrom', header: 'from' },
  { key: 'validTo', header: 'to' },
  { key: 'minQty', header: 'min qty', align: 'right' },
  { key: 'minAmount', header: 'min amount', align: 'right' },
  { key: 'stacking' },
  { key: 'priority', align: 'right' },
  { key: 'archivedAt', header: 'archived' },
]

export const QUOTE_LINE_COLUMNS: Column<QuoteLine>[] = [
  { key: 'line', header: '#', align: 'right' },
  { key: 'sku' },
  { key: 'qty', align: 'right' },
  { key: 'priceList', header: 'list' },
  { key: 'break', get: (l) => (l.break ? `≥${l.break.minQty}` : l.priceSource) },
  { key: 'unitPrice', header: 'unit', align: 'right' },
  { key: 'amountBeforeDiscounts', header: 'amount', align: 'right' },
  { key: 'discountTotal', header: 'discount', align: 'right' },
  { key: 'discounts', get: (l) => l.discounts.map((d) => d.code).join(' ') },
  { key: 'taxRate', header: 'tax %', align: 'right' },
  { key: 'net', align: 'right' },
  { key: 'tax', align: 'right' },
  { key: 'gross', align: 'right' },
]
