import { Flags } from '@oclif/core'

/**
 * Flags the stock, warehouse and location commands share (the command layer's, defined once).
 * skuFlag, locationFlag and warehouseFlag are factories: skuFlag({ required: true }).
 */

export const skuFlag = Flags.custom<string>({ char: 's', description: 'Product SKU', helpValue: '<sku>' })

export const locationFlag = Flags.custom<string>({
  char: 'l',
  description: 'Location: WH1 (the warehouse default location) or WH1/A-01',
  helpValue: '<location>',
})

export const warehouseFlag = Flags.custom<string>({ char: 'w', description: 'Warehouse code', helpValue: '<code>' })

export const lotFlag = Flags.string({ description: 'Lot code (lot-tracked products)', helpValue: '<code>' })

export const serialFlag = Flags.string({
  description: 'Serial number (serial-tracked products); repeat the flag or separate with commas',
  multiple: true,
  delimiter: ',',
  helpValue: '<serial>',
})

export const referenceFlag = Flags.string({ char: 'r', description: 'Document reference (purchase order, ticket, order)', helpValue: '<ref>' })

export const moveDateFlag = Flags.string({
  description: 'The day it happened, for a late entry (not after today; audited); today by default',
  helpValue: 'YYYY-MM-DD',
})

export const noteFlag = Flags.string({ description: 'Free text kept with the move (why)', helpValue: '<text>' })

export const limitFlag = (defaultLimit: number) =>
  Flags.integer({ description: 'At most this many rows', default: defaultLimit, min: 1, max: 1_000_000 })
