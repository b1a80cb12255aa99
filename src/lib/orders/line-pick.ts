/** A line of an order named by an operator: by number or SKU, with a quantity or everything left. */
export interface LinePick {
  line?: number
  sku?: string
  qty?: string
}
